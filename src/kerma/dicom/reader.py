"""One entry point: a file (or bytes) in, a :class:`DoseReport` or a clear error out."""

from __future__ import annotations

from pathlib import Path

from kerma.dicom import wording as w
from kerma.dicom.headers import read_image_header
from kerma.dicom.rawfile import RawParseError, read_part10
from kerma.dicom.rdsr import read_dose_sr
from kerma.dicom.srtree import SRParseError
from kerma.dose import DoseObjectError, DoseReport
from kerma.notices import notice
from kerma.plausibility import check_report

SR_STORAGE_CLASSES = frozenset(
    {
        "1.2.840.10008.5.1.4.1.1.88.67",  # X-Ray Radiation Dose SR
        "1.2.840.10008.5.1.4.1.1.88.68",  # Radiopharmaceutical Radiation Dose SR
        "1.2.840.10008.5.1.4.1.1.88.22",  # Enhanced SR (GE CT dose reports)
        "1.2.840.10008.5.1.4.1.1.88.33",  # Comprehensive SR
        "1.2.840.10008.5.1.4.1.1.88.34",  # Comprehensive 3D SR
        "1.2.840.10008.5.1.4.1.1.88.11",  # Basic Text SR
    }
)


def read_dose_object(source: str | Path | bytes) -> DoseReport:
    """Return the dose report held in a DICOM file (path) or Part 10 byte string.

    Raises :class:`DoseObjectError` with the reason when the input is not DICOM, is truncated
    or corrupted, or holds no dose information Kerma reads.
    """
    try:
        data = source if isinstance(source, bytes) else Path(source).read_bytes()
    except OSError as exc:
        raise DoseObjectError(notice(w.UNREADABLE_FILE, detail=str(exc))) from exc
    try:
        _meta, ds = read_part10(data)
    except RawParseError as exc:
        message = str(exc)
        code = w.NOT_DICOM if message.startswith("not a DICOM file") else w.CORRUPTED_FILE
        raise DoseObjectError(notice(code, detail=message)) from exc
    except Exception as exc:  # pydicom, for the encodings it re-encodes, raises many kinds
        detail = f"{type(exc).__name__}: {exc}"
        raise DoseObjectError(notice(w.CORRUPTED_FILE, detail=detail)) from exc
    try:
        if not str(ds.get("SOPInstanceUID", "")).strip():
            raise DoseObjectError(notice(w.NO_SOP_UID))
        sop_class = str(ds.get("SOPClassUID", ""))
        if sop_class in SR_STORAGE_CLASSES or str(ds.get("Modality", "")) == "SR":
            report = read_dose_sr(ds)
        else:
            report = read_image_header(ds)
        if not report.study_uid:
            raise DoseObjectError(notice(w.NO_STUDY_UID))
        return check_report(report)
    except DoseObjectError:
        raise
    except (SRParseError, RawParseError) as exc:
        raise DoseObjectError(notice(w.CORRUPTED_TREE, detail=str(exc))) from exc
    except Exception as exc:  # a malformed attribute deep in a corrupted file
        detail = f"{type(exc).__name__}: {exc}"
        raise DoseObjectError(notice(w.CORRUPTED_CONTENT, detail=detail)) from exc
