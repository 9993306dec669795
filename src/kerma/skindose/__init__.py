"""Skin-dose maps of interventional procedures (pure numpy): per-room settings, the engine and
its picture.

``compute_skin_dose(events, patient=..., room=..., phantom="human")`` returns a
:class:`SkinDoseResult` (peak skin dose in mGy, dose map on the unwrapped phantom surface,
areas above 2, 3 and 5 Gy, the events used and skipped with reasons, provenance);
``render_png(result)`` draws it.
"""

from kerma.skindose.engine import SkinDoseResult, compute_skin_dose
from kerma.skindose.phantoms import PHANTOMS
from kerma.skindose.picture import render_png
from kerma.skindose.settings import RoomSettings, room_defaults

__all__ = [
    "PHANTOMS",
    "RoomSettings",
    "SkinDoseResult",
    "compute_skin_dose",
    "render_png",
    "room_defaults",
]
