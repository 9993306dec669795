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

from pydicom.charset import convert_encodings, decode_bytes
from pydicom.datadict import dictionary_VR, tag_for_keyword

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


@lru_cache(maxsize=1024)
def _tag(keyword: str) -> int:
    tag = tag_for_keyword(keyword)
    if tag is None:
        raise KeyError(f"unknown DICOM keyword {keyword!r}")
    return tag


@lru_cache(maxsize=4096)
def _vr(tag: int) -> str:
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


class Text:
    """Decodes text values with a dataset's character set, ASCII being the fast path."""

    __slots__ = ("encodings",)

    def __init__(self, encodings: list[str]) -> None:
        self.encodings = encodings

    def __call__(self, value: bytes) -> str:
        value = value.rstrip(STRIP)
        try:
            return value.decode("ascii")
        except UnicodeDecodeError:
            return decode_bytes(value, self.encodings, set()).rstrip(" \x00")


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
        return Text(["iso8859"])
    names = [part.strip().decode("ascii", "replace") for part in charset.split(b"\\")]
    return Text(convert_encodings([n for n in names] or [""]))


def read_part10(data: bytes) -> tuple[RawDataset, RawDataset]:
    """Return the file meta information and the dataset (up to its pixel data) of a file.

    Raises :class:`RawParseError` naming what is wrong when the bytes are not a Part 10 file
    or are truncated.
    """
    if len(data) < 132 or data[128:132] != b"DICM":
        raise RawParseError("not a DICOM file (no 'DICM' prefix at byte 128)")
    meta, pos = _read_meta(data)
    syntax = meta.get(0x00020010, b"").rstrip(STRIP).decode("ascii", "replace")
    meta_ds = RawDataset(meta, False, Text(["iso8859"]))
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
