"""Template filters of the audit trail."""

from __future__ import annotations

from django import template
from django.utils.translation import get_language

from kerma.web.audit.models import AuditEntry

register = template.Library()


@register.filter
def worded(entry: AuditEntry) -> str:
    """Return what the entry says in the page's language: its notice worded, else its summary."""
    return entry.worded(get_language() or "en")
