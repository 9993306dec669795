"""The helpers the command groups share: their messages are those the commands printed before
they were shared."""

from __future__ import annotations

from datetime import date

import pytest
import typer

from kerma.cli.common import actor, check_choice, parse_day


@pytest.mark.parametrize(
    ("choices", "message"),
    [
        (("table", "csv", "json"), "choose table, csv or json"),
        (("adult", "paediatric"), "choose adult or paediatric"),
        (("open", "acknowledged", "closed", "all"), "choose open, acknowledged, closed or all"),
    ],
)
def test_check_choice_names_the_choices_and_the_option(choices, message):
    check_choice(choices[-1], choices, "--x")
    with pytest.raises(typer.BadParameter) as refused:
        check_choice("other", choices, "--x")
    assert refused.value.message == message and refused.value.param_hint == "--x"


def test_parse_day():
    assert parse_day(None, "--since") is None
    assert parse_day("2025-02-03", "--since") == date(2025, 2, 3)
    with pytest.raises(typer.BadParameter, match="'yesterday' is not a date"):
        parse_day("yesterday", "--since")


def test_actor_prefers_by_then_kerma_user(monkeypatch):
    monkeypatch.setenv("KERMA_USER", "physicist")
    assert actor("ran") == "ran"
    assert actor(None) == "physicist"
    monkeypatch.delenv("KERMA_USER")
    assert actor(None)  # the login name, or "cli" where there is none
