from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SponsorsConfig(AppConfig):
    name = "central.sponsors"
    label = "sponsors"
    verbose_name = _("Matching sponsors")
