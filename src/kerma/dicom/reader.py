"""One entry point: a file (or bytes) in, a :class:`DoseReport` or a clear error out."""

from __future__ import annotations

from pathlib import Path

from kerma.dicom.headers import read_image_header
from kerma.dicom.rawfile import RawParseError, read_part10
from kerma.dicom.rdsr import read_dose_sr
from kerma.dicom.srtree import SRParseError
from kerma.dose import DoseObjectError, DoseReport

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
        raise DoseObjectError(f"unreadable file: {exc}") from exc
    try:
        _meta, ds = read_part10(data)
    except RawParseError as exc:
        message = str(exc)
        if not message.startswith("not a DICOM file"):
            message = f"corrupted DICOM file: {message}"
        raise DoseObjectError(message) from exc
    except Exception as exc:  # pydicom, for the encodings it re-encodes, raises many kinds
        raise DoseObjectError(f"corrupted DICOM file: {type(exc).__name__}: {exc}") from exc
    try:
        if not str(ds.get("SOPInstanceUID", "")).strip():
            raise DoseObjectError("no SOP Instance UID (0008,0018)")
        sop_class = str(ds.get("SOPClassUID", ""))
        if sop_class in SR_STORAGE_CLASSES or str(ds.get("Modality", "")) == "SR":
            report = read_dose_sr(ds)
        else:
            report = read_image_header(ds)
        if not report.study_uid:
            raise DoseObjectError("no Study Instance UID (0020,000D)")
        return report
    except DoseObjectError:
        raise
    except (SRParseError, RawParseError) as exc:
        raise DoseObjectError(f"corrupted content tree: {exc}") from exc
    except Exception as exc:  # a malformed attribute deep in a corrupted file
        raise DoseObjectError(f"corrupted DICOM content: {type(exc).__name__}: {exc}") from exc
