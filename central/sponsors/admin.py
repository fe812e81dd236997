"""Sponsors in the back office: an association (or a network admin) adds its project's
sponsor with a budget and a last day, and sees what was matched and what is left. Every
change is recorded by the admin's own history (who, when, what), like the asks'."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from central.accounts import selectors as scopes
from central.accounts.admin import ScopedAdmin
from central.catalog.models import Project
from central.receipts.donor import money
from central.sponsors import selectors
from central.sponsors.models import Sponsor


@admin.register(Sponsor)
class SponsorAdmin(ScopedAdmin):
    selector = selectors.for_user
    list_display = ["name", "project", "ends_on", "budget", "matched", "budget_left"]
    # Only the associations of the rows this user sees, never the whole network's list.
    list_filter = [("project__association", admin.RelatedOnlyFieldListFilter)]
    # Matched is the ingest's to keep: nobody edits it by hand.
    readonly_fields = ["matched", "budget_left"]
    fields = ["project", "name", "text", "budget_cents", "ends_on", "matched", "budget_left"]

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).select_related("project")

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest,
                                 **kwargs: Any) -> Any:
        if db_field.related_model is Project:  # only the association's own projects
            kwargs["queryset"] = Project.objects.filter(
                association__in=scopes.associations(request.user))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("budget"), ordering="budget_cents")
    def budget(self, sponsor: Sponsor) -> str:
        return money(sponsor.budget_cents, selectors.CURRENCY)

    @admin.display(description=_("matched"), ordering="matched_cents")
    def matched(self, sponsor: Sponsor) -> str:
        return money(sponsor.matched_cents, selectors.CURRENCY)

    @admin.display(description=_("budget left"))
    def budget_left(self, sponsor: Sponsor) -> str:
        return money(sponsor.budget_left_cents, selectors.CURRENCY) if sponsor.pk else "—"
