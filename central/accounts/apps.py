from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "central.accounts"
    label = "accounts"

    def ready(self) -> None:
        from central.accounts import signals  # noqa: F401  (connects the receivers)
