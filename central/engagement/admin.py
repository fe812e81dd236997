"""Asks and pledges in the back office: an association posts its projects' asks and pledges
and sees who signed up or pledged; nobody edits what a person typed."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from central.accounts import selectors as scopes
from central.accounts.admin import ScopedAdmin
from central.catalog.models import Project
from central.engagement import selectors, services
from central.engagement.models import Ask, Pledge, PledgeSignature, Signup


class OwnProjectsOnly(ScopedAdmin):
    """A model admin whose project choices are the association's own projects."""

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest,
                                 **kwargs: Any) -> Any:
        if db_field.related_model is Project:  # only the association's own projects
            kwargs["queryset"] = Project.objects.filter(
                association__in=scopes.associations(request.user))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class SignupInline(admin.TabularInline):
    model = Signup
    extra = 0
    fields = ["first_name", "email", "phone", "signed_up_at"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # only the person, from their phone


@admin.register(Ask)
class AskAdmin(OwnProjectsOnly):
    selector = selectors.for_user
    list_display = ["what", "project", "starts_at", "place", "needed", "signed_up"]
    # Only the associations of the rows this user sees, never the whole network's list.
    list_filter = [("project__association", admin.RelatedOnlyFieldListFilter)]
    readonly_fields = ["sign_up_link"]
    inlines = [SignupInline]

    def get_queryset(self, request: HttpRequest) -> Any:
        return selectors.with_counts(super().get_queryset(request)).select_related("project")

    @admin.display(description=_("signed up"), ordering="signed_up")
    def signed_up(self, ask: Ask) -> int:
        return ask.signed_up

    @admin.display(description=_("sign-up page"))
    def sign_up_link(self, ask: Ask) -> str:
        return ask.get_absolute_url() if ask.pk else "—"


class PledgeSignatureInline(admin.TabularInline):
    model = PledgeSignature
    extra = 0
    fields = ["email", "first_name", "signed_at", "confirmed_at", "told_reached_at"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # only the person, from their phone and their mailbox


@admin.register(Pledge)
class PledgeAdmin(OwnProjectsOnly):
    selector = selectors.pledges_for_user
    list_display = ["commitment", "project", "deadline", "threshold", "confirmed", "reached_at"]
    # Only the associations of the rows this user sees, never the whole network's list.
    list_filter = [("project__association", admin.RelatedOnlyFieldListFilter)]
    readonly_fields = ["pledge_link", "reached_at"]
    inlines = [PledgeSignatureInline]

    def get_queryset(self, request: HttpRequest) -> Any:
        return selectors.with_pledge_counts(super().get_queryset(request)) \
            .select_related("project")

    def save_model(self, request: HttpRequest, obj: Pledge, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        services.settle_pledge(obj.pk)  # a threshold lowered to the count is reached now

    @admin.display(description=_("confirmed"), ordering="confirmed")
    def confirmed(self, pledge: Pledge) -> int:
        return pledge.confirmed

    @admin.display(description=_("pledge page"))
    def pledge_link(self, pledge: Pledge) -> str:
        return pledge.get_absolute_url() if pledge.pk else "—"
