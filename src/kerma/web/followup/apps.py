from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupConfig(AppConfig):
    name = "kerma.web.followup"
    label = "followup"
    verbose_name = _("Patient follow-up and skin dose")

    def ready(self) -> None:
        from kerma.web.dose.panels import register_dashboard_panel, register_exam_panel
        from kerma.web.dose.signals import exam_stored
        from kerma.web.followup import history, hooks, panels

        exam_stored.connect(hooks.on_exam_stored, dispatch_uid="kerma-followup")
        register_exam_panel(panels.exam_panel)
        register_dashboard_panel(panels.dashboard_panel)
        history.register()
