"""The audit trail, at the bottom of the web shell: who changed what, when, before and after.

Every app that keeps a history builds on it (:class:`~kerma.web.audit.models.AuditedModel`,
:func:`~kerma.web.audit.log.acting_as`); it imports none of them.
"""
