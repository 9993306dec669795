"""The audit trail the quality registers use, imported from one place.

The audit base classes live in the NRD app today and are moving to an audit app of their own:
only this module names where they are, so the move changes one import here.
"""

from kerma.web.nrd.audit import acting_as, actor_of, changed
from kerma.web.nrd.models import AuditedModel, AuditEntry

__all__ = ["AuditEntry", "AuditedModel", "acting_as", "actor_of", "changed"]
