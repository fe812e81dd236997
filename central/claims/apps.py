from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "central.claims"
    label = "claims"
    verbose_name = "Tax-receipt claims"
