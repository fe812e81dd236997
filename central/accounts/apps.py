from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "central.accounts"
    label = "accounts"
