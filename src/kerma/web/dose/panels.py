"""Extension points: other apps add panels to the exam page and to the dashboard.

An app registers, in its ``AppConfig.ready()``, a function ``(request, obj) -> Panel | None``
(a dashboard factory may also return a list of panels, computed together); the page renders the
panels it is given in order, each in its slot. This keeps the dose app ignorant of the apps
built on it (alerts and skin-dose maps, registers) while their information shows where users
look for it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest

# Where a dashboard panel goes: among the summary figures at the top, across the page below
# them, or in the side column (the default; exam pages have only that one).
SLOTS = ("stats", "wide", "side")


@dataclass
class Panel:
    """A block of a page: the template to include, its context, its rank and its slot."""

    template: str
    context: dict[str, Any] = field(default_factory=dict)
    order: int = 100
    slot: str = "side"


ExamPanelFactory = Callable[[HttpRequest, Any], "Panel | None"]
DashboardPanelFactory = Callable[[HttpRequest], "Panel | Sequence[Panel] | None"]

_exam_panels: list[ExamPanelFactory] = []
_dashboard_panels: list[DashboardPanelFactory] = []


def register_exam_panel(factory: ExamPanelFactory) -> ExamPanelFactory:
    """Add a panel to every exam page (``factory(request, exam)``); usable as a decorator."""
    if factory not in _exam_panels:
        _exam_panels.append(factory)
    return factory


def register_dashboard_panel(factory: DashboardPanelFactory) -> DashboardPanelFactory:
    """Add a panel, or several, to the dashboard (``factory(request)``); usable as a
    decorator."""
    if factory not in _dashboard_panels:
        _dashboard_panels.append(factory)
    return factory


def exam_panels(request: HttpRequest, exam: Any) -> list[Panel]:
    """Return the panels of ``exam``'s page, in order."""
    panels = [p for f in _exam_panels if (p := f(request, exam)) is not None]
    return sorted(panels, key=lambda p: p.order)


def dashboard_panels(request: HttpRequest) -> dict[str, list[Panel]]:
    """Return the dashboard's extra panels by slot (every key of :data:`SLOTS`), in order."""
    panels: list[Panel] = []
    for factory in _dashboard_panels:
        made = factory(request)
        if isinstance(made, Panel):
            panels.append(made)
        elif made is not None:
            panels.extend(made)
    panels.sort(key=lambda p: p.order)
    return {slot: [p for p in panels if p.slot == slot] for slot in SLOTS}
