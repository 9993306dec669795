"""The coded concepts of the DICOM dose templates that Kerma reads and writes (DICOM PS3.16).

One type, :class:`Code`, for every coded concept: the SR reader (:mod:`kerma.dicom.srtree`,
:mod:`kerma.dicom.rdsr`) builds it from the files, the writers (:mod:`kerma.dicom.write`) encode
it. Two codes are the same concept when their code value and coding scheme designator are
equal; the code meaning is for display only (vendors misspell it) and is never compared.

SNOMED codes appear in two spellings: the legacy SNOMED-RT ``SRT`` codes most modalities still
write, and the SNOMED CT ``SCT`` codes that replaced them in 2019; :func:`normalise` maps the
SCT spelling of the codes Kerma tests for onto the SRT one, so one comparison covers both, and
:data:`SRT_TO_SCT` gives the SCT spelling the writers use on request.
"""

from __future__ import annotations

from typing import NamedTuple


class Code(tuple):
    """A coded concept: code value, coding scheme designator and code meaning.

    A code *is* the pair (value, scheme): equality, hashing and ordering are the tuple's own (at
    C speed: the reader compares concepts by the thousand), so the meaning never takes part in
    a comparison or a dictionary look-up, and a code equals the plain pair
    ``(value, scheme)``. The meaning (for display and for writing; vendors misspell it) rides
    along as an attribute.
    """

    meaning: str

    def __new__(cls, value: str, scheme: str, meaning: str = "") -> Code:
        self = tuple.__new__(cls, (value, scheme))
        self.meaning = meaning
        return self

    @property
    def value(self) -> str:
        """The Code Value (0008,0100) (or its long or URN form)."""
        return self[0]

    @property
    def scheme(self) -> str:
        """The Coding Scheme Designator (0008,0102)."""
        return self[1]

    def __getnewargs__(self) -> tuple[str, str, str]:  # type: ignore[override]
        return (self[0], self[1], self.meaning)

    def __repr__(self) -> str:
        return f"Code({self[0]!r}, {self[1]!r}, {self.meaning!r})"


def dcm(value: str, meaning: str) -> Code:
    """Return the DICOM (``DCM``) code ``value``."""
    return Code(value, "DCM", meaning)


def srt(value: str, meaning: str) -> Code:
    """Return the SNOMED-RT (``SRT``) code ``value``."""
    return Code(value, "SRT", meaning)


def sct(value: str, meaning: str) -> Code:
    """Return the SNOMED CT (``SCT``) code ``value``."""
    return Code(value, "SCT", meaning)


def ucum(value: str, meaning: str | None = None) -> Code:
    """Return the UCUM unit code ``value`` (its meaning the code itself unless given)."""
    return Code(value, "UCUM", meaning or value)


# --- document titles and context (TID 10001, 10011, 10021, 1002, 1004, 1007) --------------
XRAY_DOSE_REPORT = dcm("113701", "X-Ray Radiation Dose Report")
RADIOPHARMACEUTICAL_DOSE_REPORT = dcm("113500", "Radiopharmaceutical Radiation Dose Report")
PROCEDURE_REPORTED = dcm("121058", "Procedure reported")
CT_PROCEDURE = srt("P5-08000", "Computed Tomography X-Ray")
PROJECTION_PROCEDURE = dcm("113704", "Projection X-Ray")
MAMMOGRAPHY_PROCEDURE = srt("P5-40010", "Mammography")
RADIOPHARMACEUTICAL_ADMINISTRATION = dcm("113502", "Radiopharmaceutical Administration")

DEVICE_OBSERVER_UID = dcm("121012", "Device Observer UID")
DEVICE_OBSERVER_NAME = dcm("121013", "Device Observer Name")
DEVICE_OBSERVER_MANUFACTURER = dcm("121014", "Device Observer Manufacturer")
DEVICE_OBSERVER_MODEL = dcm("121015", "Device Observer Model Name")
DEVICE_OBSERVER_SERIAL = dcm("121016", "Device Observer Serial Number")
DEVICE_OBSERVER_LOCATION = dcm("121017", "Device Observer Physical Location During Observation")
SCOPE_OF_ACCUMULATION = dcm("113705", "Scope of Accumulation")
STUDY_INSTANCE_UID = dcm("110180", "Study Instance UID")
START_OF_IRRADIATION = dcm("113809", "Start of X-Ray Irradiation")

PATIENT_CHARACTERISTICS = dcm("121118", "Patient Characteristics")
SUBJECT_AGE = dcm("121033", "Subject Age")
SUBJECT_SEX = dcm("121032", "Subject Sex")
PATIENT_HEIGHT = Code("8302-2", "LN", "Patient Height")
PATIENT_WEIGHT = Code("29463-7", "LN", "Patient Weight")
SEX_CODES: dict[str, str] = {"F": "F", "M": "M", "O": "O", "U": "", "121102": "O"}

# --- CT (TID 10011 to 10014) --------------------------------------------------------------
CT_ACCUMULATED = dcm("113811", "CT Accumulated Dose Data")
CT_DLP_TOTAL = dcm("113813", "CT Dose Length Product Total")
TOTAL_EVENTS = dcm("113812", "Total Number of Irradiation Events")
CT_ACQUISITION = dcm("113819", "CT Acquisition")
ACQUISITION_PROTOCOL = dcm("125203", "Acquisition Protocol")
TARGET_REGION = dcm("123014", "Target Region")
CT_ACQUISITION_TYPE = dcm("113820", "CT Acquisition Type")
IRRADIATION_EVENT_UID = dcm("113769", "Irradiation Event UID")
CT_ACQUISITION_PARAMETERS = dcm("113822", "CT Acquisition Parameters")
EXPOSURE_TIME = dcm("113824", "Exposure Time")
SCANNING_LENGTH = dcm("113825", "Scanning Length")
SINGLE_COLLIMATION = dcm("113826", "Nominal Single Collimation Width")
TOTAL_COLLIMATION = dcm("113827", "Nominal Total Collimation Width")
PITCH_FACTOR = dcm("113828", "Pitch Factor")
XRAY_SOURCE_PARAMETERS = dcm("113831", "CT X-Ray Source Parameters")
KVP = dcm("113733", "KVP")
MAX_TUBE_CURRENT = dcm("113833", "Maximum X-Ray Tube Current")
TUBE_CURRENT = dcm("113734", "X-Ray Tube Current")
EXPOSURE_TIME_PER_ROTATION = dcm("113834", "Exposure Time per Rotation")
CT_DOSE = dcm("113829", "CT Dose")
MEAN_CTDIVOL = dcm("113830", "Mean CTDIvol")
CTDIW_PHANTOM_TYPE = dcm("113835", "CTDIw Phantom Type")
DLP = dcm("113838", "DLP")
SSDE = dcm("113930", "Size Specific Dose Estimation")
# CP 1525; 113987 is "AAPM 220"
WATER_EQUIVALENT_DIAMETER = dcm("113980", "Water Equivalent Diameter")
HEAD_PHANTOM = dcm("113690", "IEC Head Dosimetry Phantom")
BODY_PHANTOM = dcm("113691", "IEC Body Dosimetry Phantom")
PHANTOM_DIAMETER_CM: dict[Code, int] = {HEAD_PHANTOM: 16, BODY_PHANTOM: 32}

NUMBER_OF_SOURCES = dcm("113823", "Number of X-Ray Sources")
SOURCE_ID = dcm("113832", "Identification of the X-Ray Source")
MEASUREMENT_METHOD = srt("G-C036", "Measurement Method")
SSDE_FROM_WED = dcm("113988", "Estimated from Water Equivalent Diameter")  # CID 10023
WED_FROM_LOCALIZER = dcm("113984", "Water Equivalent Diameter From Localizer")  # CID 10024
PROCEDURE_CONTEXT = srt("G-C32C", "Procedure Context")
WITHOUT_CONTRAST = srt("P5-0808E", "CT without contrast")
WITH_CONTRAST = srt("P5-00100", "Diagnostic radiography with contrast media")

SPIRAL_ACQUISITION = srt("P5-08001", "Spiral Acquisition")
CT_ACQUISITION_TYPES: dict[Code, str] = {
    SPIRAL_ACQUISITION: "spiral",
    dcm("113804", "Sequenced Acquisition"): "sequenced",
    dcm("113805", "Constant Angle Acquisition"): "constant_angle",
    dcm("113806", "Stationary Acquisition"): "stationary",
    dcm("113807", "Free Acquisition"): "free",
    dcm("113808", "Cone Beam Acquisition"): "cone_beam",
}

# --- projection X-ray (TID 10001 to 10007) ------------------------------------------------
ACCUMULATED_XRAY = dcm("113702", "Accumulated X-Ray Dose Data")
ACQUISITION_PLANE = dcm("113764", "Acquisition Plane")
PLANES: dict[Code, str] = {
    dcm("113622", "Single Plane"): "single",
    dcm("113620", "Plane A"): "A",
    dcm("113621", "Plane B"): "B",
}
DAP_TOTAL = dcm("113722", "Dose Area Product Total")
DOSE_RP_TOTAL = dcm("113725", "Dose (RP) Total")
FLUORO_DAP_TOTAL = dcm("113726", "Fluoro Dose Area Product Total")
FLUORO_DOSE_RP_TOTAL = dcm("113728", "Fluoro Dose (RP) Total")
TOTAL_FLUORO_TIME = dcm("113730", "Total Fluoro Time")
ACQUISITION_DAP_TOTAL = dcm("113727", "Acquisition Dose Area Product Total")
ACQUISITION_DOSE_RP_TOTAL = dcm("113729", "Acquisition Dose (RP) Total")
TOTAL_ACQUISITION_TIME = dcm("113855", "Total Acquisition Time")
TOTAL_FRAMES = dcm("113731", "Total Number of Radiographic Frames")
ACCUMULATED_AGD = dcm("111637", "Accumulated Average Glandular Dose")
LATERALITY = srt("G-C171", "Laterality")
LEFT_BREAST = srt("T-04030", "Left breast")
RIGHT_BREAST = srt("T-04020", "Right breast")
LEFT = srt("G-A101", "Left")
RIGHT = srt("G-A100", "Right")
BILATERAL = srt("G-A102", "Bilateral")
LATERALITIES: dict[Code, str] = {
    LEFT_BREAST: "L",
    RIGHT_BREAST: "R",
    LEFT: "L",
    RIGHT: "R",
    BILATERAL: "B",
}

IRRADIATION_EVENT = dcm("113706", "Irradiation Event X-Ray Data")
DATETIME_STARTED = dcm("111526", "DateTime Started")
IRRADIATION_EVENT_TYPE = dcm("113721", "Irradiation Event Type")
FLUOROSCOPY = srt("P5-06000", "Fluoroscopy")
EVENT_TYPES: dict[Code, str] = {
    FLUOROSCOPY: "fluoroscopy",
    dcm("113611", "Stationary Acquisition"): "stationary",
    dcm("113612", "Stepping Acquisition"): "stepping",
    dcm("113613", "Rotational Acquisition"): "rotational",
}
ANATOMICAL_STRUCTURE = srt("T-D0005", "Anatomical Structure")
IMAGE_VIEW = dcm("111031", "Image View")
DAP = dcm("122130", "Dose Area Product")
DOSE_RP = dcm("113738", "Dose (RP)")
ENTRANCE_EXPOSURE_RP = dcm("111636", "Entrance Exposure at RP")
AGD = dcm("111631", "Average Glandular Dose")
COMPRESSION_THICKNESS = dcm("111633", "Compression Thickness")
HALF_VALUE_LAYER = dcm("111634", "Half Value Layer")
PRIMARY_ANGLE = dcm("112011", "Positioner Primary Angle")
SECONDARY_ANGLE = dcm("112012", "Positioner Secondary Angle")
XRAY_FILTERS = dcm("113771", "X-Ray Filters")
FILTER_MATERIAL = dcm("113757", "X-Ray Filter Material")
FILTER_THICKNESS_MIN = dcm("113758", "X-Ray Filter Thickness Minimum")
FILTER_THICKNESS_MAX = dcm("113773", "X-Ray Filter Thickness Maximum")
FLUORO_MODE = dcm("113732", "Fluoro Mode")
PULSE_RATE = dcm("113791", "Pulse Rate")
NUMBER_OF_PULSES = dcm("113768", "Number of Pulses")
PULSE_WIDTH = dcm("113793", "Pulse Width")
EXPOSURE = dcm("113736", "Exposure")
PROJECTION_EXPOSURE_TIME = dcm("113735", "Exposure Time")
IRRADIATION_DURATION = dcm("113742", "Irradiation Duration")
AVERAGE_TUBE_CURRENT = dcm("113767", "Average X-Ray Tube Current")
COLLIMATED_FIELD_AREA = dcm("113790", "Collimated Field Area")
COLLIMATED_FIELD_HEIGHT = dcm("113788", "Collimated Field Height")
COLLIMATED_FIELD_WIDTH = dcm("113789", "Collimated Field Width")
SOURCE_TO_ISOCENTER = dcm("113748", "Distance Source to Isocenter")
SOURCE_TO_REFERENCE_POINT = dcm("113737", "Distance Source to Reference Point")
SOURCE_TO_DETECTOR = dcm("113750", "Distance Source to Detector")
SOURCE_TO_TABLE_PLANE = dcm("113792", "Distance Source to Table Plane")
TABLE_LONGITUDINAL = dcm("113751", "Table Longitudinal Position")
TABLE_LATERAL = dcm("113752", "Table Lateral Position")
TABLE_HEIGHT = dcm("113753", "Table Height Position")
TABLE_HEAD_TILT = dcm("113754", "Table Head Tilt Angle")
TABLE_HORIZONTAL_ROTATION = dcm("113755", "Table Horizontal Rotation Angle")
TABLE_CRADLE_TILT = dcm("113756", "Table Cradle Tilt Angle")

COPPER = srt("C-127F9", "Copper or Copper compound")
ALUMINIUM = srt("C-120F9", "Aluminum or Aluminum compound")
MOLYBDENUM = srt("C-150F9", "Molybdenum or Molybdenum compound")
RHODIUM = srt("C-167F9", "Rhodium or Rhodium compound")
SILVER = srt("C-137F9", "Silver or Silver compound")
TUNGSTEN = srt("C-164F9", "Tungsten or Tungsten compound")
FILTER_MATERIALS: dict[Code, str] = {
    COPPER: "Cu",
    ALUMINIUM: "Al",
    MOLYBDENUM: "Mo",
    RHODIUM: "Rh",
    SILVER: "Ag",
    TUNGSTEN: "W",
    srt("C-132F9", "Lead or Lead compound"): "Pb",
    srt("C-1190E", "Niobium or Niobium compound"): "Nb",
    srt("C-122F9", "Tin or Tin compound"): "Sn",
}

REFERENCE_POINT = dcm("113780", "Reference Point Definition")
FILTER_TYPE = dcm("113772", "X-Ray Filter Type")
FLAT_FILTER = dcm("113653", "Flat filter")
PULSED = dcm("113631", "Pulsed")
CONTINUOUS = dcm("113630", "Continuous")
ANODE_TARGET_MATERIAL = dcm("111632", "Anode Target Material")
PATIENT_TABLE_RELATIONSHIP = dcm("113745", "Patient Table Relationship")
PATIENT_ORIENTATION = dcm("113743", "Patient Orientation")
PATIENT_ORIENTATION_MODIFIER = dcm("113744", "Patient Orientation Modifier")
HEADFIRST = srt("F-10470", "headfirst")
RECUMBENT = srt("F-10450", "recumbent")
SUPINE = srt("F-10340", "supine")
DETECTOR_DATA_AVAILABLE = dcm("113945", "X-Ray Detector Data Available")
SOURCE_DATA_AVAILABLE = dcm("113943", "X-Ray Source Data Available")
MECHANICAL_DATA_AVAILABLE = dcm("113944", "X-Ray Mechanical Data Available")

#: Reference Point Definition (CID 10025), by the key the writers take.
REFERENCE_POINTS: dict[str, Code] = {
    "isocenter_15cm": dcm("113860", "15cm from Isocenter toward Source"),
    "detector_plane": dcm("113941", "In Detector Plane"),
    "breast_4_2cm": dcm("113865", "4.2cm above Breast Support Surface"),
    "front_of_receptor_30cm": dcm("113861", "30cm in Front of Image Input Surface"),
}
#: Image View (CID 4010): key -> (SR code, View Position (0018,5101) of image headers).
IMAGE_VIEWS: dict[str, tuple[Code, str]] = {
    "AP": (srt("R-10206", "antero-posterior"), "AP"),
    "PA": (srt("R-10214", "postero-anterior"), "PA"),
    "LAT": (srt("R-102CD", "lateral"), "LL"),
    "LL": (srt("R-10236", "left lateral"), "LL"),
    "RL": (srt("R-10232", "right lateral"), "RL"),
    "OBL": (srt("R-102C1", "oblique"), "OBL"),
    "CC": (srt("R-10242", "cranio-caudal"), "CC"),
    "MLO": (srt("R-10226", "medio-lateral oblique"), "MLO"),
}
BREAST = srt("T-04000", "Breast")
#: Laterality: (modifier of the event's target region, modifier of the accumulated AGD).
BREAST_SIDES: dict[str, tuple[Code, Code]] = {
    "L": (LEFT, LEFT_BREAST),
    "R": (RIGHT, RIGHT_BREAST),
}

#: Anatomy keys -> (Target Region code, Body Part Examined (0018,0015) for image headers).
ANATOMY: dict[str, tuple[Code, str]] = {
    "head": (srt("T-D1100", "Head"), "HEAD"),
    "brain": (srt("T-A0100", "Brain"), "BRAIN"),
    "skull": (srt("T-11100", "Skull"), "SKULL"),
    "sinus": (srt("T-22000", "Paranasal sinus"), "SINUS"),
    "neck": (srt("T-D1600", "Neck"), "NECK"),
    "chest": (srt("T-D3000", "Chest"), "CHEST"),
    "heart": (srt("T-32000", "Heart"), "HEART"),
    "coronary": (srt("T-43000", "Coronary artery"), "HEART"),
    "abdomen": (srt("T-D4000", "Abdomen"), "ABDOMEN"),
    "pelvis": (srt("T-D6000", "Pelvis"), "PELVIS"),
    "abdomen_pelvis": (srt("R-FAB57", "Abdomen and Pelvis"), "ABDOMENPELVIS"),
    "chest_abdomen": (srt("R-FAB55", "Chest and Abdomen"), "CHESTABDOMEN"),
    "chest_abdomen_pelvis": (srt("R-FAB56", "Chest, Abdomen and Pelvis"), "CHESTABDPELVIS"),
    "cervical_spine": (srt("T-11501", "Cervical spine"), "CSPINE"),
    "thoracic_spine": (srt("T-11502", "Thoracic spine"), "TSPINE"),
    "lumbar_spine": (srt("T-11503", "Lumbar spine"), "LSPINE"),
    "shoulder": (srt("T-D2220", "Shoulder"), "SHOULDER"),
    "hip": (srt("T-15710", "Hip joint"), "HIP"),
    "femur": (srt("T-12710", "Femur"), "LEG"),
    "knee": (srt("T-D9200", "Knee"), "KNEE"),
    "ankle": (srt("T-15750", "Ankle joint"), "ANKLE"),
    "wrist": (srt("T-15460", "Wrist joint"), "WRIST"),
    "hand": (srt("T-D8700", "Hand"), "HAND"),
    "upper_limb": (srt("T-D8000", "Upper limb"), "ARM"),
    "lower_limb": (srt("T-D9000", "Lower limb"), "LEG"),
    "breast": (BREAST, "BREAST"),
    "entire_body": (srt("T-D0010", "Entire body"), "WHOLEBODY"),
}

# --- radiopharmaceutical administration (TID 10021, 10022) ---------------------------------
ADMINISTRATION_EVENT_UID = dcm("113503", "Radiopharmaceutical Administration Event UID")
ADMINISTERED_ACTIVITY = dcm("113507", "Administered activity")
RADIONUCLIDE = srt("C-10072", "Radionuclide")
RADIOPHARMACEUTICAL_AGENT = srt("F-61FDB", "Radiopharmaceutical agent")
ROUTE_OF_ADMINISTRATION = srt("G-C340", "Route of administration")
RADIOPHARMACEUTICAL_START = dcm("123003", "Radiopharmaceutical Start DateTime")
RADIOPHARMACEUTICAL_STOP = dcm("123004", "Radiopharmaceutical Stop DateTime")
RADIOPHARMACEUTICAL_VOLUME = dcm("123005", "Radiopharmaceutical Volume")
PRE_ADMINISTRATION_ACTIVITY = dcm("113508", "Pre-Administration Measured Activity")
POST_ADMINISTRATION_ACTIVITY = dcm("113509", "Post-Administration Measured Activity")


class Radionuclide(NamedTuple):
    """A radionuclide (CID 18 / CID 4020): its SNOMED CT and SNOMED-RT codes, its half-life in
    s and its positron fraction (None for a gamma emitter)."""

    sct: Code
    srt: Code
    half_life_s: float
    positron_fraction: float | None


#: Radionuclides by the short name shown to users.
RADIONUCLIDES: dict[str, Radionuclide] = {
    "Tc-99m": Radionuclide(
        sct("72454006", "^99m^Technetium"), srt("C-163A8", "^99m^Technetium"), 21624.12, None
    ),
    "F-18": Radionuclide(
        sct("77004003", "^18^Fluorine"), srt("C-111A1", "^18^Fluorine"), 6586.2, 0.9673
    ),
    "I-123": Radionuclide(
        sct("21572004", "^123^Iodine"), srt("C-114A4", "^123^Iodine"), 47604.0, None
    ),
    "I-131": Radionuclide(
        sct("1368003", "^131^Iodine"), srt("C-114B1", "^131^Iodine"), 692928.0, None
    ),
    "Tl-201": Radionuclide(
        sct("60057003", "^201^Thallium"), srt("C-138A9", "^201^Thallium"), 262483.0, None
    ),
    "Ga-68": Radionuclide(
        sct("35337001", "^68^Gallium"), srt("C-131A3", "^68^Gallium"), 4062.6, 0.8911
    ),
}
#: The short name of a radionuclide code, in either spelling.
RADIONUCLIDE_NAMES: dict[Code, str] = {
    code: name for name, nuclide in RADIONUCLIDES.items() for code in (nuclide.srt, nuclide.sct)
}

# --- observer context, scope, patient, report-level items (TID 1002, 1004, 10001, 10011) ----
HAS_INTENT = srt("G-C0E8", "Has Intent")
#: Procedure intent (CID 3629), by the key the writers take.
INTENTS: dict[str, Code] = {
    "diagnostic": srt("R-408C3", "Diagnostic Intent"),
    "therapeutic": srt("R-41531", "Therapeutic Intent"),
    "combined": srt("R-002E9", "Combined Diagnostic and Therapeutic Procedure"),
}
OBSERVER_TYPE = dcm("121005", "Observer Type")

# --- persons taking part (TID 1020 Person Participant; TID 1002 person observer) ------------
# PS3.16 TID 1020 rows: 113870 Person Name (PNAME) HAS PROPERTIES 113875 Person Role in
# Procedure (CODE, $PersonProcedureRole), 113871 Person ID, 113872 Person ID Issuer, 113873
# Organization Name (TEXT), 113874 Person Role in Organization (CODE, CID 7452).
PERSON_NAME = dcm("113870", "Person Name")
PERSON_ID = dcm("113871", "Person ID")
PERSON_ID_ISSUER = dcm("113872", "Person ID Issuer")
ORGANIZATION_NAME = dcm("113873", "Organization Name")
PERSON_ROLE_IN_ORGANIZATION = dcm("113874", "Person Role in Organization")
PERSON_ROLE_IN_PROCEDURE = dcm("113875", "Person Role in Procedure")
#: TID 1002 Observer Context, observer type person: the person who made the observations.
PERSON_OBSERVER_NAME = dcm("121008", "Person Observer Name")
#: CID 7453 Performing Roles used by the dose reports (TID 10001 / 10003 / 10011 / 10022).
IRRADIATION_AUTHORIZING = dcm("113850", "Irradiation Authorizing")
IRRADIATION_ADMINISTERING = dcm("113851", "Irradiation Administering")
#: Role keys Kerma stores for the CID 7453 codes it names (other roles keep their meaning).
PERSON_ROLES: dict[Code, str] = {
    IRRADIATION_AUTHORIZING: "irradiation_authorizing",
    IRRADIATION_ADMINISTERING: "irradiation_administering",
    dcm("121094", "Performing"): "performing",
    dcm("121099", "Assisting"): "assisting",
}
DEVICE = dcm("121007", "Device")
END_OF_IRRADIATION = dcm("113810", "End of X-Ray Irradiation")
STUDY = dcm("113014", "Study")
SOURCE_OF_DOSE_INFORMATION = dcm("113854", "Source of Dose Information")
AUTOMATED_DATA_COLLECTION = dcm("113856", "Automated Data Collection")
YES = srt("R-0038D", "Yes")
COMMENT = dcm("121106", "Comment")
MALE = dcm("M", "Male")
FEMALE = dcm("F", "Female")
OTHER_SEX = dcm("121102", "Other sex")
UNKNOWN_SEX = dcm("U", "Unknown sex")

# --- SNOMED CT spellings of the SNOMED-RT codes (PS3.16 Annex O / current CIDs) -------------
#: SNOMED-RT code value -> its SNOMED CT code (the writers' quirk ``sct_codes``).
SRT_TO_SCT: dict[str, Code] = {
    "G-C0E8": sct("363703001", "Has Intent"),
    "G-C036": sct("370129005", "Measurement Method"),
    "G-C171": sct("272741003", "Laterality"),
    "G-C32C": sct("408730004", "Procedure Context"),
    "R-0038D": sct("373066001", "Yes"),
    "P5-08000": sct("77477000", "Computed Tomography X-Ray"),
    "P5-40010": sct("71651007", "Mammography"),
    "P5-08001": sct("116152004", "Spiral Acquisition"),
    "P5-06000": sct("44491008", "Fluoroscopy"),
    "P5-0808E": sct("399331006", "CT without contrast"),
    "P5-00100": sct("27483000", "Diagnostic radiography with contrast media"),
    "R-408C3": sct("261004008", "Diagnostic Intent"),
    "R-41531": sct("262202000", "Therapeutic Intent"),
    "R-002E9": sct("1279505009", "Combined Diagnostic and Therapeutic Intent"),
    "F-10470": sct("102540008", "headfirst"),
    "F-10450": sct("102538003", "recumbent"),
    "F-10340": sct("40199007", "supine"),
    "C-127F9": sct("66925006", "Copper"),
    "C-120F9": sct("12503006", "Aluminum"),
    "C-150F9": sct("71128006", "Molybdenum"),
    "C-167F9": sct("59801003", "Rhodium"),
    "C-137F9": sct("41967008", "Silver"),
    "C-164F9": sct("26194003", "Tungsten"),
    "R-10206": sct("399348003", "antero-posterior"),
    "R-10214": sct("272479007", "postero-anterior"),
    "R-102CD": sct("399067008", "lateral"),
    "R-10236": sct("399173006", "left lateral"),
    "R-10232": sct("399198007", "right lateral"),
    "R-102C1": sct("399182000", "oblique"),
    "R-10242": sct("399162004", "cranio-caudal"),
    "R-10226": sct("399368009", "medio-lateral oblique"),
    "T-04000": sct("76752008", "Breast"),
    "T-04030": sct("80248007", "Left breast"),
    "T-04020": sct("73056007", "Right breast"),
    "G-A101": sct("7771000", "Left"),
    "G-A100": sct("24028007", "Right"),
    "G-A102": sct("51440002", "Bilateral"),
    "T-D0005": sct("123037004", "Anatomical Structure"),
    "T-D1100": sct("69536005", "Head"),
    "T-A0100": sct("12738006", "Brain"),
    "T-11100": sct("89546000", "Skull"),
    "T-22000": sct("2095001", "Paranasal sinus"),
    "T-D1600": sct("45048000", "Neck"),
    "T-D3000": sct("816094009", "Chest"),
    "T-32000": sct("80891009", "Heart"),
    "T-43000": sct("41801008", "Coronary artery"),
    "T-D4000": sct("818981001", "Abdomen"),
    "T-D6000": sct("816092008", "Pelvis"),
    "R-FAB57": sct("818982008", "Abdomen and Pelvis"),
    "R-FAB55": sct("416550000", "Chest and Abdomen"),
    "R-FAB56": sct("416775004", "Chest, Abdomen and Pelvis"),
    "T-11501": sct("122494005", "Cervical spine"),
    "T-11502": sct("122495006", "Thoracic spine"),
    "T-11503": sct("122496007", "Lumbar spine"),
    "T-D2220": sct("16982005", "Shoulder"),
    "T-15710": sct("24136001", "Hip joint"),
    "T-12710": sct("71341001", "Femur"),
    "T-D9200": sct("72696002", "Knee"),
    "T-15750": sct("70258002", "Ankle joint"),
    "T-15460": sct("74670003", "Wrist joint"),
    "T-D8700": sct("85562004", "Hand"),
    "T-D8000": sct("53120007", "Upper limb"),
    "T-D9000": sct("61685007", "Lower limb"),
    "T-D0010": sct("38266002", "Entire body"),
    "C-10072": sct("89457008", "Radionuclide"),
    "F-61FDB": sct("349358000", "Radiopharmaceutical agent"),
    "G-C340": sct("410675002", "Route of administration"),
}

#: SNOMED CT code -> the SNOMED-RT code the reader tests for (see :func:`normalise`).
SCT_TO_SRT: dict[Code, Code] = {
    SRT_TO_SCT[code.value]: code
    for code in (
        CT_PROCEDURE,
        MAMMOGRAPHY_PROCEDURE,
        SPIRAL_ACQUISITION,
        FLUOROSCOPY,
        LATERALITY,
        LEFT_BREAST,
        RIGHT_BREAST,
        LEFT,
        RIGHT,
        BILATERAL,
        ANATOMICAL_STRUCTURE,
        COPPER,
        ALUMINIUM,
        MOLYBDENUM,
        RHODIUM,
        SILVER,
        TUNGSTEN,
        RADIONUCLIDE,
        RADIOPHARMACEUTICAL_AGENT,
        ROUTE_OF_ADMINISTRATION,
    )
}


def normalise(code: Code | None) -> Code | None:
    """Return ``code`` with a SNOMED CT spelling replaced by the SNOMED-RT one Kerma tests for."""
    if code is None:
        return None
    return SCT_TO_SRT.get(code, code)


# --- units (UCUM) the writers use ------------------------------------------------------------
U_GY = ucum("Gy")
U_MGY = ucum("mGy")
U_MGYCM = ucum("mGy.cm")
U_S = ucum("s")
U_MS = ucum("ms")
U_MM = ucum("mm")
U_CM = ucum("cm")
U_M2 = ucum("m2")
U_KV = ucum("kV")
U_MA = ucum("mA")
U_UAS = ucum("uA.s")
U_DEG = ucum("deg")
U_KG = ucum("kg")
U_YEAR = ucum("a", "year")
U_MONTH = ucum("mo", "month")
U_MBQ = ucum("MBq")
U_CM3 = ucum("cm3")
U_NO_UNITS = ucum("1", "no units")
U_EVENTS = ucum("{events}", "events")
U_SOURCES = ucum("{X-Ray sources}", "X-Ray sources")
U_RATIO = ucum("{ratio}", "ratio")
U_PULSE_RATE = ucum("{pulse}/s", "pulse/s")

# --- Patient Radiation Dose SR (TID 10030 to 10033) ------------------------------------------
PATIENT_RADIATION_DOSE_REPORT = dcm("128401", "Patient Radiation Dose Report")
LANGUAGE_OF_CONTENT = dcm("121049", "Language of Content Item and Descendants")
ENGLISH_US = Code("en-US", "RFC5646", "English (United States)")
RADIATION_DOSE_ESTIMATE = dcm("128402", "Radiation Dose Estimate")
RADIATION_DOSE_ESTIMATE_NAME = dcm("128403", "Radiation Dose Estimate Name")
RADIATION_DOSE_ESTIMATE_REPRESENTATION = dcm("128412", "Radiation Dose Estimate Representation")
DISTRIBUTION_REPRESENTATION = dcm("128413", "Distribution Representation")
SKIN_DOSE_MAP = dcm("128485", "Skin Dose Map")
MAXIMUM_ABSORBED_DOSE = dcm("128531", "Maximum Absorbed Radiation Dose")
RADIATION_DOSE_ESTIMATE_METHODOLOGY = dcm("128415", "Radiation Dose Estimate Methodology")
SR_INSTANCE_USED = dcm("128416", "SR Instance Used")
EVENT_UID_USED = dcm("128429", "Event UID Used")
PATIENT_RADIATION_DOSE_MODEL = dcm("128500", "Patient Radiation Dose Model")
PATIENT_MODEL_TYPE = dcm("128417", "Patient Model Type")
ANTHROPOMORPHIC_MODEL = dcm("128404", "Anthropomorphic Model")
SIMPLE_OBJECT_MODEL = dcm("128418", "Simple Object Model")
RADIATION_TRANSPORT_MODEL_TYPE = dcm("128420", "Radiation Transport Model Type")
GEOMETRIC_TRANSPORT_MODEL = dcm("128421", "Geometric Radiation Transport Model")
PATIENT_DOSE_MODEL_REFERENCE = dcm("128426", "Patient Radiation Dose Model Reference")
PATIENT_MODEL_DEMOGRAPHICS = dcm("128427", "Patient Model Demographics")

# --- rotational acquisitions (TID 10003): where the arc ends -------------------------------
PRIMARY_END_ANGLE = dcm("113739", "Positioner Primary End Angle")
SECONDARY_END_ANGLE = dcm("113740", "Positioner Secondary End Angle")
