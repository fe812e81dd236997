from django.apps import AppConfig


class DonationsConfig(AppConfig):
    name = "central.donations"
    label = "donations"
