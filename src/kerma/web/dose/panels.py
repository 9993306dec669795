"""Extension points: other apps add panels to the exam page and to the dashboard.

An app registers, in its ``AppConfig.ready()``, a function ``(request, obj) -> Panel | None``;
the page renders the panels it is given in order. This keeps the dose app ignorant of the apps
built on it (alerts and skin-dose maps, registers) while their information shows where users
look for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest


@dataclass
class Panel:
    """A block of a page: the template to include and its context."""

    template: str
    context: dict[str, Any] = field(default_factory=dict)
    order: int = 100


ExamPanelFactory = Callable[[HttpRequest, Any], "Panel | None"]
DashboardPanelFactory = Callable[[HttpRequest], "Panel | None"]

_exam_panels: list[ExamPanelFactory] = []
_dashboard_panels: list[DashboardPanelFactory] = []


def register_exam_panel(factory: ExamPanelFactory) -> ExamPanelFactory:
    """Add a panel to every exam page (``factory(request, exam)``); usable as a decorator."""
    if factory not in _exam_panels:
        _exam_panels.append(factory)
    return factory


def register_dashboard_panel(factory: DashboardPanelFactory) -> DashboardPanelFactory:
    """Add a panel to the dashboard (``factory(request)``); usable as a decorator."""
    if factory not in _dashboard_panels:
        _dashboard_panels.append(factory)
    return factory


def exam_panels(request: HttpRequest, exam: Any) -> list[Panel]:
    """Return the panels of ``exam``'s page, in order."""
    panels = [p for f in _exam_panels if (p := f(request, exam)) is not None]
    return sorted(panels, key=lambda p: p.order)


def dashboard_panels(request: HttpRequest) -> list[Panel]:
    """Return the dashboard's extra panels, in order."""
    panels = [p for f in _dashboard_panels if (p := f(request)) is not None]
    return sorted(panels, key=lambda p: p.order)
