"""Written procedures (decree 2003-270, art. R. 43-64: a written protocol per equipment for each
type of act performed routinely, available near it): which acts lack one."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from kerma.notices import Notice, notice
from kerma.quality import wording as w


@dataclass(frozen=True, slots=True)
class MissingProtocol:
    """An act performed on a device (``exams`` times) with no written protocol."""

    device: str
    act: str
    exams: int

    def as_notice(self) -> Notice:
        """Return the finding worded for users."""
        return notice(w.PROTOCOL_MISSING, act=self.act, device=self.device, exams=self.exams)


def normalise_act(act: str) -> str:
    """Return the act name as compared with protocol titles (case and spaces ignored)."""
    return " ".join(act.casefold().split())


def missing_protocols(
    acts: Mapping[str, Mapping[str, int]],
    covered: Iterable[tuple[str, str]],
    *,
    min_exams: int = 1,
) -> list[MissingProtocol]:
    """Return the acts of ``acts`` (device → act → exam count) without a protocol in
    ``covered`` ((device, act) pairs; an act of device ``"*"`` covers every device), keeping
    acts done at least ``min_exams`` times; most frequent first."""
    have = {(d, normalise_act(a)) for d, a in covered}
    found = [
        MissingProtocol(device, act, count)
        for device, per_act in acts.items()
        for act, count in per_act.items()
        if count >= min_exams
        and (device, normalise_act(act)) not in have
        and ("*", normalise_act(act)) not in have
    ]
    return sorted(found, key=lambda m: (-m.exams, m.device, m.act))
