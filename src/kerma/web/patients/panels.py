"""The patients app's panel on every exam page: the patient's at-risk flags (who, when), the
estimated effective dose with its method, the pregnancy check, SSDE, and links to the record,
the report's dose section and the breast-feeding advice (registered in :class:`PatientsConfig`).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import get_language

from kerma.patients import risk
from kerma.web.dose.panels import Panel
from kerma.web.patients.services import exam_estimate, exam_ssde, flags_of, pregnancy_of


def exam_panel(request: HttpRequest, exam: Any) -> Panel | None:
    """The panel of ``exam``; None for a test exam."""
    if exam.is_test:
        return None
    language = get_language() or "fr"
    found = exam_estimate(exam)
    status, origin = pregnancy_of(exam)
    flags = list(flags_of(exam.patient_key, request.user)) if exam.patient_key else []
    return Panel(
        template="patients/_exam_panel.html",
        context={
            "pt_estimate": found,
            "pt_estimate_notes": [n.text(language) for n in found.notices],
            "pt_flags": flags,
            "pt_pregnancy": status,
            "pt_pregnancy_origin": origin,
            "pt_child_bearing": risk.of_child_bearing_age(exam.sex, exam.age_years),
            "pt_unchecked": risk.pregnancy_unchecked(exam.sex, exam.age_years, status)
            is not None,
            "pt_paediatric": risk.is_paediatric(exam.age_years),
            "pt_ssde": exam_ssde(exam) if exam.modality == "CT" else [],
            "pt_nm": exam.modality in ("NM", "PT"),
        },
        order=15,
    )
