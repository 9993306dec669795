"""Write standard-conformant DICOM dose objects: dose reports and image headers.

Every function writes a DICOM Part 10 file (preamble, file meta information, Explicit VR
Little Endian unless the ``implicit_vr`` quirk asks for Implicit VR Little Endian) that pydicom
and any other conformant reader can open:

- :func:`write_ct_rdsr` — X-Ray Radiation Dose SR, TID 10011 "CT Radiation Dose";
- :func:`write_projection_rdsr` — X-Ray Radiation Dose SR, TID 10001 "Projection X-Ray
  Radiation Dose" (radiography, mammography, fluoroscopy and interventional);
- :func:`write_radiopharmaceutical_rdsr` — Radiopharmaceutical Radiation Dose SR, TID 10021;
- :func:`write_dx_image`, :func:`write_mg_image`, :func:`write_ct_image`,
  :func:`write_nm_image`, :func:`write_pet_image` — small images (8 x 8 pixels) whose headers
  carry the dose attributes of units that send no dose report.

:func:`~kerma.dicom.write.skin_dose_sr.sr_bytes` returns, rather than writes, the Patient
Radiation Dose SR (TID 10030) of a :class:`SkinDoseEstimate` (the skin-dose map of an exam).

One module per template: :mod:`.ct`, :mod:`.projection`, :mod:`.radiopharmaceutical`,
:mod:`.images` and :mod:`.skin_dose_sr` (the Patient Radiation Dose SR of a skin-dose map), on
the shared :mod:`.encoder`; the coded concepts come from :mod:`kerma.dicom.codes`.

The SR content tree is encoded directly to bytes (items with explicit lengths) from cached
fragments, then handed to pydicom as the raw value of Content Sequence (0040,A730); the rest of
each object is an ordinary pydicom :class:`~pydicom.dataset.Dataset`. This keeps a report with
hundreds of irradiation events in the millisecond range, and pydicom reads it back like any
other file.

Units written (input dataclass fields carry their unit in their name):

- CT: CTDIvol and SSDE in mGy, DLP in mGy.cm, lengths and water equivalent diameter in mm,
  times in s, tube current in mA, kVp in kV;
- projection: DAP in Gy.m2 (the unit PS3.16 prescribes; the caller may choose dGy.cm2,
  cGy.cm2, mGy.cm2 or uGy.m2 instead, the value being converted so the physical quantity is
  unchanged), Dose (RP) in Gy, average glandular dose and entrance exposure in mGy, angles in
  deg, distances in mm, field area in m2, pulse width and exposure time in ms, irradiation
  duration and fluoroscopy time in s, pulse rate in {pulse}/s;
- radiopharmaceutical: administered, pre- and post-administration activities in MBq,
  half-life in s, volume in cm3;
- patient characteristics: age in a (years, or mo for infants), height in cm, weight in kg;
  the image headers keep their own definitions: Patient's Size (0010,1020) in m, Patient's
  Weight (0010,1030) in kg.

Coded concepts (PS3.16; "SRT" codes as real vendor reports carry them, the quirk
``sct_codes`` writes the SNOMED CT equivalents instead):

- TID 10011 / 10012 / 10013 / 10014 (CT): 113701 "X-Ray Radiation Dose Report",
  121058 "Procedure reported" = P5-08000 "Computed Tomography X-Ray" (SCT 77477000),
  G-C0E8 "Has Intent" = R-408C3 "Diagnostic Intent", 113705 "Scope of Accumulation" =
  113014 "Study" with 110180 "Study Instance UID", 113809/113810 start/end of irradiation,
  113811 "CT Accumulated Dose Data" (113812 "Total Number of Irradiation Events" {events},
  113813 "CT Dose Length Product Total" mGy.cm), 113819 "CT Acquisition" (125203, 123014,
  113820 with 113804/113805/113806/113807/P5-08001, G-C32C "Procedure Context",
  113769 "Irradiation Event UID", 111526 "DateTime Started"), 113822 "CT Acquisition
  Parameters" (113824, 113825, 113826, 113827, 113828, 113823), 113831 "CT X-Ray Source
  Parameters" (113832, 113733, 113833, 113734, 113834), 113829 "CT Dose" (113830 "Mean
  CTDIvol" mGy, 113835 "CTDIw Phantom Type" = 113690 head 16 cm / 113691 body 32 cm,
  113838 "DLP" mGy.cm, and from CP 1525 (TID 10013 "CT Dose"): 113930 "Size Specific Dose
  Estimation" mGy, modified by G-C036 "Measurement Method" = 113988 "Estimated from Water
  Equivalent Diameter" (CID 10023) and INFERRED FROM 113980 "Water Equivalent Diameter" mm,
  itself modified by G-C036 = 113984 "Water Equivalent Diameter From Localizer" (CID 10024)),
  113854 "Source of Dose Information" = 113856 "Automated Data Collection".
- TID 1002 / 1004 observer context: 121005 "Observer Type" = 121007 "Device", 121012 "Device
  Observer UID", 121013 name, 121014 manufacturer, 121015 model name, 121016 serial number,
  121017 "Device Observer Physical Location During Observation".
- TID 10001 / 10002 / 10003 / 10004 / 10005 / 10007 (projection): 113704 "Projection X-Ray"
  or P5-40010 "Mammography", 113702 "Accumulated X-Ray Dose Data" with 113764 "Acquisition
  Plane" (113622 single, 113620 A, 113621 B), 113722 "Dose Area Product Total", 113725 "Dose
  (RP) Total", 113726/113728 fluoro DAP / Dose (RP) totals, 113730 "Total Fluoro Time",
  113727/113729 acquisition DAP / Dose (RP) totals, 113855 "Total Acquisition Time", 113731
  "Total Number of Radiographic Frames", 113780 "Reference Point Definition" (113860,
  113941, 113865), 111637 "Accumulated Average Glandular Dose" modified by G-C171
  "Laterality" = T-04030 "Left breast" / T-04020 "Right breast"; 113706 "Irradiation Event
  X-Ray Data" with 113721 "Irradiation Event Type" (P5-06000 Fluoroscopy, 113611 stationary,
  113612 stepping, 113613 rotational), 122130 "Dose Area Product", 113738 "Dose (RP)",
  112011/112012 positioner angles, 113788/113789/113790 collimated field, 113771 "X-Ray
  Filters" (113772 type, 113757 material C-127F9 Cu, C-120F9 Al, C-150F9 Mo, C-167F9 Rh,
  C-137F9 Ag, 113758/113773 thickness), 113732 "Fluoro Mode", 113791 "Pulse Rate", 113768
  "Number of Pulses", 113733 "KVP", 113734 "X-Ray Tube Current", 113824 "Exposure Time" (ms),
  113793 "Pulse Width", 113736 "Exposure" (uA.s), 113742 "Irradiation Duration", 113750
  "Distance Source to Detector", 113748 "Distance Source to Isocenter", 113751/113752/113753
  table positions, 111631 "Average Glandular Dose", 111636 "Entrance Exposure at RP",
  111633 "Compression Thickness", 111632 "Anode Target Material", 111634 "Half Value Layer",
  111031 "Image View".
- TID 1020 Person Participant (when the study names its staff): 113870 "Person Name" with
  HAS PROPERTIES 113875 "Person Role in Procedure" = 113850 "Irradiation Authorizing" (report
  level) or 113851 "Irradiation Administering" (each irradiation event / CT acquisition);
  the header carries Operators' Name (0008,1070) and Performing Physician's Name (0008,1050).
- Patient characteristics (TID 10024 in the radiopharmaceutical report; in the X-ray reports
  the same container is added under the templates' extensibility): 121118 "Patient
  Characteristics", 121033 "Subject Age" (a / mo, CID 7456), 121032 "Subject Sex" (M, F, U,
  121102 "Other sex", CID 7455), 8302-2 LN "Patient Height" (cm), 29463-7 LN "Patient
  Weight" (kg).
- TID 10021 / 10022 (Radiopharmaceutical Radiation Dose, PS3.16 2024 edition, SNOMED CT
  codes; the quirk ``srt_codes`` writes the SNOMED-RT codes of the 2014 edition given in
  brackets): root 113500 "Radiopharmaceutical Radiation Dose Report"; 363589002 "Associated
  Procedure" [G-C2D0] (CID 3108, e.g. 68796002 musculoskeletal, 108294005 cardiovascular,
  7562007 endocrine, 19086005 respiratory, 241443006 PET tumour) modified by 363703001 "Has
  Intent" [G-C0E8] = 261004008 "Diagnostic Intent" [R-408C3]; 113502 "Radiopharmaceutical
  Administration" containing 349358000 "Radiopharmaceutical agent" [F-61FDB] (CID 25 /
  4021, e.g. 96390006 Tc99m medronate, 53951001 Tc99m oxidronate, 35321007 FDG) with HAS
  PROPERTIES 89457008 "Radionuclide" [C-10072] (CID 18 / 4020, e.g. 72454006 Tc-99m,
  77004003 F-18) and 304283002 "Radionuclide Half Life" [R-42806] (s), 113503
  "Radiopharmaceutical Administration Event UID", 123003 / 123004 "Radiopharmaceutical
  Start / Stop DateTime", 113507 "Administered activity" (MBq), 123005
  "Radiopharmaceutical Volume" (cm3), 113508 / 113509 "Pre- / Post-Administration Measured
  Activity" (MBq), 410675002 "Route of administration" [G-C340] = 47625008 "Intravenous
  route" [G-D101] with HAS PROPERTIES 272737002 "Site of" [G-C581] = 261459001 "Via arm
  vein" [G-D0C6] modified by 272741003 "Laterality" [G-C171]; then TID 10024 "Patient
  Characteristics" as above.

Image headers: Image and Fluoroscopy Area Dose Product (0018,115E) in dGy.cm2, Entrance
Dose in mGy (0040,8302) in mGy, Organ Dose (0040,0316) in dGy, CTDIvol (0018,9345) in mGy,
Radionuclide Total Dose (0018,1074) in MBq for NM (PS3.3 C.8.4.10.1.7) but in Bq for PET
(PS3.3 C.8.9.2, PET Isotope Module: "measured in Becquerels (Bq)").
"""

from kerma.dicom.codes import ANATOMY, Code
from kerma.dicom.write.ct import CtAcquisition, write_ct_rdsr
from kerma.dicom.write.encoder import (
    CT_IMAGE_SOP_CLASS,
    DX_IMAGE_SOP_CLASS,
    ENHANCED_SR_SOP_CLASS,
    KNOWN_QUIRKS,
    MG_IMAGE_SOP_CLASS,
    NM_IMAGE_SOP_CLASS,
    PET_IMAGE_SOP_CLASS,
    RADIOPHARMACEUTICAL_RDSR_SOP_CLASS,
    XRAY_RDSR_SOP_CLASS,
    Device,
    Patient,
    Study,
)
from kerma.dicom.write.images import (
    write_ct_image,
    write_dx_image,
    write_mg_image,
    write_nm_image,
    write_pet_image,
)
from kerma.dicom.write.projection import DAP_UNITS, ProjectionEvent, write_projection_rdsr
from kerma.dicom.write.radiopharmaceutical import (
    NM_PROCEDURES,
    RADIOPHARMACEUTICALS,
    Administration,
    write_radiopharmaceutical_rdsr,
)
from kerma.dicom.write.skin_dose_sr import (
    PATIENT_RADIATION_DOSE_SR,
    SkinDoseEstimate,
    SourceReport,
)

__all__ = [
    "ANATOMY",
    "CT_IMAGE_SOP_CLASS",
    "DAP_UNITS",
    "DX_IMAGE_SOP_CLASS",
    "ENHANCED_SR_SOP_CLASS",
    "KNOWN_QUIRKS",
    "MG_IMAGE_SOP_CLASS",
    "NM_IMAGE_SOP_CLASS",
    "NM_PROCEDURES",
    "PATIENT_RADIATION_DOSE_SR",
    "PET_IMAGE_SOP_CLASS",
    "RADIOPHARMACEUTICALS",
    "RADIOPHARMACEUTICAL_RDSR_SOP_CLASS",
    "XRAY_RDSR_SOP_CLASS",
    "Administration",
    "Code",
    "CtAcquisition",
    "Device",
    "Patient",
    "ProjectionEvent",
    "SkinDoseEstimate",
    "SourceReport",
    "Study",
    "write_ct_image",
    "write_ct_rdsr",
    "write_dx_image",
    "write_mg_image",
    "write_nm_image",
    "write_pet_image",
    "write_projection_rdsr",
    "write_radiopharmaceutical_rdsr",
]
