"""The people register's panel on the dashboard: training expiring or expired, qualifications
to do, measured doses near a limit or above their prediction (registered in
:class:`~kerma.web.people.apps.PeopleConfig`)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import get_language

from kerma.web.dose.panels import Panel
from kerma.web.people.scope import visible_people
from kerma.web.people.services import (
    measured_of,
    people_with_rows,
    planned_qualifications,
    qualifications_to_do_of,
    training_of,
)

SHOWN = 8


def dashboard_panel(request: HttpRequest) -> Panel | None:
    """The panel: counts per status, the people to act on, qualifications to do; None for a
    user who may not view the register or when the register is empty."""
    if not request.user.has_perm("people.view_person"):
        return None
    people = list(people_with_rows(visible_people(request.user)))
    if not people:
        return None
    rows = training_of(people, timezone.localdate())
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.status.status.value] = counts.get(row.status.status.value, 0) + 1
    attention = [r for r in rows if r.status.status.value != "valid"]
    todo = [n for p in people if p.active for n in qualifications_to_do_of(p)]
    dosimetry: list[str] = []
    if request.user.has_perm("people.view_dosimeterreading"):
        language = get_language() or "fr"
        for person in people:
            if person.active and person.readings.exists():
                found = measured_of(person, timezone.localdate())[1]
                dosimetry += [f"{person.name} — {n.text(language)}" for n in found]
    return Panel(
        template="people/_dashboard.html",
        context={
            "people_counts": counts,
            "people_attention": attention[:SHOWN],
            "people_attention_more": max(0, len(attention) - SHOWN),
            "people_todo": todo[:SHOWN],
            "people_planned": planned_qualifications(people)[:SHOWN],
            "people_dosimetry": dosimetry[:SHOWN],
        },
        order=40,
    )
