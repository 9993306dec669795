"""The codes the quality system stores, in the reader's language: kinds of control, levels and
natures of causes, risk levels, categories named in a criterion. Pages and exports show these
words; the command line's JSON keeps the codes."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from kerma.quality import risks as risk_rules
from kerma.web.quality import models as m

CAUSE_LEVELS = {"immediate": _("immediate cause"), "root": _("root cause")}
CAUSE_NATURES = {
    "technical": _("technical"),
    "human": _("human"),
    "organisational": _("organisational"),
}
RISK_LEVELS = {
    risk_rules.LOW: _("low"),
    risk_rules.MEDIUM: _("medium"),
    risk_rules.HIGH: _("high"),
}


def word_of(words: dict[str, Any], code: str | None) -> str:
    """Return ``code`` worded by ``words`` (case-insensitive), else ``code`` itself."""
    if not code:
        return ""
    return str(words.get(code.strip().lower(), code))


def kind_label(code: str) -> str:
    """Return a kind of control or maintenance (``internal_qc``...) in words."""
    return word_of(dict(m.Periodicity.Kind.choices), code)


def worded_causes(analysis: m.SystemicAnalysis) -> list[dict[str, str]]:
    """Return the causes of ``analysis`` with their level and nature in words."""
    return [
        {
            "level": word_of(CAUSE_LEVELS, cause["level"]),
            "nature": word_of(CAUSE_NATURES, cause["nature"]),
            "text": cause["text"],
        }
        for cause in analysis.cause_list()
    ]


def worded_categories(text: str) -> str:
    """Return the comma-separated event categories of a criterion in words."""
    words = dict(m.SafetyEvent.Category.choices)
    parts = [p.strip() for p in (text or "").replace(";", ",").split(",") if p.strip()]
    return ", ".join(word_of(words, p) for p in parts)
