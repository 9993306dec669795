"""Fixtures for the reference-table tests: the shipped sets, loaded once."""

from __future__ import annotations

import pytest

from kerma.reference import ReferenceSet, load_reference_set


@pytest.fixture(scope="session")
def ref2019() -> ReferenceSet:
    return load_reference_set("fr-2019-DC-0667")


@pytest.fixture(scope="session")
def ref2011() -> ReferenceSet:
    return load_reference_set("fr-2011-arrete")
