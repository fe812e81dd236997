from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "central.accounts"
    label = "accounts"
    verbose_name = _("Roles")

    def ready(self) -> None:
        from central.accounts import signals  # noqa: F401  (connects the receivers)
