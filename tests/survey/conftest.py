"""Generated contributions shared by the survey tests (one file per session: small and fast)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kerma.survey.generate import generate

# Small enough for the Spark tests, large enough for every planted error class to occur.
N_RECORDS = 6000


@pytest.fixture(scope="session")
def generated(tmp_path_factory) -> Path:
    """Parquet of N_RECORDS generated records over 8 facilities, with planted errors."""
    return generate(tmp_path_factory.mktemp("survey") / "generated.parquet", N_RECORDS,
                    facilities=8, seed=3)
