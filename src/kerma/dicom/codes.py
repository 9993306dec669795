"""Coded concepts of the DICOM dose templates that Kerma reads (DICOM PS3.16).

A concept is (code value, coding scheme designator). SNOMED codes appear in two spellings: the
legacy SNOMED-RT ``SRT`` codes most modalities still write, and the SNOMED CT ``SCT`` codes that
replaced them in 2019; :func:`normalise` maps the SCT spelling of the codes Kerma tests for onto
the SRT one, so one comparison covers both.
"""

from __future__ import annotations

from kerma.dicom.srtree import Code

# --- document titles and context (TID 10001, 10011, 10021, 1002, 1004, 1007) --------------
XRAY_DOSE_REPORT: Code = ("113701", "DCM")
RADIOPHARMACEUTICAL_DOSE_REPORT: Code = ("113500", "DCM")
PROCEDURE_REPORTED: Code = ("121058", "DCM")
CT_PROCEDURE: Code = ("P5-08000", "SRT")
PROJECTION_PROCEDURE: Code = ("113704", "DCM")
MAMMOGRAPHY_PROCEDURE: Code = ("P5-40010", "SRT")
RADIOPHARMACEUTICAL_ADMINISTRATION: Code = ("113502", "DCM")

DEVICE_OBSERVER_UID: Code = ("121012", "DCM")
DEVICE_OBSERVER_NAME: Code = ("121013", "DCM")
DEVICE_OBSERVER_MANUFACTURER: Code = ("121014", "DCM")
DEVICE_OBSERVER_MODEL: Code = ("121015", "DCM")
DEVICE_OBSERVER_SERIAL: Code = ("121016", "DCM")
DEVICE_OBSERVER_LOCATION: Code = ("121017", "DCM")
SCOPE_OF_ACCUMULATION: Code = ("113705", "DCM")
STUDY_INSTANCE_UID: Code = ("110180", "DCM")
START_OF_IRRADIATION: Code = ("113809", "DCM")

PATIENT_CHARACTERISTICS: Code = ("121118", "DCM")
SUBJECT_AGE: Code = ("121033", "DCM")
SUBJECT_SEX: Code = ("121032", "DCM")
PATIENT_HEIGHT: Code = ("8302-2", "LN")
PATIENT_WEIGHT: Code = ("29463-7", "LN")
SEX_CODES: dict[str, str] = {"F": "F", "M": "M", "O": "O", "U": "", "121102": "O"}

# --- CT (TID 10011 to 10014) --------------------------------------------------------------
CT_ACCUMULATED: Code = ("113811", "DCM")
CT_DLP_TOTAL: Code = ("113813", "DCM")
TOTAL_EVENTS: Code = ("113812", "DCM")
CT_ACQUISITION: Code = ("113819", "DCM")
ACQUISITION_PROTOCOL: Code = ("125203", "DCM")
TARGET_REGION: Code = ("123014", "DCM")
CT_ACQUISITION_TYPE: Code = ("113820", "DCM")
IRRADIATION_EVENT_UID: Code = ("113769", "DCM")
CT_ACQUISITION_PARAMETERS: Code = ("113822", "DCM")
EXPOSURE_TIME: Code = ("113824", "DCM")
SCANNING_LENGTH: Code = ("113825", "DCM")
SINGLE_COLLIMATION: Code = ("113826", "DCM")
TOTAL_COLLIMATION: Code = ("113827", "DCM")
PITCH_FACTOR: Code = ("113828", "DCM")
XRAY_SOURCE_PARAMETERS: Code = ("113831", "DCM")
KVP: Code = ("113733", "DCM")
MAX_TUBE_CURRENT: Code = ("113833", "DCM")
TUBE_CURRENT: Code = ("113734", "DCM")
EXPOSURE_TIME_PER_ROTATION: Code = ("113834", "DCM")
CT_DOSE: Code = ("113829", "DCM")
MEAN_CTDIVOL: Code = ("113830", "DCM")
CTDIW_PHANTOM_TYPE: Code = ("113835", "DCM")
DLP: Code = ("113838", "DCM")
SSDE: Code = ("113930", "DCM")
WATER_EQUIVALENT_DIAMETER: Code = ("113980", "DCM")  # CP 1525; 113987 is "AAPM 220"
HEAD_PHANTOM: Code = ("113690", "DCM")
BODY_PHANTOM: Code = ("113691", "DCM")
PHANTOM_DIAMETER_CM: dict[Code, int] = {HEAD_PHANTOM: 16, BODY_PHANTOM: 32}

CT_ACQUISITION_TYPES: dict[Code, str] = {
    ("P5-08001", "SRT"): "spiral",
    ("113804", "DCM"): "sequenced",
    ("113805", "DCM"): "constant_angle",
    ("113806", "DCM"): "stationary",
    ("113807", "DCM"): "free",
    ("113808", "DCM"): "cone_beam",
}

# --- projection X-ray (TID 10001 to 10007) ------------------------------------------------
ACCUMULATED_XRAY: Code = ("113702", "DCM")
ACQUISITION_PLANE: Code = ("113764", "DCM")
PLANES: dict[Code, str] = {
    ("113622", "DCM"): "single",
    ("113620", "DCM"): "A",
    ("113621", "DCM"): "B",
}
DAP_TOTAL: Code = ("113722", "DCM")
DOSE_RP_TOTAL: Code = ("113725", "DCM")
FLUORO_DAP_TOTAL: Code = ("113726", "DCM")
FLUORO_DOSE_RP_TOTAL: Code = ("113728", "DCM")
TOTAL_FLUORO_TIME: Code = ("113730", "DCM")
ACQUISITION_DAP_TOTAL: Code = ("113727", "DCM")
ACQUISITION_DOSE_RP_TOTAL: Code = ("113729", "DCM")
TOTAL_ACQUISITION_TIME: Code = ("113855", "DCM")
TOTAL_FRAMES: Code = ("113731", "DCM")
ACCUMULATED_AGD: Code = ("111637", "DCM")
LATERALITY: Code = ("G-C171", "SRT")
LEFT_BREAST: Code = ("T-04030", "SRT")
RIGHT_BREAST: Code = ("T-04020", "SRT")
LEFT: Code = ("G-A101", "SRT")
RIGHT: Code = ("G-A100", "SRT")
BILATERAL: Code = ("G-A102", "SRT")
LATERALITIES: dict[Code, str] = {
    LEFT_BREAST: "L",
    RIGHT_BREAST: "R",
    LEFT: "L",
    RIGHT: "R",
    BILATERAL: "B",
}

IRRADIATION_EVENT: Code = ("113706", "DCM")
DATETIME_STARTED: Code = ("111526", "DCM")
IRRADIATION_EVENT_TYPE: Code = ("113721", "DCM")
FLUOROSCOPY: Code = ("P5-06000", "SRT")
EVENT_TYPES: dict[Code, str] = {
    FLUOROSCOPY: "fluoroscopy",
    ("113611", "DCM"): "stationary",
    ("113612", "DCM"): "stepping",
    ("113613", "DCM"): "rotational",
}
ANATOMICAL_STRUCTURE: Code = ("T-D0005", "SRT")
IMAGE_VIEW: Code = ("111031", "DCM")
DAP: Code = ("122130", "DCM")
DOSE_RP: Code = ("113738", "DCM")
ENTRANCE_EXPOSURE_RP: Code = ("111636", "DCM")
AGD: Code = ("111631", "DCM")
COMPRESSION_THICKNESS: Code = ("111633", "DCM")
HALF_VALUE_LAYER: Code = ("111634", "DCM")
PRIMARY_ANGLE: Code = ("112011", "DCM")
SECONDARY_ANGLE: Code = ("112012", "DCM")
XRAY_FILTERS: Code = ("113771", "DCM")
FILTER_MATERIAL: Code = ("113757", "DCM")
FILTER_THICKNESS_MIN: Code = ("113758", "DCM")
FILTER_THICKNESS_MAX: Code = ("113773", "DCM")
FLUORO_MODE: Code = ("113732", "DCM")
PULSE_RATE: Code = ("113791", "DCM")
NUMBER_OF_PULSES: Code = ("113768", "DCM")
PULSE_WIDTH: Code = ("113793", "DCM")
EXPOSURE: Code = ("113736", "DCM")
PROJECTION_EXPOSURE_TIME: Code = ("113735", "DCM")
IRRADIATION_DURATION: Code = ("113742", "DCM")
AVERAGE_TUBE_CURRENT: Code = ("113767", "DCM")
COLLIMATED_FIELD_AREA: Code = ("113790", "DCM")
COLLIMATED_FIELD_HEIGHT: Code = ("113788", "DCM")
COLLIMATED_FIELD_WIDTH: Code = ("113789", "DCM")
SOURCE_TO_ISOCENTER: Code = ("113748", "DCM")
SOURCE_TO_REFERENCE_POINT: Code = ("113737", "DCM")
SOURCE_TO_DETECTOR: Code = ("113750", "DCM")
SOURCE_TO_TABLE_PLANE: Code = ("113792", "DCM")
TABLE_LONGITUDINAL: Code = ("113751", "DCM")
TABLE_LATERAL: Code = ("113752", "DCM")
TABLE_HEIGHT: Code = ("113753", "DCM")
TABLE_HEAD_TILT: Code = ("113754", "DCM")
TABLE_HORIZONTAL_ROTATION: Code = ("113755", "DCM")
TABLE_CRADLE_TILT: Code = ("113756", "DCM")

FILTER_MATERIALS: dict[Code, str] = {
    ("C-127F9", "SRT"): "Cu",
    ("C-120F9", "SRT"): "Al",
    ("C-150F9", "SRT"): "Mo",
    ("C-167F9", "SRT"): "Rh",
    ("C-137F9", "SRT"): "Ag",
    ("C-164F9", "SRT"): "W",
    ("C-132F9", "SRT"): "Pb",
    ("C-1190E", "SRT"): "Nb",
    ("C-122F9", "SRT"): "Sn",
}

# --- SNOMED CT spellings of the SNOMED-RT codes above ---------------------------------------
SCT_TO_SRT: dict[Code, Code] = {
    ("77477000", "SCT"): CT_PROCEDURE,
    ("71651007", "SCT"): MAMMOGRAPHY_PROCEDURE,
    ("116152004", "SCT"): ("P5-08001", "SRT"),
    ("44491008", "SCT"): FLUOROSCOPY,
    ("272741003", "SCT"): LATERALITY,
    ("80248007", "SCT"): LEFT_BREAST,
    ("73056007", "SCT"): RIGHT_BREAST,
    ("7771000", "SCT"): LEFT,
    ("24028007", "SCT"): RIGHT,
    ("51440002", "SCT"): BILATERAL,
    ("123037004", "SCT"): ANATOMICAL_STRUCTURE,
    ("66925006", "SCT"): ("C-127F9", "SRT"),  # copper
    ("12503006", "SCT"): ("C-120F9", "SRT"),  # aluminium
    ("71128006", "SCT"): ("C-150F9", "SRT"),  # molybdenum
    ("59801003", "SCT"): ("C-167F9", "SRT"),  # rhodium
    ("41967008", "SCT"): ("C-137F9", "SRT"),  # silver
    ("26194003", "SCT"): ("C-164F9", "SRT"),  # tungsten
    ("89457008", "SCT"): ("C-10072", "SRT"),  # Radionuclide
    ("349358000", "SCT"): ("F-61FDB", "SRT"),  # Radiopharmaceutical agent
    ("410675002", "SCT"): ("G-C340", "SRT"),  # Route of administration
}


def normalise(code: Code | None) -> Code | None:
    """Return ``code`` with a SNOMED CT spelling replaced by the SNOMED-RT one Kerma tests for."""
    if code is None:
        return None
    return SCT_TO_SRT.get(code, code)


# --- radiopharmaceutical administration (TID 10021, 10022) ---------------------------------
ADMINISTRATION_EVENT_UID: Code = ("113503", "DCM")
ADMINISTERED_ACTIVITY: Code = ("113507", "DCM")
RADIONUCLIDE: Code = ("C-10072", "SRT")
RADIOPHARMACEUTICAL_AGENT: Code = ("F-61FDB", "SRT")
ROUTE_OF_ADMINISTRATION: Code = ("G-C340", "SRT")
RADIOPHARMACEUTICAL_START: Code = ("123003", "DCM")

# Radionuclides (CID 18 / CID 4020), by the short name shown to users.
RADIONUCLIDE_NAMES: dict[Code, str] = {
    ("C-163A8", "SRT"): "Tc-99m",
    ("72454006", "SCT"): "Tc-99m",
    ("C-111A1", "SRT"): "F-18",
    ("77004003", "SCT"): "F-18",
    ("C-114A4", "SRT"): "I-123",
    ("21572004", "SCT"): "I-123",
    ("C-114B1", "SRT"): "I-131",
    ("1368003", "SCT"): "I-131",
    ("C-138A9", "SRT"): "Tl-201",
    ("60057003", "SCT"): "Tl-201",
    ("C-131A3", "SRT"): "Ga-68",
    ("35337001", "SCT"): "Ga-68",
}

# --- rotational acquisitions (TID 10003): where the arc ends -------------------------------
PRIMARY_END_ANGLE: Code = ("113739", "DCM")
SECONDARY_END_ANGLE: Code = ("113740", "DCM")
