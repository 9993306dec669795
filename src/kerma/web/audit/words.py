"""An audit entry in the reader's words: what was done, to what, and each field it set by its
label, choices by their words, linked rows by their names.

The audit trail stores stable codes (``update``, ``quality_event``, ``status: "done"``) so that
scripts and exports keep them; pages word them here. The models are found through Django's app
registry by their ``audit_type`` (or model name), so this bottom app imports no app above it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.apps import apps
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# The actions the apps record, in words; any other is shown as stored.
ACTIONS = {
    "create": gettext_lazy("created"),
    "update": gettext_lazy("changed"),
    "delete": gettext_lazy("deleted"),
    "validate": gettext_lazy("validated"),
    "sign": gettext_lazy("signed"),
    "done": gettext_lazy("done"),
    "use": gettext_lazy("put to use"),
    "import": gettext_lazy("imported"),
    "rerun": gettext_lazy("run again"),
    "supersede": gettext_lazy("superseded"),
    "superseded": gettext_lazy("superseded"),
    "override": gettext_lazy("overridden"),
    "exclude": gettext_lazy("excluded"),
    "include": gettext_lazy("included"),
    "units": gettext_lazy("units changed"),
}

@lru_cache(maxsize=1)
def _models_by_type() -> dict[str, type[models.Model]]:
    found: dict[str, type[models.Model]] = {}
    every = apps.get_models()
    for model in every:
        audit_type = getattr(model, "audit_type", None)
        if audit_type is not None:  # an audited model
            found.setdefault(audit_type or model._meta.model_name, model)
    # Rows recorded by hand under their model's name (``device``, ``user``).
    for model in every:
        found.setdefault(model._meta.model_name, model)
    return found


def audited_model(object_type: str) -> type[models.Model] | None:
    """Return the model whose changes are recorded as ``object_type`` (None when unknown)."""
    return _models_by_type().get(object_type)


def action_words(action: str) -> str:
    """Return what an entry's ``action`` did, in the page's language."""
    return str(ACTIONS.get(action, action))


def object_words(object_type: str) -> str:
    """Return what kind of row ``object_type`` is, in the page's language."""
    model = audited_model(object_type)
    if model is not None:
        return str(model._meta.verbose_name)
    return object_type


def field_words(model: type[models.Model] | None, key: str, value: Any) -> tuple[str, Any]:
    """Return the label of field ``key`` (an attname such as ``unit_id``) of ``model`` and
    ``value`` worded: a choice by its label, a linked row by its name, yes/no."""
    field = None
    if model is not None:
        field = next((f for f in model._meta.concrete_fields if f.attname == key), None)
    if field is None:
        return key, _yes_no(value)
    if field.choices:
        value = dict(field.flatchoices).get(value, value)
    elif field.is_relation and value is not None:
        related = field.related_model
        blobs = [f.name for f in related._meta.fields if f.get_internal_type() == "BinaryField"]
        found = related._base_manager.filter(pk=value).defer(*blobs).first()
        value = str(found) if found is not None else value
    else:
        value = _yes_no(value)
    # A label Django made from the column's name is English: looked up in the catalogue too.
    return _(str(field.verbose_name)), value


def _yes_no(value: Any) -> Any:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return value


@dataclass(frozen=True)
class WordedEntry:
    """An audit entry as a page shows it."""

    action: str
    what: str
    before: list[tuple[str, Any]]
    after: list[tuple[str, Any]]


def worded_entry(entry: Any) -> WordedEntry:
    """Return ``entry`` (an :class:`~kerma.web.audit.models.AuditEntry`) in the page's words."""
    model = audited_model(entry.object_type)
    return WordedEntry(
        action=action_words(entry.action),
        what=object_words(entry.object_type),
        before=[field_words(model, k, v) for k, v in (entry.before or {}).items()],
        after=[field_words(model, k, v) for k, v in (entry.after or {}).items()],
    )
