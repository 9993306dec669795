"""Forms of the people register and of the staff exposure assessments (labels in gettext)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from kerma.staff import ORGANS
from kerma.web.accounts.scope import visible_devices, visible_units
from kerma.web.people.models import (
    DOMAIN_CHOICES,
    Certificate,
    DeviceTraining,
    Person,
    Qualification,
    StaffAssessment,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PersonForm(forms.ModelForm):
    """A person: profession, domains, units (only the user's own), post, dates."""

    domains = forms.MultipleChoiceField(
        label=_l("domains of activity"),
        choices=DOMAIN_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Person
        fields = [
            "name",
            "profession",
            "domains",
            "units",
            "post",
            "email",
            "arrived_on",
            "activity_changed_on",
            "operator_name",
            "active",
        ]
        widgets = {"arrived_on": DATE, "activity_changed_on": DATE}

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["units"].queryset = visible_units(user)
        self.fields["units"].widget = forms.CheckboxSelectMultiple(
            choices=self.fields["units"].choices
        )


class CertificateForm(forms.ModelForm):
    class Meta:
        model = Certificate
        fields = ["obtained_on", "organisation", "guide", "attachment", "notes"]
        widgets = {"obtained_on": DATE, "notes": forms.Textarea(attrs={"rows": 2})}


class DeviceTrainingForm(forms.ModelForm):
    class Meta:
        model = DeviceTraining
        fields = ["device", "technique", "trained_on", "trainer"]
        widgets = {"trained_on": DATE}

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["device"].queryset = visible_devices(user)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("device") and not data.get("technique"):
            raise forms.ValidationError(_("Name a device or a technique."))
        return data


class QualificationForm(forms.ModelForm):
    class Meta:
        model = Qualification
        fields = ["post", "device", "qualified_on", "qualified_by", "notes"]
        widgets = {"qualified_on": DATE, "notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["device"].queryset = visible_devices(user)
        self.fields["qualified_on"].help_text = _("Leave empty while it is still to do.")


def parse_organ_values(text: str, *, fraction: bool = False) -> dict[str, float]:
    """Return ``organ=value, …`` as a dict (a value with ``%`` is a percentage); a
    ValidationError naming the item otherwise. ``fraction``: values in [0, 1)."""
    values: dict[str, float] = {}
    for item in filter(None, (v.strip() for v in text.split(","))):
        organ, _sep, raw = item.partition("=")
        organ = organ.strip()
        try:
            value = float(raw.strip().rstrip("%").replace(",", "."))
        except ValueError:
            value = -1.0
        if raw.strip().endswith("%"):
            value /= 100
        if organ not in ORGANS or value < 0 or (fraction and value >= 1):
            raise forms.ValidationError(
                _("%(item)s is not organ=value (organs: %(organs)s)")
                % {"item": item, "organs": ", ".join(ORGANS)}
            )
        values[organ] = value
    return values


def parse_protections(text: str) -> list[dict[str, Any]]:
    """Return the protections written one per line ``name | kind | organ=attenuation, …``
    (kind ``collective`` or ``individual``; attenuation a fraction, or a percentage with %)."""
    result = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) != 3:
            raise forms.ValidationError(
                _("Line %(n)s: write name | kind | organ=attenuation, …") % {"n": number}
            )
        name, kind, values = parts
        if kind not in ("collective", "individual"):
            raise forms.ValidationError(
                _("Line %(n)s: the kind is collective or individual") % {"n": number}
            )
        try:
            attenuation = parse_organ_values(values.replace(";", ","), fraction=True)
        except forms.ValidationError as exc:
            raise forms.ValidationError(
                _("Line %(n)s: %(error)s") % {"n": number, "error": " ".join(exc.messages)}
            ) from None
        result.append({"name": name, "kind": kind, "attenuation": attenuation})
    return result


def protections_text(rows: list[dict[str, Any]]) -> str:
    """Return stored protections as the lines :func:`parse_protections` reads."""
    return "\n".join(
        f"{r['name']} | {r.get('kind', 'collective')} | "
        + ", ".join(f"{k}={v:g}" for k, v in (r.get("attenuation") or {}).items())
        for r in rows
    )


class AssessmentForm(forms.ModelForm):
    """An assessment's inputs; protections one per line."""

    protections_lines = forms.CharField(
        label=_l("protections in use"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_l("One per line: name | collective or individual | whole_body=0.97, lens=0.5"),
    )
    candidates_lines = forms.CharField(
        label=_l("protections that could be added"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_l("Same form; Kerma names those that bring an organ under its limit."),
    )

    scatter_lines = forms.CharField(
        label=_l("scatter coefficients (µSv/Gy·cm² at the reference distance)"),
        required=False,
        help_text=_l(
            "To derive the doses from the DAP: whole_body=X, extremities=Y, lens=Z; with their"
            " source. Empty DAP: the median DAP of the device's exams for the act and period."
        ),
    )

    class Meta:
        model = StaffAssessment
        fields = [
            "unit",
            "title",
            "procedure",
            "position",
            "person",
            "dose_whole_body_usv",
            "dose_extremities_usv",
            "dose_lens_usv",
            "reference_distance_cm",
            "working_distance_cm",
            "dose_source",
            "scatter_source",
            "dap_gycm2",
            "volume",
            "volume_source",
            "device",
            "act",
            "period_from",
            "period_to",
            "notes",
        ]
        widgets = {
            "period_from": DATE,
            "period_to": DATE,
            "dose_source": forms.Textarea(attrs={"rows": 2}),
            "scatter_source": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        from kerma.web.people.scope import visible_people

        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = visible_units(user)
        self.fields["device"].queryset = visible_devices(user)
        self.fields["person"].queryset = visible_people(user)
        for organ in ORGANS:  # a dose, or a scatter coefficient to derive it (checked below)
            self.fields[f"dose_{organ}_usv"].required = False
        if self.instance.pk:
            self.fields["protections_lines"].initial = protections_text(self.instance.protections)
            self.fields["candidates_lines"].initial = protections_text(self.instance.candidates)
            self.fields["scatter_lines"].initial = ", ".join(
                f"{k}={v:g}" for k, v in self.instance.scatter_usv_per_gycm2.items()
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name in ("reference_distance_cm", "working_distance_cm"):
            if data.get(name) is not None and data[name] <= 0:
                self.add_error(name, _("A distance is positive."))
        for name in ("volume", "dose_whole_body_usv", "dose_extremities_usv", "dose_lens_usv"):
            if data.get(name) is not None and data[name] < 0:
                self.add_error(name, _("Cannot be negative."))
        if data.get("volume_source") == StaffAssessment.VolumeSource.DATABASE and not (
            data.get("device") and data.get("act") and data.get("period_from")
            and data.get("period_to")
        ):
            self.add_error(
                "volume_source",
                _("The volume from the database needs a device, an act and a period."),
            )
        try:
            data["scatter"] = parse_organ_values(data.get("scatter_lines") or "")
        except forms.ValidationError as exc:
            self.add_error("scatter_lines", exc)
            data["scatter"] = {}
        if data["scatter"] and not (data.get("scatter_source") or "").strip():
            self.add_error("scatter_source", _("State where the coefficients come from."))
        if data["scatter"] and data.get("dap_gycm2") is None and not data.get("device"):
            self.add_error("dap_gycm2", _("A DAP, or a device, act and period for the median."))
        for organ in ORGANS:
            name = f"dose_{organ}_usv"
            if data.get(name) is None and organ in data["scatter"]:
                data[name] = 0.0  # derived from the DAP when saved
            elif data.get(name) is None and name not in self.errors:
                self.add_error(name, _("Give the dose, or a scatter coefficient for it."))
        pairs = (("protections_lines", "protections"), ("candidates_lines", "candidates"))
        for field, target in pairs:
            try:
                data[target] = parse_protections(data.get(field) or "")
            except forms.ValidationError as exc:
                self.add_error(field, exc)
        return data

    def save(self, commit: bool = True) -> StaffAssessment:
        self.instance.protections = self.cleaned_data.get("protections", [])
        self.instance.candidates = self.cleaned_data.get("candidates", [])
        self.instance.scatter_usv_per_gycm2 = self.cleaned_data.get("scatter", {})
        return super().save(commit)


class UploadForm(forms.Form):
    """A spreadsheet or CSV file to import."""

    file = forms.FileField(label=_l("file"))
