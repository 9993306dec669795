"""The manual-entry page: a unit without a dose archive types, pastes or imports its rows.

``nrd_manual_entry`` shows the evaluation form (device, act, population, weight class, period)
with a text area for pasted rows and a CSV/XLSX upload; errors are shown with their row and
column; a valid entry is evaluated with the decision's rules, stored as a draft marked
"manual entry" and the user is sent to the evaluation page.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kerma.reference.vocabulary import Family
from kerma.web.nrd.forms import EvaluationForm
from kerma.web.nrd.manual import (
    ManualEntryError,
    RowError,
    expected_header,
    read_upload,
    run_manual_evaluation,
    save_manual_evaluation,
    split_text,
)
from kerma.web.nrd.templatetags.nrd_notices import reason

MAX_UPLOAD = 5 * 1024 * 1024


class ManualEntryForm(EvaluationForm):
    """The evaluation form, plus the rows: pasted text or an uploaded CSV/XLSX file."""

    rows = forms.CharField(
        label=gettext_lazy("Rows (header first)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 14, "cols": 90, "spellcheck": "false"}),
    )
    file = forms.FileField(label=gettext_lazy("Or a CSV/XLSX file"), required=False)

    def clean(self) -> dict[str, Any]:
        """Require pasted rows or a file (not both)."""
        cleaned = super().clean()
        text, upload = (cleaned.get("rows") or "").strip(), cleaned.get("file")
        if not text and not upload:
            raise forms.ValidationError(_("Paste the rows or choose a file."))
        if text and upload:
            raise forms.ValidationError(_("Paste the rows or choose a file, not both."))
        if upload and upload.size > MAX_UPLOAD:
            self.add_error("file", _("The file is larger than 5 MB."))
        return cleaned


def manual_entry(request: HttpRequest) -> HttpResponse:
    """Evaluate typed, pasted or imported rows and store the evaluation (draft)."""
    errors: list[RowError] = []
    if request.method == "POST":
        if not request.user.has_perm("nrd.add_evaluation"):
            raise PermissionDenied
        form = ManualEntryForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            upload = data.get("file")
            try:
                if upload:
                    cells = read_upload(upload.name, upload.read())
                else:
                    cells = split_text(data["rows"])
                run = run_manual_evaluation(
                    data["device"],
                    data["act"].strip(),
                    cells,
                    population=data["population"],
                    category=data["weight_class"].strip() or None,
                    period_from=data["period_from"],
                    period_to=data["period_to"],
                    filename=upload.name if upload else "",
                )
                evaluation = save_manual_evaluation(run, by=request.user.get_username())
            except ManualEntryError as exc:
                errors = exc.errors
            except (ValueError, LookupError) as exc:
                form.add_error(None, reason(exc))
            else:
                return redirect("nrd_evaluation", pk=evaluation.pk)
    else:
        if not request.user.has_perm("nrd.view_evaluation"):
            raise PermissionDenied
        form = ManualEntryForm(initial=request.GET or None, user=request.user)
    headers = [
        (label, expected_header(family))
        for label, family in (
            ("CT", Family.CT),
            (_("Radiography"), Family.RADIOGRAPHY),
            (_("Interventional"), Family.INTERVENTIONAL),
            (_("Nuclear medicine"), Family.NUCLEAR_MEDICINE),
        )
    ]
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "nrd/manual_entry.html",
        {"form": form, "row_errors": errors, "headers": headers},
        status=status,
    )
