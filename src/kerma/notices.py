"""What the core found, as a code with its parameters; worded in French or English on demand.

The pure core never writes a sentence for a user: it returns a :class:`Notice` (a stable code
such as ``"plan.outside_perimeter"`` and the values that go with it). The shell (web pages, the
CLI, the history) words it in the reader's language with :meth:`Notice.text`, so that the same
stored notice reads in either language, and JSON output keeps the code for scripts.

Each core package declares the wording of its codes once, in French and English, with
:func:`declare` (e.g. ``kerma/nrd/wording.py``); the package imports that module so that its
codes are known whenever its notices can exist. No Django here: the CLI's fast paths use it too.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

LANGUAGES = ("en", "fr")

# code -> {"en": template, "fr": template}; templates use str.format with the notice's params.
_WORDING: dict[str, dict[str, str]] = {}


class UnknownNoticeCode(KeyError):
    """A notice whose code no package declared (a programming error, caught by tests)."""


def declare(code: str, *, en: str, fr: str) -> str:
    """Declare the English and French wording of ``code``; return the code.

    Declaring the same code twice with other words is an error (two packages would fight
    over one meaning).
    """
    words = {"en": en, "fr": fr}
    known = _WORDING.get(code)
    if known is not None and known != words:
        raise ValueError(f"notice code {code!r} is declared twice with different words")
    _WORDING[code] = words
    return code


def declared_codes() -> frozenset[str]:
    """Return every code declared so far."""
    return frozenset(_WORDING)


def wording(code: str, language: str = "en") -> str:
    """Return the template of ``code`` in ``language`` (``en`` or ``fr``; others give ``en``)."""
    try:
        words = _WORDING[code]
    except KeyError:
        raise UnknownNoticeCode(code) from None
    return words.get(_language(language), words["en"])


def _language(language: str | None) -> str:
    """Return ``fr`` for any French locale (``fr``, ``fr-fr``, ``fr_FR``), else ``en``."""
    return "fr" if (language or "").lower().startswith("fr") else "en"


def format_value(value: Any, language: str = "en") -> str:
    """Return ``value`` as a reader of ``language`` writes it.

    Lists and tuples are joined with ``", "``; floats lose trailing zeros and, in French, take a
    decimal comma; ``None`` is a dash; a notice (or its :meth:`Notice.to_dict`) is worded.
    """
    fr = _language(language) == "fr"
    if value is None:
        return "—"
    if isinstance(value, Notice):  # a notice inside a notice ("device X" / "unit U")
        return value.text(language)
    if isinstance(value, Mapping) and "code" in value and "params" in value:
        return Notice.from_dict(value).text(language)
    if isinstance(value, bool):
        return ("oui" if value else "non") if fr else ("yes" if value else "no")
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        text = f"{value:.6g}" if abs(value) < 1e6 else f"{value:.0f}"
        return text.replace(".", ",") if fr else text
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
        return ", ".join(format_value(v, language) for v in items)
    return str(value)


@dataclass(frozen=True, slots=True)
class Notice:
    """A finding of the core: a declared ``code`` and its ``params`` (plain JSON values)."""

    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def text(self, language: str = "en") -> str:
        """Return the notice worded in ``language`` (``en`` or ``fr``)."""
        template = wording(self.code, language)
        values = {k: format_value(v, language) for k, v in self.params.items()}
        return template.format(**values)

    def __str__(self) -> str:
        return self.text("en")

    def to_dict(self) -> dict[str, Any]:
        """Return ``{code, params, text}`` (``text`` in English), JSON-ready."""
        return {"code": self.code, "params": dict(self.params), "text": self.text("en")}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Notice:
        """Return the notice stored by :meth:`to_dict` (``text`` is ignored: it is re-worded)."""
        return cls(str(data["code"]), dict(data.get("params") or {}))


def notice(code: str, **params: Any) -> Notice:
    """Return ``Notice(code, params)``, checking that ``code`` is declared."""
    if code not in _WORDING:
        raise UnknownNoticeCode(code)
    return Notice(code, params)


def texts(notices: Iterable[Notice], language: str = "en") -> list[str]:
    """Return each notice worded in ``language``."""
    return [n.text(language) for n in notices]
