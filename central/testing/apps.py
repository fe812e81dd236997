from django.apps import AppConfig


class TestingConfig(AppConfig):
    name = "central.testing"
    label = "testing"
