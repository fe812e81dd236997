from django.apps import AppConfig


class ReconciliationConfig(AppConfig):
    name = "central.reconciliation"
    label = "reconciliation"
    verbose_name = "Reconciliation with the acquirer"
