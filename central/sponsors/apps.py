from django.apps import AppConfig


class SponsorsConfig(AppConfig):
    name = "central.sponsors"
    label = "sponsors"
    verbose_name = "Matching sponsors"
