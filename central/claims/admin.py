"""Claims in the back office: an association sees the claims for its projects, validates
them and issues the receipts; nobody edits what the donor typed."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from central.accounts import selectors as scopes
from central.accounts.admin import ScopedAdmin
from central.claims import annual, selectors, services
from central.claims.forms import AnnualIssueForm
from central.claims.models import AnnualReceipt, Claim, ClaimAction
from central.receipts.donor import money


class AssociationFilter(admin.RelatedOnlyFieldListFilter):
    """The associations of the claims this user sees, never the whole network's list; the
    « no association » choice (a project no association holds) only for network admins."""

    def __init__(self, field: Any, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        self.offers_empty = getattr(request.user, "is_superuser", False)
        super().__init__(field, request, *args, **kwargs)

    @property
    def include_empty_choice(self) -> bool:
        return self.offers_empty and super().include_empty_choice


@admin.register(Claim)
class ClaimAdmin(ScopedAdmin):
    selector = selectors.for_user
    list_display = ["filed_at", "association", "project_ref", "amount", "name", "status",
                    "receipt_number"]
    list_filter = ["status", ("association", AssociationFilter)]
    search_fields = ["name", "email", "receipt_seq"]
    fields = ["status", "association", "project_ref", "device_id", "donation_id",
              "amount", "name", "address", "email", "filed_at",
              "validated_at", "receipt_number", "gift_date", "issued_at"]
    readonly_fields = fields
    actions = ["validate", "issue"]
    change_list_template = "claims/admin_claim_changelist.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # only donors file claims, from their receipt page

    @admin.display(description=gettext_lazy("amount"), ordering="amount_cents")
    def amount(self, claim: Claim) -> str:
        return money(claim.amount_cents, claim.currency)

    @admin.display(description=gettext_lazy("receipt number"))
    def receipt_number(self, claim: Claim) -> str:
        return claim.receipt_number

    @admin.action(description=gettext_lazy("Validate the selected claims"),
                  permissions=["change"])
    def validate(self, request: HttpRequest, queryset: QuerySet[Claim]) -> None:
        done = sum(services.validate(claim, request.user) for claim in queryset)
        self.message_user(request, ngettext("%(count)d claim validated.",
                                            "%(count)d claims validated.", done)
                          % {"count": done})

    @admin.action(description=gettext_lazy("Issue the receipts of the selected claims "
                                           "(PDF, email)"), permissions=["change"])
    def issue(self, request: HttpRequest, queryset: QuerySet[Claim]) -> None:
        base_url = request.build_absolute_uri("/")
        for claim in queryset.order_by("filed_at"):
            try:
                issued, now = services.issue(claim.pk, base_url, request.user)
            except services.NotIssuable as e:
                self.message_user(request, f"{claim}: {e}", messages.WARNING)
            else:
                if now:
                    self.message_user(request, _("Receipt %(number)s issued.")
                                      % {"number": issued.receipt_number})

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).select_related("association", "annual")

    def get_urls(self) -> list[URLPattern]:
        return [path("annual/", self.admin_site.admin_view(self.annual_view),
                     name="claims_claim_annual"), *super().get_urls()]

    def annual_view(self, request: HttpRequest) -> HttpResponse:
        """Issue a year's annual receipts (one per donor email) for an association, and
        list those issued already."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        associations = scopes.associations(request.user)
        data = request.POST if request.method == "POST" else None
        form = AnnualIssueForm(associations, data,
                               initial={"year": timezone.localdate().year - 1})
        if data is not None and form.is_valid():
            try:
                issued = annual.issue_annual(request.user, form.cleaned_data["association"],
                                             form.cleaned_data["year"],
                                             request.build_absolute_uri("/"))
            except services.NotIssuable as e:
                self.message_user(request, str(e), messages.WARNING)
            else:
                self.message_user(request, ngettext(
                    "%(count)d annual receipt issued.", "%(count)d annual receipts issued.",
                    len(issued)) % {"count": len(issued)}
                    + "".join(f" {r.receipt_number}" for r in issued))
        shown = AnnualReceipt.objects.filter(association__in=associations) \
            .select_related("association")
        if form.is_bound and form.is_valid():
            shown = shown.filter(association=form.cleaned_data["association"],
                                 receipt_year=form.cleaned_data["year"])
        states = {AnnualReceipt.ISSUED: _("Issued"), AnnualReceipt.WITHDRAWN: _("Withdrawn"),
                  AnnualReceipt.ERASED: _("Erased")}
        rows = [{"number": r.receipt_number, "association": r.association.name,
                 "donor": r.name, "total": money(r.total_cents, r.currency),
                 "status": states.get(r.status, r.status)} for r in shown[:500]]
        actions = [action_row(a) for a in selectors.recent_actions(request.user)]
        context = {**self.admin_site.each_context(request), "form": form,
                   "receipts": rows, "actions": actions,
                   # One association: its name in every row only widens the table on a phone.
                   "several_associations": associations.count() > 1 or request.user.is_superuser,
                   "opts": self.model._meta, "title": _("Annual receipts")}
        return render(request, "claims/admin_annual.html", context)


def action_row(action: ClaimAction) -> dict[str, Any]:
    """An audit row as the annual page lists it: what was done, and to what, in words."""
    detail = action.detail
    if action.action == ClaimAction.ISSUE_ANNUAL:
        receipts = " ".join(detail.get("receipts", [])) or _("none")
        about = _("%(year)s: %(receipts)s") % {"year": detail.get("year"), "receipts": receipts}
    elif detail.get("receipt"):
        about = detail["receipt"]
    else:
        about = _("claim %(pk)s") % {"pk": detail.get("claim")}
    return {"at": action.at, "who": action.username, "what": action.get_action_display(),
            "association": action.association.name if action.association else "",
            "about": about}
