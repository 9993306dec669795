"""The report of a survey: an HTML page (Plotly charts, plotly.js embedded from the installed
package: no CDN, hospital networks are often closed) and an XLSX workbook (no live formula),
the rejected records with their reasons in a sheet of their own."""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import Any

from kerma.notices import notice
from kerma.survey.run import REJECTED_SHEET_PER_REASON, SurveyResult
from kerma.survey.sql import FACILITY_LEVEL_COLUMNS, QUANTITIES
from kerma.survey.stats import FRACTIONS

COUNT_KEYS = ("procedures", "facilities", "acts", "specialties")


def word(key: str, language: str, **params: Any) -> str:
    """Return the report's text ``key`` in ``language``."""
    return notice(f"survey.report.{key}", **params).text(language)


def reason_text(code: str, language: str) -> str:
    """Return the worded reason ``code`` of a rejected record."""
    return notice(f"survey.rejected.{code}").text(language)


def level_columns() -> list[str]:
    """Return the level columns of an act or specialty row, per-procedure then facility."""
    return [f"{p}_p{round(f * 100)}" for _, p in QUANTITIES for f in FRACTIONS] + list(
        FACILITY_LEVEL_COLUMNS
    )


def write_report(result: SurveyResult, out_dir: Path, language: str = "fr") -> dict[str, Path]:
    """Write ``report.html`` and ``survey.xlsx`` to ``out_dir``; return their paths by kind."""
    out_dir.mkdir(parents=True, exist_ok=True)
    return {
        "html": write_html(result, out_dir / "report.html", language),
        "xlsx": write_xlsx(result, out_dir / "survey.xlsx", language),
    }


# ---- charts ------------------------------------------------------------------------------------


def _ordered(acts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(acts, key=lambda a: (a["specialty"] or "", a["act"]))


def level_chart(result: SurveyResult, prefix: str, title: str, language: str) -> Any:
    """Return the seed's chart: per act (grouped by specialty) the P75 of the procedures as a
    bar, the P75 of the facility medians with its interval as a marker; log scale."""
    import plotly.graph_objects as go

    figure = go.Figure()
    acts = _ordered(result.acts)
    for specialty in dict.fromkeys(a["specialty"] for a in acts):
        rows = [a for a in acts if a["specialty"] == specialty]
        figure.add_bar(
            y=[[specialty] * len(rows), [a["act"] for a in rows]],
            x=[a[f"{prefix}_p75"] for a in rows],
            orientation="h",
            name=specialty,
        )
    key = f"facility_median_{prefix}_p75"
    low = [((a.get("ci") or {}).get(key) or [None, None])[0] for a in acts]
    high = [((a.get("ci") or {}).get(key) or [None, None])[1] for a in acts]
    values = [a[key] for a in acts]
    figure.add_scatter(
        y=[[a["specialty"] for a in acts], [a["act"] for a in acts]],
        x=values,
        mode="markers",
        marker={"symbol": "diamond", "size": 10, "color": "black"},
        name=word("facility_level", language),
        error_x={
            "type": "data",
            "symmetric": False,
            "array": [_gap(h, v) for h, v in zip(high, values, strict=True)],
            "arrayminus": [_gap(v, lo) for lo, v in zip(low, values, strict=True)],
        },
    )
    figure.update_layout(
        title=title,
        xaxis={"type": "log", "title": title},
        height=max(400, 28 * len(acts) + 160),
        barmode="group",
        margin={"l": 320},
    )
    return figure


def _gap(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else max(0.0, a - b)


def distribution_chart(result: SurveyResult, language: str) -> Any:
    """Return per act the quartiles of the procedures' DAP (a box), each facility's median (a
    point) and the P75 of the facility medians (a marker); log scale."""
    import plotly.graph_objects as go

    acts = _ordered(result.acts)
    names = [a["act"] for a in acts]
    figure = go.Figure()
    figure.add_box(
        x=names,
        q1=[a["dap_p25"] for a in acts],
        median=[a["dap_p50"] for a in acts],
        q3=[a["dap_p75"] for a in acts],
        lowerfence=[a["dap_p25"] for a in acts],
        upperfence=[a["dap_p75"] for a in acts],
        name=word("quartiles", language),
    )
    medians = [m for m in result.facility_medians if m["dap_gycm2"] is not None]
    figure.add_scatter(
        x=[m["act"] for m in medians],
        y=[m["dap_gycm2"] for m in medians],
        mode="markers",
        marker={"size": 6, "opacity": 0.6},
        name=word("facility_medians", language),
        text=[m["facility"] for m in medians],
    )
    figure.add_scatter(
        x=names,
        y=[a["facility_median_dap_p75"] for a in acts],
        mode="markers",
        marker={"symbol": "line-ew-open", "size": 24, "color": "red"},
        name=word("facility_level", language),
    )
    figure.update_layout(
        title=word("distribution_chart", language),
        yaxis={"type": "log"},
        height=600,
        xaxis={"categoryorder": "array", "categoryarray": names},
    )
    return figure


# ---- HTML --------------------------------------------------------------------------------------


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_fmt(v))}</td>" for v in row) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return "—" if not math.isfinite(value) else f"{value:.4g}"
    return str(value)


def counts_rows(result: SurveyResult, language: str) -> list[list[Any]]:
    """Return the before/after table: one row per count (procedures, facilities, acts,
    specialties) with the value before and after filtering."""
    return [[word(k, language), result.before[k], result.after[k]] for k in COUNT_KEYS]


def write_html(result: SurveyResult, path: Path, language: str = "fr") -> Path:
    """Write the HTML report to ``path`` and return it (self-contained: plotly.js inline)."""
    from plotly.offline import get_plotlyjs

    charts = [
        level_chart(result, "dap", word("dap_chart", language), language),
        level_chart(result, "fluoro_time", word("time_chart", language), language),
        distribution_chart(result, language),
    ]
    chart_html = "".join(
        c.to_html(full_html=False, include_plotlyjs=False, config={"displaylogo": False})
        for c in charts
    )
    levels = level_columns()
    act_rows = [
        [a["specialty"], a["act"], a["n"], a["facilities"], *(a[c] for c in levels)]
        for a in _ordered(result.acts)
    ]
    specialty_rows = [
        [s["specialty"], s["n"], s["facilities"], s["acts"], *(s[c] for c in levels)]
        for s in result.specialties
    ]
    rejected_rows = [[reason_text(k, language), k, v] for k, v in result.rejected.items()]
    title = word("title", language)
    page = f"""<!doctype html>
<html lang="{language}"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;margin:1em 0}}
td,th{{border:1px solid #ccc;padding:2px 6px;font-size:90%}}th{{background:#eee}}</style>
<script>{get_plotlyjs()}</script></head><body>
<h1>{html.escape(title)}</h1>
<p>{html.escape(word("method", language, engine=result.engine))}</p>
<h2>{html.escape(word("counts", language))}</h2>
{_table(["", word("before", language), word("after", language)], counts_rows(result, language))}
<h2>{html.escape(word("rejected", language))}</h2>
{_table([word("reason", language), "code", word("count", language)], rejected_rows)}
{chart_html}
<h2>{html.escape(word("levels", language))}</h2>
{_table(["specialty", "act", "n", "facilities", *levels], act_rows)}
<h2>{html.escape(word("specialty_levels", language))}</h2>
{_table(["specialty", "n", "facilities", "acts", *levels], specialty_rows)}
</body></html>
"""
    path.write_text(page, encoding="utf-8")
    return path


# ---- workbook ----------------------------------------------------------------------------------


def write_xlsx(result: SurveyResult, path: Path, language: str = "fr") -> Path:
    """Write the workbook to ``path`` and return it: the counts, the levels per act (with the
    bootstrap intervals) and per specialty, the facility medians, the rejected records."""
    from openpyxl import Workbook

    from kerma.spreadsheet import xlsx_row

    book = Workbook(write_only=True)

    def sheet(name: str, rows: list[list[Any]]) -> None:
        target = book.create_sheet(name)
        for row in rows:
            target.append(xlsx_row(target, row))

    fr = language == "fr"
    sheet(
        "Synthèse" if fr else "Summary",
        [
            [word("title", language)],
            [word("method", language, engine=result.engine)],
            [],
            ["", word("before", language), word("after", language)],
            *counts_rows(result, language),
            [],
            [word("reason", language), "code", word("count", language)],
            *[[reason_text(k, language), k, v] for k, v in result.rejected.items()],
            [],
            *[[k, v] for k, v in vars_of(result.limits).items()],
            *[[f"{result.engine}.{k}", v] for k, v in result.settings.items()],
        ],
    )
    levels = level_columns()
    cis = [f"{c}_ci_{end}" for c in levels for end in ("low", "high")]

    def level_row(row: dict[str, Any], keys: list[str]) -> list[Any]:
        ci = row.get("ci") or {}
        bounds = [(ci.get(c) or [None, None])[i] for c in levels for i in (0, 1)]
        return [row[k] for k in keys] + [row[c] for c in levels] + bounds

    act_keys = ["specialty", "act", "n", "facilities", "n_fluoro_time", "n_kar"]
    sheet(
        "Actes" if fr else "Acts",
        [act_keys + levels + cis, *(level_row(a, act_keys) for a in _ordered(result.acts))],
    )
    specialty_keys = ["specialty", "n", "facilities", "acts"]
    sheet(
        "Spécialités" if fr else "Specialties",
        [specialty_keys + levels + cis,
         *(level_row(s, specialty_keys) for s in result.specialties)],
    )
    median_keys = ["specialty", "act", "facility", "n", "dap_gycm2", "fluoro_time_min", "kar_mgy"]
    sheet(
        "Médianes établissements" if fr else "Facility medians",
        [median_keys, *([m[k] for k in median_keys] for m in result.facility_medians)],
    )
    rejected_keys = [
        "source_file", "source_row", "reason", "facility", "specialty", "act", "month",
        "dap_gycm2", "fluoro_time_min", "kar_mgy", "images", "weight_kg", "height_cm",
    ]
    # A note above the sheet's header when it holds a part of the rejected records only.
    total, shown = sum(result.rejected.values()), len(result.rejected_sample)
    each = REJECTED_SHEET_PER_REASON
    note = [[word("rejected_sample", language, shown=shown, total=total, each=each)]]
    sheet(
        "Rejets" if fr else "Rejected",
        [
            *(note if shown < total else []),
            [*rejected_keys, word("reason", language)],
            *(
                [*(r[k] for k in rejected_keys), reason_text(r["reason"], language)]
                for r in result.rejected_sample
            ),
        ],
    )
    book.save(path)
    return path


def vars_of(limits: Any) -> dict[str, Any]:
    """Return the limits of a run as ``{name: value}``."""
    return {name: getattr(limits, name) for name in limits.__slots__}
