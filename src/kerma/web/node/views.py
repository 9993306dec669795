"""The DICOM node's page: is it listening, what came in today, the backlog, the last error,
and the association log (for administrators)."""

from __future__ import annotations

from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kerma.dicom.node import read_status
from kerma.web.node.models import Association


@staff_member_required
def node_status(request: HttpRequest) -> HttpResponse:
    """Render the node's status and its last 100 associations."""
    return render(request, "node/status.html", {
        "status": read_status(),
        "associations": Association.objects.all()[:100],
    })
