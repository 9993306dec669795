"""Where each device stands: its controls and maintenance, due and overdue, from the unit's
periodicities (:class:`~kerma.web.quality.models.Periodicity`) and the recorded controls."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from kerma.quality import equipment as rules
from kerma.web.quality.models import ControlRecord, EquipmentRecord, Periodicity


@dataclass
class DeviceDue:
    """A device, its file and where each of its recurring controls stands."""

    device: Any
    record: EquipmentRecord | None
    dues: list[rules.Due] = field(default_factory=list)

    @property
    def overdue(self) -> list[rules.Due]:
        """The controls past their due date."""
        return [d for d in self.dues if d.overdue]

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON form of ``kerma equipment due``: ``device``, ``id``, ``unit``,
        ``in_clinical_use``, ``acceptance_test_on`` and ``controls`` (each ``kind``,
        ``last_done``, ``next_due``, ``overdue``...)."""
        record = self.record
        return {
            "id": self.device.pk,
            "device": str(self.device),
            "unit": self.device.unit.code if self.device.unit_id else None,
            "category": self.device.category,
            "in_clinical_use": bool(record and record.in_clinical_use),
            "acceptance_test_on": (
                record.acceptance_test_on.isoformat()
                if record and record.acceptance_test_on
                else None
            ),
            "controls": [d.as_dict() for d in self.dues],
        }


def device_dues(devices: Any, today: date) -> list[DeviceDue]:
    """Return, for each of ``devices``, each periodicity of its unit and type with its last
    control and next due date (the acceptance test, else the commissioning, starts the period
    of a control never done)."""
    devices = list(devices)
    ids = [d.pk for d in devices]
    periodicities: dict[tuple[int, str], list[rules.Periodicity]] = {}
    for row in Periodicity.objects.filter(unit_id__in={d.unit_id for d in devices}):
        periodicities.setdefault((row.unit_id, row.device_type), []).append(row.to_rule())
    last: dict[tuple[int, str], date] = {}
    for device_id, kind, done_on in ControlRecord.objects.filter(device_id__in=ids).values_list(
        "device_id", "kind", "done_on"
    ):
        key = (device_id, kind)
        if key not in last or done_on > last[key]:
            last[key] = done_on
    records = {r.device_id: r for r in EquipmentRecord.objects.filter(device_id__in=ids)}
    result = []
    for device in devices:
        record = records.get(device.pk)
        start = None
        if record is not None:
            start = record.acceptance_test_on or record.commissioned_on
        start = start or device.commissioned_on
        dues = [
            rules.due(p, last.get((device.pk, p.kind)), today, start=start, device=str(device))
            for p in periodicities.get((device.unit_id, device.category), [])
        ]
        result.append(DeviceDue(device, record, dues))
    return result
