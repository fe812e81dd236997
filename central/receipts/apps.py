from django.apps import AppConfig


class ReceiptsConfig(AppConfig):
    name = "central.receipts"
    label = "receipts"
