"""The demo unit's database: a year of exams generated as real DICOM, imported, then the NRD
workflow and the follow-up of a unit that has used Kerma for a while (``kerma demo``).

The generator itself is :mod:`kerma.demo`; this module imports what it writes and seeds the
rest. Needs Django set up (:func:`kerma.web.bootstrap.setup`) before it is called.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from kerma import config
from kerma.ingest.pipeline import ImportSummary


@dataclass
class DemoSeed:
    """What :func:`seed_demo` did.

    ``summary``: the import of the generated files, or ``None`` when the data of an earlier
    run with the same settings was reused; ``imported_on``: when the data in use was imported
    (ISO date and time, seconds), as the marker file ``KERMA_HOME/demo.json`` says.
    """

    summary: ImportSummary | None
    imported_on: str | None


def seed_demo(
    *,
    days: int = 365,
    scale: float = 1.0,
    seed: int = 2026,
    today: date | None = None,
    generating: Callable[[int, int], None] | None = None,
    importing: Callable[[int, int], None] | None = None,
) -> DemoSeed:
    """Fill the database with the demo unit: ``days`` days of exams up to ``today``.

    The exams are generated and imported only when the last run used other settings (or the
    database has no exam); every imported file is kept, compressed, in the archive, so the
    generated copies are removed. The NRD plan and the follow-up are prepared each time (both
    idempotent). ``generating(done, total)`` reports the files written; ``importing(done,
    total)`` the objects imported (first called with ``done=0``).
    """
    from kerma.demo import generate_demo
    from kerma.ingest.pipeline import import_paths
    from kerma.ingest.sources import count_sources
    from kerma.web.dose.models import Exam
    from kerma.web.followup.demo import prepare_demo_followup
    from kerma.web.nrd.demo_plan import prepare_demo_plan
    from kerma.web.patients.demo import seed_patients_demo
    from kerma.web.people.demo import seed_people_demo
    from kerma.web.quality.demo import seed_quality_demo

    today = today or datetime.now().date()
    marker = config.kerma_home() / "demo.json"
    wanted = {"seed": seed, "days": days, "scale": scale}
    done = json.loads(marker.read_text()) if marker.exists() else {}
    if {k: done.get(k) for k in wanted} == wanted and Exam.objects.exists():
        summary = None
        imported_on = done.get("imported_on")
    else:
        out_dir = config.kerma_home() / "demo-input"
        shutil.rmtree(out_dir, ignore_errors=True)
        generate_demo(
            out_dir,
            start=today - timedelta(days=days),
            days=days,
            seed=seed,
            scale=scale,
            progress=generating,
        )
        total = count_sources([out_dir])
        count = 0

        def advance(_label: str) -> None:
            nonlocal count
            count += 1
            if importing is not None:
                importing(count, total)

        if importing is not None:
            importing(0, total)
        summary = import_paths([out_dir], progress=advance)
        shutil.rmtree(out_dir, ignore_errors=True)
        imported_on = datetime.now().isoformat(timespec="seconds")
        marker.write_text(
            json.dumps(
                {
                    **wanted,
                    "imported_on": imported_on,
                    **summary.as_dict(),
                    "quarantined": len(summary.quarantined),
                }
            )
        )
    # The NRD workflow of the demo unit: mappings, evaluations signed, one above its NRD with
    # corrective actions, one due (idempotent: a second run changes nothing).
    prepare_demo_plan(today)
    # The follow-up of the cath lab's alerts: some decided and closed, recent ones open.
    prepare_demo_followup(today)
    # The quality register: events (one analysed), risk map, audit, procedures, equipment.
    seed_quality_demo(today)
    seed_people_demo(today)  # the team's training, qualifications and staff exposure
    seed_patients_demo(today)  # patients at risk: radiosensitive flag, pregnancy checks
    return DemoSeed(summary, imported_on)
