"""A few axial CT images of a study from a PACS, measured as they arrive (C-FIND, then C-GET).

Pure network code: no Django, no database, no file. Used to read the water-equivalent diameter
of a CT exam whose dose report carries neither SSDE nor Dw (AAPM Report 220): for each study,

1. C-FIND at SERIES level, then at IMAGE level in each CT series: the axial images (SOP Class
   CT Image, Image Type not LOCALIZER) with their Instance Number and, when the PACS returns
   it, their Irradiation Event UID (0008,3010);
2. for each irradiation event asked about, the series whose images carry that event's UID
   (``irradiation_event``), else the axial series with the most images
   (``largest_axial_series``): the reconstruction that covers the scan range;
3. ``per_series`` images evenly spaced over that series in Instance Number order (one: the
   middle image) are retrieved with C-GET (offering only transfer syntaxes pydicom decodes by
   itself, :data:`DECODABLE_SYNTAXES`: the PACS decompresses), each handed to ``measure`` as
   DICOM Part 10 bytes and then dropped: the pixel data never reach the disk, as the node
   keeps no pixel data of what it receives (:func:`kerma.dicom.node.strip_pixel_data`).

A peer that cannot be reached stops the run with one failure naming it; a study whose queries
or retrieves fail is reported and the others go on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydicom.dataset import Dataset
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    RLELossless,
)
from pynetdicom.presentation import PresentationContext, build_context, build_role
from pynetdicom.sop_class import (
    StudyRootQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelGet,
)
from pynetdicom.status import QR_GET_SERVICE_CLASS_STATUS

from kerma.dicom.retrieve import (
    AssociationError,
    Peer,
    RetrieveError,
    _image_identifier,
    _new_ae,
    _Receiver,
    _series_identifier,
    _Session,
    _status_text,
    _text,
    _values,
)

CT_IMAGE_SOP_CLASSES = frozenset({
    "1.2.840.10008.5.1.4.1.1.2",  # CT Image Storage
    "1.2.840.10008.5.1.4.1.1.2.1",  # Enhanced CT Image Storage
})
# Transfer syntaxes pydicom decodes without a plug-in: offering only these makes the PACS send
# the pixels decompressed (it transcodes what it stores in JPEG or JPEG 2000), so Dw can be read.
DECODABLE_SYNTAXES = [ExplicitVRLittleEndian, ImplicitVRLittleEndian, RLELossless,
                      DeflatedExplicitVRLittleEndian]
BY_EVENT = "irradiation_event"
LARGEST_SERIES = "largest_axial_series"


@dataclass(frozen=True, slots=True)
class AxialImage:
    """One axial image the PACS holds: its UIDs, Instance Number and irradiation event."""

    series_uid: str
    sop_instance_uid: str
    instance_number: int | None
    event_uid: str


@dataclass(slots=True)
class AxialSeries:
    """The axial images of one CT series, in Instance Number order."""

    series_uid: str
    description: str
    images: list[AxialImage]


@dataclass
class SeriesMeasures:
    """What ``measure`` returned for the images retrieved from one series.

    ``match`` says how the series was chosen (:data:`BY_EVENT` or :data:`LARGEST_SERIES`);
    ``images_in_series`` how many axial images it holds; ``values`` one per image measured;
    ``errors`` one message per image that could not be retrieved or measured.
    """

    series_uid: str
    match: str
    images_in_series: int
    values: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def mean(self) -> float | None:
        """The mean of the values, ``None`` when no image was measured."""
        return sum(self.values) / len(self.values) if self.values else None


@dataclass
class StudyMeasures:
    """The measures of one study, by irradiation event UID (events sharing a series share
    its :class:`SeriesMeasures`), and the failures of the study; ``has_axial_images`` is
    ``False`` when the PACS holds no axial CT image of it (nothing to measure: not a failure)."""

    study_uid: str
    by_event: dict[str, SeriesMeasures] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    has_axial_images: bool = True


@dataclass
class AxialSummary:
    """What :func:`measure_axial_images` did: the studies measured and the run's failures. An
    unreachable peer, or an association lost beyond repair, is one failure naming the peer, and
    ``reached`` is then ``False``: the studies after it were not measured."""

    studies: list[StudyMeasures] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    reached: bool = True


def _instance_number(ds: Dataset) -> int | None:
    try:
        return int(_text(ds, "InstanceNumber"))
    except ValueError:
        return None


def _is_axial(ds: Dataset) -> bool:
    """``True`` for a CT image that is not a localizer (a PACS returning no SOP Class UID or
    Image Type is trusted; the measure refuses what is not axial)."""
    sop_class = _text(ds, "SOPClassUID")
    if sop_class and sop_class not in CT_IMAGE_SOP_CLASSES:
        return False
    return "LOCALIZER" not in _values(ds, "ImageType")


def _axial_identifier(study_uid: str, series_uid: str) -> Dataset:
    ds = _image_identifier(study_uid, series_uid)
    ds.ImageType = ""
    ds.IrradiationEventUID = ""
    return ds


def find_axial_series(session: _Session, study_uid: str) -> list[AxialSeries]:
    """Return the CT series of ``study_uid`` holding axial images (C-FIND), each with its
    images in Instance Number order."""
    found = []
    for series in session.find(_series_identifier(study_uid)):
        if _text(series, "Modality").upper() != "CT":
            continue
        series_uid = _text(series, "SeriesInstanceUID")
        images = [
            AxialImage(series_uid, _text(ds, "SOPInstanceUID"), _instance_number(ds),
                       _text(ds, "IrradiationEventUID"))
            for ds in session.find(_axial_identifier(study_uid, series_uid))
            if _text(ds, "SOPInstanceUID") and _is_axial(ds)
        ]
        if images:
            images.sort(key=lambda i: (i.instance_number is None, i.instance_number or 0))
            found.append(AxialSeries(series_uid, _text(series, "SeriesDescription"), images))
    return found


def series_for_event(series: Sequence[AxialSeries], event_uid: str
                     ) -> tuple[AxialSeries, str] | None:
    """Return the series to measure for the irradiation event ``event_uid`` and how it was
    chosen: the one whose images carry the event's UID, else the one with the most images."""
    if not series:
        return None
    for candidate in series:
        if event_uid and any(i.event_uid == event_uid for i in candidate.images):
            return candidate, BY_EVENT
    largest = max(series, key=lambda s: (len(s.images), s.series_uid))
    return largest, LARGEST_SERIES


def evenly_spaced(images: Sequence[AxialImage], count: int) -> list[AxialImage]:
    """Return ``count`` images evenly spaced over ``images`` (the centre of each of ``count``
    equal parts: one is the middle image), or all of them when there are fewer."""
    if count >= len(images):
        return list(images)
    return [images[int((k + 0.5) * len(images) / count)] for k in range(count)]


def _requested_contexts() -> tuple[list[PresentationContext], list[Any]]:
    """Study Root C-FIND and C-GET, and CT images received in :data:`DECODABLE_SYNTAXES`."""
    contexts = [build_context(StudyRootQueryRetrieveInformationModelFind),
                build_context(StudyRootQueryRetrieveInformationModelGet)]
    contexts += [build_context(uid, DECODABLE_SYNTAXES) for uid in sorted(CT_IMAGE_SOP_CLASSES)]
    return contexts, [build_role(uid, scp_role=True) for uid in sorted(CT_IMAGE_SOP_CLASSES)]


class _Measurer:
    """The ``deliver`` of the C-GET receiver: measures each image in memory, keeps only the
    value (or why it could not be measured). ``target`` is set before each C-GET, whose
    sub-operations all arrive before :meth:`_Session.get` returns."""

    def __init__(self, measure: Callable[[bytes, str], float]) -> None:
        self.measure = measure
        self.target: SeriesMeasures | None = None
        self.name = ""

    def __call__(self, data: bytes) -> None:
        target, name = self.target, self.name
        if target is None:  # an object the PACS sent unasked: dropped
            return
        try:
            target.values.append(float(self.measure(data, name)))
        except ValueError as exc:  # not measurable: said, and the image acknowledged anyway
            target.errors.append(str(exc))


def _retrieve_into(session: _Session, measurer: _Measurer, study_uid: str, image: AxialImage,
                   target: SeriesMeasures) -> None:
    """C-GET one image; its measure (or the failure) lands in ``target``."""
    measurer.target, measurer.name = target, image.sop_instance_uid
    try:
        outcome = session.get(
            _image_identifier(study_uid, image.series_uid, image.sop_instance_uid))
    finally:
        measurer.target = None
    received = session.receiver.received
    if outcome.success and received and not session.receiver.errors:
        return
    reason = f"C-GET {_status_text(outcome.status, QR_GET_SERVICE_CLASS_STATUS)}"
    if outcome.success and not received:
        reason += ", nothing received"
    target.errors.append("; ".join([f"{image.sop_instance_uid}: {reason}",
                                    *session.receiver.errors]))


def _measure_study(session: _Session, measurer: _Measurer, study_uid: str,
                   event_uids: Iterable[str], per_series: int) -> StudyMeasures:
    """Choose, retrieve and measure the images of one study."""
    result = StudyMeasures(study_uid)
    series = find_axial_series(session, study_uid)
    if not series:
        result.has_axial_images = False
        return result
    measured: dict[str, SeriesMeasures] = {}
    for event_uid in event_uids:
        chosen = series_for_event(series, event_uid)
        assert chosen is not None
        picked, match = chosen
        if picked.series_uid not in measured:
            target = SeriesMeasures(picked.series_uid, match, len(picked.images))
            for image in evenly_spaced(picked.images, per_series):
                _retrieve_into(session, measurer, study_uid, image, target)
            measured[picked.series_uid] = target
            result.failures += [f"study {study_uid}: {e}" for e in target.errors]
        result.by_event[event_uid] = measured[picked.series_uid]
    return result


def measure_axial_images(
    peer: Peer,
    studies: Mapping[str, Sequence[str]],
    measure: Callable[[bytes, str], float],
    *,
    per_series: int = 3,
    calling_aet: str = "KERMA",
    timeout: float = 30,
) -> AxialSummary:
    """Measure a few axial CT images of each study of ``studies`` (Study Instance UID → the
    UIDs of its irradiation events to measure) on the PACS ``peer``, over one association.

    ``measure(data, sop_instance_uid)`` gets each retrieved image as DICOM Part 10 bytes and
    returns its value, or raises ``ValueError`` saying why it cannot; it runs in pynetdicom's
    association thread. ``per_series`` images are retrieved per series chosen (at least one).
    Never raises for a network problem: an unreachable peer yields a summary with one failure
    naming it and ``reached`` ``False``.
    """
    if per_series < 1:
        raise ValueError(f"per_series must be at least 1, not {per_series}")
    measurer = _Measurer(measure)
    session = _Session(peer, _new_ae(calling_aet, timeout), "get", _Receiver(measurer),
                       _requested_contexts())
    summary = AxialSummary()
    try:
        for study_uid, event_uids in studies.items():
            try:
                summary.studies.append(
                    _measure_study(session, measurer, study_uid, event_uids, per_series))
            except AssociationError:
                raise
            except RetrieveError as exc:
                summary.failures.append(f"study {study_uid}: {exc}")
    except AssociationError as exc:
        summary.failures.append(str(exc))
        summary.reached = False
    finally:
        session.close()
    return summary
