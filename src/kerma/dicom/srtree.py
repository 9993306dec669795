"""The content tree of a DICOM Structured Report, as plain Python objects.

Built from the raw items :mod:`kerma.dicom.rawfile` reads (one pass over the bytes, only the
handful of attributes an SR content item has). :func:`content_of_sequence` builds the same
items by walking pydicom's datasets: slow, it is the reference the tests compare with.

Concepts are identified by (code value, coding scheme designator), never by meaning: vendors
misspell meanings.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from kerma.dicom.codes import Code
from kerma.dicom.rawfile import STRIP, RawDataset, RawItem, RawParseError, Text

if TYPE_CHECKING:  # pydicom is imported only by the reference walker (about 0.1 s)
    from pydicom.dataset import Dataset

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

_unpack_f64 = struct.Struct("<d").unpack_from


class SRParseError(ValueError):
    """The bytes of a content tree do not follow the DICOM encoding rules."""


class ContentItem:
    """One SR content item.

    ``concept`` is the concept name as a :class:`~kerma.dicom.codes.Code`; ``meaning`` its code
    meaning, for display only. ``value`` depends on ``value_type``: NUM → float or None (empty
    value, see ``qualifier``) with ``unit`` its UCUM code as written; CODE → a Code with
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


# --- building items from raw elements -------------------------------------------------------


def _code(raw: Any, text: Text) -> tuple[Code, str] | None:
    if not raw:
        return None
    first = raw[0]
    value = first.get(_CODE_VALUE) or first.get(_LONG_CODE_VALUE) or first.get(_URN_CODE_VALUE)
    if value is None:
        return None
    meaning = text(first.get(_MEANING, b""))
    return Code(text(value), text(first.get(_SCHEME, b"")), meaning), meaning


def _number(raw: bytes) -> float | None:
    text = raw.strip(STRIP).decode("ascii", "replace")
    if not text:
        return None
    if "\\" in text:
        # Multi-valued by mistake (Eurocolumbus writes one kVp per pulse): keep the median.
        numbers = sorted(float(part) for part in text.split("\\") if part.strip())
        return numbers[len(numbers) // 2] if numbers else None
    return float(text)


def _to_content_item(raw: RawItem, text: Text) -> ContentItem:
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
                item.value = _unpack_f64(fp)[0]
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


def content_from_raw(raw_items: list[RawItem], text: Text) -> list[ContentItem]:
    """Return the content items of raw Content Sequence items (see :mod:`kerma.dicom.rawfile`)."""
    return [_to_content_item(raw, text) for raw in raw_items]


def content_of(ds: RawDataset) -> list[ContentItem]:
    """Return the top-level content items of an SR dataset read by :func:`read_part10`."""
    try:
        return content_from_raw(ds.content, ds.text)
    except RawParseError as exc:
        raise SRParseError(f"corrupted content tree: {exc}") from exc


# --- walking pydicom objects ------------------------------------------------------------------


def _ds_code(seq: Any) -> tuple[Code, str] | None:
    if not seq:
        return None
    first = seq[0]
    value = first.get("CodeValue") or first.get("LongCodeValue") or first.get("URNCodeValue")
    if value is None:
        return None
    meaning = str(first.get("CodeMeaning", ""))
    return Code(str(value), str(first.get("CodingSchemeDesignator", "")), meaning), meaning


def _from_dataset(ds: Dataset) -> ContentItem:
    from pydicom.multival import MultiValue

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


def content_of_sequence(items: Sequence[Dataset]) -> list[ContentItem]:
    """Return content items built by walking pydicom datasets (slow; the tests' reference)."""
    return [_from_dataset(child) for child in items]
