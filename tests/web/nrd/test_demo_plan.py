"""The demo unit ships with a realistic NRD plan (issue 4): done and signed, above the NRD with
corrective actions, due and missing, not required; CT compared with the labelled 2011 set."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from kerma.demo import generate_demo
from kerma.ingest.pipeline import import_paths
from kerma.web.audit.models import AuditEntry
from kerma.web.nrd.demo_plan import PHYSICIST, RAN, prepare_demo_plan
from kerma.web.nrd.models import Evaluation
from kerma.web.nrd.services import evaluation_to_dict, year_plan

pytestmark = pytest.mark.django_db

TODAY = date(2026, 2, 16)
# The demo devices the assertions need (importing the whole unit takes twice as long).
DEVICES = ("ct_revolution", "ct_gotop", "radio_salle1", "mammo", "carm_bloc", "gamma_camera")


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo-plan-files")
    generate_demo(folder, start=TODAY - timedelta(days=60), days=60, seed=0, scale=1.0)
    return folder


@pytest.fixture
def demo_unit(kerma_home, demo_files):
    import_paths([demo_files / key for key in DEVICES], workers=1)
    return prepare_demo_plan(TODAY)


def _state() -> tuple:
    return (
        AuditEntry.objects.count(),
        sorted(
            Evaluation.objects.values_list(
                "id", "act_code", "signed_at", "analysis", "exceeds_nrd", "n_selected"
            )
        ),
    )


def test_demo_plan_shows_the_whole_workflow(demo_unit):
    """One test (the import is the slow part): the plan, the labels, idempotence."""
    plan = year_plan(TODAY.year, as_of=TODAY)
    items = plan["items"]
    statuses = {i["status"] for i in items}
    assert {"done", "due", "not_required"} <= statuses

    done = [i for i in items if i["status"] == "done" and i["evaluation"]]
    signed = [i for i in done if i["evaluation"]["signed"]]
    assert len(signed) >= 3
    for item in signed:
        evaluation = Evaluation.objects.get(pk=item["evaluation"]["id"])
        assert evaluation.analysis.strip()
        assert evaluation.signed_by == RAN and evaluation.created_by == PHYSICIST

    # The go.Top is unoptimised: its CT evaluations are above the NRD, each with actions.
    above = [i for i in done if i["evaluation"]["exceeds_nrd"]]
    assert above, [(i["act"], i["evaluation"]["results"]) for i in done]
    assert any(i["device"]["name"].endswith("SOMATOM go.Top SCANNER2") for i in above)
    for item in above:
        exceeded = evaluation_to_dict(Evaluation.objects.get(pk=item["evaluation"]["id"]))
        assert any(r["status"] == "above_nrd" for r in exceeded["results"])
        assert exceeded["signed_by"] == RAN and not exceeded["justification"]
        actions = exceeded["actions"]
        assert len(actions) >= 2 and all(a["owner"] and a["due_date"] for a in actions)
        assert [a["done"] for a in actions].count(True) == 1

    # the go.Top owes a second CT act this year: due, no evaluation
    due = [i for i in items if i["status"] == "due"]
    assert any(i["device"]["name"].endswith("SOMATOM go.Top SCANNER2") for i in due)
    assert all(i["evaluation"] is None for i in due)

    # CT results carry the label of the abrogated 2011 set
    assert plan["reference_sets"]["ct"] == {
        "name": "fr-2011-arrete",
        "version": plan["reference_sets"]["ct"]["version"],
        "status": "abrogated",
    }
    assert plan["reference_sets"]["radiography"]["name"] == "fr-2019-DC-0667"
    ct = Evaluation.objects.filter(family="ct")
    assert ct.exists()
    for evaluation in ct:
        data = evaluation_to_dict(evaluation)
        assert data["reference_set"] == "fr-2011-arrete"
        assert data["reference_status"] == "abrogated"
        for result in data["results"]:
            if result["nrd"] is not None:
                assert result["reference"].startswith("fr-2011-arrete (abrogated)")
    flags = {f["code"] for f in plan["flags"]}
    assert "reference_not_in_force" in flags

    actors = set(AuditEntry.objects.values_list("actor", flat=True))
    assert {PHYSICIST, RAN} <= actors

    # a second call changes nothing
    before = _state()
    again = prepare_demo_plan(TODAY)
    assert _state() == before
    assert again["evaluations_added"] == again["mappings_added"] == 0
    assert again["perimeter_changes"] == again["reference_changes"] == 0
    assert [e["id"] for e in again["evaluations"]] == [e["id"] for e in demo_unit["evaluations"]]
