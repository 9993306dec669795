"""Mapping local protocol and procedure names to regulatory acts, and suggesting acts.

Each device sends its own names ("THORAX ABDO PELVIS INJ", "TAP C+"…). A user keeps
:class:`MappingRule` rows: per device or for every device, a pattern (``exact``, ``contains`` or
``regex``) and the act it means. :class:`ProtocolMapper` applies them: rules are tried by
ascending ``priority`` (1 before 10), a device's own rules before rules for every device at equal
priority, then in the order given; the first match wins. Matching ignores case, accents and
repeated spaces unless a rule is ``case_sensitive``.

:func:`unmapped_names` lists the names no rule maps, with their counts and the likely act
(:func:`suggest_acts`: token similarity between the name and the acts' labels, after expanding
known abbreviations kept as data in ``data/synonyms.csv`` — "TAP" → thorax abdomen pelvis,
"C+"/"INJ" → contrast, which has no bearing on the act).
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from kerma.nrd.records import ExamRecord
from kerma.reference.tables import Act

SYNONYMS_FILE = Path(__file__).resolve().parent / "data" / "synonyms.csv"


class MatchKind(StrEnum):
    """How a rule's pattern is compared with a name."""

    EXACT = "exact"
    CONTAINS = "contains"
    REGEX = "regex"


def normalise(text: str) -> str:
    """Return ``text`` without accents, lower-cased, with runs of spaces collapsed."""
    stripped = "".join(
        c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
    )
    return " ".join(stripped.casefold().split())


@dataclass(frozen=True, slots=True)
class MappingRule:
    """A user's rule: names matching ``pattern`` on ``device_id`` (None: any device) → act.

    ``priority``: smaller is tried first. ``rule_id`` lets the shell trace which stored rule
    mapped an exam.
    """

    pattern: str
    act_code: str
    kind: MatchKind = MatchKind.CONTAINS
    device_id: str | None = None
    priority: int = 100
    case_sensitive: bool = False
    rule_id: str | int | None = None


class MappingRuleError(ValueError):
    """A rule that cannot be used (bad regular expression, empty pattern)."""


@dataclass(frozen=True, slots=True)
class _Compiled:
    rule: MappingRule
    order: int
    regex: re.Pattern[str] | None
    needle: str


class ProtocolMapper:
    """Maps (device, name) to an act code with the user's rules (see the module docstring)."""

    def __init__(self, rules: Iterable[MappingRule]):
        compiled: list[_Compiled] = []
        for order, rule in enumerate(rules):
            if not rule.pattern:
                raise MappingRuleError(f"rule {rule.rule_id or order + 1}: empty pattern")
            kind = MatchKind(rule.kind)
            regex = None
            needle = rule.pattern if rule.case_sensitive else normalise(rule.pattern)
            if kind is MatchKind.REGEX:
                flags = 0 if rule.case_sensitive else re.IGNORECASE
                try:
                    regex = re.compile(rule.pattern, flags)
                except re.error as exc:
                    raise MappingRuleError(
                        f"rule {rule.rule_id or order + 1} ({rule.pattern!r} → {rule.act_code}): "
                        f"invalid regular expression: {exc}"
                    ) from exc
            compiled.append(_Compiled(replace(rule, kind=kind), order, regex, needle))
        compiled.sort(key=lambda c: (c.rule.priority, c.rule.device_id is None, c.order))
        self._rules = compiled

    @property
    def rules(self) -> list[MappingRule]:
        """The rules in the order they are tried."""
        return [c.rule for c in self._rules]

    def match(self, device_id: str | None, name: str) -> MappingRule | None:
        """Return the first rule mapping ``name`` on ``device_id``, or None."""
        if not name or not name.strip():
            return None
        folded = normalise(name)
        for c in self._rules:
            if c.rule.device_id is not None and c.rule.device_id != device_id:
                continue
            text = name if c.rule.case_sensitive else folded
            if c.rule.kind is MatchKind.EXACT:
                hit = (" ".join(text.split()) if c.rule.case_sensitive else text) == c.needle
            elif c.rule.kind is MatchKind.CONTAINS:
                hit = c.needle in text
            else:
                assert c.regex is not None
                hit = bool(c.regex.search(name) or c.regex.search(folded))
            if hit:
                return c.rule
        return None

    def act_for(self, device_id: str | None, name: str) -> str | None:
        """Return the act code ``name`` maps to on ``device_id``, or None."""
        rule = self.match(device_id, name)
        return rule.act_code if rule else None

    def apply(self, exam: ExamRecord) -> ExamRecord:
        """Return ``exam`` with ``act_code`` set from its procedure name (and its acquisitions'
        from their protocol names); a name no rule maps leaves the code None."""
        acquisitions = tuple(
            replace(a, act_code=self.act_for(exam.device_id, a.protocol)) for a in exam.acquisitions
        )
        return replace(
            exam, act_code=self.act_for(exam.device_id, exam.procedure), acquisitions=acquisitions
        )


# ---- suggestions ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A likely act for a name: its code, label, score in [0, 1] and the words that matched."""

    act_code: str
    act_label: str
    score: float
    matched: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class UnmappedName:
    """A name no rule maps on a device, how many exams carry it, and the likely acts."""

    device_id: str
    name: str
    count: int
    suggestions: tuple[Suggestion, ...]


@lru_cache(maxsize=4)
def load_synonyms(path: Path = SYNONYMS_FILE) -> dict[str, list[tuple[tuple[str, ...], str]]]:
    """Return ``{token: [(meaning words, family or ""), …]}`` from the synonyms CSV file."""
    table: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        rows = (line for line in handle if not line.startswith("#"))
        for row in csv.DictReader(rows):
            token = normalise(row["token"])
            table.setdefault(token, []).append(
                (tuple(normalise(row["means"] or "").split()), (row.get("family") or "").strip())
            )
    return table


_CONTRAST = re.compile(r"(?<![a-z0-9])c\s*\+", re.IGNORECASE)
_SPLIT = re.compile(r"[^a-z0-9]+")


def tokens(
    text: str,
    family: str = "",
    synonyms: dict[str, list[tuple[tuple[str, ...], str]]] | None = None,
) -> tuple[str, ...]:
    """Return the meaningful words of ``text`` for acts of ``family``.

    Accents stripped, lower case, split on anything but letters and digits, single letters
    dropped, abbreviations expanded and filler or contrast words ("C+", "INJ") dropped.
    """
    table = load_synonyms() if synonyms is None else synonyms
    text = _CONTRAST.sub(" contrast ", normalise(text))
    words: list[str] = []
    for word in _SPLIT.split(text):
        if len(word) < 2 and not word.isdigit():
            continue
        meanings = table.get(word)
        if meanings is None:
            words.append(word)
            continue
        chosen = next((m for m, fam in meanings if fam == family), None)
        if chosen is None:
            chosen = next((m for m, fam in meanings if not fam), None)
        if chosen is None:  # only meanings for other families: keep the word as it is
            chosen = (word,)
        words.extend(chosen)
    return tuple(dict.fromkeys(words))


def _similar(a: str, b: str) -> bool:
    """Same word, or one a prefix (≥ 4 letters) of the other ("abdo"/"abdomen")."""
    if a == b:
        return True
    short, long_ = sorted((a, b), key=len)
    return len(short) >= 4 and long_.startswith(short)


def similarity(
    name_words: Sequence[str], label_words: Sequence[str]
) -> tuple[float, tuple[str, ...]]:
    """Return the Dice-like similarity of two word lists in [0, 1] and the label words matched."""
    if not name_words or not label_words:
        return 0.0, ()
    hit_name = [w for w in name_words if any(_similar(w, x) for x in label_words)]
    hit_label = [x for x in label_words if any(_similar(w, x) for w in name_words)]
    score = (len(hit_name) + len(hit_label)) / (len(name_words) + len(label_words))
    return score, tuple(hit_label)


def suggest_acts(
    name: str,
    acts: Iterable[Act],
    *,
    family: str | None = None,
    limit: int = 3,
    min_score: float = 0.3,
) -> list[Suggestion]:
    """Return up to ``limit`` acts whose labels resemble ``name``, best first.

    The score is a Dice coefficient on the words of the name and of the act's label after
    expansion (see :func:`tokens`): "TAP C+" scores 1.0 for "Thorax-abdomen-pelvis", 0.8 for
    "Abdomen-pelvis". ``family`` (the device's) keeps only acts of that family. Ties keep the
    acts' order. Acts scoring below ``min_score`` are left out.
    """
    scored: list[Suggestion] = []
    for act in acts:
        if family is not None and act.family != family:
            continue
        family_name = str(act.family)
        score, matched = similarity(tokens(name, family_name), tokens(act.label, family_name))
        if score >= min_score:
            scored.append(Suggestion(act.code, act.label, round(score, 3), matched))
    scored.sort(key=lambda s: -s.score)
    return scored[:limit]


def unmapped_names(
    exams: Iterable[ExamRecord],
    mapper: ProtocolMapper,
    acts: Sequence[Act] = (),
    *,
    device_families: Mapping[str, str] | None = None,
    limit: int = 3,
) -> list[UnmappedName]:
    """Return the procedure names no rule maps, per device, most frequent first.

    Each comes with its exam count and, when ``acts`` are given, the likely acts
    (:func:`suggest_acts`), among the acts of the device's family when ``device_families``
    (device id → family) knows it. Exams with an empty procedure name are counted under ``""``.
    """
    families = device_families or {}
    counts: Counter[tuple[str, str]] = Counter()
    for exam in exams:
        if mapper.match(exam.device_id, exam.procedure) is None:
            counts[(exam.device_id, exam.procedure)] += 1
    result = [
        UnmappedName(
            device_id=device,
            name=name,
            count=count,
            suggestions=(
                tuple(suggest_acts(name, acts, family=families.get(device), limit=limit))
                if acts and name
                else ()
            ),
        )
        for (device, name), count in counts.items()
    ]
    result.sort(key=lambda u: (-u.count, u.device_id, u.name))
    return result
