"""A membership added or removed changes its user's role groups at once, whatever wrote it
(the back office, a command, a test)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from central.accounts.models import Membership
from central.accounts.roles import sync_user_groups


@receiver(post_save, sender=Membership)
@receiver(post_delete, sender=Membership)
def membership_changed(sender: type[Membership], instance: Membership, **kwargs: Any) -> None:
    sync_user_groups(instance.user)
