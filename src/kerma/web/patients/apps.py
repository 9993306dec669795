from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PatientsConfig(AppConfig):
    name = "kerma.web.patients"
    label = "patients"
    verbose_name = _("Patients: persons at risk, dose record, report dose section")

    def ready(self) -> None:
        from kerma.web.accounts.history import register_scope
        from kerma.web.dose.panels import register_exam_panel
        from kerma.web.dose.patient_flags import register_patient_flags
        from kerma.web.patients import panels, scope, services

        register_exam_panel(panels.exam_panel)
        register_patient_flags(services.flag_labels)
        for object_type, rows_of in scope.AUDIT_SCOPES.items():
            register_scope(object_type, rows_of)
