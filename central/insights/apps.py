from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "central.insights"
    label = "insights"
    verbose_name = "Engagement counts"
