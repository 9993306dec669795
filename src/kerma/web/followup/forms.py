"""Forms of the follow-up pages: acknowledging an alert, a unit's thresholds, a room's geometry."""

from __future__ import annotations

import dataclasses
import json
import typing
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kerma.web.followup.models import Alert, AlertSettings, RoomGeometry


class AcknowledgeForm(forms.Form):
    """A physicist's decision on an alert, and later its outcome."""

    decision = forms.ChoiceField(label=_("Follow-up decided"), choices=Alert.Decision.choices)
    decision_reason = forms.CharField(
        label=_("Reason (required when no follow-up)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    outcome = forms.CharField(
        label=_("Outcome (consultation findings, letter sent...)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    close = forms.BooleanField(label=_("Follow-up finished: close the alert"), required=False)

    def clean(self) -> dict[str, Any]:
        """Require a reason for "no follow-up", and an outcome to close."""
        data = super().clean() or {}
        if data.get("decision") == Alert.Decision.NONE and not data.get("decision_reason", ""):
            self.add_error("decision_reason", _("Say why no follow-up is needed."))
        if data.get("close") and not (data.get("outcome") or "").strip():
            self.add_error("outcome", _("Record the outcome before closing."))
        return data


class AlertSettingsForm(forms.ModelForm):
    """A unit's thresholds (empty: not checked) and the cumulation window."""

    class Meta:
        model = AlertSettings
        fields = [
            "kar_mgy",
            "dap_gycm2",
            "fluoro_time_s",
            "psd_mgy",
            "cumulative_kar_mgy",
            "cumulative_dap_gycm2",
            "cumulative_fluoro_time_s",
            "cumulative_psd_mgy",
            "window_days",
            "kar_notice_mgy",
            "source",
        ]
        widgets = {"source": forms.Textarea(attrs={"rows": 4})}

    def clean(self) -> dict[str, Any]:
        """Refuse negative thresholds and a zero-day window."""
        data = super().clean() or {}
        for name, value in data.items():
            if isinstance(value, float) and value < 0:
                self.add_error(name, _("A threshold cannot be negative."))
        if data.get("window_days") == 0:
            self.add_error("window_days", _("The window is at least one day."))
        return data


# The label of each RoomSettings field on the page (its key stays as the field's help text,
# the name the JSON export and ``kerma skindose`` use).
SETTING_LABELS = {
    "primary_angle_sign": _("Primary angle sign (+1: +90° = LAO)"),
    "secondary_angle_sign": _("Secondary angle sign (+1: +90° = cranial)"),
    "field_size_mode": _("Collimated field stated at (detector, isocentre, reference_point)"),
    "reference_point_mm": _("Interventional reference point from the isocentre (mm)"),
    "swap_table_axes": _("Swap the table's longitudinal and lateral items"),
    "table_longitudinal_sign": _("Table longitudinal sign"),
    "table_lateral_sign": _("Table lateral sign"),
    "table_height_sign": _("Table height sign"),
    "table_longitudinal_origin_mm": _("Table longitudinal origin (mm)"),
    "table_lateral_origin_mm": _("Table lateral origin (mm)"),
    "table_height_origin_mm": _("Table height origin (mm)"),
    "patient_orientation": _("Patient orientation"),
    "table_length_mm": _("Table length (mm)"),
    "table_width_mm": _("Table width (mm)"),
    "table_thickness_mm": _("Table thickness (mm)"),
    "pad_thickness_mm": _("Mattress thickness (mm)"),
    "table_transmission": _("Table and mattress transmission (0-1)"),
    "table_transmission_by_kvp": _("Transmission measured per kVp"),
    "inherent_filtration_mmal": _("Inherent filtration (mm Al)"),
    "plane_width_mm": _("Plane phantom width (mm)"),
    "plane_length_mm": _("Plane phantom length (mm)"),
    "cylinder_semi_axis_lateral_mm": _("Cylinder lateral semi-axis (mm)"),
    "cylinder_semi_axis_ap_mm": _("Cylinder antero-posterior semi-axis (mm)"),
    "cylinder_length_mm": _("Cylinder length (mm)"),
    "human_height_mm": _("Phantom height when the report gives none (mm)"),
    "human_weight_kg": _("Phantom weight when the report gives none (kg)"),
    "phantom_offset_mm": _("Phantom shift on the table (mm)"),
    "assumed": _("Values assumed for fields the reports leave out"),
    "source": _("Where these settings come from"),
}


def _field_for(name: str, kind: Any, initial: Any) -> forms.Field:
    """Return a form field for one :class:`kerma.skindose.RoomSettings` field."""
    label = SETTING_LABELS.get(name, name.replace("_", " "))
    if kind in (bool, "bool"):
        return forms.BooleanField(label=label, required=False, initial=initial, help_text=name)
    if kind in (float, "float", int, "int"):
        return forms.FloatField(label=label, initial=initial, help_text=name)
    if kind in (str, "str"):
        return forms.CharField(label=label, required=False, initial=initial, help_text=name)
    # Lists and dicts are edited as JSON.
    return forms.CharField(
        label=f"{label} (JSON)",
        help_text=name,
        required=False,
        initial=json.dumps(initial),
        widget=forms.TextInput(attrs={"class": "mono"}),
    )


class RoomGeometryForm(forms.Form):
    """A device's geometry settings, one field per :class:`~kerma.skindose.RoomSettings` field
    (lists and dicts as JSON), plus the phantom, the cell size and the measurement record."""

    phantom = forms.ChoiceField(
        label=_("Patient model"),
        choices=[("human", _("human")), ("cylinder", _("cylinder")), ("plane", _("plane"))],
    )
    cell_mm = forms.FloatField(label=_("Map cell size (mm)"), min_value=2, max_value=50)
    measured_on = forms.DateField(
        label=_("Measured on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    measurement_notes = forms.CharField(
        label=_("Measurement notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, settings: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from kerma.skindose import RoomSettings

        hints = typing.get_type_hints(RoomSettings)
        self.setting_names = []
        for f in dataclasses.fields(RoomSettings):
            kind = hints.get(f.name, str)
            origin = typing.get_origin(kind)
            kind = kind if origin is None else "json"
            self.fields[f.name] = _field_for(f.name, kind, settings.get(f.name))
            self.setting_names.append(f.name)

    def settings_dict(self) -> dict[str, Any]:
        """Return the cleaned RoomSettings values (valid only after ``is_valid()``)."""
        return {name: self.cleaned_data[name] for name in self.setting_names}

    def clean(self) -> dict[str, Any]:
        """Parse the JSON fields and check the settings with RoomSettings itself."""
        from kerma.skindose import RoomSettings

        data = super().clean() or {}
        for name in getattr(self, "setting_names", []):
            field = self.fields[name]
            if isinstance(field, forms.CharField) and str(field.label).endswith("(JSON)"):
                try:
                    data[name] = json.loads(data.get(name) or "null")
                except ValueError:
                    self.add_error(name, _("Not valid JSON."))
        if not self.errors:
            try:
                RoomSettings.from_dict(
                    {k: v for k, v in data.items() if k in self.setting_names and v is not None}
                )
            except (TypeError, ValueError) as exc:
                raise forms.ValidationError(str(exc)) from exc
        return data


def room_initial(row: RoomGeometry | None) -> dict[str, Any]:
    """Return the initial values of the non-settings fields of a room's form."""
    if row is None:
        return {"phantom": "human", "cell_mm": 10.0}
    return {
        "phantom": row.phantom,
        "cell_mm": row.cell_mm,
        "measured_on": row.measured_on,
        "measurement_notes": row.measurement_notes,
    }
