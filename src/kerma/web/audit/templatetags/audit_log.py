"""Template filters of the audit trail: ``{{ entry|worded }}`` says what an entry says in the
page's language (its notice worded, else its summary); notices and text too.
``{{ entry|in_words }}`` gives its action, kind of row and fields worded
(:mod:`kerma.web.audit.words`)."""

from __future__ import annotations

from django import template

from kerma.web.audit.words import object_words, worded_entry
from kerma.web.wording import worded

register = template.Library()
register.filter("worded", worded)
# ``{{ entry|in_words }}``: the entry's action, object kind and fields in the page's language.
register.filter("in_words", worded_entry)
# ``{{ object_type|object_kind }}``: what kind of row an entry is about, in words.
register.filter("object_kind", object_words)
