from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DoseConfig(AppConfig):
    name = "kerma.web.dose"
    label = "dose"
    verbose_name = _("Dose data")
