"""The audit base classes this app uses, imported from one place (the audit app)."""

from kerma.web.audit.log import acting_as, actor_of, changed, jsonable
from kerma.web.audit.models import AuditedModel, AuditEntry

__all__ = ["AuditEntry", "AuditedModel", "acting_as", "actor_of", "changed", "jsonable"]
