"""Claims in the back office: an association sees the claims for its projects, validates
them and issues the receipts; nobody edits what the donor typed."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from central.accounts.admin import ScopedAdmin
from central.claims import selectors, services
from central.claims.models import Claim


@admin.register(Claim)
class ClaimAdmin(ScopedAdmin):
    selector = selectors.for_user
    list_display = ["filed_at", "association", "project_ref", "amount_cents", "currency",
                    "name", "status", "receipt_number"]
    list_filter = ["status", "association"]
    search_fields = ["name", "email", "receipt_seq"]
    fields = ["status", "association", "project_ref", "device_id", "donation_id",
              "amount_cents", "currency", "name", "address", "email", "filed_at",
              "validated_at", "receipt_number", "gift_date", "issued_at"]
    readonly_fields = fields
    actions = ["validate", "issue"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # only donors file claims, from their receipt page

    @admin.action(description="Validate the selected claims", permissions=["change"])
    def validate(self, request: HttpRequest, queryset: QuerySet[Claim]) -> None:
        for claim in queryset:
            services.validate(claim)
        self.message_user(request, f"{queryset.count()} claim(s) validated.")

    @admin.action(description="Issue the receipts of the selected claims (PDF, email)",
                  permissions=["change"])
    def issue(self, request: HttpRequest, queryset: QuerySet[Claim]) -> None:
        base_url = request.build_absolute_uri("/")
        for claim in queryset.order_by("filed_at"):
            try:
                issued, now = services.issue(claim.pk, base_url)
            except services.NotIssuable as e:
                self.message_user(request, f"{claim}: {e}", messages.WARNING)
            else:
                if now:
                    self.message_user(request, f"Receipt {issued.receipt_number} issued.")

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).select_related("association")
