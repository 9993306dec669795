"""The staff a dose report names (:class:`~kerma.web.dose.models.Participant`), in words: each
role of :mod:`kerma.dicom.participants` as a reader says it, and the exam page's list."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

# The role keys the reader gives (TID 1020 roles, TID 1002 observer, header attributes).
ROLE_LABELS = {
    "irradiation_administering": _("administering the irradiation"),
    "irradiation_authorizing": _("authorising the irradiation"),
    "operator": _("operator"),
    "performing_physician": _("performing physician"),
    "physician_of_record": _("physician of record"),
    "observer": _("observer"),
    "performing": _("performing"),
    "assisting": _("assisting"),
}


def role_label(role: str) -> str:
    """Return a participant's role in the page's language (an unknown role as stored)."""
    return str(ROLE_LABELS.get(role, role))


def exam_staff(exam: Any) -> list[tuple[str, list[str]]]:
    """Return the people the exam's reports name, once each, with their roles in words:
    ``[(name as written, [roles…]), …]`` in the order first named."""
    found: dict[str, list[str]] = {}
    for participant in exam.participants.all():
        roles = found.setdefault(participant.name, [])
        label = role_label(participant.role)
        if label not in roles:
            roles.append(label)
    return list(found.items())
