"""The history page: every recorded change, for administrators and inspectors."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kerma.web.accounts.history import history_permission, visible_entries
from kerma.web.accounts.scope import require

ENTRIES_PER_PAGE = 100


def history(request: HttpRequest) -> HttpResponse:
    """Every change to evaluations, mappings, devices, users…: who, when, before and after,
    filtered by object type, actor and text; newest first."""
    require(request, history_permission())
    entries = visible_entries(request.user)
    object_type = request.GET.get("type", "")
    actor = request.GET.get("actor", "").strip()
    if object_type:
        entries = entries.filter(object_type=object_type)
    if actor:
        entries = entries.filter(actor__iexact=actor)
    types = visible_entries(request.user).order_by().values_list("object_type", flat=True)
    page = Paginator(entries, ENTRIES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "accounts/history.html",
        {
            "page": page,
            "entries": page.object_list,
            "types": sorted(set(types)),
            "object_type": object_type,
            "actor": actor,
        },
    )
