"""The NRD's blocks on the dashboard (registered in :class:`~kerma.web.nrd.apps.NrdConfig`):
the count of late evaluations among the summary figures, the status grid of the year (device ×
required act) and the open corrective actions. Every query is narrowed to the user's units."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy

from kerma.web.accounts.scope import visible, visible_device_ids
from kerma.web.dose.panels import Panel
from kerma.web.nrd.models import CorrectiveAction
from kerma.web.nrd.services import year_plan

OPEN_ACTIONS_ON_DASHBOARD = 10

# Colour classes of the grid, from the worst result of a done evaluation or the plan's status.
GRID_STATES = {
    "above_nrd": gettext_lazy("above the NRD"),
    "between": gettext_lazy("between VGD and NRD"),
    "below_nrd": gettext_lazy("below the NRD"),
    "below_vgd": gettext_lazy("below the VGD"),
    "no_reference": gettext_lazy("no reference value"),
    "done": gettext_lazy("done"),
    "due": gettext_lazy("due"),
    "late": gettext_lazy("late"),
}
_WORST_FIRST = ("above_nrd", "between", "below_nrd", "below_vgd", "no_reference")
_GRID_ORDER = ("late", "above_nrd", "due", "between", "below_nrd", "below_vgd", "no_reference",
               "done")


def _cell_state(item: dict[str, Any]) -> str:
    """The colour of a plan item: the worst result when evaluated, else due / late."""
    evaluation = item.get("evaluation")
    if evaluation:
        statuses = [r.get("status") for r in evaluation.get("results", [])]
        return next((s for s in _WORST_FIRST if s in statuses), "done")
    return item["status"]


def nrd_grid(user: Any, year: int) -> list[dict[str, Any]]:
    """Return the NRD status grid of ``year``: one row per device, one cell per required act.

    Each cell: act code and label, population, state (a key of GRID_STATES), state label and
    the evaluation id when there is one. Devices with nothing required are left out.
    """
    ids = visible_device_ids(user)
    rows: dict[str, dict[str, Any]] = {}
    for item in year_plan(year, device_ids=ids)["items"]:
        if item["status"] == "not_required":
            continue
        act = item.get("act") or {
            # Due but no act chosen yet: the unit picks one among the candidates.
            "code": "?",
            "label": ", ".join(c["code"] for c in item.get("candidate_acts") or []),
        }
        device = item["device"]
        key = str(device.get("id") or device.get("unit"))
        row = rows.setdefault(key, {"device": device, "cells": {}})
        state = _cell_state(item)
        evaluation = item.get("evaluation") or {}
        cell_key = (act["code"], item["population"], item.get("category") or "")
        known = row["cells"].get(cell_key)
        # One act can meet two requirements (an act of the unit, the five-year rotation): one
        # cell, showing the state that needs attention first.
        if known is not None and _GRID_ORDER.index(known["state"]) <= _GRID_ORDER.index(state):
            continue
        row["cells"][cell_key] = (
            {
                "act": act["code"],
                "label": act.get("label", ""),
                "population": item["population"],
                "state": state,
                "state_label": GRID_STATES.get(state, state),
                "evaluation_id": evaluation.get("id"),
                "signed": evaluation.get("signed"),
            }
        )
    return [{"device": r["device"], "cells": list(r["cells"].values())} for r in rows.values()]


def _open_actions(user: Any) -> list[CorrectiveAction]:
    """Return the user's first open corrective actions, soonest due first."""
    actions = CorrectiveAction.objects.filter(done=False).select_related("evaluation__device")
    actions = visible(actions, user, "evaluation__device__").order_by("due_date", "id")
    return list(actions[:OPEN_ACTIONS_ON_DASHBOARD])


def dashboard_panel(request: HttpRequest) -> list[Panel]:
    """The NRD's panels of the dashboard: the late count among the summary figures, the grid of
    the year below them and the open corrective actions in the side column.

    Without ``nrd.view_evaluation`` only the summary figure is given, at zero (as the dashboard
    always showed it).
    """
    user = request.user
    year = timezone.localdate().year
    can_nrd = user.has_perm("nrd.view_evaluation")
    grid = nrd_grid(user, year) if can_nrd else []
    cells = [c["state"] for r in grid for c in r["cells"]]
    stat = Panel(
        template="nrd/_dashboard_stat.html",
        context={"year": year, "late": cells.count("late"), "above": cells.count("above_nrd")},
        order=10,
        slot="stats",
    )
    if not can_nrd:
        return [stat]
    return [
        stat,
        Panel(
            template="nrd/_dashboard_grid.html",
            context={"year": year, "grid": grid, "grid_states": list(GRID_STATES.items())},
            order=10,
            slot="wide",
        ),
        Panel(
            template="nrd/_dashboard_actions.html",
            context={"actions": _open_actions(user), "today": timezone.localdate()},
            order=40,
        ),
    ]
