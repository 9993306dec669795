from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QualityConfig(AppConfig):
    name = "kerma.web.quality"
    label = "quality"
    verbose_name = _("Quality system")

    def ready(self) -> None:
        from kerma.web.dose.panels import register_dashboard_panel, register_exam_panel
        from kerma.web.quality import panels, scopes

        scopes.register()
        register_dashboard_panel(panels.dashboard_panel)
        register_exam_panel(panels.exam_panel)
