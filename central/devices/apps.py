from django.apps import AppConfig


class DevicesConfig(AppConfig):
    name = "central.devices"
    label = "devices"
