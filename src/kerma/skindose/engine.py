"""Skin-dose map of a projection procedure: every irradiation event's beam traced from the
focal spot through the collimated field onto a phantom lying on the table.

Dose to a skin cell hit by an event (entrance side, inside the field)::

    D = Ka,r × (d_ref / d)² × T_table^(1/cos θ) × BSF(kVp, HVL, field side) × (mu_en/rho)_w/air

with ``Ka,r`` the air kerma at the interventional reference point, ``d_ref`` the source-to-
reference-point distance (source-to-isocentre distance minus the room's reference point
distance, 150 mm in IEC 60601-2-43), ``d`` the source-to-cell distance, ``T_table`` the
table-plus-mattress transmission for a perpendicular beam raised to the path length through
them (``θ`` the ray's angle to the vertical) when the ray crosses the table top, BSF and the
mu_en ratio from :mod:`kerma.skindose.physics`.

Everything is vectorised over the phantom's cells with numpy; the phantom is built once per
call and each event moves the source relative to it (table travel = patient travel).

Limits, by design: a cell is on the entrance side when the ray meets it against its outward
normal; one part of the stylised body does not shade another (e.g. the head for a steep
caudal beam onto the upper chest); the plane phantom is one-sided (the patient's back); table
rotations and tilts are not read (reports rarely carry them).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import kerma
from kerma.dose import Event, PatientInfo, beam_filters
from kerma.notices import Notice, texts
from kerma.skindose import phantoms, physics
from kerma.skindose import wording as words
from kerma.skindose.settings import RoomSettings

THRESHOLDS_MGY = (2000, 3000, 5000)
TOP_EVENTS = 5
DEFAULT_KVP = 80.0
# Below this cosine the 1/cos path through the table is capped: a grazing ray leaves the
# table through its edge long before the slab geometry says.
_MIN_TABLE_COS = 0.1
# A rotational acquisition is spread over its arc in steps of at most this many degrees, each
# step a static beam carrying its share of the event's Ka,r: at 2° the steps lie 7 mm apart on
# the skin of a 200 mm radius body, well inside any field, so the sum is smooth.
ARC_STEP_DEG = 2.0
# Below this difference between start and end angles an event is a static beam.
_ARC_MIN_DEG = 1.0


@dataclass
class SkinDoseResult:
    """Peak skin dose and dose map of one procedure, with how they were obtained."""

    psd_mgy: float
    method: str  # "map", or "kar_estimate" (conservative, no geometry)
    dose_map_mgy: np.ndarray  # rows (head → feet) × columns (across or around the body)
    cell_size_mm: float
    area_above_mgy: dict[int, float | None]
    events_used: int
    events_skipped: list[dict[str, Any]]
    top_events: list[dict[str, Any]]
    provenance: dict[str, Any]
    warnings: list[str] = field(default_factory=list)  # English, as scripts read them
    # The same warnings as notices, worded by the shell in the reader's language.
    warning_notices: list[Notice] = field(default_factory=list)
    surface: phantoms.Surface | None = None
    # The beams of the events contributing most to the peak, for the 3-D view (see
    # surface_mesh): focal spot and field edges in the phantom's frame.
    beam_outlines: list[dict[str, Any]] = field(default_factory=list)

    @property
    def map_shape(self) -> tuple[int, int]:
        """Return (rows, columns) of the dose map; (0, 0) for a Ka,r-based estimate."""
        return (int(self.dose_map_mgy.shape[0]), int(self.dose_map_mgy.shape[1]))

    def to_json(self, *, include_map: bool = False) -> dict[str, Any]:
        """Return the result as JSON-ready data (doses in mGy, areas in cm², lengths in mm);
        the full map (list of rows) only with ``include_map``."""
        data: dict[str, Any] = {
            "psd_mgy": round(self.psd_mgy, 3),
            "method": self.method,
            "map_shape": list(self.map_shape),
            "cell_size_mm": self.cell_size_mm,
            "area_above_mgy": {
                str(k): (None if v is None else round(v, 1))
                for k, v in self.area_above_mgy.items()
            },
            "events_used": self.events_used,
            "events_skipped": self.events_skipped,
            "top_events": self.top_events,
            "warnings": self.warnings,
            "warning_notices": [n.to_dict() for n in self.warning_notices],
            "provenance": self.provenance,
        }
        data["event_summary"] = self.event_summary()
        if include_map:
            data["dose_map_mgy"] = np.round(self.dose_map_mgy, 3).tolist()
        return data

    def event_summary(self) -> dict[str, Any]:
        """Return how the events fared, for the room's settings (its vendor family defaults or
        a physicist's): ``mapped`` events (of which ``field_derived`` had their field from
        DAP / Ka,r and ``rotational`` were spread over their arc), or counted in the estimate,
        and ``skipped`` by notice code with its count and English reason."""
        skipped: dict[str, dict[str, Any]] = {}
        for item in self.events_skipped:
            entry = skipped.setdefault(
                item.get("code", "?"), {"count": 0, "reason": item["reason"]}
            )
            entry["count"] += 1
        field = self.provenance.get("field_size", {})
        return {
            "room": self.provenance.get("room", {}).get("source", ""),
            "method": self.method,
            "mapped": self.events_used if self.method == "map" else 0,
            "field_derived": field.get("derived_from_dap_over_kar", 0),
            "rotational": self.provenance.get("rotational", {}).get("events", 0),
            "estimated": self.events_used if self.method != "map" else 0,
            "skipped": skipped,
        }

    def surface_mesh(self) -> dict[str, Any]:
        """Return the phantom's cells for a 3-D mesh: cell centres ``x``, ``y``, ``z`` (mm,
        patient frame: x to the patient's left, y anterior, z to the head), ``dose_mgy`` per
        cell, and triangles ``i``, ``j``, ``k`` (indices into the cells) joining neighbours.
        Empty lists for a Ka,r-based estimate."""
        if self.surface is None or self.method != "map":
            return {"x": [], "y": [], "z": [], "dose_mgy": [], "i": [], "j": [], "k": [],
                    "beams": [], "room": ""}
        rows, cols = self.surface.shape
        points = self.surface.points.reshape(-1, 3)
        index = np.arange(rows * cols).reshape(rows, cols)
        if self.surface.wraps:
            index = np.concatenate([index, index[:, :1]], axis=1)
        a = index[:-1, :-1].ravel()
        b = index[:-1, 1:].ravel()
        c = index[1:, :-1].ravel()
        d = index[1:, 1:].ravel()
        return {
            "x": np.round(points[:, 0], 1).tolist(),
            "y": np.round(points[:, 1], 1).tolist(),
            "z": np.round(points[:, 2], 1).tolist(),
            "dose_mgy": np.round(self.dose_map_mgy.ravel(), 3).tolist(),
            "i": np.concatenate([a, b]).tolist(),
            "j": np.concatenate([b, d]).tolist(),
            "k": np.concatenate([c, c]).tolist(),
            "beams": self.beam_outlines,
            "room": self.provenance.get("room", {}).get("source", ""),
        }


@dataclass
class _Beam:
    """One event's beam in the phantom frame, with its dose factors."""

    index: int
    source: np.ndarray  # focal spot, mm
    axes: np.ndarray  # (3, 3): rows = central axis, field width axis, field height axis
    tan_half: tuple[float, float]  # half field width, half height / distance where stated
    side_mm: float  # equivalent square side of the field at that distance
    field_distance_mm: float
    reference_distance_mm: float
    kar_mgy: float
    kvp: float
    hvl_mmal: float
    medium: float
    transmission: float
    derived_field: bool = False  # field area from DAP / Ka,r (no field size in the report)


# Event fields an event needs (their words are in kerma.skindose.wording.FIELD_WORDS).
_NEEDED = (
    "kar_mgy",
    "primary_angle_deg",
    "secondary_angle_deg",
    "source_isocentre_mm",
    "table_longitudinal_mm",
    "table_lateral_mm",
    "table_height_mm",
)


def merge_event_summaries(summaries: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Return the sum of :meth:`SkinDoseResult.event_summary` dicts: procedures, events
    ``mapped`` (of which ``field_derived`` and ``rotational``), ``estimated``, and ``skipped`` by
    notice code (count and English reason)."""
    total: dict[str, Any] = {
        "procedures": 0, "mapped": 0, "field_derived": 0, "rotational": 0, "estimated": 0,
        "skipped": {},
    }
    for summary in summaries:
        total["procedures"] += 1
        for key in ("mapped", "field_derived", "rotational", "estimated"):
            total[key] += int(summary.get(key) or 0)
        for code, item in (summary.get("skipped") or {}).items():
            entry = total["skipped"].setdefault(code, {"count": 0, "reason": item.get("reason")})
            entry["count"] += int(item.get("count") or 0)
    return total


def _value(event: Event, name: str, room: RoomSettings, used: dict[str, int]) -> float | None:
    """Return the event's value, else the room's assumed value (counted in ``used``)."""
    value = getattr(event, name, None)
    if value is None and name in room.assumed:
        used[name] = used.get(name, 0) + 1
        return float(room.assumed[name])
    return None if value is None else float(value)


def _event_uid(event: Event, index: int) -> str:
    return event.uid or f"event #{index + 1}"


def _missing(fields: list[str]) -> Notice:
    return Notice(
        words.MISSING,
        {
            "fields": fields,
            "fields_en": ", ".join(words.FIELD_WORDS[f][0] for f in fields),
            "fields_fr": ", ".join(words.FIELD_WORDS[f][1] for f in fields),
        },
    )


def _skip(event: Event, index: int, reason: Notice) -> dict[str, Any]:
    """Return the JSON entry of a skipped event: its uid, the English ``reason`` (as before
    notices existed), the notice's ``code`` and ``params``."""
    return {
        "uid": _event_uid(event, index),
        "reason": reason.text("en"),
        "code": reason.code,
        "params": dict(reason.params),
    }


def _arc(event: Event) -> list[tuple[float, float]] | None:
    """Return the (primary, secondary) angles of the steps of a rotational event's arc, in deg
    as reported, or None for a static beam (no end angle, or end = start)."""
    p0, s0 = event.primary_angle_deg, event.secondary_angle_deg
    p1 = event.primary_angle_end_deg if event.primary_angle_end_deg is not None else p0
    s1 = event.secondary_angle_end_deg if event.secondary_angle_end_deg is not None else s0
    if p0 is None or s0 is None or p1 is None or s1 is None:
        return None
    sweep = max(abs(p1 - p0), abs(s1 - s0))
    if sweep < _ARC_MIN_DEG:
        return None
    steps = int(math.ceil(sweep / ARC_STEP_DEG)) + 1
    return [
        (p0 + (p1 - p0) * k / (steps - 1), s0 + (s1 - s0) * k / (steps - 1))
        for k in range(steps)
    ]


def _beams(
    event: Event, index: int, room: RoomSettings, used: dict[str, int]
) -> list[_Beam] | Notice:
    """Return the event's beams (one, or the steps of a rotational arc), or why it cannot be
    placed."""
    arc = _arc(event)
    if arc is None:
        beam = _beam(event, index, room, used)
        return beam if isinstance(beam, Notice) else [beam]
    beams: list[_Beam] = []
    for primary, secondary in arc:
        beam = _beam(event, index, room, used, (primary, secondary), 1.0 / len(arc))
        if isinstance(beam, Notice):
            return beam
        beams.append(beam)
    return beams


def _beam(
    event: Event,
    index: int,
    room: RoomSettings,
    used: dict[str, int],
    angles: tuple[float, float] | None = None,
    share: float = 1.0,
) -> _Beam | Notice:
    """Return the event's beam (at ``angles`` and with ``share`` of its Ka,r for a step of an
    arc), or the reason it cannot be placed."""
    if event.kind != "projection":
        return Notice(words.NOT_PROJECTION, {"kind": event.kind})
    values = {name: _value(event, name, room, used) for name in _NEEDED}
    missing = [name for name in _NEEDED if values[name] is None]
    width = _value(event, "field_width_mm", room, used)
    height = _value(event, "field_height_mm", room, used)
    area = _value(event, "field_area_cm2", room, used)
    sdd = _value(event, "source_detector_mm", room, used)
    derived = False
    if not (width and height) and not area:
        # No field size: the area at the reference point is DAP / Ka,r of the same event.
        if event.dap_gycm2 and values["kar_mgy"]:
            derived = True
            area = float(event.dap_gycm2) / (float(values["kar_mgy"]) / 1000.0)
        else:
            missing.append("field_size")
    if not derived and room.field_size_mode == "detector" and not sdd:
        missing.append("source_detector_mm")
    if missing:
        return _missing(missing)
    known = {name: float(value) for name, value in values.items() if value is not None}
    if not (width and height):
        width = height = math.sqrt(float(area) * 100.0)
    dsi = known["source_isocentre_mm"]
    reference = dsi - room.reference_point_mm
    if dsi <= 0 or reference <= 0:
        return Notice(words.IMPLAUSIBLE_SID, {"sid_mm": dsi})
    field_distance = reference if derived else {
        "detector": sdd or 0.0,
        "isocentre": dsi,
        "reference_point": reference,
    }[room.field_size_mode]
    if field_distance <= 0:
        return Notice(words.IMPLAUSIBLE_FIELD_DISTANCE, {})
    primary, secondary = angles or (known["primary_angle_deg"], known["secondary_angle_deg"])
    alpha = math.radians(room.primary_angle_sign * primary)
    beta = math.radians(room.secondary_angle_sign * secondary)
    # Central axis from the focal spot to the detector (DICOM: 0° = detector anterior, +90°
    # primary = detector at the patient's left, +90° secondary = detector towards the head).
    axis = np.array(
        [math.sin(alpha) * math.cos(beta), math.cos(alpha) * math.cos(beta), math.sin(beta)]
    )
    across = np.array([math.cos(alpha), -math.sin(alpha), 0.0])
    # axis × across, written out (a unit vector: both are unit and orthogonal)
    along = np.array(
        [
            axis[1] * across[2] - axis[2] * across[1],
            axis[2] * across[0] - axis[0] * across[2],
            axis[0] * across[1] - axis[1] * across[0],
        ]
    )
    source_room = -dsi * axis
    shift = _table_shift(known, room)
    kvp = event.kvp_kv if event.kvp_kv else None
    al_added, cu_added = beam_filtration(event)
    kvp_used = float(kvp) if kvp else DEFAULT_KVP
    hvl, medium = physics.beam_quality(
        round(kvp_used, 1), round(room.inherent_filtration_mmal + al_added, 2), round(cu_added, 2)
    )
    return _Beam(
        index=index,
        source=source_room - shift,
        axes=np.stack([axis, across, along]),
        tan_half=(width / 2.0 / field_distance, height / 2.0 / field_distance),
        side_mm=2.0 * width * height / (width + height),
        field_distance_mm=field_distance,
        reference_distance_mm=reference,
        kar_mgy=known["kar_mgy"] * share,
        kvp=kvp_used,
        hvl_mmal=hvl,
        medium=medium,
        transmission=room.transmission(kvp, cu_added),
        derived_field=derived,
    )


def _outline(beam: _Beam, event: Event, room: RoomSettings, length: float) -> dict[str, Any]:
    """Return one beam for the 3-D view: its focal spot and the four edges of its field at the
    isocentre's depth plus 300 mm (past the patient), in the phantom's own frame (mm)."""
    depth = float(np.linalg.norm(beam.source)) + 300.0
    axis, across, along = beam.axes
    tan_w, tan_h = beam.tan_half
    corners = [
        beam.source + depth * (axis + sw * tan_w * across + sh * tan_h * along)
        for sw, sh in ((1, 1), (1, -1), (-1, -1), (-1, 1))
    ]
    points = np.array([beam.source, *corners]) - np.asarray(room.phantom_offset_mm, dtype=float)
    if room.patient_orientation == "feet_first_supine":
        points[:, 0] *= -1.0
        points[:, 2] = -length - points[:, 2]
    return {
        "uid": _event_uid(event, beam.index),
        "index": beam.index,
        "primary_angle_deg": event.primary_angle_deg,
        "secondary_angle_deg": event.secondary_angle_deg,
        "source": np.round(points[0], 1).tolist(),
        "corners": np.round(points[1:], 1).tolist(),
    }


def beam_filtration(event: Event) -> tuple[float, float]:
    """Return (added Al mm, added Cu mm) of an event's beam, every filter counted (a beam
    filtered by 0.4 mm Cu and 1.0 mm Al has both in its HVL)."""
    al_mm = cu_mm = 0.0
    for material, thickness in beam_filters(event):
        al, cu = physics.filtration(material, thickness)
        al_mm, cu_mm = al_mm + al, cu_mm + cu
    return al_mm, cu_mm


def _table_shift(values: dict[str, float], room: RoomSettings) -> np.ndarray:
    """Return the patient's displacement (mm, room frame) from the reported table position."""
    longitudinal = values["table_longitudinal_mm"]
    lateral = values["table_lateral_mm"]
    if room.swap_table_axes:
        longitudinal, lateral = lateral, longitudinal
    height = values["table_height_mm"]
    return np.array(
        [
            room.table_lateral_sign * (lateral - room.table_lateral_origin_mm),
            -room.table_height_sign * (height - room.table_height_origin_mm),
            room.table_longitudinal_sign * (longitudinal - room.table_longitudinal_origin_mm),
        ]
    )


class _Phantom:
    """The phantom in the table frame, flattened for vectorised tracing."""

    def __init__(self, surface: phantoms.Surface, room: RoomSettings) -> None:
        self.surface = surface
        points = surface.points.reshape(-1, 3).copy()
        normals = surface.normals.reshape(-1, 3).copy()
        length = surface.length_mm
        if room.patient_orientation == "feet_first_supine":
            # Turned end for end on the table: feet at the head end of the table.
            points[:, 0] *= -1.0
            points[:, 2] = -length - points[:, 2]
            normals[:, 0] *= -1.0
            normals[:, 2] *= -1.0
        points += np.asarray(room.phantom_offset_mm, dtype=float)
        self.points = points
        self.normals = normals
        self.pn = np.einsum("ij,ij->i", points, normals)
        self.areas = surface.areas.ravel()
        self.table_half_width = room.table_width_mm / 2.0
        self.table_length = room.table_length_mm
        # Every cell of a row has the same z: rows are monotonic in z, which lets a beam be
        # traced on the rows its cone can reach only.
        self.cols = surface.shape[1]
        self.row_z = points[:: self.cols, 2].copy()
        self.box = (points.min(axis=0), points.max(axis=0))
        lo, hi = self.box
        corners = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1])
                            for z in (lo[2], hi[2])])
        pairs = [(i, j) for i in range(8) for j in range(i + 1, 8)
                 if bin(i ^ j).count("1") == 1]  # corners differing in one coordinate
        self.box_edges = (corners[[i for i, _ in pairs]], corners[[j for _, j in pairs]])

    def rows_reached(self, beams: Sequence[_Beam]) -> list[tuple[int, int] | None]:
        """Return, per beam, the range of rows (start, stop) whose cell centres its cone can
        reach inside the phantom's bounding box, or None when the cone misses the box.

        The z-extent of the convex set cone ∩ box is reached at one of its vertices: the cone's
        edge rays clipped by the box and the cone, or the box's edges clipped by the cone. All
        beams are clipped at once.
        """
        if not beams:
            return []
        lo, hi = self.box
        source = np.array([b.source for b in beams])  # (E, 3)
        axes = np.array([b.axes for b in beams])  # (E, 3, 3)
        tans = np.array([b.tan_half for b in beams])  # (E, 2)
        axis, across, along = axes[:, 0], axes[:, 1], axes[:, 2]
        tw, th = tans[:, :1], tans[:, 1:]
        cone = np.stack(
            [-axis, across - tw * axis, -across - tw * axis, along - th * axis,
             -along - th * axis],
            axis=1,
        )  # (E, 5, 3): inside the cone when g·(P − source) <= 0
        box = np.vstack([np.eye(3), -np.eye(3)])
        planes = np.concatenate([np.broadcast_to(box, (len(beams), 6, 3)), cone], axis=1)
        offsets = np.concatenate(
            [np.broadcast_to(np.concatenate([hi, -lo]), (len(beams), 6)),
             np.einsum("ekj,ej->ek", cone, source)],
            axis=1,
        )  # (E, 11)
        signs = np.array([[1, 1], [1, -1], [-1, 1], [-1, -1]], dtype=float)
        rays = (axis[:, None, :] + signs[None, :, :1] * (tw * across)[:, None, :]
                + signs[None, :, 1:] * (th * along)[:, None, :])  # (E, 4, 3)
        reach = 4.0 * float(np.linalg.norm(hi - lo)) + np.linalg.norm(source, axis=1)
        far = source[:, None, :] + rays * reach[:, None, None]
        edges_from = np.broadcast_to(self.box_edges[0], (len(beams), 12, 3))
        edges_to = np.broadcast_to(self.box_edges[1], (len(beams), 12, 3))
        starts = np.concatenate([np.repeat(source[:, None, :], 4, axis=1), edges_from], axis=1)
        ends = np.concatenate([far, edges_to], axis=1)  # (E, 16, 3)
        # Along P = start + t (end − start), t in [0, 1]: g·P <= h for every plane.
        c0 = np.einsum("esj,ekj->esk", starts, planes) - offsets[:, None, :]
        c1 = np.einsum("esj,ekj->esk", ends - starts, planes)
        flat = np.abs(c1) < 1e-6  # parallel to the plane (mm over the whole segment)
        ratio = -c0 / np.where(flat, 1.0, c1)
        low = np.max(np.where((c1 < 0) & ~flat, ratio, 0.0), axis=2, initial=0.0)
        high = np.min(np.where((c1 > 0) & ~flat, ratio, 1.0), axis=2, initial=1.0)
        ok = (low <= high) & ~np.any(flat & (c0 > 1e-3), axis=2)  # (E, 16)
        dz = ends[..., 2] - starts[..., 2]
        z_low = starts[..., 2] + np.minimum(low * dz, high * dz)
        z_high = starts[..., 2] + np.maximum(low * dz, high * dz)
        z_min = np.min(np.where(ok, z_low, np.inf), axis=1) - 1e-6
        z_max = np.max(np.where(ok, z_high, -np.inf), axis=1) + 1e-6
        ranges: list[tuple[int, int] | None] = []
        for zmin, zmax in zip(z_min, z_max, strict=True):
            inside = np.flatnonzero((self.row_z >= zmin) & (self.row_z <= zmax))
            ranges.append(None if inside.size == 0 else (int(inside[0]), int(inside[-1]) + 1))
        return ranges

    def dose(
        self,
        beam: _Beam,
        cells: np.ndarray | None = None,
        rows: tuple[int, int] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Return (indices of the cells hit, dose in mGy to each) for one beam, computed on
        ``cells`` (cell indices) if given, else on the ``rows`` of :meth:`rows_reached`."""
        if cells is None:
            if rows is None:
                return np.zeros(0, dtype=int), np.zeros(0)
            first = rows[0] * self.cols
            window = slice(first, rows[1] * self.cols)
            points, normals, pn = self.points[window], self.normals[window], self.pn[window]
        else:
            points, normals, pn = self.points[cells], self.normals[cells], self.pn[cells]
        rel = points - beam.source
        proj = rel @ beam.axes.T  # depth along the axis, offsets across and along the field
        depth = proj[:, 0]
        tan_w, tan_h = beam.tan_half
        hit = (
            (depth > 0.0)
            & (np.abs(proj[:, 1]) <= depth * tan_w)
            & (np.abs(proj[:, 2]) <= depth * tan_h)
            & (pn - normals @ beam.source < 0.0)  # entrance side: ray against the normal
        )
        index = np.flatnonzero(hit)
        if index.size == 0:
            return index, np.zeros(0)
        rel = rel[index]
        distance = np.sqrt(np.einsum("ij,ij->i", rel, rel))
        dose = beam.kar_mgy * (beam.reference_distance_mm / distance) ** 2
        side_cm = beam.side_mm * depth[index] / beam.field_distance_mm / 10.0
        dose *= physics.backscatter(beam.kvp, beam.hvl_mmal, side_cm) * beam.medium
        if beam.source[1] < 0.0 and beam.transmission < 1.0:
            dose *= self._table(beam, points[index], rel, distance)
        return (index + first if cells is None else cells[index]), dose

    def _table(
        self, beam: _Beam, points: np.ndarray, rel: np.ndarray, distance: np.ndarray
    ) -> np.ndarray:
        """Return the table-plus-mattress transmission of each ray from a source below the
        table top (y = 0) to cells above it."""
        source = beam.source
        above = points[:, 1] > 0.0
        fraction = np.where(above, -source[1] / np.where(rel[:, 1] != 0, rel[:, 1], 1.0), 2.0)
        cross = source + fraction[:, None] * rel
        through = (
            above
            & (fraction <= 1.0)
            & (np.abs(cross[:, 0]) <= self.table_half_width)
            & (cross[:, 2] <= 0.0)
            & (cross[:, 2] >= -self.table_length)
        )
        cos = np.maximum(np.abs(rel[:, 1]) / distance, _MIN_TABLE_COS)
        return np.where(through, beam.transmission ** (1.0 / cos), 1.0)


def _build_surface(
    phantom: str, room: RoomSettings, patient: PatientInfo | None, cell_mm: float,
    warnings: list[Notice],
) -> phantoms.Surface:
    pad = room.pad_thickness_mm
    if phantom == "plane":
        return phantoms.build(
            "plane", (room.plane_width_mm, room.plane_length_mm), cell_mm, pad
        )
    if phantom == "cylinder":
        dimensions = (
            room.cylinder_semi_axis_lateral_mm,
            room.cylinder_semi_axis_ap_mm,
            room.cylinder_length_mm,
        )
        return phantoms.build("cylinder", dimensions, cell_mm, pad)
    height, weight = room.human_height_mm, room.human_weight_kg
    if patient is not None and patient.height_m:
        if 1.0 <= patient.height_m <= 2.2:
            height = patient.height_m * 1000.0
        else:
            warnings.append(
                Notice(words.IMPLAUSIBLE_HEIGHT, {"height_m": patient.height_m, "used_mm": height})
            )
    if patient is not None and patient.weight_kg:
        if 20.0 <= patient.weight_kg <= 250.0:
            weight = patient.weight_kg
        else:
            warnings.append(
                Notice(
                    words.IMPLAUSIBLE_WEIGHT, {"weight_kg": patient.weight_kg, "used_kg": weight}
                )
            )
    return phantoms.build("human", (float(height), float(weight)), cell_mm, pad)


def _provenance(
    phantom: str, surface: phantoms.Surface | None, room: RoomSettings, cell_mm: float,
    method: str,
) -> dict[str, Any]:
    return {
        "kerma_version": kerma.__version__,
        "method": method,
        "phantom": {"type": phantom, **(surface.size if surface else {})},
        "cell_mm": cell_mm,
        "corrections": {
            "inverse_square": {
                "from": "interventional reference point",
                "reference_point_mm_from_isocentre": room.reference_point_mm,
                "applied": method == "map",
            },
            "table_and_mattress": {
                "transmission_perpendicular": room.table_transmission,
                "transmission_by_kvp": room.table_transmission_by_kvp,
                "obliquity": "T ** (1 / cos angle to vertical)",
                "applied": method == "map",
            },
            "backscatter": {
                "source": "Benmakhlouf, Benmakhlouf & Andreo, Phys Med Biol 58 (2013) 247, "
                "eq. 8 (water, full scatter)",
                "field_side": "equivalent square 2wh/(w+h) at the skin"
                if method == "map"
                else "35 cm (largest tabulated: conservative)",
            },
            "medium": {
                "quantity": "water/air mass energy-absorption coefficient ratio over the beam "
                "spectrum",
                "source": "Hubbell & Seltzer, NIST SRD 126; Kramers spectrum",
            },
            "beam_quality": {
                "hvl": "Kramers spectrum + inherent and added filtration",
                "inherent_filtration_mmal": room.inherent_filtration_mmal,
                "default_kvp_when_missing": DEFAULT_KVP,
            },
        },
        "room": room.to_dict(),
    }


def compute_skin_dose(
    events: Sequence[Event],
    *,
    patient: PatientInfo | None = None,
    room: RoomSettings | None = None,
    phantom: str = "human",
    cell_mm: float = 10.0,
) -> SkinDoseResult:
    """Return the skin-dose map and peak skin dose (mGy) of a procedure's events.

    ``phantom`` is ``plane``, ``cylinder`` or ``human`` (scaled to the patient's height and
    weight when known); ``cell_mm`` the side of a skin cell. Events lacking the geometry are
    listed in ``events_skipped`` with the reason; when none can be placed, the result is a
    conservative estimate from Ka,r (``method == "kar_estimate"``), stated in the warnings.
    """
    if phantom not in phantoms.PHANTOMS:
        raise ValueError(
            f"unknown phantom {phantom!r}: choose one of {', '.join(phantoms.PHANTOMS)}"
        )
    if not cell_mm or cell_mm < 1.0 or cell_mm > 100.0:
        raise ValueError("cell_mm must be between 1 and 100 mm")
    room = room or RoomSettings()
    warnings: list[Notice] = []
    surface = _build_surface(phantom, room, patient, cell_mm, warnings)
    body = _Phantom(surface, room)
    used_assumptions: dict[str, int] = {}
    beams: list[_Beam] = []
    skipped: list[dict[str, Any]] = []
    no_geometry: list[int] = []
    arcs = 0
    for index, event in enumerate(events):
        placed = _beams(event, index, room, used_assumptions)
        if isinstance(placed, Notice):
            skipped.append(_skip(event, index, placed))
            if event.kind == "projection":
                no_geometry.append(index)
        else:
            beams.extend(placed)
            arcs += len(placed) > 1
    for name, count in sorted(used_assumptions.items()):
        warnings.append(
            Notice(words.ASSUMED_VALUE, {"name": name, "count": count, "value": room.assumed[name]})
        )
    placed_events = sorted({b.index for b in beams})
    missing_kvp = sum(1 for i in placed_events if not events[i].kvp_kv)
    if missing_kvp:
        warnings.append(Notice(words.KVP_ASSUMED, {"count": missing_kvp, "kvp": DEFAULT_KVP}))
    derived = sorted({b.index for b in beams if b.derived_field})
    if derived:
        warnings.append(Notice(words.FIELD_DERIVED, {"count": len(derived)}))
    if arcs:
        warnings.append(Notice(words.ROTATIONAL, {"count": arcs, "step_deg": ARC_STEP_DEG}))

    if not beams:
        return _kar_estimate(events, no_geometry, skipped, room, phantom, cell_mm, warnings)

    flat = np.zeros(body.points.shape[0])
    hit_events: set[int] = set()
    reached = body.rows_reached(beams)
    for beam, rows in zip(beams, reached, strict=True):
        index, dose = body.dose(beam, rows=rows)
        if index.size:
            flat[index] += dose
            hit_events.add(beam.index)
    missed = [i for i in placed_events if i not in hit_events]
    for i in missed:
        skipped.append(_skip(events[i], i, Notice(words.MISSES_PHANTOM, {})))
    if missed:
        # A real beam always meets the patient: a miss means the phantom (its size, or the
        # room's table conventions) puts the patient elsewhere, and that Ka,r is not mapped.
        lost = sum(events[i].kar_mgy or 0.0 for i in missed)
        # Ka,r with one decimal as before (text: a float would lose its trailing zero).
        warnings.append(
            Notice(
                words.BEAMS_MISS,
                {"count": len(missed), "phantom": phantom, "lost_mgy": f"{lost:.1f}"},
            )
        )
    if not hit_events:
        # A map is a map: with no event on the phantom there is no map to show, only the
        # conservative estimate (never a peak skin dose of 0 for a non-zero Ka,r).
        return _kar_estimate(
            events, no_geometry + missed, skipped, room, phantom, cell_mm, warnings
        )
    if no_geometry:
        lost = sum(events[i].kar_mgy or 0.0 for i in no_geometry)
        total = sum(e.kar_mgy or 0.0 for e in events if e.kind == "projection")
        warnings.append(
            Notice(
                words.GEOMETRY_MISSING,
                {
                    "missing": len(no_geometry),
                    "events": len(events),
                    "lost_mgy": f"{lost:.1f}",
                    "total_mgy": f"{total:.1f}",
                },
            )
        )
    peak = int(np.argmax(flat)) if flat.size else 0
    psd = float(flat[peak]) if flat.size else 0.0
    top: list[dict[str, Any]] = []
    if psd > 0.0:
        cell = np.array([peak])
        contributions: dict[int, float] = {}
        peak_row = peak // body.cols
        for beam, rows in zip(beams, reached, strict=True):
            if rows is None or not rows[0] <= peak_row < rows[1]:
                continue
            index, dose = body.dose(beam, cell)
            if index.size:
                contributions[beam.index] = contributions.get(beam.index, 0.0) + float(dose[0])
        ranked = sorted(contributions.items(), key=lambda item: -item[1])
        for event_index, dose_mgy in ranked[:TOP_EVENTS]:
            event = events[event_index]
            top.append(
                {
                    "uid": _event_uid(event, event_index),
                    "index": event_index,
                    "dose_mgy": round(dose_mgy, 3),
                    "share": round(dose_mgy / psd, 4),
                    "kar_mgy": event.kar_mgy,
                    "event_type": event.event_type,
                    "started": event.started.isoformat() if event.started else None,
                    "primary_angle_deg": event.primary_angle_deg,
                    "secondary_angle_deg": event.secondary_angle_deg,
                }
            )
    first_beam: dict[int, _Beam] = {}
    for beam in beams:
        first_beam.setdefault(beam.index, beam)
    outlines = [
        _outline(first_beam[item["index"]], events[item["index"]], room, surface.length_mm)
        for item in top
    ]
    dose_map = flat.reshape(surface.shape)
    areas = {
        t: float(body.areas[flat >= t].sum() / 100.0) for t in THRESHOLDS_MGY
    }
    provenance = _provenance(phantom, surface, room, cell_mm, "map")
    provenance["field_size"] = {
        "stated": len(hit_events) - len(set(derived) & hit_events),
        "derived_from_dap_over_kar": len(set(derived) & hit_events),
        "derivation": "area at the reference point = DAP / Ka,r of the event, square field",
    }
    provenance["rotational"] = {"events": arcs, "arc_step_deg": ARC_STEP_DEG}
    return SkinDoseResult(
        psd_mgy=psd,
        method="map",
        dose_map_mgy=dose_map,
        cell_size_mm=float(cell_mm),
        area_above_mgy=areas,
        events_used=len(hit_events),
        events_skipped=skipped,
        top_events=top,
        provenance=provenance,
        warnings=texts(warnings),
        warning_notices=warnings,
        surface=surface,
        beam_outlines=outlines,
    )


def _kar_estimate(
    events: Sequence[Event],
    candidates: list[int],
    skipped: list[dict[str, Any]],
    room: RoomSettings,
    phantom: str,
    cell_mm: float,
    warnings: list[Notice],
) -> SkinDoseResult:
    """Return the conservative estimate: sum of Ka,r × BSF(35 cm field) × mu_en ratio over the
    projection events, with no inverse-square or table correction (skin at the reference
    point, beam not attenuated, all fields overlapping)."""
    total = 0.0
    contributions: list[tuple[float, int]] = []
    counted = 0
    for index in candidates:
        event = events[index]
        if event.kar_mgy is None:
            continue
        kvp = float(event.kvp_kv) if event.kvp_kv else DEFAULT_KVP
        al_added, cu_added = beam_filtration(event)
        hvl, medium = physics.beam_quality(
            round(kvp, 1), round(room.inherent_filtration_mmal + al_added, 2), round(cu_added, 2)
        )
        bsf = float(physics.backscatter(kvp, hvl, physics.BSF_FIELD_SIDES_CM[-1]))
        dose = float(event.kar_mgy) * bsf * medium
        total += dose
        counted += 1
        contributions.append((dose, index))
    warnings.append(Notice(words.KAR_ESTIMATE, {"count": counted}))
    contributions.sort(key=lambda item: -item[0])
    top = [
        {
            "uid": _event_uid(events[i], i),
            "index": i,
            "dose_mgy": round(d, 3),
            "share": round(d / total, 4) if total else 0.0,
            "kar_mgy": events[i].kar_mgy,
            "event_type": events[i].event_type,
            "started": events[i].started.isoformat() if events[i].started else None,
            "primary_angle_deg": events[i].primary_angle_deg,
            "secondary_angle_deg": events[i].secondary_angle_deg,
        }
        for d, i in contributions[:TOP_EVENTS]
    ]
    return SkinDoseResult(
        psd_mgy=total,
        method="kar_estimate",
        dose_map_mgy=np.zeros((0, 0)),
        cell_size_mm=float(cell_mm),
        area_above_mgy={t: None for t in THRESHOLDS_MGY},
        events_used=counted,
        events_skipped=skipped,
        top_events=top,
        provenance=_provenance(phantom, None, room, cell_mm, "kar_estimate"),
        warnings=texts(warnings),
        warning_notices=warnings,
        surface=None,
    )
