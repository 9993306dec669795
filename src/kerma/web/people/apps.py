from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "kerma.web.people"
    label = "people"
    verbose_name = _("People: training, qualification, staff exposure")

    def ready(self) -> None:
        from kerma.web.accounts.history import register_scope
        from kerma.web.dose.panels import register_dashboard_panel
        from kerma.web.people import panels, scope

        register_dashboard_panel(panels.dashboard_panel)
        for object_type, rows_of in scope.AUDIT_SCOPES.items():
            register_scope(object_type, rows_of)
