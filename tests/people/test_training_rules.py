"""Training validity (2017-DC-0585 modified by 2019-DC-0669, as the seeds state it): 10 years,
7 years in radiotherapy, brachytherapy, nuclear medicine and interventional practice, except
radiologists in interventional practice; the most restrictive domain; change of activity;
expiry alerts. Every bound is straddled to the day."""

from __future__ import annotations

from datetime import date

import pytest

from kerma.people import (
    Domain,
    Profession,
    Status,
    add_months,
    add_years,
    domain_validity_years,
    is_new_activity,
    training_status,
    validity_years,
)

CERT = date(2015, 3, 10)


@pytest.mark.parametrize(
    ("profession", "domain", "years"),
    [
        ("radiographer", "radiology", 10),
        ("radiographer", "ct", 10),
        ("dentist", "dental", 10),
        ("radiotherapist", "radiotherapy", 7),
        ("physicist", "brachytherapy", 7),
        ("nuclear_physician", "nuclear_medicine", 7),
        ("cardiologist", "interventional", 7),
        ("surgeon", "interventional", 7),
        ("nurse", "interventional", 7),
        ("radiographer", "interventional", 7),
        ("radiologist", "interventional", 10),  # the exception
        ("radiologist", "radiology", 10),
        ("radiologist", "nuclear_medicine", 7),  # the exception is for PIR only
    ],
)
def test_validity_by_domain_and_profession(profession, domain, years):
    assert domain_validity_years(profession, domain) == years


def test_most_restrictive_domain_wins():
    assert validity_years("radiographer", ["radiology", "ct"]) == 10
    assert validity_years("radiographer", ["radiology", "nuclear_medicine"]) == 7
    assert validity_years("radiologist", ["ct", "interventional"]) == 10
    assert validity_years("radiologist", ["interventional", "radiotherapy"]) == 7
    assert validity_years("other", []) == 10


def test_codes_are_the_contract():
    assert [p.value for p in Profession] == [
        "radiologist", "cardiologist", "surgeon", "nuclear_physician", "radiotherapist",
        "dentist", "radiographer", "nurse", "physicist", "radiopharmacist", "technician", "other",
    ]
    assert [d.value for d in Domain] == [
        "radiology", "ct", "interventional", "nuclear_medicine", "radiotherapy",
        "brachytherapy", "dental",
    ]


@pytest.mark.parametrize(
    ("profession", "domains", "last_valid"),
    [
        ("radiographer", ["ct"], date(2025, 3, 10)),
        ("cardiologist", ["interventional"], date(2022, 3, 10)),
        ("radiologist", ["interventional"], date(2025, 3, 10)),
    ],
)
def test_valid_to_the_day_then_expired(profession, domains, last_valid):
    on_last = training_status("X", profession, domains, [CERT], last_valid)
    assert on_last.status == Status.EXPIRING and on_last.valid_until == last_valid
    after = training_status("X", profession, domains, [CERT], date.fromordinal(
        last_valid.toordinal() + 1))
    assert after.status == Status.EXPIRED
    assert after.notices[0].code == "people.training.expired"


def test_expiring_from_n_months_before():
    # 7 years: valid until 2022-03-10; 6 months before: from 2021-09-10.
    day_before = training_status("X", "surgeon", ["interventional"], [CERT], date(2021, 9, 9))
    assert day_before.status == Status.VALID and day_before.notices == ()
    first_day = training_status("X", "surgeon", ["interventional"], [CERT], date(2021, 9, 10))
    assert first_day.status == Status.EXPIRING
    assert first_day.expiring_from == date(2021, 9, 10)
    assert "2022-03-10" in first_day.notices[0].text("en")
    assert "renouvellement" in first_day.notices[0].text("fr")
    three = training_status(
        "X", "surgeon", ["interventional"], [CERT], date(2021, 12, 9), warn_months=3
    )
    assert three.status == Status.VALID


def test_missing_and_latest_certificate_counts():
    missing = training_status("Y", "nurse", ["interventional"], [], date(2025, 1, 1))
    assert missing.status == Status.MISSING and missing.valid_until is None
    assert missing.notices[0].code == "people.training.missing"
    # A certificate dated after the day asked about does not count yet.
    future = training_status("Y", "nurse", ["ct"], [date(2025, 6, 1)], date(2025, 1, 1))
    assert future.status == Status.MISSING
    renewed = training_status("Y", "nurse", ["ct"], [date(2010, 1, 1), date(2019, 5, 2)],
                              date(2025, 1, 1))
    assert renewed.status == Status.VALID and renewed.valid_until == date(2029, 5, 2)


def test_change_of_activity_requires_new_training():
    status = training_status(
        "Z", "radiographer", ["nuclear_medicine"], [date(2020, 1, 1)], date(2024, 1, 1),
        activity_changed_on=date(2023, 6, 1),
    )
    assert status.status == Status.MISSING and status.certificate_on == date(2020, 1, 1)
    assert status.notices[0].code == "people.training.activity_changed"
    trained_after = training_status(
        "Z", "radiographer", ["nuclear_medicine"], [date(2020, 1, 1), date(2023, 7, 1)],
        date(2024, 1, 1), activity_changed_on=date(2023, 6, 1),
    )
    assert trained_after.status == Status.VALID
    assert trained_after.valid_until == date(2030, 7, 1)


def test_a_new_domain_is_a_change_of_activity():
    assert is_new_activity(["ct"], ["ct", "interventional"])
    assert not is_new_activity(["ct", "interventional"], ["ct"])
    assert not is_new_activity(["ct"], ["ct"])
    assert is_new_activity([], ["dental"])


def test_calendar_helpers():
    assert add_years(date(2016, 2, 29), 7) == date(2023, 2, 28)
    assert add_months(date(2025, 3, 31), -1) == date(2025, 2, 28)
    assert add_months(date(2025, 1, 15), -13) == date(2023, 12, 15)
