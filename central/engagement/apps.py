from django.apps import AppConfig


class EngagementConfig(AppConfig):
    name = "central.engagement"
    label = "engagement"
    verbose_name = "Volunteer asks and pledges"
