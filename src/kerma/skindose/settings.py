"""Per-room settings of the skin-dose engine: vendor geometry conventions, table and mattress,
phantom sizes. They are data (stored as JSON per device), never constants in the engine.

Kerma's room frame, in mm, used everywhere in :mod:`kerma.skindose`: origin at the isocentre,
``x`` towards the left of a patient lying head first supine, ``y`` up (anterior of a supine
patient), ``z`` towards the head end of the table. At the reference table position (all table
positions equal to their origins) the table top lies in the plane ``y = 0``, its centreline on
``x = 0`` and its head end at ``z = 0``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

FIELD_SIZE_MODES = ("detector", "isocentre", "reference_point")
ORIENTATIONS = ("head_first_supine", "feet_first_supine")


@dataclass
class RoomSettings:
    """How one device reports its geometry, and what the room has measured.

    Angles follow DICOM (PS3.3 C.8.7.5): primary angle +90° = LAO (detector at the patient's
    left), secondary angle +90° = cranial (detector towards the head). A device whose report
    uses the opposite sense gets a sign of -1.
    """

    # --- positioner ---------------------------------------------------------------------------
    primary_angle_sign: float = 1.0
    secondary_angle_sign: float = 1.0
    # Where the collimated field width/height/area of the report is stated: at the detector
    # plane (DICOM's definition of Collimated Field Area), at the isocentre or at the reference
    # point.
    field_size_mode: str = "detector"
    # Interventional reference point: this far from the isocentre towards the source (IEC
    # 60601-2-43: 15 cm).
    reference_point_mm: float = 150.0
    # --- table positions ----------------------------------------------------------------------
    # Siemens and Philips reports carry the travel along the table (values of a metre) in the
    # "lateral" item and the sideways travel in the "longitudinal" one: swap them.
    swap_table_axes: bool = True
    # Patient shift per reported mm: +1 moves the patient towards his head (longitudinal), his
    # left (lateral), and down (height: a larger reported height lowers the table top).
    table_longitudinal_sign: float = 1.0
    table_lateral_sign: float = 1.0
    table_height_sign: float = 1.0
    # Reported positions at which the table's head end is at the isocentre plane, its
    # centreline under the isocentre and its top at the isocentre height.
    table_longitudinal_origin_mm: float = 0.0
    table_lateral_origin_mm: float = 0.0
    table_height_origin_mm: float = 0.0
    patient_orientation: str = "head_first_supine"
    # --- table and mattress -------------------------------------------------------------------
    table_length_mm: float = 2815.0
    table_width_mm: float = 450.0
    table_thickness_mm: float = 50.0
    pad_thickness_mm: float = 40.0
    # Transmission of table plus mattress for a beam perpendicular to the table top. A value
    # measured in the room replaces the default: either one number, or rows [kVp, transmission]
    # or [kVp, added Cu mm, transmission] (the rows of the nearest copper filtration are
    # interpolated in kVp). Oblique rays get transmission ** (1 / cos(angle)).
    table_transmission: float = 0.8
    table_transmission_by_kvp: list[list[float]] = field(default_factory=list)
    # --- beam quality -------------------------------------------------------------------------
    inherent_filtration_mmal: float = 2.5  # IEC 60601-1-3 minimum total filtration
    # --- phantoms -----------------------------------------------------------------------------
    plane_width_mm: float = 400.0
    plane_length_mm: float = 1200.0
    cylinder_semi_axis_lateral_mm: float = 200.0
    cylinder_semi_axis_ap_mm: float = 100.0
    cylinder_length_mm: float = 1500.0
    human_height_mm: float = 1750.0  # used when the report gives no height
    human_weight_kg: float = 75.0  # used when the report gives no weight
    # Phantom shift on the table (lateral, vertical, longitudinal towards the head), mm.
    phantom_offset_mm: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])
    # Values used for event fields the report leaves out (e.g. {"table_height_mm": 150.0} for a
    # room that never reports its table height). Every use is stated in the warnings.
    assumed: dict[str, float] = field(default_factory=dict)
    # Where these settings come from (vendor defaults, a physicist's measurement...).
    source: str = "generic defaults"

    def __post_init__(self) -> None:
        if self.field_size_mode not in FIELD_SIZE_MODES:
            raise ValueError(
                f"field_size_mode must be one of {', '.join(FIELD_SIZE_MODES)}, "
                f"not {self.field_size_mode!r}"
            )
        if self.patient_orientation not in ORIENTATIONS:
            raise ValueError(
                f"patient_orientation must be one of {', '.join(ORIENTATIONS)}, "
                f"not {self.patient_orientation!r}"
            )
        if not 0.0 < self.table_transmission <= 1.0:
            raise ValueError("table_transmission must be in (0, 1]")

    def to_dict(self) -> dict[str, Any]:
        """Return the settings as plain JSON-ready data."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RoomSettings:
        """Return settings from :meth:`to_dict` output; unknown keys are ignored, missing keys
        take their defaults."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def transmission(self, kvp: float | None, cu_mm: float = 0.0) -> float:
        """Return the table-plus-mattress transmission (0–1) for a perpendicular beam of
        ``kvp`` filtered by ``cu_mm`` of added copper."""
        rows = [[float(v) for v in row] for row in self.table_transmission_by_kvp]
        if not rows or kvp is None:
            return self.table_transmission
        if all(len(row) == 3 for row in rows):
            nearest = min(rows, key=lambda row: abs(row[1] - cu_mm))[1]
            rows = [[row[0], row[2]] for row in rows if row[1] == nearest]
        points = sorted((row[0], row[-1]) for row in rows)
        if kvp <= points[0][0]:
            return points[0][1]
        for (k0, t0), (k1, t1) in zip(points, points[1:], strict=False):
            if kvp <= k1:
                return t0 + (t1 - t0) * (kvp - k0) / (k1 - k0) if k1 > k0 else t1
        return points[-1][1]


# Where each convention below comes from.
DICOM_DEFINITIONS = (
    "DICOM PS3.3 C.8.7.5 (Positioner Primary Angle +90° = LAO, Secondary Angle +90° = cranial)"
    " and PS3.16 CID 10008 (113751 Table Longitudinal Position: + towards the patient's left; "
    "113752 Table Lateral Position: + towards the head; 113753 Table Height Position: table "
    "motion downwards is +; Collimated Field Width/Height/Area projected at the detector "
    "plane); IEC 60601-2-43 reference point 150 mm from the isocentre towards the source"
)


@dataclass(frozen=True)
class VendorFamily:
    """The rooms of one vendor family: how to recognise them and the settings they get."""

    name: str
    manufacturer: tuple[str, ...]  # lower-case words one of which the manufacturer contains
    models: tuple[str, ...]  # lower-case model fragments (spaces and dashes removed)
    changes: dict[str, Any]  # RoomSettings fields that differ from the DICOM definitions
    conventions: str  # each convention and its source, in a sentence a physicist checks


VENDOR_FAMILIES: tuple[VendorFamily, ...] = (
    VendorFamily(
        "Siemens AXIOM-Artis",
        ("siemens",),
        ("axiomartis", "axiom"),
        {"secondary_angle_sign": -1.0, "inherent_filtration_mmal": 3.1},
        "DICOM definitions for the table (height below the isocentre, downward +, origins at "
        "zero); secondary angle of the opposite sense (+ = caudal) and 3.1 mm Al inherent "
        "filtration, as published with PySkinDose's normalisation settings for AXIOM-Artis and "
        "checked against its maps of two AXIOM-Artis reports (±10 %).",
    ),
    VendorFamily(
        "Siemens Artis zee/Q/icono",
        ("siemens",),
        ("artis", "icono"),
        {"secondary_angle_sign": -1.0, "inherent_filtration_mmal": 3.1},
        "Same positioner and table as the AXIOM-Artis line they succeed (Artis zee, Artis Q, "
        "ARTIS icono): the AXIOM-Artis conventions. " + DICOM_DEFINITIONS + ".",
    ),
    VendorFamily(
        "Siemens Cios",
        ("siemens",),
        ("cios", "arcadis"),
        {},
        "Mobile C-arms: DICOM definitions (" + DICOM_DEFINITIONS + "); they report no table "
        "position, so a map needs the room's assumed table values.",
    ),
    VendorFamily(
        "Philips Allura",
        ("philips",),
        ("allura",),
        {
            "table_height_sign": -1.0,
            "table_height_origin_mm": 1055.0,
            "table_lateral_origin_mm": 3.0,
            "table_longitudinal_origin_mm": 1350.0,
        },
        "Table height (standard item or private 99PHI-IXR-XPER 020 Final Table Height "
        "Position) measured up from the floor, the isocentre 1055 mm above it (upward +, "
        "PySkinDose's Allura normalisation); travel along the table in the 'lateral' item "
        "(DICOM definition, + towards the head), origin 1350 mm: the value at which the head "
        "end of the table is at the isocentre plane, fitted on the three Allura reports seen "
        "(a head, a cardiac and an abdominal procedure land on the head, the heart and the "
        "upper abdomen); angles per DICOM; source-to-reference point 660 mm for 810 mm to the "
        "isocentre (Philips Allura/Azurion instructions for use: IEC reference point).",
    ),
    VendorFamily(
        "Philips Azurion",
        ("philips",),
        ("azurion",),
        {},
        "DICOM definitions (" + DICOM_DEFINITIONS + "): no Azurion report seen with a "
        "floor-referenced table height; measure the origins in the room and enter them.",
    ),
    VendorFamily(
        "Canon Alphenix/Infinix/Ultimaxi",
        ("canon", "toshiba"),
        ("alphenix", "infinix", "ultimax", "infx"),
        {},
        "DICOM definitions (" + DICOM_DEFINITIONS + "); no Canon report seen: origins to be "
        "measured in the room.",
    ),
    VendorFamily(
        "GE Innova/IGS/OEC",
        ("ge ", "ge medical", "ge healthcare", "gehc", "general electric", "oec"),
        ("innova", "igs", "discovery", "allia", "oec", "superc", "esp"),
        {},
        "DICOM definitions (" + DICOM_DEFINITIONS + "); GE's Innova conformance statement "
        "gives the positioner angles with DICOM's senses (LAO +, cranial +); OEC mobile "
        "C-arms report no angle or table position, so they get the Ka,r estimate.",
    ),
)


def vendor_family(manufacturer: str, model: str) -> VendorFamily | None:
    """Return the vendor family of a device from its manufacturer and model names, or None."""
    maker = f"{(manufacturer or '').lower()} "
    name = (model or "").lower().replace(" ", "").replace("-", "")
    for family in VENDOR_FAMILIES:
        if any(word in maker for word in family.manufacturer) and any(
            fragment in name for fragment in family.models
        ):
            return family
    return None


def room_defaults(manufacturer: str, model: str) -> RoomSettings:
    """Return the settings of a device's vendor family (:data:`VENDOR_FAMILIES`, each
    convention with its source in ``conventions``), else DICOM's definitions as generic
    defaults. A physicist's measured settings replace them per room."""
    family = vendor_family(manufacturer, model)
    if family is None:
        return RoomSettings(source=f"generic defaults ({manufacturer} {model})".strip())
    return RoomSettings(**family.changes, source=f"{family.name} defaults")
