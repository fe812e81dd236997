"""The back office (Django admin): each model's list scoped by the user's role."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from central.accounts import selectors
from central.accounts.models import Membership
from central.backoffice import services as backoffice
from central.catalog.forms import ProjectForm, https_by_default
from central.catalog.models import Association, Image, Project, Shop, ShopProject
from central.devices.models import Device, DeviceState, HeartbeatRollup
from central.donations.models import Donation

# The choices a user is offered for a foreign key: only what their role lets them see, so an
# association cannot file a project under another association, nor a shop a kiosk elsewhere.
SCOPED_CHOICES = {Association: selectors.associations, Shop: selectors.shops}

# The product's name over every admin page (Django's own says « Administration de Django »).
admin.site.site_header = admin.site.site_title = _("Kiosk back office")
admin.site.index_title = _("Associations' data")


class ScopedAdmin(admin.ModelAdmin):
    """A model admin whose rows are the selector's for the signed-in user: lists, and the
    change, delete and history pages (an object outside the scope is "not found")."""

    selector: Any = None

    def get_queryset(self, request: HttpRequest) -> Any:
        return type(self).selector(request.user)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest,
                                 **kwargs: Any) -> Any:
        scoped = SCOPED_CHOICES.get(db_field.related_model)
        if scoped is not None:
            kwargs["queryset"] = scoped(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "association", "shop"]
    list_filter = ["role"]


@admin.register(Association)
class AssociationAdmin(ScopedAdmin):
    selector = selectors.associations
    search_fields = ["name"]


class ShopProjectInline(admin.TabularInline):
    model = ShopProject
    extra = 0


def _actions_list(obj: Any) -> str:
    """The last back-office actions on a project or a shop, for its change page."""
    rows = obj.staff_actions.all()[:20] if obj.pk else []
    if not rows:
        return "—"
    return format_html("<ul>{}</ul>", format_html_join(
        "", "<li><time datetime=\"{}\">{}</time> — {} — {} ({})</li>",
        ((a.at.isoformat(), date_format(localtime(a.at), "SHORT_DATETIME_FORMAT"),
          a.username, a.get_action_display(), ", ".join(a.detail.get("fields", [])))
         for a in rows)))


@admin.register(Shop)
class ShopAdmin(ScopedAdmin):
    selector = selectors.shops
    list_display = ["name", "town"]
    list_filter = ["town"]
    inlines = [ShopProjectInline]
    readonly_fields = ["back_office_actions"]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any,
                     change: bool) -> None:
        # After the shop and its listings are saved, in the admin's transaction: the audit
        # row says which fields changed, "listings" for the projects the kiosks show.
        super().save_related(request, form, formsets, change)
        changed = list(form.changed_data)
        if any(formset.has_changed() for formset in formsets):
            changed.append("listings")
        backoffice.record_shop(request.user, form.instance, created=not change,
                               changed=changed)

    @admin.display(description="Done in the back office")
    def back_office_actions(self, obj: Shop) -> str:
        return _actions_list(obj)


@admin.register(Project)
class ProjectAdmin(ScopedAdmin):
    selector = selectors.projects
    form = ProjectForm
    list_display = ["project_id", "title", "association", "raised_cents", "active"]
    list_filter = ["active", "association"]
    readonly_fields = ["image", "raised_cents", "supporters", "back_office_actions"]

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest,
                              **kwargs: Any) -> Any:
        # The admin builds its fields itself (the form's own callback is not used): a web
        # address typed without its scheme is https here too.
        return super().formfield_for_dbfield(db_field, request,
                                             **https_by_default(db_field, kwargs))

    def save_model(self, request: HttpRequest, obj: Project, form: Any, change: bool) -> None:
        # The admin's change view runs in one transaction: the project and its audit row
        # commit together.
        super().save_model(request, obj, form, change)
        backoffice.record_project(request.user, obj, created=not change,
                                  changed=list(form.changed_data))

    @admin.display(description=_("Done in the back office"))
    def back_office_actions(self, obj: Project) -> str:
        return _actions_list(obj)


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    list_display = ["sha256", "content_type", "size", "created_at"]
    exclude = ["data"]


class DeviceStateInline(admin.StackedInline):
    model = DeviceState
    extra = 0
    readonly_fields = ["received_at", "version", "backlog_count", "backlog_cents",
                       "unknown_count", "quarantined_count", "disk_free_bytes",
                       "clock_synchronized", "last_error"]
    exclude = ["body"]


@admin.register(Device)
class DeviceAdmin(ScopedAdmin):
    selector = selectors.devices
    list_display = ["device_id", "shop", "enrolled_at", "revoked_at"]
    readonly_fields = ["enrolled_at", "revoked_at"]
    inlines = [DeviceStateInline]


@admin.register(HeartbeatRollup)
class HeartbeatRollupAdmin(admin.ModelAdmin):
    list_display = ["device", "hour", "count", "max_backlog_count", "errors"]

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).filter(device__in=selectors.devices(request.user))


@admin.register(Donation)
class DonationAdmin(ScopedAdmin):
    selector = selectors.donations
    list_display = ["donation_id", "device", "project_ref", "amount_cents", "currency",
                    "state", "received_at"]
    list_filter = ["state", "currency"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # only kiosks add donations

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # as the kiosk sent it: never edited

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # never deleted: a restored backup relies on it
