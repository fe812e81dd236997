from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "central.common"
    label = "common"
