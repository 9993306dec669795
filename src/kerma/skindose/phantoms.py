"""Patient phantoms as grids of skin cells: a flat plane, an elliptic cylinder and a stylised
adult built from elliptic sections (head, neck, trunk, legs), all lying supine on the mattress.

Each phantom is a 2-D grid of cells (rows from the head end to the feet, columns across or
around the body), so the dose map unwraps without any mesh. Coordinates are in mm, in the
patient frame: ``x`` towards the patient's left, ``y`` anterior (up, for a supine patient),
``z`` towards the head, the top of the phantom at ``z = 0`` and its back resting on the
mattress top at ``y = pad_mm``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

PHANTOMS = ("plane", "cylinder", "human")

# The stylised adult at its reference size (1750 mm, 75 kg): semi-axes (lateral, antero-
# posterior) in mm at depths below the top of the head given as fractions of the height. The
# proportions follow adult anthropometry in the spirit of the MIRD stylised phantom (Snyder et
# al., MIRD Pamphlet 5, 1969): elliptic head and trunk, a truncated elliptic cone for the legs
# taken together; arms are left out (raised out of the field in most procedures).
_HUMAN_PROFILE = (
    # fraction of height, lateral semi-axis, AP semi-axis, part
    (0.000, 0.0, 0.0, "head"),
    (0.020, 55.0, 70.0, "head"),
    (0.055, 75.0, 95.0, "head"),
    (0.115, 72.0, 92.0, "head"),
    (0.135, 55.0, 60.0, "neck"),
    (0.165, 58.0, 62.0, "neck"),
    (0.185, 150.0, 95.0, "trunk"),
    (0.210, 175.0, 105.0, "trunk"),
    (0.520, 175.0, 105.0, "trunk"),
    (0.560, 165.0, 95.0, "legs"),
    (1.000, 100.0, 55.0, "legs"),
)
_HUMAN_REFERENCE = (1750.0, 75.0)  # height mm, weight kg
_HEAD_PARTS = ("head", "neck")


@dataclass
class Surface:
    """Skin cells of a phantom: centres, outward normals and areas on a rows × columns grid."""

    kind: str
    points: np.ndarray  # (rows, cols, 3) mm, patient frame
    normals: np.ndarray  # (rows, cols, 3) unit vectors pointing out of the body
    areas: np.ndarray  # (rows, cols) mm²
    wraps: bool  # True when the columns go all around the body
    length_mm: float  # from the top of the phantom (z = 0) to its lower end
    size: dict[str, Any] = field(default_factory=dict)
    # Angle of each column around the body (rad, 0 = patient's left, pi/2 = anterior), or
    # None for the plane.
    angles: np.ndarray | None = None
    # Body part of each row (human phantom), for the picture.
    parts: list[str] = field(default_factory=list)

    @property
    def shape(self) -> tuple[int, int]:
        """Return (rows, columns) of the grid."""
        return self.points.shape[0], self.points.shape[1]


def plane(width_mm: float, length_mm: float, cell_mm: float, pad_mm: float) -> Surface:
    """Return a flat rectangle lying on the mattress, skin facing down (the patient's back)."""
    cols = max(1, round(width_mm / cell_mm))
    rows = max(1, round(length_mm / cell_mm))
    dx, dz = width_mm / cols, length_mm / rows
    x = -width_mm / 2.0 + dx * (np.arange(cols) + 0.5)
    z = -dz * (np.arange(rows) + 0.5)
    zz, xx = np.meshgrid(z, x, indexing="ij")
    points = np.stack([xx, np.full_like(xx, pad_mm), zz], axis=-1)
    normals = np.zeros_like(points)
    normals[..., 1] = -1.0
    areas = np.full(zz.shape, dx * dz)
    size = {"width_mm": width_mm, "length_mm": length_mm}
    return Surface("plane", points, normals, areas, False, length_mm, size=size)


def _column_angles(a_mm: float, b_mm: float, cell_mm: float) -> np.ndarray:
    """Return angles of columns equally spaced in arc length around an ellipse (a, b)."""
    fine = np.linspace(0.0, 2.0 * np.pi, 4097)
    step = np.hypot(a_mm * np.sin(fine), b_mm * np.cos(fine))
    arc = np.concatenate([[0.0], np.cumsum((step[1:] + step[:-1]) / 2.0 * np.diff(fine))])
    cols = max(8, round(arc[-1] / cell_mm))
    targets = arc[-1] * (np.arange(cols) + 0.5) / cols
    return np.interp(targets, arc, fine)


def _elliptic_stack(
    kind: str,
    z_rows: np.ndarray,
    a_rows: np.ndarray,
    b_rows: np.ndarray,
    angles: np.ndarray,
    pad_mm: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (points, normals, areas) of a stack of ellipses resting on the mattress.

    Row ``i`` is the ellipse of semi-axes ``a_rows[i]`` (lateral) and ``b_rows[i]`` (AP) at
    height ``z_rows[i]``; its lowest point touches ``y = pad_mm``.
    """
    cos, sin = np.cos(angles)[None, :], np.sin(angles)[None, :]
    a, b = a_rows[:, None], b_rows[:, None]
    x = a * cos
    y = pad_mm + b * (1.0 + sin)
    z = np.broadcast_to(z_rows[:, None], x.shape)
    points = np.stack([x, y, np.array(z)], axis=-1)
    # Tangents: along the angle, and along z (the sections change size from row to row).
    dz = np.gradient(z_rows) if len(z_rows) > 1 else np.array([1.0])
    da = (np.gradient(a_rows) / dz)[:, None] if len(z_rows) > 1 else np.zeros_like(a)
    db = (np.gradient(b_rows) / dz)[:, None] if len(z_rows) > 1 else np.zeros_like(b)
    t_angle = np.stack([-a * sin, b * cos, np.zeros_like(x)], axis=-1)
    t_z = np.stack([da * cos, db * (1.0 + sin), np.ones_like(x)], axis=-1)
    cross = np.cross(t_angle, t_z)
    norm = np.linalg.norm(cross, axis=-1)
    normals = cross / np.where(norm > 0, norm, 1.0)[..., None]
    # Angular width of each column: half the gap to each neighbour (columns wrap around).
    d_angle = (np.mod(np.roll(angles, -1) - np.roll(angles, 1), 2.0 * np.pi) / 2.0)[None, :]
    row_step = np.abs(dz)[:, None]
    areas = norm * d_angle * row_step
    return points, normals, areas


def cylinder(
    semi_lateral_mm: float, semi_ap_mm: float, length_mm: float, cell_mm: float, pad_mm: float
) -> Surface:
    """Return an elliptic cylinder lying on the mattress along the table."""
    rows = max(1, round(length_mm / cell_mm))
    dz = length_mm / rows
    z_rows = -dz * (np.arange(rows) + 0.5)
    angles = _column_angles(semi_lateral_mm, semi_ap_mm, cell_mm)
    a_rows = np.full(rows, float(semi_lateral_mm))
    b_rows = np.full(rows, float(semi_ap_mm))
    points, normals, areas = _elliptic_stack("cylinder", z_rows, a_rows, b_rows, angles, pad_mm)
    size = {
        "semi_axis_lateral_mm": semi_lateral_mm,
        "semi_axis_ap_mm": semi_ap_mm,
        "length_mm": length_mm,
    }
    return Surface(
        "cylinder", points, normals, areas, True, length_mm, size=size, angles=angles
    )


def human(height_mm: float, weight_kg: float, cell_mm: float, pad_mm: float) -> Surface:
    """Return the stylised adult scaled to ``height_mm`` and ``weight_kg``.

    Lengths scale with height; trunk and leg sections with ``sqrt((weight/height) /
    (75 kg / 1750 mm))`` so the body's volume follows its mass; the head with height only.
    """
    ref_height, ref_weight = _HUMAN_REFERENCE
    along = height_mm / ref_height
    across = float(np.clip(np.sqrt((weight_kg / height_mm) / (ref_weight / ref_height)), 0.6, 2.2))
    rows = max(2, round(height_mm / cell_mm))
    dz = height_mm / rows
    depth = dz * (np.arange(rows) + 0.5)
    fractions = np.array([p[0] for p in _HUMAN_PROFILE])
    lateral = np.array([p[1] for p in _HUMAN_PROFILE])
    ap = np.array([p[2] for p in _HUMAN_PROFILE])
    t = depth / height_mm
    a_rows = np.interp(t, fractions, lateral)
    b_rows = np.interp(t, fractions, ap)
    # The top of the head is rounded (an ellipsoidal cap) rather than a cone.
    cap = fractions[2]
    top = t < cap
    shape = np.sqrt(np.clip(1.0 - ((cap - t[top]) / cap) ** 2, 0.0, 1.0))
    a_rows[top] = lateral[2] * shape
    b_rows[top] = ap[2] * shape
    parts = [_HUMAN_PROFILE[int(np.searchsorted(fractions, f, side="right")) - 1][3] for f in t]
    is_head = np.array([p in _HEAD_PARTS for p in parts])
    scale = np.where(is_head, along, across)
    a_rows = np.maximum(a_rows * scale, 1.0)
    b_rows = np.maximum(b_rows * scale, 1.0)
    angles = _column_angles(175.0 * across, 105.0 * across, cell_mm)
    points, normals, areas = _elliptic_stack("human", -depth, a_rows, b_rows, angles, pad_mm)
    size = {
        "height_mm": round(height_mm, 1),
        "weight_kg": round(weight_kg, 1),
        "trunk_semi_axis_lateral_mm": round(175.0 * across, 1),
        "trunk_semi_axis_ap_mm": round(105.0 * across, 1),
    }
    return Surface(
        "human", points, normals, areas, True, height_mm, size=size, angles=angles,
        parts=parts,
    )


@lru_cache(maxsize=32)
def build(kind: str, dimensions: tuple[float, ...], cell_mm: float, pad_mm: float) -> Surface:
    """Return the phantom ``kind`` (plane: width, length; cylinder: lateral and AP semi-axes,
    length; human: height, weight), built once per set of arguments and shared: its arrays are
    read-only."""
    builders = {"plane": plane, "cylinder": cylinder, "human": human}
    surface = builders[kind](*dimensions, cell_mm=cell_mm, pad_mm=pad_mm)
    for array in (surface.points, surface.normals, surface.areas, surface.angles):
        if array is not None:
            array.flags.writeable = False
    return surface
