"""Where Kerma keeps its data and secrets, from environment variables with sane defaults.

``KERMA_HOME`` (default ``~/.kerma``) holds the SQLite database, the archive of received dose
objects, the quarantine and ``secrets.json`` (generated on first use, readable by its owner
only): the Django secret key and the key of the patient-identifier hash.
``KERMA_DATABASE_URL`` chooses another database (``postgresql://user@host:5432/name``).
"""

from __future__ import annotations

import json
import os
import re
import secrets
from functools import lru_cache
from pathlib import Path

DEFAULT_TEST_PATIENT_PATTERN = (
    r"(?i)\b(phantom|fantome|fantôme|qc|cq|quality ?control|controle qualite|contrôle qualité|"
    r"physics|physique|test|dosimetr\w*|calibration|catphan|constancy)\b"
)


def kerma_home() -> Path:
    """Return the data folder (created if missing)."""
    return _home(os.environ.get("KERMA_HOME") or str(Path.home() / ".kerma"))


@lru_cache(maxsize=8)
def _home(value: str) -> Path:
    home = Path(value).expanduser()
    home.mkdir(parents=True, exist_ok=True)
    return home


def database_url() -> str:
    """Return the database URL: ``KERMA_DATABASE_URL`` or a SQLite file under KERMA_HOME."""
    return os.environ.get("KERMA_DATABASE_URL") or f"sqlite:///{kerma_home() / 'kerma.sqlite3'}"


def archive_dir() -> Path:
    """Return the folder of the compressed source files of every stored report."""
    return kerma_home() / "archive"


def quarantine_dir() -> Path:
    """Return the folder where unreadable inputs are kept with their reason."""
    return kerma_home() / "quarantine"


def _secrets_path() -> Path:
    return kerma_home() / "secrets.json"


@lru_cache(maxsize=4)
def _secrets(path: str) -> dict[str, str]:
    file = Path(path)
    if file.exists():
        return json.loads(file.read_text())
    values = {
        "django_secret_key": secrets.token_urlsafe(50),
        "patient_hash_key": secrets.token_hex(32),
    }
    file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(values, out)
    return values


def secret(name: str) -> str:
    """Return an installation secret, generating the set on first use."""
    return _secrets(str(_secrets_path()))[name]


def keep_clear_identifiers() -> bool:
    """True when the installation opted in to store patient IDs and names in clear."""
    return os.environ.get("KERMA_CLEAR_IDENTIFIERS", "").lower() in ("1", "true", "yes")


def test_patient_pattern() -> re.Pattern[str]:
    """Return the pattern that flags phantom, QC and test exams (``KERMA_TEST_PATIENT_PATTERN``)."""
    return re.compile(os.environ.get("KERMA_TEST_PATIENT_PATTERN") or DEFAULT_TEST_PATIENT_PATTERN)
