"""The skin-dose map as a PNG: unwrapped phantom surface, front and back, colour scale in Gy,
the 3 Gy contour and the peak skin dose in the title."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from kerma.skindose.engine import SkinDoseResult

WIDTH_PX, HEIGHT_PX, DPI = 1000, 700, 100
CONTOUR_GY = 3.0


def _panels(result: SkinDoseResult) -> list[tuple[str, np.ndarray, float]]:
    """Return (title, map in Gy as seen by the viewer, column width in cm) per panel.

    Front view: the patient's right on the viewer's left; back view: the patient's left on
    the viewer's left.
    """
    gy = result.dose_map_mgy / 1000.0
    surface = result.surface
    cell_cm = result.cell_size_mm / 10.0
    if surface is None or surface.angles is None:
        # Plane: columns run from the patient's right to his left; seen from behind.
        width_cm = float(surface.size["width_mm"]) / 10.0 / gy.shape[1] if surface else cell_cm
        return [("Back (posterior view)", gy[:, ::-1], width_cm)]
    angles = surface.angles
    front = np.sin(angles) >= 0.0  # anterior half: 0 (left) .. pi (right)
    arc_cm = float(np.median(np.sqrt(surface.areas.max(axis=0)))) / 10.0
    return [
        ("Front (anterior view)", gy[:, front][:, ::-1], arc_cm),
        ("Back (posterior view)", gy[:, ~front][:, ::-1], arc_cm),
    ]


def _dose_text(mgy: float) -> str:
    """Return a dose for a title: in Gy from 1 Gy up, in mGy below."""
    return f"{mgy / 1000.0:.2f} Gy" if mgy >= 1000.0 else f"{mgy:.3g} mGy"


def render_png(result: SkinDoseResult) -> bytes:
    """Return a PNG (1000 × 700 px) of the result's dose map; for a Ka,r-based estimate, a
    picture stating the estimate and that no map could be made."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    phantom = result.provenance.get("phantom", {}).get("type", "")
    if result.method != "map" or result.dose_map_mgy.size == 0:
        axis = figure.add_subplot(1, 1, 1)
        axis.axis("off")
        axis.text(
            0.5,
            0.6,
            f"Peak skin dose ≤ {_dose_text(result.psd_mgy)} (conservative estimate from Ka,r)",
            ha="center",
            va="center",
            fontsize=15,
        )
        axis.text(
            0.5,
            0.4,
            "No skin-dose map: the report lacks the beam geometry.",
            ha="center",
            va="center",
            fontsize=12,
        )
    else:
        panels = _panels(result)
        vmax = max(float(result.dose_map_mgy.max()) / 1000.0, 1e-6)
        axes = figure.subplots(1, len(panels), squeeze=False)[0]
        image = None
        for axis, (title, gy, col_cm) in zip(axes, panels, strict=True):
            rows, cols = gy.shape
            row_cm = result.cell_size_mm / 10.0
            extent = (0.0, cols * col_cm, rows * row_cm, 0.0)
            image = axis.imshow(
                gy, cmap="inferno", vmin=0.0, vmax=vmax, extent=extent, aspect="equal",
                interpolation="nearest",
            )
            if gy.max() >= CONTOUR_GY and rows > 1 and cols > 1:
                xs = (np.arange(cols) + 0.5) * col_cm
                ys = (np.arange(rows) + 0.5) * row_cm
                axis.contour(xs, ys, gy, levels=[CONTOUR_GY], colors="cyan", linewidths=1.5)
            axis.set_title(title, fontsize=11)
            axis.set_xlabel("cm")
            axis.set_ylabel("cm from the head end")
        colorbar = figure.colorbar(image, ax=list(axes), shrink=0.85)
        colorbar.set_label("Skin dose (Gy)")
        above = result.area_above_mgy.get(3000) or 0.0
        figure.text(
            0.5,
            0.02,
            f"Cyan line: {CONTOUR_GY:g} Gy contour ({above:.0f} cm² above). "
            f"{result.events_used} events mapped, {len(result.events_skipped)} skipped.",
            ha="center",
            fontsize=9,
        )
    figure.suptitle(
        f"Peak skin dose {_dose_text(result.psd_mgy)} — {phantom} phantom, "
        f"{result.cell_size_mm:g} mm cells",
        fontsize=13,
    )
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    plt.close("all")
    return buffer.getvalue()
