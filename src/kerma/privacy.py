"""Pseudonymisation of patient identifiers and recognition of test exams."""

from __future__ import annotations

import hashlib
import hmac
import re


def pseudonymise(patient_id: str, issuer: str, key: str) -> str:
    """Return the keyed hash (HMAC-SHA256, hex) of a patient identifier and its issuer.

    The same patient gets the same pseudonym within one installation (iterative exams can be
    followed) and the identifier cannot be recovered without the installation's key. An empty
    identifier gives an empty pseudonym: an anonymous exam links to no other.
    """
    patient_id = patient_id.strip()
    if not patient_id:
        return ""
    message = f"{issuer.strip()}\x1f{patient_id}".encode()
    return hmac.new(bytes.fromhex(key), message, hashlib.sha256).hexdigest()


def is_test_patient(name: str, patient_id: str, pattern: re.Pattern[str]) -> bool:
    """True when the patient name or ID marks a phantom, quality-control or test exam."""
    readable_name = name.replace("^", " ")
    return bool(pattern.search(readable_name) or pattern.search(patient_id.replace("_", " ")))
