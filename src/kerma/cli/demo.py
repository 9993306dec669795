"""``kerma demo``: prepare a demo imaging unit (:mod:`kerma.ingest.demo` fills its database
with what :mod:`kerma.demo` generates), then serve it.

Messages and progress go to standard error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer

from kerma import config
from kerma.cli.common import DicomOption, HostOption, console, progress, setup

# The progress bars of the two stages of seeding, by the callback that reports them.
STAGES = {"generating": "Generating demo DICOM files", "importing": "Importing demo data"}


def demo(
    port: Annotated[int, typer.Option(help="Port of the web application")] = 8000,
    host: HostOption = "127.0.0.1",
    serve_app: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve after preparing")
    ] = True,
    days: Annotated[int, typer.Option(help="Days of activity to generate")] = 365,
    scale: Annotated[
        float, typer.Option(help="Activity scale (1.0 ≈ a year of a real unit)")
    ] = 1.0,
    seed: Annotated[int, typer.Option(help="Random seed of the generator")] = 2026,
    dicom_node: DicomOption = True,
) -> None:
    """Create a demo imaging unit: generate a year of exams as real DICOM, import, serve."""
    setup()
    from kerma.ingest.demo import seed_demo
    from kerma.web.bootstrap import DEMO_ROLE_USERS, demo_login
    from kerma.web.dose.models import Exam

    with progress() as bar:
        tasks: dict[str, int] = {}

        def reporter(stage: str) -> Callable[[int, int], None]:
            def report(done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(STAGES[stage], total=None)
                bar.update(tasks[stage], completed=done, total=total)

            return report

        seeded = seed_demo(
            days=days,
            scale=scale,
            seed=seed,
            generating=reporter("generating"),
            importing=reporter("importing"),
        )
    summary = seeded.summary
    if summary is None:
        console.print(f"Demo data already imported on {seeded.imported_on}; reusing it.")
    username, password = demo_login()
    if summary is not None:
        console.print(
            f"Imported {summary.imported} dose objects ({summary.duplicates} already there, "
            f"{len(summary.quarantined)} quarantined)."
        )
    console.print(f"Demo unit ready: {Exam.objects.count()} exams in {config.kerma_home()}")
    console.print(f"Demo login: [bold]{username}[/] / [bold]{password}[/]")
    console.print(
        "Other demo users, one per role, same password: "
        + ", ".join(f"{name} ({role})" for name, role in DEMO_ROLE_USERS.items())
    )
    if serve_app:
        from kerma.cli.main import serve_web

        serve_web(host, port, 8, dicom_node)
