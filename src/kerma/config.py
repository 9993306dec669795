"""Where Kerma keeps its data and secrets, from environment variables with sane defaults.

``KERMA_HOME`` (default ``~/.kerma``) holds the SQLite database, the archive of received dose
objects, the quarantine and ``secrets.json`` (generated on first use, readable by its owner
only): the Django secret key and the key of the patient-identifier hash.
``KERMA_DATABASE_URL`` chooses another database (``postgresql://user@host:5432/name``).

Everything under KERMA_HOME is readable by Kerma's user only (:func:`make_private`, called when
a ``kerma`` command or the WSGI application starts): folders 0700, files 0600.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Any

DEFAULT_TEST_PATIENT_PATTERN = (
    r"(?i)\b(phantom|fantome|fantôme|qc|cq|quality ?control|controle qualite|contrôle qualité|"
    r"physics|physique|test|dosimetr\w*|calibration|catphan|constancy)\b"
)


def kerma_home() -> Path:
    """Return the data folder (created if missing)."""
    return _home(_home_setting())


def _home_setting() -> str:
    return os.environ.get("KERMA_HOME") or str(Path.home() / ".kerma")


@lru_cache(maxsize=8)
def _home(value: str) -> Path:
    home = Path(value).expanduser()
    home.mkdir(parents=True, exist_ok=True)
    return home


# New files and folders of a Kerma process: for its user only (0600 files, 0700 folders).
PRIVATE_UMASK = 0o077
# Written once every file under KERMA_HOME has been made private: later starts fix the folder
# and its first level only (an archive of millions of reports is not walked at every start).
PRIVATE_MARK = ".private-modes"


def _chmod_private(path: Path) -> None:
    if path.is_symlink():
        return  # a link's target is not Kerma's to change
    mode = 0o700 if path.is_dir() else 0o600
    if path.stat().st_mode & 0o777 != mode:
        path.chmod(mode)


def make_private() -> Path:
    """Make this process create files for its user only (umask 077) and KERMA_HOME and what it
    holds (database, archive, inbox, quarantine, secrets) readable by its owner only: folders
    0700, files 0600. Returns KERMA_HOME's path."""
    os.umask(PRIVATE_UMASK)
    home = Path(_home_setting()).expanduser()
    if not home.is_dir():
        return home  # created when first needed, private by the umask (`kerma --help` makes none)
    mark = home / PRIVATE_MARK
    if mark.exists():
        for path in (home, *home.iterdir()):
            _chmod_private(path)
        return home
    _chmod_private(home)
    for folder, dirs, files in os.walk(home):
        for name in (*dirs, *files):
            _chmod_private(Path(folder) / name)
    mark.touch()
    return home


def trusted_proxy_options() -> dict[str, Any]:
    """Return waitress's options to trust the TLS proxy in front of Kerma (empty: none).

    Waitress drops ``X-Forwarded-*`` headers from untrusted peers; with ``KERMA_HTTPS=1`` the
    proxy is trusted at ``KERMA_TRUSTED_PROXY`` (default ``127.0.0.1``, a proxy on the same
    machine) for the scheme, the client address and the host it was asked for.
    """
    https = os.environ.get("KERMA_HTTPS", "").lower() in ("1", "true", "yes")
    proxy = os.environ.get("KERMA_TRUSTED_PROXY") or ("127.0.0.1" if https else "")
    if not proxy:
        return {}
    return {
        "trusted_proxy": proxy,
        "trusted_proxy_count": 1,
        "trusted_proxy_headers": "x-forwarded-proto x-forwarded-for x-forwarded-host",
        "clear_untrusted_proxy_headers": True,
    }


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
