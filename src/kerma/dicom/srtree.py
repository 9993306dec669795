"""The content tree of a DICOM Structured Report, as plain Python objects.

pydicom turns every element it is asked for into a ``DataElement`` and every sequence item into
a ``Dataset``: about a quarter of a millisecond per SR content item, which makes a large
interventional report (thousands of items) cost seconds. pydicom leaves the Content Sequence
as raw bytes until it is accessed, so Kerma reads those bytes itself: one pass, ``struct`` for
the element headers, only the handful of attributes an SR content item has. Datasets that were
built in memory (or already decoded) go through the same ``ContentItem`` type by walking
pydicom's objects instead.

Concepts are identified by (code value, coding scheme designator), never by meaning: vendors
misspell meanings.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Sequence
from typing import Any

from pydicom.charset import decode_bytes
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.sequence import Sequence as DicomSequence

Code = tuple[str, str]
"""A coded concept as (code value, coding scheme designator)."""

_UNDEFINED = 0xFFFFFFFF
_LONG_VRS = frozenset(
    {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV"}
)
_SQ_TAGS = frozenset(
    {
        0x0040A730,  # Content Sequence
        0x0040A043,  # Concept Name Code Sequence
        0x0040A168,  # Concept Code Sequence
        0x0040A300,  # Measured Value Sequence
        0x004008EA,  # Measurement Units Code Sequence
        0x0040A301,  # Numeric Value Qualifier Code Sequence
        0x0040A504,  # Content Template Sequence
        0x00081199,  # Referenced SOP Sequence
        0x0040A370,  # Referenced Request Sequence
        0x0040A375,  # Current Requested Procedure Evidence Sequence
        0x00080220,  # Equivalent Code Sequence? (kept as a sequence if it appears)
    }
)

_RELATIONSHIP = 0x0040A010
_VALUE_TYPE = 0x0040A040
_CONCEPT_NAME = 0x0040A043
_CONCEPT_CODE = 0x0040A168
_MEASURED_VALUE = 0x0040A300
_NUMERIC_VALUE = 0x0040A30A
_FLOAT_VALUE = 0x0040A161
_UNITS = 0x004008EA
_QUALIFIER = 0x0040A301
_TEXT_VALUE = 0x0040A160
_UID = 0x0040A124
_DATETIME = 0x0040A120
_DATE = 0x0040A121
_TIME = 0x0040A122
_PNAME = 0x0040A123
_CONTENT = 0x0040A730
_CODE_VALUE = 0x00080100
_SCHEME = 0x00080102
_MEANING = 0x00080104
_LONG_CODE_VALUE = 0x00080119
_URN_CODE_VALUE = 0x00080120

_STRIP = b" \x00"


class SRParseError(ValueError):
    """The bytes of a content tree do not follow the DICOM encoding rules."""


class ContentItem:
    """One SR content item.

    ``concept`` is the concept name as (code value, scheme); ``meaning`` its code meaning, for
    display only. ``value`` depends on ``value_type``: NUM → float or None (empty value, see
    ``qualifier``) with ``unit`` its UCUM code as written; CODE → (code value, scheme) with
    ``value_meaning``; TEXT, UIDREF, DATETIME, DATE, TIME, PNAME → str; others → None.
    ``invalid`` holds the text of a numeric value that is not a number: the item is kept, with
    no value, so that whoever needs that concept can say what was wrong with it.
    """

    __slots__ = (
        "relationship",
        "value_type",
        "concept",
        "meaning",
        "value",
        "unit",
        "value_meaning",
        "qualifier",
        "invalid",
        "children",
    )

    def __init__(self) -> None:
        self.relationship: str = ""
        self.value_type: str = ""
        self.concept: Code | None = None
        self.meaning: str = ""
        self.value: Any = None
        self.unit: str | None = None
        self.value_meaning: str = ""
        self.qualifier: Code | None = None
        self.invalid: str | None = None
        self.children: list[ContentItem] = []

    def __repr__(self) -> str:
        return (
            f"ContentItem({self.relationship} {self.value_type} {self.concept} "
            f"{self.meaning!r} = {self.value!r} {self.unit or ''})"
        )

    def iter(self) -> Iterator[ContentItem]:
        """Yield this item and all its descendants, depth first."""
        yield self
        for child in self.children:
            yield from child.iter()

    def first(self, concept: Code) -> ContentItem | None:
        """Return the first direct child whose concept name is ``concept``."""
        for child in self.children:
            if child.concept == concept:
                return child
        return None


# --- reading raw bytes --------------------------------------------------------------------

_unpack_tag_le = struct.Struct("<HH").unpack_from
_unpack_u16_le = struct.Struct("<H").unpack_from
_unpack_u32_le = struct.Struct("<I").unpack_from
_unpack_f64_le = struct.Struct("<d").unpack_from

RawItem = dict[int, Any]


def _read_sequence(buf: bytes, pos: int, length: int, implicit: bool) -> tuple[list[RawItem], int]:
    """Read the items of a sequence value starting at ``pos``; return them and the end offset."""
    items: list[RawItem] = []
    end = len(buf) if length == _UNDEFINED else pos + length
    if end > len(buf):
        raise SRParseError(f"sequence at byte {pos} runs past the end of the data")
    while pos < end:
        if pos + 8 > len(buf):
            raise SRParseError(f"truncated sequence item header at byte {pos}")
        group, elem = _unpack_tag_le(buf, pos)
        item_length = _unpack_u32_le(buf, pos + 4)[0]
        pos += 8
        if group != 0xFFFE:
            raise SRParseError(
                f"expected an item tag at byte {pos - 8}, found ({group:04X},{elem:04X})"
            )
        if elem == 0xE0DD:  # sequence delimitation
            return items, pos
        if elem != 0xE000:
            raise SRParseError(f"unexpected delimiter (FFFE,{elem:04X}) at byte {pos - 8}")
        item, pos = _read_item(buf, pos, item_length, implicit)
        items.append(item)
    if length == _UNDEFINED:
        raise SRParseError("sequence of undefined length has no delimiter")
    return items, pos


def _read_item(buf: bytes, pos: int, length: int, implicit: bool) -> tuple[RawItem, int]:
    """Read one item's elements (leaf values as bytes, sequences as lists of items)."""
    item: RawItem = {}
    end = len(buf) if length == _UNDEFINED else pos + length
    if end > len(buf):
        raise SRParseError(f"item at byte {pos} runs past the end of the data")
    size = len(buf)
    while pos < end:
        if pos + 8 > size:
            raise SRParseError(f"truncated element header at byte {pos}")
        group, elem = _unpack_tag_le(buf, pos)
        if group == 0xFFFE:
            if elem == 0xE00D:  # item delimitation
                return item, pos + 8
            raise SRParseError(f"unexpected (FFFE,{elem:04X}) inside an item at byte {pos}")
        tag = (group << 16) | elem
        if implicit:
            vr = b""
            value_length = _unpack_u32_le(buf, pos + 4)[0]
            pos += 8
        else:
            vr = buf[pos + 4 : pos + 6]
            if vr in _LONG_VRS:
                if pos + 12 > size:
                    raise SRParseError(f"truncated element header at byte {pos}")
                value_length = _unpack_u32_le(buf, pos + 8)[0]
                pos += 12
            else:
                value_length = _unpack_u16_le(buf, pos + 6)[0]
                pos += 8
        if (
            vr == b"SQ"
            or value_length == _UNDEFINED
            or ((implicit or vr == b"UN") and tag in _SQ_TAGS)
        ):
            # An undefined-length UN element holds an implicit VR little endian sequence.
            nested_implicit = implicit or vr == b"UN"
            item[tag], pos = _read_sequence(buf, pos, value_length, nested_implicit)
        else:
            if pos + value_length > size:
                raise SRParseError(
                    f"element ({group:04X},{elem:04X}) at byte {pos} runs past the end of the data"
                )
            item[tag] = buf[pos : pos + value_length]
            pos += value_length
    if length == _UNDEFINED:
        raise SRParseError("item of undefined length has no delimiter")
    return item, end


class _Decoder:
    """Decodes text values with the dataset's character set, ASCII being the fast path."""

    __slots__ = ("encodings",)

    def __init__(self, encodings: Sequence[str]) -> None:
        self.encodings = list(encodings)

    def __call__(self, value: bytes) -> str:
        value = value.rstrip(_STRIP)
        try:
            return value.decode("ascii")
        except UnicodeDecodeError:
            return decode_bytes(value, self.encodings, set()).rstrip(" \x00")


def _code(raw: Any, text: _Decoder) -> tuple[Code, str] | None:
    if not raw:
        return None
    first = raw[0]
    value = first.get(_CODE_VALUE) or first.get(_LONG_CODE_VALUE) or first.get(_URN_CODE_VALUE)
    if value is None:
        return None
    return (text(value), text(first.get(_SCHEME, b""))), text(first.get(_MEANING, b""))


def _number(raw: bytes) -> float | None:
    text = raw.strip(_STRIP).decode("ascii", "replace")
    if not text:
        return None
    if "\\" in text:
        # Multi-valued by mistake (Eurocolumbus writes one kVp per pulse): keep the median.
        numbers = sorted(float(part) for part in text.split("\\") if part.strip())
        return numbers[len(numbers) // 2] if numbers else None
    return float(text)


def _to_content_item(raw: RawItem, text: _Decoder) -> ContentItem:
    item = ContentItem()
    if (rel := raw.get(_RELATIONSHIP)) is not None:
        item.relationship = text(rel)
    value_type = text(raw.get(_VALUE_TYPE, b""))
    item.value_type = value_type
    if (name := _code(raw.get(_CONCEPT_NAME), text)) is not None:
        item.concept, item.meaning = name
    if value_type == "NUM":
        measured = raw.get(_MEASURED_VALUE)
        if measured:
            first = measured[0]
            numeric = first.get(_NUMERIC_VALUE)
            try:
                item.value = _number(numeric) if numeric is not None else None
            except ValueError:
                item.invalid = text(numeric)
            if item.value is None and (fp := first.get(_FLOAT_VALUE)) and len(fp) >= 8:
                item.value = _unpack_f64_le(fp)[0]
            if (unit := _code(first.get(_UNITS), text)) is not None:
                item.unit = unit[0][0]
        if (qualifier := _code(raw.get(_QUALIFIER), text)) is not None:
            item.qualifier = qualifier[0]
    elif value_type == "CODE":
        if (code := _code(raw.get(_CONCEPT_CODE), text)) is not None:
            item.value, item.value_meaning = code
    elif value_type == "TEXT":
        item.value = text(raw.get(_TEXT_VALUE, b""))
    elif value_type == "UIDREF":
        item.value = text(raw.get(_UID, b""))
    elif value_type == "DATETIME":
        item.value = text(raw.get(_DATETIME, b""))
    elif value_type == "DATE":
        item.value = text(raw.get(_DATE, b""))
    elif value_type == "TIME":
        item.value = text(raw.get(_TIME, b""))
    elif value_type == "PNAME":
        item.value = text(raw.get(_PNAME, b""))
    children = raw.get(_CONTENT)
    if children:
        item.children = [_to_content_item(child, text) for child in children]
    return item


def content_from_raw(
    value: bytes, *, implicit: bool, encodings: Sequence[str]
) -> list[ContentItem]:
    """Return the content items encoded in the raw value of a little-endian Content Sequence."""
    text = _Decoder(encodings)
    try:
        raw_items, _ = _read_sequence(value, 0, len(value), implicit)
    except struct.error as exc:
        raise SRParseError(f"truncated content tree: {exc}") from exc
    return [_to_content_item(raw, text) for raw in raw_items]


# --- walking pydicom objects ------------------------------------------------------------------


def _ds_code(seq: Any) -> tuple[Code, str] | None:
    if not seq:
        return None
    first = seq[0]
    value = first.get("CodeValue") or first.get("LongCodeValue") or first.get("URNCodeValue")
    if value is None:
        return None
    return (str(value), str(first.get("CodingSchemeDesignator", ""))), str(
        first.get("CodeMeaning", "")
    )


def _from_dataset(ds: Dataset) -> ContentItem:
    item = ContentItem()
    item.relationship = str(ds.get("RelationshipType", ""))
    item.value_type = value_type = str(ds.get("ValueType", ""))
    if (name := _ds_code(ds.get("ConceptNameCodeSequence"))) is not None:
        item.concept, item.meaning = name
    if value_type == "NUM":
        measured = ds.get("MeasuredValueSequence")
        if measured:
            numeric = measured[0].get("NumericValue")
            if isinstance(numeric, MultiValue):
                numeric = sorted(numeric)[len(numeric) // 2] if numeric else None
            try:
                item.value = float(numeric) if numeric not in (None, "") else None
            except ValueError:
                item.invalid = str(numeric)
            if item.value is None and measured[0].get("FloatingPointValue") is not None:
                item.value = float(measured[0].FloatingPointValue)
            if (unit := _ds_code(measured[0].get("MeasurementUnitsCodeSequence"))) is not None:
                item.unit = unit[0][0]
        if (qualifier := _ds_code(ds.get("NumericValueQualifierCodeSequence"))) is not None:
            item.qualifier = qualifier[0]
    elif value_type == "CODE":
        if (code := _ds_code(ds.get("ConceptCodeSequence"))) is not None:
            item.value, item.value_meaning = code
    elif value_type in ("TEXT", "UIDREF", "DATETIME", "DATE", "TIME", "PNAME"):
        keyword = {
            "TEXT": "TextValue",
            "UIDREF": "UID",
            "DATETIME": "DateTime",
            "DATE": "Date",
            "TIME": "Time",
            "PNAME": "PersonName",
        }[value_type]
        value = ds.get(keyword)
        item.value = "" if value is None else str(value)
    if "ContentSequence" in ds:
        item.children = [_from_dataset(child) for child in ds.ContentSequence]
    return item


def _raw_item_from_dataset(ds: Dataset, implicit: bool) -> RawItem:
    """Return a dataset that pydicom read but did not decode in the raw-item form.

    pydicom reads sequences of undefined length eagerly into datasets whose elements are still
    raw bytes; taking those bytes avoids decoding every element through pydicom.
    """
    item: RawItem = {}
    for tag, element in ds._dict.items():  # noqa: SLF001 - raw elements are the point
        value = element.value
        if isinstance(value, bytes):
            vr = element.VR
            if vr == "SQ" or ((implicit or vr == "UN") and tag in _SQ_TAGS):
                item[tag], _ = _read_sequence(value, 0, len(value), implicit or vr == "UN")
            else:
                item[tag] = value
        elif isinstance(value, DicomSequence):
            item[tag] = [_raw_item_from_dataset(child, implicit) for child in value]
        elif value is None:
            item[tag] = b""
        else:
            raise _Decoded
    return item


class _Decoded(Exception):
    """A dataset holds elements that pydicom already decoded: walk the objects instead."""


def content_of(ds: Dataset) -> list[ContentItem]:
    """Return the top-level content items of an SR dataset (empty when it has none).

    Uses the raw bytes whenever pydicom has not decoded the Content Sequence (the fast path for
    little endian files); walks pydicom's objects otherwise.
    """
    element = ds._dict.get(0x0040A730)  # noqa: SLF001 - the raw element is the point
    if element is None:
        return []
    little = ds.original_encoding[1] if ds.original_encoding[1] is not None else True
    implicit = bool(ds.original_encoding[0]) if ds.original_encoding[0] is not None else False
    encodings = ds._character_set  # noqa: SLF001 - pydicom's resolved encodings
    if little:
        if isinstance(element, RawDataElement) and isinstance(element.value, bytes):
            return content_from_raw(
                element.value, implicit=bool(element.is_implicit_VR), encodings=encodings
            )
        text = _Decoder(encodings)
        try:
            raw_items = [_raw_item_from_dataset(child, implicit) for child in element.value]
        except _Decoded:
            pass
        except struct.error as exc:
            raise SRParseError(f"truncated content tree: {exc}") from exc
        else:
            return [_to_content_item(raw, text) for raw in raw_items]
    return [_from_dataset(child) for child in ds.ContentSequence]


def content_of_sequence(items: Sequence[Dataset]) -> list[ContentItem]:
    """Return content items built from already-decoded pydicom datasets (slow path)."""
    return [_from_dataset(child) for child in items]
