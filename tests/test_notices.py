"""Notices: codes with parameters, worded in French and English."""

import pytest

from kerma import notices
from kerma.notices import Notice, declare, notice


def test_notice_words_in_both_languages_and_round_trips():
    declare("test.sample", en="{n} exam(s) on {devices}", fr="{n} examen(s) sur {devices}")
    n = notice("test.sample", n=3, devices=["CT1", "CT2"])
    assert n.text("en") == "3 exam(s) on CT1, CT2"
    assert n.text("fr-fr") == "3 examen(s) sur CT1, CT2"
    assert str(n) == n.text("en")
    again = Notice.from_dict(n.to_dict())
    assert again == Notice("test.sample", {"n": 3, "devices": ["CT1", "CT2"]})


def test_french_decimals_and_unknown_codes():
    declare("test.decimal", en="median {m} mGy", fr="médiane {m} mGy")
    assert notice("test.decimal", m=12.5).text("fr") == "médiane 12,5 mGy"
    assert notice("test.decimal", m=12.5).text("en") == "median 12.5 mGy"
    with pytest.raises(notices.UnknownNoticeCode):
        notice("test.never-declared")


def test_a_code_cannot_change_meaning():
    declare("test.once", en="a", fr="a")
    declare("test.once", en="a", fr="a")
    with pytest.raises(ValueError):
        declare("test.once", en="b", fr="b")
