"""The skin-dose map of a stored exam: from its event rows, through :mod:`kerma.skindose`, to a
:class:`~kerma.web.followup.models.SkinDoseMap` row.

Only exams with projection events and a reference-point air kerma get a map (fluoroscopy and
interventional rooms, mobile C-arms): CT, radiography without Ka,r, mammography and nuclear
medicine are skipped before any work. The room's geometry comes from the device's
:class:`~kerma.web.followup.models.RoomGeometry` when a physicist entered it, else from the
vendor defaults of :func:`kerma.skindose.room_defaults`.
"""

from __future__ import annotations

import dataclasses
import gzip
import io
import json
from typing import Any

import numpy as np
from django.utils import timezone

from kerma import __version__
from kerma.web.dose.models import Device, Exam
from kerma.web.dose.rows import core_events, patient_of
from kerma.web.followup.models import RoomGeometry, SkinDoseMap

PROJECTION_MODALITIES = ("RF", "XA")
PROJECTION_CATEGORIES = ("fluoroscopy", "mobile_carm")


def wants_skin_dose(exam: Exam) -> bool:
    """True when the exam is a projection exam with a reference-point air kerma (a map or at
    least a Ka,r-based estimate can be made); a cheap test made on every stored exam."""
    if exam.is_test or exam.kar_total_mgy is None:
        return False
    return exam.modality in PROJECTION_MODALITIES or (exam.device.category in PROJECTION_CATEGORIES)


def room_of(device: Device) -> tuple[Any, RoomGeometry | None]:
    """Return the device's :class:`kerma.skindose.RoomSettings` and its stored row (None when
    the vendor defaults apply)."""
    from kerma import skindose

    row = RoomGeometry.objects.filter(device=device).first()
    defaults = skindose.room_defaults(device.manufacturer, device.model)
    if row is None or not row.settings:
        return defaults, row
    merged = {**defaults.to_dict(), **row.settings}
    return skindose.RoomSettings.from_dict(merged), row


def default_room_settings(device: Device) -> dict[str, Any]:
    """Return the vendor defaults of ``device`` as a dict (what a new RoomGeometry starts with)."""
    from kerma import skindose

    return skindose.room_defaults(device.manufacturer, device.model).to_dict()


def _npz(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, dose_mgy=np.asarray(array, dtype=np.float32))
    return buffer.getvalue()


def load_map(row: SkinDoseMap) -> np.ndarray | None:
    """Return the stored dose map (mGy per cell) of ``row``, or None when it has none."""
    if not row.map_npz:
        return None
    with np.load(io.BytesIO(bytes(row.map_npz))) as data:
        return np.array(data["dose_mgy"])


def load_mesh(row: SkinDoseMap) -> dict[str, Any] | None:
    """Return the 3-D surface mesh of ``row`` (Plotly mesh3d data), or None for an estimate.

    The mesh (a few hundred kB) is not made at import, where it would double the time of each
    map: it is computed again from the exam when first shown, then kept.
    """
    if row.mesh_json:
        return json.loads(gzip.decompress(bytes(row.mesh_json)))
    if row.status != "ok" or row.method != "map":
        return None
    result = _compute(row.exam)[0]
    mesh = result.surface_mesh()
    if not mesh.get("x"):
        return None
    row.mesh_json = gzip.compress(json.dumps(_jsonable(mesh)).encode())
    row.save(update_fields=["mesh_json"])
    return mesh


def _area(areas: dict, level: int) -> float | None:
    value = areas.get(level, areas.get(str(level)))
    return float(value) if value is not None else None


def _jsonable(value: Any) -> Any:
    """Return ``value`` with numpy scalars and arrays turned into plain JSON data."""
    return json.loads(json.dumps(value, default=_default))


def _default(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return str(value)


# Drawing the PNG (matplotlib) costs more than the map itself: at import it is drawn for maps
# that matter for follow-up (peak skin dose from 2 Gy, the first area level); the others are
# drawn when first shown.
PNG_AT_IMPORT_FROM_MGY = 2000.0


def _compute(exam: Exam) -> tuple[Any, Any, RoomGeometry | None, str, float]:
    from kerma import skindose

    room, room_row = room_of(exam.device)
    phantom = room_row.phantom if room_row is not None else "human"
    cell_mm = room_row.cell_mm if room_row is not None else 10.0
    result = skindose.compute_skin_dose(
        core_events(exam, "projection"),
        patient=patient_of(exam),
        room=room,
        phantom=phantom,
        cell_mm=cell_mm,
    )
    return result, room, room_row, phantom, cell_mm


def ensure_png(row: SkinDoseMap) -> bytes | None:
    """Return the map's PNG, drawing and storing it first when the import left it out (the map
    is computed again from the exam's events with the room's current settings)."""
    from kerma import skindose

    if row.png:
        return bytes(row.png)
    if row.status != "ok":
        return None
    result = _compute(row.exam)[0]
    row.png = skindose.render_png(result)
    row.save(update_fields=["png"])
    return bytes(row.png)


def compute_for_exam(exam: Exam, *, png: bool | None = None) -> SkinDoseMap:
    """Compute the exam's skin dose and store it (replacing a previous result); return the row.

    ``png``: draw the picture now (True), never (False), or when the peak skin dose is at least
    :data:`PNG_AT_IMPORT_FROM_MGY` (None); a picture not drawn is drawn when first shown
    (:func:`ensure_png`). A failure of the engine is stored as ``status="failed"`` with the error
    and re-raised to the caller, which decides whether it matters (at import it is logged).
    """
    from kerma import skindose

    row = SkinDoseMap.objects.filter(exam=exam).first() or SkinDoseMap(exam=exam)
    try:
        result, room, room_row, phantom, cell_mm = _compute(exam)
        draw = png if png is not None else result.psd_mgy >= PNG_AT_IMPORT_FROM_MGY
        picture = skindose.render_png(result) if draw else None
    except Exception as exc:
        row.status, row.error = "failed", f"{type(exc).__name__}: {exc}"
        row.psd_mgy = None
        row.kerma_version = __version__
        row.computed_at = timezone.now()
        row.save()
        raise
    areas = dict(getattr(result, "area_above_mgy", {}) or {})
    provenance = dict(getattr(result, "provenance", {}) or {})
    # The engine states its phantom, corrections and room; what it leaves out is added here.
    provenance.setdefault("kerma_version", __version__)
    provenance.setdefault("phantom", {"type": phantom})
    provenance.setdefault("cell_mm", cell_mm)
    provenance.setdefault("room", room.to_dict())
    provenance.update(
        {
            "room_source": "device settings" if room_row is not None else "vendor defaults",
            "room_measured_on": (
                room_row.measured_on.isoformat() if room_row and room_row.measured_on else None
            ),
        }
    )
    dose_map = getattr(result, "dose_map_mgy", None)
    row.status, row.error = "ok", ""
    row.psd_mgy = float(result.psd_mgy) if result.psd_mgy is not None else None
    row.method = str(result.method)
    row.cell_size_mm = getattr(result, "cell_size_mm", None)
    row.area_2gy_cm2 = _area(areas, 2000)
    row.area_3gy_cm2 = _area(areas, 3000)
    row.area_5gy_cm2 = _area(areas, 5000)
    row.events_used = int(getattr(result, "events_used", 0) or 0)
    row.events_skipped = _jsonable(list(getattr(result, "events_skipped", []) or []))
    row.top_events = _jsonable(list(getattr(result, "top_events", []) or []))
    row.warnings = _jsonable(list(getattr(result, "warnings", []) or []))
    row.provenance = _jsonable(provenance)
    to_json = getattr(result, "to_json", None)
    row.result_json = _jsonable(to_json()) if callable(to_json) else {}
    if isinstance(row.result_json, dict):
        row.result_json.pop("dose_map_mgy", None)  # kept once, compressed, in map_npz
    row.map_npz = _npz(dose_map) if dose_map is not None else None
    row.png = picture
    row.mesh_json = None  # made when first shown (load_mesh)
    row.kerma_version = __version__
    row.computed_at = timezone.now()
    row.save()
    return row


def family_tallies(since: Any) -> dict[str, dict[str, Any]]:
    """Return, per vendor family (``other`` for rooms no family claims), how the events of the
    skin-dose maps computed since ``since`` (a datetime) fared: procedures, events mapped (field
    derived from DAP / Ka,r, rotational), estimated from Ka,r, skipped by reason."""
    from kerma.skindose.engine import merge_event_summaries
    from kerma.skindose.settings import vendor_family

    rows = SkinDoseMap.objects.filter(computed_at__gte=since).select_related("exam__device")
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in rows.only("result_json", "exam__device__manufacturer", "exam__device__model"):
        device = row.exam.device
        family = vendor_family(device.manufacturer, device.model)
        summary = (row.result_json or {}).get("event_summary")
        if isinstance(summary, dict):
            grouped.setdefault(family.name if family else "other", []).append(summary)
    return {name: merge_event_summaries(items) for name, items in sorted(grouped.items())}
