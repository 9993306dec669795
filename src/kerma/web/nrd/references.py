"""Reference sets in an installation: the shipped ones, those a physicist loaded, and the choice.

A set is named either as a shipped set (``fr-2019-DC-0667``, ``fr-2011-arrete``: files in
:mod:`kerma.reference`) or as a loaded one (:class:`~kerma.web.nrd.models.StoredReferenceSet`,
latest version). :class:`~kerma.web.nrd.models.ReferenceChoice` rows say which set applies to
which family of acts (a blank family: every family without its own choice); without any choice,
:data:`DEFAULT_SET` applies. Every evaluation records the name, version and status of the set it
was compared with, so a value is never unlabelled.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from kerma.reference.loader import (
    DATA_DIR,
    Problem,
    ReferenceSetError,
    available_sets,
    find_act,
    load_reference_set,
    parse_reference_csv,
)
from kerma.reference.tables import Act, ReferenceSet
from kerma.reference.vocabulary import Family
from kerma.web.audit.models import AuditEntry
from kerma.web.nrd.authority import refuse_unless_every_device
from kerma.web.nrd.models import ReferenceChoice, StoredReferenceSet

DEFAULT_SET = "fr-2019-DC-0667"


@dataclass(frozen=True)
class ActiveReference:
    """A set ready for evaluations: the validated set, its name, version and the choice's family."""

    reference_set: ReferenceSet
    name: str
    version: str
    family: str = ""

    @property
    def status(self) -> str:
        """The set's status (``in_force``, ``abrogated``, ``local``…)."""
        return self.reference_set.status


@lru_cache(maxsize=16)
def shipped_version(name: str) -> str:
    """Return ``shipped sha256:…`` of a shipped set's files (CSV and metadata)."""
    digest = hashlib.sha256()
    for suffix in (".csv", ".toml"):
        path = DATA_DIR / f"{name}{suffix}"
        if path.is_file():
            digest.update(path.read_bytes())
    return f"shipped sha256:{digest.hexdigest()[:12]}"


def latest_stored(name: str) -> StoredReferenceSet | None:
    """Return the latest loaded version of the set ``name`` (None when none is loaded)."""
    return StoredReferenceSet.objects.filter(name=name).order_by("-version").first()


def known_names() -> list[str]:
    """Return the names of every set available: shipped, then loaded."""
    stored = StoredReferenceSet.objects.values_list("name", flat=True).distinct().order_by("name")
    return [*available_sets(), *(n for n in stored if n not in available_sets())]


def load_named(name: str) -> tuple[ReferenceSet, str]:
    """Return the set ``name`` (shipped, else latest loaded version) and its version label.

    Raises LookupError when no set has that name.
    """
    if name in available_sets():
        return load_reference_set(name), shipped_version(name)
    stored = latest_stored(name)
    if stored is None:
        raise LookupError(
            f"no reference set named {name!r} (available: {', '.join(known_names())})"
        )
    return stored.load(), stored.version_label


def combine(name: str, supplements: list[str] | tuple[str, ...] = ()) -> tuple[ReferenceSet, str]:
    """Return ``name`` completed by ``supplements`` and the combined version label.

    Raises LookupError for an unknown name, ValueError when a supplement contradicts the set.
    """
    result, version = load_named(name)
    versions = [f"{name} {version}"]
    for extra in supplements:
        other, other_version = load_named(extra)
        result = result.with_supplement(other)
        versions.append(f"{extra} {other_version}")
    return result, " + ".join(versions)


def _choices() -> dict[str, ReferenceChoice]:
    return {c.family: c for c in ReferenceChoice.objects.all()}


def active_reference(family: Family | str | None = None) -> ActiveReference:
    """Return the set that applies to acts of ``family`` (the default choice when None)."""
    choices = _choices()
    choice = choices.get(str(family) if family else "") or choices.get("")
    if choice is None:
        reference_set, version = combine(DEFAULT_SET)
        return ActiveReference(reference_set, DEFAULT_SET, version, "")
    reference_set, version = combine(choice.set_name, list(choice.supplements))
    return ActiveReference(reference_set, reference_set.name, version, choice.family)


def active_by_family() -> dict[Family, ActiveReference]:
    """Return the set that applies to each family of acts."""
    cache: dict[str, ActiveReference] = {}
    result: dict[Family, ActiveReference] = {}
    choices = _choices()
    for family in Family:
        key = family.value if family.value in choices else ""
        if key not in cache:
            cache[key] = active_reference(family if key else None)
        result[family] = cache[key]
    return result


def listed_acts() -> dict[str, Act]:
    """Return the acts listed for each family by the set that applies to it (code → act)."""
    acts: dict[str, Act] = {}
    for family, active in active_by_family().items():
        for act in active.reference_set.acts(family):
            acts.setdefault(act.code, act)
    return acts


def reference_for_act(
    act_code: str, reference_name: str | None = None
) -> tuple[ActiveReference, Act | None]:
    """Return the set an evaluation of ``act_code`` uses, and the act (None when unknown).

    ``reference_name`` forces a set (shipped or loaded); otherwise the set chosen for the act's
    family applies. The act is looked up in the sets in use, then in every loaded and shipped set.
    """
    if reference_name:
        reference_set, version = combine(reference_name)
        active = ActiveReference(reference_set, reference_set.name, version, "")
        extra = [reference_set, *(a.reference_set for a in active_by_family().values())]
        return active, find_act(act_code, extra + _stored_sets())
    by_family = active_by_family()
    act = next(
        (
            a.reference_set.act(act_code)
            for a in by_family.values()
            if a.reference_set.act(act_code)
        ),
        None,
    )
    if act is None:
        act = find_act(act_code, _stored_sets())
    if act is None:
        return active_reference(None), None
    return by_family[act.family], act


def _stored_sets() -> list[ReferenceSet]:
    sets: list[ReferenceSet] = []
    for name in StoredReferenceSet.objects.values_list("name", flat=True).distinct():
        stored = latest_stored(name)
        if stored is not None:
            try:
                sets.append(stored.load())
            except ReferenceSetError:
                continue
    return sets


def import_reference(
    path: str | Path,
    *,
    by: str,
    name: str | None = None,
    citation: str = "",
    metadata_path: str | Path | None = None,
) -> StoredReferenceSet:
    """Validate and store the reference file ``path`` (CSV, with its optional TOML sidecar).

    The name is ``name``, else the metadata's ``name``, else the file's stem; a shipped set's name
    is refused. A set already loaded under that name gets a new version (the previous versions
    are kept). Raises :class:`ReferenceSetError` listing every problem (file, line, field);
    nothing is stored then. The import is audited (action ``import``).
    """
    path = Path(path)
    problems: list[Problem] = []
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ReferenceSetError([Problem(path.name, 0, "", f"cannot read: {exc}")]) from exc
    meta_file = Path(metadata_path) if metadata_path else path.with_suffix(".toml")
    metadata: dict[str, Any] | None = None
    metadata_text = ""
    if metadata_path or meta_file.is_file():
        try:
            metadata_text = meta_file.read_text(encoding="utf-8")
            metadata = tomllib.loads(metadata_text)
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ReferenceSetError(
                [Problem(meta_file.name, 0, "", f"cannot read: {exc}")]
            ) from exc
    set_name = (name or (metadata or {}).get("name") or path.stem).strip()
    if set_name in available_sets():
        problems.append(
            Problem(
                path.name,
                0,
                "name",
                f"{set_name!r} is the name of a set shipped with Kerma: give your set another "
                "name (--name), and use it as a supplement to complete the shipped set",
            )
        )
    if problems:
        raise ReferenceSetError(problems)
    parsed = parse_reference_csv(
        text, name=set_name, origin=path.name, metadata=metadata, metadata_origin=meta_file.name
    )
    with transaction.atomic():
        previous = latest_stored(set_name)
        stored = StoredReferenceSet(
            name=set_name,
            version=(previous.version + 1) if previous else 1,
            title=parsed.title,
            status=parsed.status,
            citation=citation,
            filename=path.name,
            csv_text=text,
            metadata_text=metadata_text,
            sha256=hashlib.sha256(raw + metadata_text.encode()).hexdigest(),
            row_count=len(parsed.references),
            value_count=sum(1 for r in parsed.references if r.nrd is not None),
            loaded_by=by,
            loaded_at=timezone.now(),
        )
        stored.save(actor=by, audit_action="import")
    return stored


def use_reference(
    name: str, *, by: str, family: Family | str | None = None, supplements: list[str] | None = None
) -> ReferenceChoice:
    """Make ``name`` (completed by ``supplements``) the set for ``family`` (None: the default).

    The combination is loaded first: LookupError for an unknown name, ValueError when a supplement
    contradicts the set, ReferenceSetError when a loaded file no longer validates. Audited
    (action ``use``).
    """
    refuse_unless_every_device(by, "The reference set in use")
    family_key = Family(family).value if family else ""
    combine(name, list(supplements or ()))
    with transaction.atomic():
        choice = ReferenceChoice.objects.filter(family=family_key).first()
        if choice is None:
            choice = ReferenceChoice(family=family_key)
        choice.set_name = name
        choice.supplements = list(supplements or ())
        choice.chosen_by = by
        choice.chosen_at = timezone.now()
        choice.save(actor=by, audit_action="use")
    return choice


def describe_sets() -> list[dict[str, Any]]:
    """Return every set (shipped and loaded versions) with its status, counts and where used."""
    by_family = {f.value: a for f, a in active_by_family().items()}
    choices = _choices()

    def used_for(set_name: str) -> list[str]:
        return sorted(f for f, a in by_family.items() if a.name.split("+")[0] == set_name) + sorted(
            f"supplement ({c.family or 'default'})"
            for c in choices.values()
            if set_name in c.supplements
        )

    rows: list[dict[str, Any]] = []
    for name in available_sets():
        refs = load_reference_set(name)
        rows.append(
            {
                "name": name,
                "origin": "shipped",
                "version": shipped_version(name),
                "title": refs.title,
                "status": refs.status,
                "rows": len(refs.references),
                "missing_values": len(refs.missing_values()),
                "gaps": len(refs.gaps),
                "citation": str(refs.metadata.get("legal_reference", "")),
                "loaded_by": "",
                "loaded_at": None,
                "used_for": used_for(name),
            }
        )
    latest: dict[str, int] = {}
    for stored in StoredReferenceSet.objects.order_by("name", "-version"):
        is_latest = stored.name not in latest
        latest.setdefault(stored.name, stored.version)
        rows.append(
            {
                "name": stored.name,
                "origin": "loaded" + ("" if is_latest else " (older version)"),
                "version": stored.version_label,
                "title": stored.title,
                "status": stored.status,
                "rows": stored.row_count,
                "missing_values": stored.row_count - stored.value_count,
                "gaps": None,
                "citation": stored.citation,
                "loaded_by": stored.loaded_by,
                "loaded_at": stored.loaded_at.isoformat(timespec="seconds"),
                "used_for": used_for(stored.name) if is_latest else [],
            }
        )
    return rows


def audit_trail(object_type: str, object_id: Any) -> list[AuditEntry]:
    """Return the audit entries of one object, oldest first."""
    return list(AuditEntry.objects.filter(object_type=object_type, object_id=str(object_id)))
