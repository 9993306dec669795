"""The audit trail the quality registers use, imported from one place.

The audit base classes live in the audit app at the bottom of the web shell.
"""

from kerma.web.audit.log import acting_as, actor_of, changed
from kerma.web.audit.models import AuditedModel, AuditEntry

__all__ = ["AuditEntry", "AuditedModel", "acting_as", "actor_of", "changed"]
