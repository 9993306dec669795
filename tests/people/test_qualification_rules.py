"""Workstation qualification (2019-DC-0660): newcomers, device changes, operators seen in the
exams without a recorded qualification."""

from __future__ import annotations

from datetime import date

from kerma.people import Assignment, normalise_name, qualifications_to_do, unqualified_operators


def test_newcomer_needs_a_qualification_after_arrival():
    todo = qualifications_to_do(
        "A", post="cath lab", arrived_on=date(2025, 9, 1),
        qualified_posts=[("cath lab", date(2020, 1, 1))],
    )
    assert [n.code for n in todo] == ["people.qualification.newcomer"]
    done = qualifications_to_do(
        "A", post="cath lab", arrived_on=date(2025, 9, 1),
        qualified_posts=[("cath lab", date(2025, 9, 1))],
    )
    assert done == []


def test_device_change_needs_a_qualification_on_the_device():
    todo = qualifications_to_do(
        "B", post="CT", arrived_on=None, qualified_posts=[],
        assignments=[Assignment("CT 2", date(2025, 2, 1)), Assignment("CT 1", date(2020, 1, 1))],
        qualified_devices=[("CT 1", date(2020, 2, 1)), ("CT 2", date(2024, 1, 1))],
    )
    assert [n.params["device"] for n in todo] == ["CT 2"]
    assert "habilitation" in todo[0].text("fr")


def test_unqualified_operators_counted_per_device():
    sightings = [("DUPONT^Marie", "cath"), ("Dupont Marie", "cath"), ("MARTIN^Paul", "cath"),
                 ("MARTIN^Paul", "ct"), ("", "ct")]
    found = unqualified_operators(sightings, qualified=[("Martin Paul", "cath")])
    assert [(n.params["operator"], n.params["device"], n.params["count"]) for n in found] == [
        ("DUPONT^Marie", "cath", 2), ("MARTIN^Paul", "ct", 1),
    ]
    assert normalise_name("DUPONT^Marie") == normalise_name("Dupont  marie")
