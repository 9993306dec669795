"""Extension point: the at-risk flags of patients, for the lists that show them.

The dose app knows exams and their pseudonymised patient keys, not who flags a patient at risk
(radiosensitivity, iterative exams, pregnancy...): that is the patients app, built above the
dose and follow-up apps. It registers a lookup here in its ``AppConfig.ready()``; the lists
below it (the exam list, the patients to follow up) ask through :func:`patient_flags` and never
import it. With no lookup registered (an installation without the patients app) every patient
has no flag.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

# (user, patient keys) -> {patient key: [flag labels, in the active language]}, only the flags
# that user may see.
FlagLookup = Callable[[Any, "frozenset[str]"], "dict[str, list[str]]"]

_lookups: list[FlagLookup] = []


def register_patient_flags(lookup: FlagLookup) -> FlagLookup:
    """Add a source of at-risk flags (``lookup(user, keys)``); usable as a decorator."""
    if lookup not in _lookups:
        _lookups.append(lookup)
    return lookup


def patient_flags(user: Any, keys: Iterable[str]) -> dict[str, list[str]]:
    """Return the labels of the at-risk flags ``user`` may see, by patient key (keys without a
    flag are absent; one query per registered lookup, whatever the number of keys)."""
    wanted = frozenset(k for k in keys if k)
    found: dict[str, list[str]] = {}
    if not wanted:
        return found
    for lookup in _lookups:
        for key, labels in lookup(user, wanted).items():
            merged = found.setdefault(key, [])
            merged.extend(label for label in labels if label not in merged)
    return found
