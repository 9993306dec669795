"""Choosing, in an exam, the acquisition an act's reference level is about.

CT and radiography levels of decision 2019-DC-0667 (and of the 2011 arrêté) are **per
acquisition**: one helix with its 16 or 32 cm CTDI phantom, one projection. In each exam,
:func:`choose_acquisition` keeps the candidates and records why each other acquisition was set
aside, then picks one:

1. an acquisition the physicist chose (an override) always wins — even one the rules would reject,
   with a warning saying so;
2. never a localizer, bolus-tracking/monitoring, test or stationary series: acquisition types and
   protocol-name patterns kept as data in ``data/series_patterns.toml``; never an acquisition
   without the act's values, nor one on the other phantom when both phantoms are known;
3. when some acquisitions are mapped to acts themselves (their protocol names matched a mapping
   rule), only those mapped to the evaluated act remain;
4. among several candidates, the one whose protocol name is closest to the act's label
   (:func:`kerma.nrd.mapping.similarity`), when one is strictly closest;
5. otherwise the one with the largest DLP (CT) or DAP (projection): the helix most likely to cover
   the whole region, and a choice that never under-states the practice. The choice is then marked
   ``ambiguous`` so that the physicist reviews it.

The result, :class:`AcquisitionChoice`, is stored with the evaluation: which acquisition, by which
rule, the candidates, and every rejected acquisition with its reason.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from kerma.notices import Notice, notice
from kerma.nrd.mapping import normalise, similarity, tokens
from kerma.nrd.records import Acquisition, ExamRecord
from kerma.reference.tables import Act
from kerma.reference.vocabulary import Family

PATTERNS_FILE = Path(__file__).resolve().parent / "data" / "series_patterns.toml"


@dataclass(frozen=True, slots=True)
class SeriesPatterns:
    """Acquisition types and protocol-name patterns that are never the act's acquisition.

    ``ct_types``/``projection_types``: excluded acquisition types; ``protocols``: (kind, compiled
    pattern) matched against the accent-stripped protocol name.
    """

    ct_types: frozenset[str]
    projection_types: frozenset[str]
    protocols: tuple[tuple[str, re.Pattern[str]], ...]

    def rejection(self, acquisition: Acquisition, family: Family) -> str | None:
        """Return why ``acquisition`` can never be the act's acquisition, or None."""
        types = self.ct_types if family is Family.CT else self.projection_types
        kind = acquisition.acquisition_type.lower()
        if kind in types:
            return f"{kind.replace('_', ' ')} acquisition"
        name = normalise(acquisition.protocol)
        for label, pattern in self.protocols:
            if pattern.search(name):
                return f"{label.replace('_', ' ')} series (protocol {acquisition.protocol!r})"
        return None


@lru_cache(maxsize=4)
def load_series_patterns(path: Path = PATTERNS_FILE) -> SeriesPatterns:
    """Return the :class:`SeriesPatterns` of a TOML file (default: the one shipped)."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    types = data.get("excluded_types", {})
    protocols = []
    for item in data.get("excluded_protocol", []):
        try:
            protocols.append((str(item["kind"]), re.compile(item["pattern"], re.IGNORECASE)))
        except (KeyError, re.error) as exc:
            raise ValueError(
                f"{path.name}: bad [[excluded_protocol]] entry {item!r}: {exc}"
            ) from exc
    return SeriesPatterns(
        ct_types=frozenset(types.get("ct", ())),
        projection_types=frozenset(types.get("projection", ())),
        protocols=tuple(protocols),
    )


@dataclass(frozen=True, slots=True)
class AcquisitionChoice:
    """Which acquisition of an exam stands for the act, and why.

    ``rule`` is ``override``, ``only_candidate``, ``mapped_protocol``, ``closest_protocol``,
    ``largest_dlp``, ``largest_dap``, ``largest_agd`` or ``none`` (no candidate: ``event_uid`` is
    None). ``rejected`` lists (event UID, reason) of every acquisition set aside.
    """

    event_uid: str | None
    rule: str
    explanation: str
    candidates: tuple[str, ...] = ()
    rejected: tuple[tuple[str, str], ...] = ()
    ambiguous: bool = False
    overridden: bool = False
    warnings: tuple[str, ...] = ()
    notice: Notice | None = None  # ``explanation``, for the shell to word (None for ``none``)

    def to_dict(self) -> dict[str, object]:
        """Return the choice as JSON-ready data."""
        return {
            "event_uid": self.event_uid,
            "rule": self.rule,
            "explanation": self.explanation,
            "candidates": list(self.candidates),
            "rejected": [{"event_uid": u, "reason": r} for u, r in self.rejected],
            "ambiguous": self.ambiguous,
            "overridden": self.overridden,
            "warnings": list(self.warnings),
            "notice": self.notice.to_dict() if self.notice else None,
        }


def _missing_values(acquisition: Acquisition, family: Family) -> str | None:
    if family is Family.CT:
        missing = [
            name
            for name, value in (
                ("CTDIvol", acquisition.ctdivol_mgy),
                ("DLP", acquisition.dlp_mgycm),
            )
            if value is None
        ]
        return f"no {' and '.join(missing)}" if missing else None
    if family is Family.MAMMOGRAPHY:
        return "no AGD" if acquisition.agd_mgy is None else None
    return "no DAP" if acquisition.dap_gycm2 is None else None


def _size(acquisition: Acquisition, family: Family) -> float:
    if family is Family.CT:
        return acquisition.dlp_mgycm or 0.0
    if family is Family.MAMMOGRAPHY:
        return acquisition.agd_mgy or 0.0
    return acquisition.dap_gycm2 or 0.0


def choose_acquisition(
    exam: ExamRecord,
    act: Act,
    *,
    phantom_cm: int | None = None,
    override: str | None = None,
    patterns: SeriesPatterns | None = None,
) -> AcquisitionChoice:
    """Return the acquisition of ``exam`` that stands for ``act`` (see the module docstring).

    ``phantom_cm`` is the CTDI phantom of the act's reference level (16 or 32), when known.
    ``override`` is the event UID the physicist chose for this exam.
    """
    patterns = patterns or load_series_patterns()
    family = act.family
    rejected: list[tuple[str, str]] = []
    candidates: list[Acquisition] = []
    warnings: list[str] = []
    for acq in exam.acquisitions:
        why = patterns.rejection(acq, family) or _missing_values(acq, family)
        if (
            why is None
            and family is Family.CT
            and phantom_cm is not None
            and acq.phantom_cm is not None
            and acq.phantom_cm != phantom_cm
        ):
            why = f"{acq.phantom_cm} cm phantom, the level is for the {phantom_cm} cm phantom"
        if why is None and acq.act_code is not None and acq.act_code != act.code:
            why = f"protocol {acq.protocol!r} is mapped to act {acq.act_code}"
        if why:
            rejected.append((acq.event_uid, why))
        else:
            candidates.append(acq)

    if override is not None:
        chosen = next((a for a in exam.acquisitions if a.event_uid == override), None)
        if chosen is None:
            why = notice("nrd.choice.not_in_exam", event=override)
            return AcquisitionChoice(
                None, "none", why.text("en"), overridden=True, rejected=tuple(rejected), notice=why
            )
        reason = dict(rejected).get(override)
        if reason:
            warnings.append(f"the chosen acquisition would have been set aside: {reason}")
        if _missing_values(chosen, family):
            warnings.append(f"the chosen acquisition has {_missing_values(chosen, family)}")
        why = notice("nrd.choice.override")
        return AcquisitionChoice(
            override,
            "override",
            why.text("en"),
            notice=why,
            candidates=tuple(a.event_uid for a in candidates),
            rejected=tuple(r for r in rejected if r[0] != override),
            overridden=True,
            warnings=tuple(warnings),
        )

    if family is Family.CT and phantom_cm is not None:
        unknown = [a.event_uid for a in candidates if a.phantom_cm is None]
        if unknown:
            warnings.append(f"phantom unknown for {', '.join(unknown)}")
    uids = tuple(a.event_uid for a in candidates)
    if not candidates:
        detail = "; ".join(f"{u or '?'}: {r}" for u, r in rejected) or "the exam has no acquisition"
        return AcquisitionChoice(None, "none", detail, rejected=tuple(rejected))
    if len(candidates) == 1:
        why = notice("nrd.choice.only_candidate")
        return _choice(candidates[0], "only_candidate", why, uids, rejected, warnings)
    mapped = [a for a in candidates if a.act_code == act.code]
    if len(mapped) == 1:
        why = notice("nrd.choice.mapped_protocol", act=act.code)
        return _choice(mapped[0], "mapped_protocol", why, uids, rejected, warnings)
    pool = mapped or candidates
    label_words = tokens(act.label, str(family))
    scores = sorted(
        (
            (similarity(tokens(a.protocol, str(family)), label_words)[0], i)
            for i, a in enumerate(pool)
        ),
        reverse=True,
    )
    if scores[0][0] > 0 and scores[0][0] > scores[1][0]:
        best = pool[scores[0][1]]
        why = notice("nrd.choice.closest_protocol", protocol=best.protocol, label=act.label)
        return _choice(best, "closest_protocol", why, uids, rejected, warnings)
    best = max(pool, key=lambda a: _size(a, family))
    rule = {Family.CT: "largest_dlp", Family.MAMMOGRAPHY: "largest_agd"}.get(family, "largest_dap")
    quantity = rule.removeprefix("largest_").upper()
    why = notice("nrd.choice.largest", quantity=quantity, n=len(pool))
    return _choice(best, rule, why, uids, rejected, warnings, ambiguous=True)


def _choice(
    acq: Acquisition,
    rule: str,
    why: Notice,
    uids: tuple[str, ...],
    rejected: list[tuple[str, str]],
    warnings: list[str],
    ambiguous: bool = False,
) -> AcquisitionChoice:
    return AcquisitionChoice(
        acq.event_uid,
        rule,
        why.text("en"),
        candidates=uids,
        rejected=tuple(rejected),
        ambiguous=ambiguous,
        warnings=tuple(warnings),
        notice=why,
    )
