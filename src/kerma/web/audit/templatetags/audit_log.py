"""Template filters of the audit trail: ``{{ entry|worded }}`` says what an entry says in the
page's language (its notice worded, else its summary); notices and text too."""

from __future__ import annotations

from django import template

from kerma.web.wording import worded

register = template.Library()
register.filter("worded", worded)
