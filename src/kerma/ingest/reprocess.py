"""Re-reading every archived report after a parser change, without asking the modalities."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

from kerma.archive import read_archived
from kerma.dicom.reader import read_dose_object
from kerma.dose import DoseObjectError
from kerma.ingest.store import store_report
from kerma.web.dose.models import Report


@dataclass
class ReprocessResult:
    """How many reports were re-read, how many exams rebuilt, which reports failed and why."""

    reread: int = 0
    exams: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)


def reprocess_all(progress: Callable[[int, int], None] | None = None) -> ReprocessResult:
    """Re-read every stored report from its archived file and rebuild its exam.

    A report that the current parser can no longer read keeps its stored version and is listed
    in ``failed`` with the reason.
    """
    result = ReprocessResult()
    rows = list(
        Report.objects.values_list(
            "pk", "sop_instance_uid", "archive_path", "original_name", "exam_id", "sha256"
        )
    )
    exams: set[int] = set()
    for index, (pk, sop_uid, archive_path, original_name, exam_id, digest) in enumerate(
        rows, 1
    ):
        try:
            data = read_archived(archive_path)
            report = read_dose_object(data)
        except (OSError, DoseObjectError) as exc:
            result.failed.append((sop_uid, str(exc)))
        else:
            with transaction.atomic():
                # Forget the stored digest so the same bytes are stored again, not skipped.
                Report.objects.filter(pk=pk).update(sha256="")
                # The study's other reports are read again from their archives too: their
                # stored rows hold what the previous parser made of them.
                # The archived copy may be pseudonymised: the report keeps the digest of the
                # bytes it was received as (its archived name, and what a resend matches).
                store_report(
                    report, data, original_name=original_name, from_archive=True, digest=digest
                )
            result.reread += 1
            exams.add(exam_id)
        if progress is not None:
            progress(index, len(rows))
    result.exams = len(exams)
    return result
