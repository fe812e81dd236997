from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "central.backoffice"
    label = "backoffice"
    verbose_name = "Back office pages"
