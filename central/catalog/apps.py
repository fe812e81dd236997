from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "central.catalog"
    label = "catalog"
