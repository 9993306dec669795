"""Protocol names → acts: the stored rules, adding one, and the names no rule maps."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Count, Q

from kerma.nrd import MappingRule, ProtocolMapper, suggest_acts
from kerma.nrd.wording import NoticeError
from kerma.reference.tables import Act
from kerma.web.dose.models import Device, Exam
from kerma.web.nrd.authority import refuse_unless_every_device
from kerma.web.nrd.models import ProtocolMapping
from kerma.web.nrd.references import active_by_family, reference_for_act
from kerma.web.nrd.services.devices import device_family


def mapping_rules(device_id: int | None = None) -> list[MappingRule]:
    """Return the stored rules (those of ``device_id`` and those for every device, when given)."""
    rows = ProtocolMapping.objects.all()
    if device_id is not None:
        rows = rows.filter(Q(device_id=device_id) | Q(device__isnull=True))
    return [row.to_rule() for row in rows.order_by("priority", "id")]


def protocol_mapper(device_id: int | None = None) -> ProtocolMapper:
    """Return the :class:`ProtocolMapper` of the stored rules (see :func:`mapping_rules`)."""
    return ProtocolMapper(mapping_rules(device_id))


def known_act(code: str) -> Act | None:
    """Return the act ``code`` from the sets in use (or any loaded or shipped set), or None."""
    return reference_for_act(code)[1]


def add_mapping(
    *,
    by: str,
    pattern: str,
    act_code: str,
    device: Device | None = None,
    kind: str = "contains",
    priority: int = 100,
    case_sensitive: bool = False,
    note: str = "",
    refresh: bool = True,
) -> tuple[ProtocolMapping, int]:
    """Store a mapping rule (validated, audited) and re-run the drafts it may change.

    Returns the rule and the number of draft evaluations re-run. Raises ValueError for an act no
    reference set knows, django ValidationError for an invalid pattern.
    """
    if device is None:
        refuse_unless_every_device(by, "A mapping rule for every device")
    if known_act(act_code) is None:
        raise NoticeError("nrd.error.unknown_act", act=act_code)
    rule = ProtocolMapping(
        device=device,
        kind=kind,
        pattern=pattern,
        act_code=act_code,
        priority=priority,
        case_sensitive=case_sensitive,
        note=note,
        created_by=by,
    )
    with transaction.atomic():
        rule.save(actor=by)
    # Imported here: evaluations reads the rules from this module.
    from kerma.web.nrd.services.evaluations import refresh_drafts

    refreshed = refresh_drafts(by=by, device_id=device.pk if device else None) if refresh else 0
    return rule, refreshed


def remove_mapping(rule: ProtocolMapping, *, by: str) -> int:
    """Delete a mapping rule (audited) and re-run the drafts it may change; return how many.
    A rule for every device is removed by an administrator only (PermissionDenied)."""
    if rule.device_id is None:
        refuse_unless_every_device(by, "A mapping rule for every device")
    from kerma.web.nrd.services.evaluations import refresh_drafts

    device_id = rule.device_id
    rule.delete(actor=by)
    return refresh_drafts(by=by, device_id=device_id)


def unmapped_listing(
    *,
    device: Device | None = None,
    period_from: date | None = None,
    period_to: date | None = None,
    limit: int = 3,
    device_ids: Iterable[int] | None = None,
) -> list[dict[str, Any]]:
    """Return the procedure names no rule maps, per device, most frequent first.

    ``device_ids`` narrows the listing to those devices (a user's units).

    Each: ``device`` {id, name}, ``name``, ``count`` (exams, test exams left out) and
    ``suggestions`` (likely acts of the device's family from the set in use, best first).
    """
    rows = Exam.objects.filter(is_test=False)
    if device is not None:
        rows = rows.filter(device=device)
    if device_ids is not None:
        rows = rows.filter(device_id__in=list(device_ids))
    if period_from is not None:
        rows = rows.filter(study_date__gte=period_from)
    if period_to is not None:
        rows = rows.filter(study_date__lte=period_to)
    counts = rows.values("device_id", "procedure").annotate(n=Count("id")).order_by()
    devices = {d.pk: d for d in Device.objects.select_related("nrd_settings")}
    mappers: dict[int, ProtocolMapper] = {}
    references = active_by_family()
    result: list[dict[str, Any]] = []
    for row in counts:
        device_id, name = row["device_id"], row["procedure"] or ""
        mapper = mappers.get(device_id) or mappers.setdefault(device_id, protocol_mapper(device_id))
        if mapper.match(str(device_id), name) is not None:
            continue
        dev = devices[device_id]
        family = device_family(dev)
        if family is not None:
            acts = references[family].reference_set.acts(family)
        else:
            acts = [a for r in references.values() for a in r.reference_set.acts()]
        suggestions = (
            suggest_acts(name, acts, family=family.value if family else None, limit=limit)
            if name
            else []
        )
        result.append(
            {
                "device": {"id": device_id, "name": str(dev)},
                "name": name,
                "count": row["n"],
                "suggestions": [
                    {"act": s.act_code, "label": s.act_label, "score": s.score} for s in suggestions
                ],
            }
        )
    result.sort(key=lambda u: (-u["count"], u["device"]["id"], u["name"]))
    return result
