from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NrdConfig(AppConfig):
    name = "kerma.web.nrd"
    label = "nrd"
    verbose_name = _("NRD evaluations")
