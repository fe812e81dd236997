"""What a receipt page shows: the signed fields, and what this service knows of them (the
project and its association, the kiosk's shop, whether the donation has arrived)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass

from django.utils import timezone

from central.catalog.models import Project
from central.devices.models import Device
from central.devices.selectors import receipt_keys
from central.donations.selectors import donation
from central.receipts.signing import SignedReceipt, verify

CONFIRMED, IN_TRANSIT, UNCONFIRMED = "confirmed", "in_transit", "unconfirmed"


@dataclass(frozen=True)
class Receipt:
    signed: SignedReceipt
    project: Project | None
    shop: str
    status: str
    gift_date: datetime.date | None


def signed_receipt(device_id: str, donation_id: str,
                   query: Mapping[str, str]) -> SignedReceipt | None:
    return verify(receipt_keys(device_id), device_id, donation_id, query.get("amount", ""),
                  query.get("currency", ""), query.get("project", ""), query.get("sig", ""),
                  query.get("v", "1"))


def receipt(signed: SignedReceipt) -> Receipt:
    stored = donation(signed.device_id, signed.donation_id)
    if stored is None:
        status = IN_TRANSIT  # the kiosk was offline: the signed QR code is enough to show it
    elif stored.state == "approved" and stored.amount_cents == signed.amount_cents \
            and stored.currency == signed.currency:
        status = CONFIRMED
    else:
        status = UNCONFIRMED
    device = Device.objects.select_related("shop").filter(device_id=signed.device_id).first()
    return Receipt(
        signed=signed,
        project=Project.objects.select_related("association", "image")
        .filter(project_id=signed.project_id).first(),
        shop=device.shop.name if device and device.shop else "",
        status=status,
        gift_date=timezone.localtime(stored.created_at).date() if stored else None)
