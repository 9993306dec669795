"""Reading a DICOM Part 10 file into raw elements, without pydicom's per-element objects.

pydicom reads every sequence of undefined length eagerly into ``Dataset`` objects and turns each
element it is asked for into a ``DataElement``: a quarter of a millisecond per SR content item,
seconds for a large interventional report. Dose objects need a few dozen header attributes and
one content tree, so Kerma reads the bytes itself: element headers with ``struct``, values kept
as bytes until a reader asks for them by keyword, sequences as lists of raw items. Only the
encodings Kerma cannot read this way (big endian) go through pydicom, which re-encodes them.

Encodings read directly: implicit and explicit VR little endian, deflated explicit VR little
endian, and every compressed pixel-data syntax (their dataset is explicit VR little endian; the
pixel data, after which reading stops, is never needed).
"""

from __future__ import annotations

import io
import struct
import zlib
from functools import lru_cache
from typing import Any

UNDEFINED = 0xFFFFFFFF
PIXEL_DATA = 0x7FE00010
IMPLICIT_LITTLE = "1.2.840.10008.1.2"
EXPLICIT_LITTLE = "1.2.840.10008.1.2.1"
DEFLATED_LITTLE = "1.2.840.10008.1.2.1.99"
EXPLICIT_BIG = "1.2.840.10008.1.2.2"

_LONG_VRS = frozenset(
    {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV"}
)
# Sequences an implicit VR file may hold with a defined length inside an SR content tree.
SQ_TAGS = frozenset(
    {
        0x0040A730,  # Content Sequence
        0x0040A043,  # Concept Name Code Sequence
        0x0040A168,  # Concept Code Sequence
        0x0040A300,  # Measured Value Sequence
        0x004008EA,  # Measurement Units Code Sequence
        0x0040A301,  # Numeric Value Qualifier Code Sequence
        0x0040A504,  # Content Template Sequence
        0x00081199,  # Referenced SOP Sequence
    }
)

_unpack_tag = struct.Struct("<HH").unpack_from
_unpack_u32 = struct.Struct("<I").unpack_from
_unpack_implicit = struct.Struct("<HHI").unpack_from
_unpack_explicit = struct.Struct("<HH2sH").unpack_from
STRIP = b" \x00"

RawItem = dict[int, Any]
"""A dataset or sequence item: tag → value bytes, or list of RawItem for a sequence."""


class RawParseError(ValueError):
    """The bytes do not follow the DICOM encoding rules (truncated or corrupted)."""


def read_sequence(buf: bytes, pos: int, length: int, implicit: bool) -> tuple[list[RawItem], int]:
    """Read the items of a sequence value starting at ``pos``; return them and the end offset."""
    try:
        return _read_sequence(buf, pos, length, implicit)
    except struct.error as exc:
        raise RawParseError(f"truncated data: {exc}") from exc


def _read_sequence(buf: bytes, pos: int, length: int, implicit: bool) -> tuple[list[RawItem], int]:
    items: list[RawItem] = []
    size = len(buf)
    end = size if length == UNDEFINED else pos + length
    if end > size:
        raise RawParseError(f"sequence at byte {pos} runs past the end of the data")
    while pos < end:
        group, elem, item_length = _unpack_implicit(buf, pos)
        if group != 0xFFFE:
            raise RawParseError(
                f"expected an item tag at byte {pos}, found ({group:04X},{elem:04X})"
            )
        pos += 8
        if elem == 0xE000:
            item, pos = _read_item(buf, pos, item_length, implicit, None)
            items.append(item)
        elif elem == 0xE0DD:  # sequence delimitation
            return items, pos
        else:
            raise RawParseError(f"unexpected delimiter (FFFE,{elem:04X}) at byte {pos - 8}")
    if length == UNDEFINED:
        raise RawParseError("sequence of undefined length has no delimiter")
    return items, pos


def read_item(
    buf: bytes, pos: int, length: int, implicit: bool, stop_at: int | None = None
) -> tuple[RawItem, int]:
    """Read one item's elements (values as bytes, sequences as lists of items).

    ``length`` is the item length (UNDEFINED: up to its delimiter); reading stops before the
    first tag ≥ ``stop_at`` when given.
    """
    try:
        return _read_item(buf, pos, length, implicit, stop_at)
    except struct.error as exc:
        raise RawParseError(f"truncated data: {exc}") from exc


def _read_item(
    buf: bytes, pos: int, length: int, implicit: bool, stop_at: int | None
) -> tuple[RawItem, int]:
    # The hot loop of every import: one struct call per element header, no helper calls.
    item: RawItem = {}
    size = len(buf)
    end = size if length == UNDEFINED else pos + length
    if end > size:
        raise RawParseError(f"item at byte {pos} runs past the end of the data")
    long_vrs = _LONG_VRS
    while pos < end:
        if implicit:
            group, elem, value_length = _unpack_implicit(buf, pos)
            vr = b""
            header = 8
        else:
            group, elem, vr, value_length = _unpack_explicit(buf, pos)
            header = 8
            if vr in long_vrs:
                value_length = _unpack_u32(buf, pos + 8)[0]
                header = 12
        if group == 0xFFFE:
            if elem == 0xE00D:  # item delimitation
                return item, pos + 8
            raise RawParseError(f"unexpected (FFFE,{elem:04X}) inside an item at byte {pos}")
        tag = (group << 16) | elem
        if stop_at is not None and tag >= stop_at:
            return item, pos
        if implicit and value_length == UNDEFINED:
            vr = b"SQ"
        pos += header
        if (
            vr == b"SQ"
            or value_length == UNDEFINED
            or ((implicit or vr == b"UN") and tag in SQ_TAGS)
        ):
            nested_implicit = implicit
            if vr == b"UN":
                # The standard encodes an undefined-length UN as an implicit VR sequence; some
                # modalities (Hologic) keep explicit VR inside: look at the first element.
                nested_implicit = not _looks_explicit(buf, pos)
            item[tag], pos = _read_sequence(buf, pos, value_length, nested_implicit)
        else:
            next_pos = pos + value_length
            if next_pos > size:
                raise RawParseError(
                    f"element ({group:04X},{elem:04X}) at byte {pos} runs past the end of the data"
                )
            item[tag] = buf[pos:next_pos]
            pos = next_pos
    if length == UNDEFINED and stop_at is None:
        raise RawParseError("item of undefined length has no delimiter")
    return item, end


_VR_CODES = frozenset(
    b"AE AS AT CS DA DS DT FD FL IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI UL "
    b"UN UR US UT UV".split()
)


def _looks_explicit(buf: bytes, pos: int) -> bool:
    """True when the first element of the sequence item at ``pos`` carries an explicit VR."""
    return buf[pos + 12 : pos + 14] in _VR_CODES


# Tag and VR (DICOM PS3.6 data dictionary) of the attributes Kerma's readers ask for by
# keyword. Importing pydicom for its dictionary costs about 0.1 s, more than reading a dose
# report: with this table, reading a report in ASCII or a single-byte character set never
# imports pydicom. Other keywords and tags are looked up in pydicom's dictionary
# (tests/skindose/test_skindose_command.py checks this table against it).
KNOWN_KEYWORDS: dict[str, tuple[int, str]] = {
    "AccessionNumber": (0x00080050, "SH"),
    "AcquisitionDate": (0x00080022, "DA"),
    "AcquisitionDateTime": (0x0008002A, "DT"),
    "AcquisitionTime": (0x00080032, "TM"),
    "AcquisitionType": (0x00189302, "CS"),
    "BodyPartExamined": (0x00180015, "CS"),
    "BodyPartThickness": (0x001811A0, "DS"),
    "CTDIvol": (0x00189345, "FD"),
    "CodeMeaning": (0x00080104, "LO"),
    "CodeValue": (0x00080100, "SH"),
    "CodingSchemeDesignator": (0x00080102, "SH"),
    "ConceptNameCodeSequence": (0x0040A043, "SQ"),
    "ContentDate": (0x00080023, "DA"),
    "ContentTime": (0x00080033, "TM"),
    "DeviceSerialNumber": (0x00181000, "LO"),
    "DistanceSourceToDetector": (0x00181110, "DS"),
    "EntranceDoseInmGy": (0x00408302, "DS"),
    "Exposure": (0x00181152, "IS"),
    "ExposureDoseSequence": (0x0040030E, "SQ"),
    "ExposureInuAs": (0x00181153, "IS"),
    "ExposureTime": (0x00181150, "IS"),
    "ImageAndFluoroscopyAreaDoseProduct": (0x0018115E, "DS"),
    "ImageLaterality": (0x00200062, "CS"),
    "InstitutionName": (0x00080080, "LO"),
    "InstitutionalDepartmentName": (0x00081040, "LO"),
    "IrradiationEventUID": (0x00083010, "UI"),
    "IssuerOfPatientID": (0x00100021, "LO"),
    "KVP": (0x00180060, "DS"),
    "Laterality": (0x00200060, "CS"),
    "Manufacturer": (0x00080070, "LO"),
    "ManufacturerModelName": (0x00081090, "LO"),
    "Modality": (0x00080060, "CS"),
    "OperatorsName": (0x00081070, "PN"),
    "OrganDose": (0x00400316, "DS"),
    "PatientAge": (0x00101010, "AS"),
    "PatientBirthDate": (0x00100030, "DA"),
    "PatientID": (0x00100020, "LO"),
    "PatientName": (0x00100010, "PN"),
    "PatientSex": (0x00100040, "CS"),
    "PatientSize": (0x00101020, "DS"),
    "PatientWeight": (0x00101030, "DS"),
    "PregnancyStatus": (0x001021C0, "US"),
    "PatientIdentityRemoved": (0x00120062, "CS"),
    "DeidentificationMethod": (0x00120063, "LO"),
    "PerformedProcedureStepDescription": (0x00400254, "LO"),
    "PerformingPhysicianName": (0x00081050, "PN"),
    "PhysiciansOfRecord": (0x00081048, "PN"),
    "PerformedProtocolCodeSequence": (0x00400260, "SQ"),
    "ProcedureCodeSequence": (0x00081032, "SQ"),
    "ProtocolName": (0x00181030, "LO"),
    "RadionuclideCodeSequence": (0x00540300, "SQ"),
    "RadionuclideTotalDose": (0x00181074, "DS"),
    "Radiopharmaceutical": (0x00180031, "LO"),
    "RadiopharmaceuticalCodeSequence": (0x00540304, "SQ"),
    "RadiopharmaceuticalInformationSequence": (0x00540016, "SQ"),
    "RadiopharmaceuticalRoute": (0x00181070, "LO"),
    "RadiopharmaceuticalStartDateTime": (0x00181078, "DT"),
    "RadiopharmaceuticalStartTime": (0x00181072, "TM"),
    "RequestedProcedureDescription": (0x00321060, "LO"),
    "SOPClassUID": (0x00080016, "UI"),
    "SOPInstanceUID": (0x00080018, "UI"),
    "ScanLength": (0x00181302, "IS"),
    "SeriesDescription": (0x0008103E, "LO"),
    "SeriesInstanceUID": (0x0020000E, "UI"),
    "SpiralPitchFactor": (0x00189311, "FD"),
    "StationName": (0x00081010, "SH"),
    "StudyDate": (0x00080020, "DA"),
    "StudyDescription": (0x00081030, "LO"),
    "StudyInstanceUID": (0x0020000D, "UI"),
    "StudyTime": (0x00080030, "TM"),
    "TotalCollimationWidth": (0x00189307, "FD"),
    "ViewPosition": (0x00185101, "CS"),
    "XRayTubeCurrent": (0x00181151, "IS"),
    "XRayTubeCurrentInuA": (0x00188151, "DS"),
}
_KNOWN_VRS = {tag: vr for tag, vr in KNOWN_KEYWORDS.values()}


@lru_cache(maxsize=1024)
def _tag(keyword: str) -> int:
    known = KNOWN_KEYWORDS.get(keyword)
    if known is not None:
        return known[0]
    from pydicom.datadict import tag_for_keyword

    tag = tag_for_keyword(keyword)
    if tag is None:
        raise KeyError(f"unknown DICOM keyword {keyword!r}")
    return tag


@lru_cache(maxsize=4096)
def _vr(tag: int) -> str:
    known = _KNOWN_VRS.get(tag)
    if known is not None:
        return known
    from pydicom.datadict import dictionary_VR

    try:
        return dictionary_VR(tag)
    except KeyError:
        return "UN"


_BINARY = {
    "US": struct.Struct("<H"),
    "SS": struct.Struct("<h"),
    "UL": struct.Struct("<I"),
    "SL": struct.Struct("<i"),
    "FL": struct.Struct("<f"),
    "FD": struct.Struct("<d"),
}


# Python codecs of the single-byte DICOM character sets (PS3.3 C.12.1.1.2, the same codecs as
# pydicom.charset.python_encoding), decoded here without importing pydicom.
_SINGLE_BYTE = {
    "": "iso8859",
    "ISO_IR 6": "iso8859",
    "ISO_IR 100": "latin_1",
    "ISO_IR 101": "iso8859_2",
    "ISO_IR 109": "iso8859_3",
    "ISO_IR 110": "iso8859_4",
    "ISO_IR 144": "iso_ir_144",
    "ISO_IR 127": "iso_ir_127",
    "ISO_IR 126": "iso_ir_126",
    "ISO_IR 138": "iso_ir_138",
    "ISO_IR 148": "iso_ir_148",
    "ISO_IR 166": "iso_ir_166",
    "ISO_IR 192": "UTF8",
    "GB18030": "GB18030",
    "GBK": "GBK",
}


class Text:
    """Decodes text values with a dataset's character set, ASCII being the fast path.

    ``charsets`` are the defined terms of Specific Character Set (0008,0005). A value in a
    single character set with no code extensions is decoded here; any other (ISO 2022 code
    extensions, unknown terms) by pydicom, imported on the first such value only.
    """

    __slots__ = ("charsets", "_codec", "_encodings")

    def __init__(self, charsets: list[str]) -> None:
        self.charsets = charsets
        self._codec = _SINGLE_BYTE.get(charsets[0]) if len(charsets) == 1 else None
        self._encodings: list[str] | None = None

    def __call__(self, value: bytes) -> str:
        value = value.rstrip(STRIP)
        try:
            return value.decode("ascii")
        except UnicodeDecodeError:
            pass
        if self._codec is not None and b"\x1b" not in value:  # no ISO 2022 escape
            try:
                return value.decode(self._codec).rstrip(" \x00")
            except UnicodeDecodeError:
                pass  # pydicom's own fallbacks and warnings for bytes out of the charset
        from pydicom.charset import convert_encodings, decode_bytes

        if self._encodings is None:
            self._encodings = convert_encodings(self.charsets)
        return decode_bytes(value, self._encodings, set()).rstrip(" \x00")


class RawDataset:
    """A dataset's elements as raw bytes, decoded on demand.

    ``get(keyword)`` returns text for string VRs (multi-valued text keeps its backslashes), a
    number for binary numeric VRs, a list of :class:`RawDataset` for a sequence, or ``default``
    when the element is absent.
    """

    __slots__ = ("elements", "implicit", "text")

    def __init__(self, elements: RawItem, implicit: bool, text: Text) -> None:
        self.elements = elements
        self.implicit = implicit
        self.text = text

    def __contains__(self, keyword: str) -> bool:
        return _tag(keyword) in self.elements

    def get(self, keyword: str, default: Any = None) -> Any:
        """Return the decoded value of the element named ``keyword`` (see the class docstring)."""
        tag = _tag(keyword)
        if tag not in self.elements:
            return default
        return self.decode(tag, _vr(tag))

    def get_tag(self, tag: int) -> Any:
        """Return the value of element ``tag`` decoded by its dictionary VR (text if unknown)."""
        if tag not in self.elements:
            return None
        vr = _vr(tag)
        return self.decode(tag, "LO" if vr == "UN" else vr)

    def decode(self, tag: int, vr: str) -> Any:
        """Return the value of element ``tag`` decoded as ``vr``."""
        value = self.elements[tag]
        if isinstance(value, list):
            return [RawDataset(item, self.implicit, self.text) for item in value]
        if vr == "SQ":
            items, _ = read_sequence(value, 0, len(value), self.implicit)
            return [RawDataset(item, self.implicit, self.text) for item in items]
        codec = _BINARY.get(vr)
        if codec is not None:
            if len(value) < codec.size:
                return None
            return codec.unpack_from(value)[0]
        if vr in ("OB", "OW", "OD", "OF", "OL", "OV", "UN"):
            return value
        return self.text(value)

    @property
    def content(self) -> list[RawItem]:
        """Return the raw items of the Content Sequence (empty when absent)."""
        value = self.elements.get(0x0040A730)
        if value is None:
            return []
        if isinstance(value, bytes):
            value, _ = read_sequence(value, 0, len(value), self.implicit)
        return value


def _text_for(elements: RawItem) -> Text:
    charset = elements.get(0x00080005)
    if not charset:
        return Text([""])
    names = [part.strip().decode("ascii", "replace") for part in charset.split(b"\\")]
    return Text(names or [""])


def read_part10(data: bytes) -> tuple[RawDataset, RawDataset]:
    """Return the file meta information and the dataset (up to its pixel data) of a file.

    Raises :class:`RawParseError` naming what is wrong when the bytes are not a Part 10 file
    or are truncated.
    """
    if len(data) < 132 or data[128:132] != b"DICM":
        raise RawParseError("not a DICOM file (no 'DICM' prefix at byte 128)")
    meta, pos = _read_meta(data)
    syntax = meta.get(0x00020010, b"").rstrip(STRIP).decode("ascii", "replace")
    meta_ds = RawDataset(meta, False, Text([""]))
    if syntax == EXPLICIT_BIG:
        return meta_ds, _via_pydicom(data)
    implicit = syntax == IMPLICIT_LITTLE
    body = data
    if syntax == DEFLATED_LITTLE:
        try:
            body = zlib.decompress(data[pos:], -zlib.MAX_WBITS)
        except zlib.error as exc:
            raise RawParseError(f"deflated dataset cannot be inflated: {exc}") from exc
        pos = 0
    elements, _ = read_item(body, pos, len(body) - pos, implicit, stop_at=PIXEL_DATA)
    return meta_ds, RawDataset(elements, implicit, _text_for(elements))


def _read_meta(data: bytes) -> tuple[RawItem, int]:
    """Read the group 0002 elements (always explicit VR little endian)."""
    pos = 132
    meta: RawItem = {}
    size = len(data)
    while pos + 8 <= size:
        group, _ = _unpack_tag(data, pos)
        if group != 0x0002:
            break
        element, pos = read_item(data, pos, size - pos, False, stop_at=0x00030000)
        meta.update(element)
        break
    if 0x00020010 not in meta:
        raise RawParseError("file meta information has no Transfer Syntax UID (0002,0010)")
    return meta, pos


def _via_pydicom(data: bytes) -> RawDataset:
    """Re-encode a dataset Kerma does not read directly as explicit VR little endian."""
    import pydicom
    from pydicom.uid import ExplicitVRLittleEndian

    ds = pydicom.dcmread(io.BytesIO(data), stop_before_pixels=True)
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    out = io.BytesIO()
    pydicom.dcmwrite(out, ds, enforce_file_format=True, little_endian=True, implicit_vr=False)
    return read_part10(out.getvalue())[1]
