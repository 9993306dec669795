"""`kerma user …` as an install script runs it: units, users with a role, refusals."""

from __future__ import annotations

from pathlib import Path

from tests.cli.test_main import run_kerma


def test_units_and_users_from_the_command_line(tmp_path: Path):
    home = tmp_path / "home"
    home.mkdir()
    made = run_kerma(home, "user", "unit", "north", "--name", "Imagerie Nord", "--site", "CHU")
    assert made.returncode == 0, made.stdout + made.stderr
    added = run_kerma(
        home, "user", "add", "alice", "--role", "physicist", "--unit", "north",
        "--password", "long-enough-1",
    )
    assert added.returncode == 0, added.stdout + added.stderr
    assert "Imagerie Nord (CHU)" in added.stdout
    listing = run_kerma(home, "user", "list")
    line = next(row for row in listing.stdout.splitlines() if "alice" in row)
    assert "physicist" in line and "north" in line

    wrong_role = run_kerma(home, "user", "add", "bob", "--role", "janitor", "--password", "x" * 9)
    assert wrong_role.returncode == 2 and "Unknown role 'janitor'" in wrong_role.stdout
    wrong_unit = run_kerma(
        home, "user", "add", "bob", "--role", "inspector", "--unit", "south", "--password", "x" * 9
    )
    assert wrong_unit.returncode == 2 and "No unit with code 'south'" in wrong_unit.stdout
    short = run_kerma(home, "user", "add", "bob", "--role", "inspector", "--password", "1234567")
    assert short.returncode == 2 and "at least 8 characters" in short.stdout
