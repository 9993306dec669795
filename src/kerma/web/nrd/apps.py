from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NrdConfig(AppConfig):
    name = "kerma.web.nrd"
    label = "nrd"
    verbose_name = _("NRD evaluations")

    def ready(self) -> None:
        from kerma.web.dose.panels import register_dashboard_panel
        from kerma.web.nrd import history, panels

        history.register()
        register_dashboard_panel(panels.dashboard_panel)
