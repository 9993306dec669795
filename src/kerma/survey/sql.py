"""The computation of a survey, defined once as SQL text that DuckDB and Spark both run.

Each step is a named statement over the ones before (see :func:`statements`); an engine
(:mod:`kerma.survey.engines`) only registers the contributions as ``raw`` and runs each text as
a view or a materialised table under its name. Percentiles are ``percentile_cont`` (linear
interpolation between order statistics, type 7: :mod:`kerma.survey.stats`), which both engines
define alike.

A record is rejected for the first reason that applies, in the order of
:data:`kerma.survey.wording.REASONS`: missing DAP, act, specialty or facility; a value outside
the plausible limits; a duplicate (same facility, act, month and values as an earlier record);
a unit error (DAP or fluoroscopy time more than ``unit_factor`` times above or below its act's
median, the median taken over the records that passed the checks before); then a facility with
fewer than ``min_facility_procedures`` valid records; then an act with fewer than
``min_act_procedures`` records or ``min_act_facilities`` facilities.
"""

from __future__ import annotations

from dataclasses import dataclass

from kerma.survey.stats import FRACTIONS

# The measured quantities a level is computed for: column, prefix of the result columns.
QUANTITIES = (("dap_gycm2", "dap"), ("fluoro_time_min", "fluoro_time"), ("kar_mgy", "kar"))


@dataclass(frozen=True, slots=True)
class Limits:
    """What the survey accepts (units in the names); the defaults suit mobile C-arms in theatre
    and fixed interventional rooms."""

    dap_max_gycm2: float = 5000.0
    fluoro_time_max_min: float = 300.0
    kar_max_mgy: float = 30000.0
    images_max: float = 5000.0
    weight_min_kg: float = 0.5
    weight_max_kg: float = 300.0
    height_min_cm: float = 30.0
    height_max_cm: float = 250.0
    # A 100× (mGy·cm² taken for Gy·cm²) or 60× (seconds for minutes) error lands beyond this
    # factor but for the most extreme genuine values; a genuine value ten times its act's median
    # is itself suspect in a reference-level survey (the median is the geometric midpoint).
    unit_factor: float = 10.0
    min_facility_procedures: int = 10
    min_act_procedures: int = 20
    min_act_facilities: int = 3


def _percentiles(prefix_source: tuple[tuple[str, str], ...]) -> str:
    return ",\n  ".join(
        f"percentile_cont({p}) WITHIN GROUP (ORDER BY {column}) AS {prefix}_p{round(p * 100)}"
        for column, prefix in prefix_source
        for p in FRACTIONS
    )


def _medians() -> str:
    return ",\n  ".join(
        f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {column}) AS {column}"
        for column, _ in QUANTITIES
    )


def source_select(relation: str, name: str | None) -> str:
    """Return the SELECT that reads one contribution's ``relation`` (with a ``file_row_number``
    column, from 0) in the template's columns, typed; ``name`` is the file's name, or ``None``
    for a staged file that carries ``source_file`` and ``source_row`` itself."""
    from kerma.survey.template import NUMERIC, REQUIRED

    casts = ",\n  ".join(
        f"TRY_CAST({c} AS DOUBLE) AS {c}" if c in NUMERIC else f"CAST({c} AS STRING) AS {c}"
        for c in REQUIRED
    )
    if name is None:
        source = (
            "CAST(source_file AS STRING) AS source_file, "
            "CAST(source_row AS BIGINT) AS source_row"
        )
    else:
        quoted = name.replace("'", "")
        source = f"'{quoted}' AS source_file, CAST(file_row_number + 1 AS BIGINT) AS source_row"
    return f"SELECT {source},\n  {casts}\nFROM {relation}"


def statements(limits: Limits) -> list[tuple[str, str, bool]]:
    """Return the steps of the computation: (name, SQL text, materialise) in order; the text is
    the same for every engine. A step read by several later ones is materialised (computed
    once: an engine would otherwise compute a view again each time it is read)."""
    lim = limits
    levels = _percentiles(QUANTITIES)
    # Over the facility medians, the columns carry the quantity's name (see facility_medians).
    facility_levels = _percentiles(tuple((c, f"facility_median_{p}") for c, p in QUANTITIES))
    return [
        (
            "procedures",
            """SELECT CAST(source_file AS STRING) AS source_file,
  CAST(source_row AS BIGINT) AS source_row,
  NULLIF(TRIM(CAST(facility AS STRING)), '') AS facility,
  NULLIF(LOWER(TRIM(CAST(specialty AS STRING))), '') AS specialty,
  NULLIF(TRIM(CAST(act AS STRING)), '') AS act,
  TRY_CAST(dap_gycm2 AS DOUBLE) AS dap_gycm2,
  TRY_CAST(fluoro_time_min AS DOUBLE) AS fluoro_time_min,
  TRY_CAST(kar_mgy AS DOUBLE) AS kar_mgy,
  TRY_CAST(images AS DOUBLE) AS images,
  TRY_CAST(weight_kg AS DOUBLE) AS weight_kg,
  TRY_CAST(height_cm AS DOUBLE) AS height_cm,
  CAST(device_manufacturer AS STRING) AS device_manufacturer,
  CAST(device_model AS STRING) AS device_model,
  TRY_CAST(device_year AS DOUBLE) AS device_year,
  CAST(month AS STRING) AS month
FROM raw""",
            False,
        ),
        (
            "screened",
            f"""SELECT p.*,
  CASE
    WHEN dap_gycm2 IS NULL THEN 'missing_dap'
    WHEN act IS NULL THEN 'missing_act'
    WHEN specialty IS NULL THEN 'missing_specialty'
    WHEN facility IS NULL THEN 'missing_facility'
    WHEN dap_gycm2 <= 0 OR dap_gycm2 > {lim.dap_max_gycm2}
      OR fluoro_time_min < 0 OR fluoro_time_min > {lim.fluoro_time_max_min}
      OR kar_mgy < 0 OR kar_mgy > {lim.kar_max_mgy}
      OR images < 0 OR images > {lim.images_max}
      OR weight_kg < {lim.weight_min_kg} OR weight_kg > {lim.weight_max_kg}
      OR height_cm < {lim.height_min_cm} OR height_cm > {lim.height_max_cm}
      THEN 'implausible_value'
  END AS first_reason,
  ROW_NUMBER() OVER (
    PARTITION BY facility, act, month, dap_gycm2, fluoro_time_min, kar_mgy, images,
      weight_kg, height_cm
    ORDER BY source_file, source_row
  ) AS copy_rank
FROM procedures p""",
            True,
        ),
        (
            "act_centres",
            """SELECT act,
  percentile_cont(0.5) WITHIN GROUP (ORDER BY dap_gycm2) AS dap_centre,
  percentile_cont(0.5) WITHIN GROUP (ORDER BY fluoro_time_min) AS time_centre
FROM screened
WHERE first_reason IS NULL AND copy_rank = 1
GROUP BY act""",
            False,
        ),
        (
            "record_checked",
            f"""SELECT s.*,
  COALESCE(s.first_reason, CASE
    WHEN s.copy_rank > 1 THEN 'duplicate'
    WHEN c.dap_centre > 0 AND (s.dap_gycm2 > c.dap_centre * {lim.unit_factor}
      OR s.dap_gycm2 < c.dap_centre / {lim.unit_factor}) THEN 'unit_error'
    WHEN c.time_centre > 0 AND (s.fluoro_time_min > c.time_centre * {lim.unit_factor}
      OR s.fluoro_time_min < c.time_centre / {lim.unit_factor}) THEN 'unit_error'
  END) AS record_reason
FROM screened s LEFT JOIN act_centres c ON s.act = c.act""",
            True,
        ),
        (
            "facility_counts",
            """SELECT facility, COUNT(*) AS n
FROM record_checked WHERE record_reason IS NULL GROUP BY facility""",
            False,
        ),
        (
            "facility_checked",
            f"""SELECT r.*,
  COALESCE(r.record_reason, CASE
    WHEN f.n IS NULL OR f.n < {lim.min_facility_procedures} THEN 'facility_below_minimum'
  END) AS facility_reason
FROM record_checked r LEFT JOIN facility_counts f ON r.facility = f.facility""",
            True,
        ),
        (
            "act_counts",
            """SELECT act, COUNT(*) AS n, COUNT(DISTINCT facility) AS facilities
FROM facility_checked WHERE facility_reason IS NULL GROUP BY act""",
            False,
        ),
        (
            "checked",
            f"""SELECT k.source_file, k.source_row, k.facility, k.specialty, k.act, k.dap_gycm2,
  k.fluoro_time_min, k.kar_mgy, k.images, k.weight_kg, k.height_cm, k.device_manufacturer,
  k.device_model, k.device_year, k.month,
  COALESCE(k.facility_reason, CASE
    WHEN a.n IS NULL OR a.n < {lim.min_act_procedures}
      OR a.facilities < {lim.min_act_facilities} THEN 'act_below_minimum'
  END) AS reason
FROM facility_checked k LEFT JOIN act_counts a ON k.act = a.act""",
            True,
        ),
        ("kept", "SELECT * FROM checked WHERE reason IS NULL", False),
        (
            "facility_medians",
            f"""SELECT act, facility, MIN(specialty) AS specialty, COUNT(*) AS n,
  {_medians()}
FROM kept GROUP BY act, facility""",
            True,
        ),
        (
            "act_levels",
            f"""SELECT act, MIN(specialty) AS specialty, COUNT(*) AS n,
  COUNT(DISTINCT facility) AS facilities,
  COUNT(fluoro_time_min) AS n_fluoro_time, COUNT(kar_mgy) AS n_kar,
  {levels}
FROM kept GROUP BY act""",
            False,
        ),
        (
            "act_facility_levels",
            f"""SELECT act, {facility_levels}
FROM facility_medians GROUP BY act""",
            False,
        ),
        (
            "specialty_facility_medians",
            f"""SELECT specialty, facility, COUNT(*) AS n, {_medians()}
FROM kept GROUP BY specialty, facility""",
            False,
        ),
        (
            "specialty_levels",
            f"""SELECT specialty, COUNT(*) AS n, COUNT(DISTINCT facility) AS facilities,
  COUNT(DISTINCT act) AS acts, {levels}
FROM kept GROUP BY specialty""",
            False,
        ),
        (
            "specialty_facility_levels",
            f"""SELECT specialty, {facility_levels}
FROM specialty_facility_medians GROUP BY specialty""",
            False,
        ),
    ]


COUNTS = """SELECT COUNT(*) AS procedures, COUNT(DISTINCT facility) AS facilities,
  COUNT(DISTINCT act) AS acts, COUNT(DISTINCT specialty) AS specialties
FROM checked {where}"""
REJECTED = "SELECT reason, COUNT(*) AS n FROM checked WHERE reason IS NOT NULL GROUP BY reason"
FACILITY_LEVEL_COLUMNS = tuple(
    f"facility_median_{prefix}_p{round(p * 100)}" for _, prefix in QUANTITIES for p in FRACTIONS
)
_F = ", ".join(f"f.{c}" for c in FACILITY_LEVEL_COLUMNS)
ACT_TABLE = f"""SELECT l.*, {_F} FROM act_levels l JOIN act_facility_levels f ON l.act = f.act
ORDER BY l.specialty, l.act"""
SPECIALTY_TABLE = f"""SELECT l.*, {_F} FROM specialty_levels l
JOIN specialty_facility_levels f ON l.specialty = f.specialty ORDER BY l.specialty"""
FACILITY_MEDIANS = "SELECT * FROM facility_medians ORDER BY specialty, act, facility"
REJECTED_RECORDS = """SELECT source_file, source_row, reason, facility, specialty, act, month,
  dap_gycm2, fluoro_time_min, kar_mgy, images, weight_kg, height_cm
FROM checked WHERE reason IS NOT NULL ORDER BY source_file, source_row"""
