"""The follow-up's blocks on other pages: the skin-dose panel of an exam, the alerts panel of the
dashboard (registered in :class:`~kerma.web.followup.apps.FollowupConfig`)."""

from __future__ import annotations

import re
from typing import Any

from django.http import HttpRequest
from django.utils.translation import get_language
from django.utils.translation import gettext as _

import kerma.skindose.wording  # noqa: F401  (declares the codes of the map's warnings)
from kerma.notices import format_value
from kerma.web.accounts.scope import visible
from kerma.web.dose.panels import Panel
from kerma.web.followup.models import Alert, AlertSettings, SkinDoseMap
from kerma.web.wording import word

LATEST_ON_DASHBOARD = 5


def exam_panel(request: HttpRequest, exam: Any) -> Panel | None:
    """The skin-dose panel of an exam page: PSD, method, areas, map picture, 3-D view and the
    exam's alerts; None for exams without a map, or for a user who may not view maps."""
    if not request.user.has_perm("followup.view_skindosemap"):
        return None
    row = SkinDoseMap.objects.filter(exam=exam).defer("map_npz", "png", "mesh_json").first()
    alerts = list(Alert.objects.filter(exam=exam).order_by("scope", "quantity"))
    if row is None and not alerts:
        return None
    notice = None
    if exam.device.unit_id is not None and exam.kar_total_mgy is not None:
        settings = AlertSettings.objects.filter(unit_id=exam.device.unit_id).first()
        level = settings.kar_notice_mgy if settings else None
        if level is not None and exam.kar_total_mgy >= level:
            notice = level
    return Panel(
        template="followup/_exam_skin.html",
        context={
            "exam": exam,
            "skin": row,
            "skin_alerts": alerts,
            "kar_notice_mgy": notice,
            "has_mesh": bool(row and row.status == "ok" and row.method == "map"),
            "skin_warnings": _skin_warnings(row),
            "skin_room_source": room_source_text(row.provenance if row else {}),
            "skin_provenance": provenance_rows(row.provenance if row else {}),
        },
        order=20,
    )


def _skin_warnings(row: SkinDoseMap | None) -> list[str]:
    """Return the map's warnings in the page's language: its notices (kept in ``result_json``)
    worded, or its English text for a map computed before notices."""
    if row is None:
        return []
    stored = row.result_json if isinstance(row.result_json, dict) else {}
    return [word(found) for found in (stored.get("warning_notices") or row.warnings or [])]


def room_source_text(provenance: dict[str, Any]) -> str:
    """Return where the map's room settings came from, in the page's language: the device's
    own settings (with the date they were measured), a vendor family's defaults or the generic
    defaults. The engine stores these as English phrases; they are worded here."""
    source = _defaults_text(str((provenance.get("room") or {}).get("source") or ""))
    if provenance.get("room_source") != "device settings":
        return source or "—"
    text = _("the device's own settings")
    measured = provenance.get("room_measured_on")
    if measured:
        text += " " + _("(measured on %(date)s)") % {"date": measured}
    return f"{text} — {source}" if source else text


def _defaults_text(source: str) -> str:
    """Return the engine's English ``generic defaults (…)`` / ``<family> defaults`` worded;
    any other text (a physicist's own note) as written."""
    generic = re.fullmatch(r"generic defaults(?: \((.*)\))?", source)
    if generic:
        text = _("generic defaults (DICOM definitions)")
        return f"{text} — {generic.group(1)}" if generic.group(1) else text
    family = re.fullmatch(r"(.+) defaults", source)
    if family:
        return _("defaults of the %(family)s family") % {"family": family.group(1)}
    return source


def _number(value: Any) -> str:
    """Return a number as the page's reader writes it (decimal comma in French)."""
    return format_value(float(value or 0), get_language() or "en")


def _phantom_size(key: str, value: Any) -> str:
    """Return one phantom dimension worded, e.g. ``height 1 750 mm`` (``width_mm`` → width)."""
    labels = {
        "height_mm": _("height"),
        "weight_kg": _("weight"),
        "width_mm": _("width"),
        "length_mm": _("length"),
        "semi_axis_lateral_mm": _("lateral semi-axis"),
        "semi_axis_ap_mm": _("antero-posterior semi-axis"),
        "trunk_semi_axis_lateral_mm": _("trunk lateral semi-axis"),
        "trunk_semi_axis_ap_mm": _("trunk antero-posterior semi-axis"),
    }
    unit = "kg" if key.endswith("_kg") else "mm" if key.endswith("_mm") else ""
    number = _number(value) if isinstance(value, int | float) else str(value)
    return f"{labels.get(key, key.replace('_', ' '))} {number} {unit}".strip()


def provenance_rows(provenance: dict[str, Any]) -> list[tuple[str, str]]:
    """Return the map's provenance as (label, value) rows in the page's language: phantom and
    its size, skin cell, each correction with its parameters and source, room settings. Sources
    (papers, standards) are references and stay as cited."""
    if not provenance:
        return []
    phantom = dict(provenance.get("phantom") or {})
    kind = str(phantom.pop("type", "") or "")
    kinds = {"human": _("stylised human"), "plane": _("plane"), "cylinder": _("elliptic cylinder")}
    size = ", ".join(_phantom_size(key, value) for key, value in phantom.items())
    rows = [(_("Phantom"), " — ".join(part for part in (kinds.get(kind, kind), size) if part))]
    if provenance.get("cell_mm") is not None:
        rows.append((_("Skin cell"), f"{_number(provenance['cell_mm'])} mm"))
    corrections = provenance.get("corrections") or {}
    yes, no = _("applied"), _("not applied")
    square = corrections.get("inverse_square") or {}
    if square:
        rows.append((
            _("Inverse square law"),
            _("from the interventional reference point, %(mm)s mm from the isocentre")
            % {"mm": _number(square.get("reference_point_mm_from_isocentre"))}
            + f" — {yes if square.get('applied') else no}",
        ))
    table = corrections.get("table_and_mattress") or {}
    if table:
        by_kvp = table.get("transmission_by_kvp") or []
        value = (
            _("measured per kVp (%(rows)s rows)") % {"rows": len(by_kvp)}
            if by_kvp
            else _("transmission %(value)s at normal incidence")
            % {"value": _number(table.get("transmission_perpendicular"))}
        )
        rows.append((
            _("Table and mattress"),
            f"{value}, {_('corrected for obliquity')} — {yes if table.get('applied') else no}",
        ))
    backscatter = corrections.get("backscatter") or {}
    if backscatter:
        rows.append((_("Backscatter"), str(backscatter.get("source") or "")))
    medium = corrections.get("medium") or {}
    if medium:
        rows.append((_("Air kerma to skin dose"), str(medium.get("source") or "")))
    quality = corrections.get("beam_quality") or {}
    if quality:
        rows.append((
            _("Beam quality"),
            _("HVL from the spectrum and filtration; inherent filtration %(mm)s mm Al")
            % {"mm": _number(quality.get("inherent_filtration_mmal"))},
        ))
    rows.append((_("Room settings used"), room_source_text(provenance)))
    if provenance.get("kerma_version"):
        rows.append((_("Computed by"), f"Kerma {provenance['kerma_version']}"))
    return rows


def dashboard_panel(request: HttpRequest) -> Panel | None:
    """The dashboard's follow-up panel: open alerts count and the latest alerts."""
    if not request.user.has_perm("followup.view_alert"):
        return None
    alerts = visible(Alert.objects.all(), request.user, "exam__device__")
    open_alerts = alerts.filter(state=Alert.State.OPEN)
    return Panel(
        template="followup/_dashboard.html",
        context={
            "followup_open_count": open_alerts.count(),
            "followup_latest": list(
                alerts.select_related("exam__device").order_by("-created_at", "-id")[
                    :LATEST_ON_DASHBOARD
                ]
            ),
        },
        order=30,
    )
