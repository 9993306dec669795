"""The audit base classes this app uses, imported from one place.

They live today in :mod:`kerma.web.nrd` and are moving to their own app (``kerma.web.audit``):
when they do, only these imports change.
"""

from kerma.web.nrd.audit import acting_as, actor_of, changed, jsonable
from kerma.web.nrd.models import AuditedModel, AuditEntry

__all__ = ["AuditEntry", "AuditedModel", "acting_as", "actor_of", "changed", "jsonable"]
