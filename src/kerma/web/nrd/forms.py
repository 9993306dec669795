"""Forms of the NRD pages: a new evaluation, the analysis, a corrective action, a mapping rule."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kerma.nrd.mapping import MatchKind
from kerma.web.dose.models import Device

DATE = {"type": "date"}


# How a rule matches a name, as the pages say it (the stored value is the MatchKind's).
MATCH_LABELS = {
    "exact": _("exact name"),
    "contains": _("contains"),
    "regex": _("regular expression"),
}

class _UserDevicesMixin:
    """Narrows the ``device`` field to the devices of the user's units (``user=`` argument)."""

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        if user is not None:
            from kerma.web.accounts.scope import visible_devices

            field = self.fields["device"]  # type: ignore[attr-defined]
            field.queryset = visible_devices(user).order_by(
                "display_name", "manufacturer", "model"
            )


class EvaluationForm(_UserDevicesMixin, forms.Form):
    """Device, act, population, weight class and period of a new evaluation."""

    device = forms.ModelChoiceField(
        label=_("Device"), queryset=Device.objects.order_by("display_name", "manufacturer", "model")
    )
    act = forms.CharField(label=_("Act code"), max_length=64)
    population = forms.ChoiceField(
        label=_("Population"), choices=[("adult", _("adult")), ("paediatric", _("paediatric"))]
    )
    weight_class = forms.CharField(label=_("Weight class"), max_length=32, required=False)
    period_from = forms.DateField(
        label=_("From"), widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d")
    )
    period_to = forms.DateField(
        label=_("To"), widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d")
    )

    def clean(self) -> dict[str, Any]:
        """Refuse a period that ends before it starts."""
        cleaned = super().clean() or {}
        start, end = cleaned.get("period_from"), cleaned.get("period_to")
        if start and end and end < start:
            self.add_error("period_to", _("The end date is before the start date."))
        return cleaned


class AnalysisForm(forms.Form):
    """The physicist's analysis and the justification of an exceedance."""

    analysis = forms.CharField(
        label=_("Analysis"), required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    justification = forms.CharField(
        label=_("Justification"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class ActionForm(forms.Form):
    """A corrective action: what, who owns it, by when."""

    description = forms.CharField(label=_("Action"), widget=forms.TextInput())
    owner = forms.CharField(label=_("Owner"), max_length=150)
    due_date = forms.DateField(
        label=_("Due date"), widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d")
    )


class EventChoiceForm(forms.Form):
    """The acquisition the physicist chooses in one selected exam."""

    study_uid = forms.CharField(widget=forms.HiddenInput())
    event_uid = forms.CharField(label=_("Acquisition"))


class ExcludeForm(forms.Form):
    """An exam the physicist excludes by hand, with the reason."""

    study_uid = forms.CharField(widget=forms.HiddenInput())
    reason = forms.CharField(label=_("Reason"), max_length=500)


class MappingForm(_UserDevicesMixin, forms.Form):
    """A mapping rule: protocol names matching a pattern on a device (or all) → an act.
    "All devices" is offered to administrators only (see :mod:`kerma.web.nrd.authority`)."""

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        if user is not None and not getattr(user, "is_superuser", False):
            field = self.fields["device"]
            field.required, field.empty_label = True, None

    device = forms.ModelChoiceField(
        label=_("Device"),
        queryset=Device.objects.order_by("display_name", "manufacturer", "model"),
        required=False,
        empty_label=_("All devices"),
    )
    kind = forms.ChoiceField(
        label=_("Match"),
        choices=[(k.value, MATCH_LABELS.get(k.value, k.value)) for k in MatchKind],
        initial="contains",
    )
    pattern = forms.CharField(label=_("Pattern"))
    act_code = forms.CharField(label=_("Act code"), max_length=64)
    priority = forms.IntegerField(label=_("Priority"), initial=100)


class ReferenceUploadForm(forms.Form):
    """A physicist's reference file (CSV) with the citation of the text it was typed from."""

    file = forms.FileField(label=_("Reference file (CSV)"))
    name = forms.CharField(label=_("Set name"), max_length=200, required=False)
    citation = forms.CharField(
        label=_("Citation"), widget=forms.Textarea(attrs={"rows": 2}), required=True
    )
