"""Template filters of the quality pages: ``{{ due.kind|control_kind }}`` says a kind of
control or maintenance in the page's language (see :mod:`kerma.web.quality.words`)."""

from __future__ import annotations

from django import template

from kerma.web.quality.words import kind_label

register = template.Library()
register.filter("control_kind", kind_label)
