"""Reading donations."""

from __future__ import annotations

import json
from typing import Any

from central.donations.models import Donation


def device_donations(device_id: str) -> list[dict[str, Any]]:
    """A device's donations as first received, in its sequence order."""
    return [json.loads(c) for c in Donation.objects.filter(device__device_id=device_id)
            .order_by("seq").values_list("content", flat=True)]


def donation(device_id: str, donation_id: str) -> Donation | None:
    return Donation.objects.filter(device__device_id=device_id,
                                   donation_id=donation_id).first()
