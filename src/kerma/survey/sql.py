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

How, so that ten million records take seconds: the contributions are read once, into
``procedures`` (typed, the reasons a record carries alone in one CASE, a hash of its copy key);
duplicates are ranked among the few records whose hash repeats (a GROUP BY of one number, not
a window over all the records sorted on nine columns); the later reasons need only small
tables (the act medians, the valid records per act and facility, whose sums give both minimum
counts); every record's reason is then computed once more, into the rejected records and the
kept ones (narrow: the columns the levels read), never stored whole.
"""

from __future__ import annotations

from dataclasses import dataclass

from kerma.survey.stats import FRACTIONS
from kerma.survey.template import REQUIRED

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


# The template's columns the computation reads: the required ones but the device's (carried by
# the template, not used by the levels: a Parquet contribution is read without them).
USED = tuple(column for column in REQUIRED if not column.startswith("device_"))
# Record ids of one contribution lie in their own block of 2**40 (a file has fewer rows).
RECORD_ID_BLOCK = 1 << 40


def source_select(relation: str, name: str | None, record_id: str | None = None) -> str:
    """Return the SELECT that reads one contribution's ``relation`` (with a ``file_row_number``
    column, from 0) in the template's columns the computation uses, typed; ``name`` is the
    file's name, or ``None`` for a staged file that carries ``source_file`` and ``source_row``
    itself. ``record_id``, when given, is the SQL of a number unique over all contributions."""
    from kerma.survey.template import NUMERIC

    casts = ",\n  ".join(
        f"TRY_CAST({c} AS DOUBLE) AS {c}" if c in NUMERIC else f"CAST({c} AS STRING) AS {c}"
        for c in USED
    )
    if name is None:
        source = (
            "CAST(source_file AS STRING) AS source_file, "
            "CAST(source_row AS BIGINT) AS source_row"
        )
    else:
        quoted = name.replace("'", "")
        source = f"'{quoted}' AS source_file, CAST(file_row_number + 1 AS BIGINT) AS source_row"
    if record_id is not None:
        source = f"CAST({record_id} AS BIGINT) AS record_id, {source}"
    return f"SELECT {source},\n  {casts}\nFROM {relation}"


# The columns of a kept record the levels need; of a rejected record, what its listing shows.
KEPT_COLUMNS = "facility, specialty, act, dap_gycm2, fluoro_time_min, kar_mgy"
REJECTED_COLUMNS = """source_file, source_row, reason, facility, specialty, act, month,
  dap_gycm2, fluoro_time_min, kar_mgy, images, weight_kg, height_cm"""
# The values that make two records the same procedure sent twice.
COPY_KEY = (
    "facility, act, month, dap_gycm2, fluoro_time_min, kar_mgy, images, weight_kg, height_cm"
)


def statements(limits: Limits) -> list[tuple[str, str, bool]]:
    """Return the steps of the computation: (name, SQL text, materialise) in order; the text is
    the same for every engine. The contributions are read once, into ``procedures``; the later
    record-level steps are views over it joined to small tables (a record's earlier reason,
    the duplicates, the act medians, the counts), and only ``checked``, every record with its
    reason, is materialised again. A step read by several later ones is materialised (computed
    once: an engine would otherwise compute a view again each time it is read)."""
    lim = limits
    levels = _percentiles(QUANTITIES)
    # Over the facility medians, the columns carry the quantity's name (see facility_medians).
    facility_levels = _percentiles(tuple((c, f"facility_median_{p}") for c, p in QUANTITIES))
    return [
        (
            # Typed, trimmed, with the reasons a record carries alone (one CASE: the first that
            # applies), and the hash of its copy key (duplicates are looked for among the
            # records whose hash repeats: a hash is one column to group, the key nine).
            "procedures",
            f"""SELECT record_id,
  CAST(source_file AS STRING) AS source_file,
  CAST(source_row AS BIGINT) AS source_row,
  facility, specialty, act, dap_gycm2, fluoro_time_min, kar_mgy, images, weight_kg, height_cm,
  month,
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
  hash({COPY_KEY}) AS copy_hash
FROM (SELECT record_id, source_file, source_row,
  NULLIF(TRIM(CAST(facility AS STRING)), '') AS facility,
  NULLIF(LOWER(TRIM(CAST(specialty AS STRING))), '') AS specialty,
  NULLIF(TRIM(CAST(act AS STRING)), '') AS act,
  TRY_CAST(dap_gycm2 AS DOUBLE) AS dap_gycm2,
  TRY_CAST(fluoro_time_min AS DOUBLE) AS fluoro_time_min,
  TRY_CAST(kar_mgy AS DOUBLE) AS kar_mgy,
  TRY_CAST(images AS DOUBLE) AS images,
  TRY_CAST(weight_kg AS DOUBLE) AS weight_kg,
  TRY_CAST(height_cm AS DOUBLE) AS height_cm,
  CAST(month AS STRING) AS month
FROM raw) r""",
            True,
        ),
        (
            # The copies after the first (by file and row) of the same key, ranked among the
            # few records whose hash repeats: the hash narrows, the key decides.
            "duplicates",
            f"""SELECT record_id FROM (
  SELECT record_id, ROW_NUMBER() OVER (
    PARTITION BY {COPY_KEY} ORDER BY source_file, source_row
  ) AS copy_rank
  FROM procedures
  WHERE copy_hash IN (
    SELECT copy_hash FROM procedures GROUP BY copy_hash HAVING COUNT(*) > 1
  )
) c WHERE copy_rank > 1""",
            True,
        ),
        (
            "screened",
            """SELECT p.*,
  COALESCE(p.first_reason, CASE WHEN d.record_id IS NOT NULL THEN 'duplicate' END)
    AS screen_reason
FROM procedures p LEFT JOIN duplicates d ON p.record_id = d.record_id""",
            False,
        ),
        (
            "act_centres",
            """SELECT act,
  percentile_cont(0.5) WITHIN GROUP (ORDER BY dap_gycm2) AS dap_centre,
  percentile_cont(0.5) WITHIN GROUP (ORDER BY fluoro_time_min) AS time_centre
FROM screened
WHERE screen_reason IS NULL
GROUP BY act""",
            True,
        ),
        (
            "record_checked",
            f"""SELECT s.*,
  COALESCE(s.screen_reason, CASE
    WHEN c.dap_centre > 0 AND (s.dap_gycm2 > c.dap_centre * {lim.unit_factor}
      OR s.dap_gycm2 < c.dap_centre / {lim.unit_factor}) THEN 'unit_error'
    WHEN c.time_centre > 0 AND (s.fluoro_time_min > c.time_centre * {lim.unit_factor}
      OR s.fluoro_time_min < c.time_centre / {lim.unit_factor}) THEN 'unit_error'
  END) AS record_reason
FROM screened s LEFT JOIN act_centres c ON s.act = c.act""",
            False,
        ),
        (
            # The valid records per act and facility: the minimum counts are sums of it (one
            # pass over the records for both).
            "valid_counts",
            """SELECT act, facility, COUNT(*) AS n
FROM record_checked WHERE record_reason IS NULL GROUP BY act, facility""",
            True,
        ),
        (
            "facility_counts",
            f"""SELECT facility, SUM(n) AS n,
  SUM(n) >= {lim.min_facility_procedures} AS enough
FROM valid_counts GROUP BY facility""",
            True,
        ),
        (
            # Per act: its centres (unit errors) and whether it has enough records and
            # facilities once the facilities below the minimum are left out.
            "act_checks",
            f"""SELECT c.act, c.dap_centre, c.time_centre,
  COALESCE(a.n >= {lim.min_act_procedures} AND a.facilities >= {lim.min_act_facilities},
    FALSE) AS enough
FROM act_centres c LEFT JOIN (
  SELECT v.act, SUM(v.n) AS n, COUNT(*) AS facilities
  FROM valid_counts v JOIN facility_counts f ON v.facility = f.facility
  WHERE f.enough GROUP BY v.act
) a ON c.act = a.act""",
            True,
        ),
        (
            # Every record with its reason (NULL when kept): the reasons in their order, the
            # first that applies. Never stored whole: the rejected records are few, the kept
            # ones are needed narrow.
            "checked",
            f"""SELECT p.record_id, p.source_file, p.source_row, p.facility, p.specialty, p.act,
  p.dap_gycm2,
  p.fluoro_time_min, p.kar_mgy, p.images, p.weight_kg, p.height_cm, p.month,
  CASE
    WHEN p.first_reason IS NOT NULL THEN p.first_reason
    WHEN d.record_id IS NOT NULL THEN 'duplicate'
    WHEN c.dap_centre > 0 AND (p.dap_gycm2 > c.dap_centre * {lim.unit_factor}
      OR p.dap_gycm2 < c.dap_centre / {lim.unit_factor}) THEN 'unit_error'
    WHEN c.time_centre > 0 AND (p.fluoro_time_min > c.time_centre * {lim.unit_factor}
      OR p.fluoro_time_min < c.time_centre / {lim.unit_factor}) THEN 'unit_error'
    WHEN f.enough IS NULL OR NOT f.enough THEN 'facility_below_minimum'
    WHEN c.enough IS NULL OR NOT c.enough THEN 'act_below_minimum'
  END AS reason
FROM procedures p
LEFT JOIN duplicates d ON p.record_id = d.record_id
LEFT JOIN act_checks c ON p.act = c.act
LEFT JOIN facility_counts f ON p.facility = f.facility""",
            False,
        ),
        (
            "rejected",
            f"""SELECT record_id, {REJECTED_COLUMNS}
FROM checked WHERE reason IS NOT NULL""",
            True,
        ),
        (
            # The others (a join on a number with the few rejected: cheaper than the joins of
            # checked again).
            "kept",
            f"""SELECT {', '.join(f'p.{c.strip()}' for c in KEPT_COLUMNS.split(','))}
FROM procedures p LEFT JOIN rejected r ON p.record_id = r.record_id
WHERE r.record_id IS NULL""",
            True,
        ),
        (
            "facility_medians",
            f"""SELECT act, facility, MIN(specialty) AS specialty, COUNT(*) AS n,
  {_medians()}
FROM kept GROUP BY act, facility""",
            True,
        ),
        (
            # The kept records counted per specialty, act and facility: every count of the
            # tables below is a sum over it (not a distinct count over the records).
            "kept_groups",
            """SELECT specialty, act, facility, COUNT(*) AS n,
  COUNT(fluoro_time_min) AS n_fluoro_time, COUNT(kar_mgy) AS n_kar
FROM kept GROUP BY specialty, act, facility""",
            True,
        ),
        (
            "act_counts",
            """SELECT act, MIN(specialty) AS specialty, SUM(n) AS n,
  COUNT(DISTINCT facility) AS facilities,
  SUM(n_fluoro_time) AS n_fluoro_time, SUM(n_kar) AS n_kar
FROM kept_groups GROUP BY act""",
            False,
        ),
        ("act_levels", f"SELECT act, {levels}\nFROM kept GROUP BY act", False),
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
            True,
        ),
        (
            "specialty_counts",
            """SELECT specialty, SUM(n) AS n, COUNT(DISTINCT facility) AS facilities,
  COUNT(DISTINCT act) AS acts
FROM kept_groups GROUP BY specialty""",
            False,
        ),
        ("specialty_levels", f"SELECT specialty, {levels}\nFROM kept GROUP BY specialty", False),
        (
            "specialty_facility_levels",
            f"""SELECT specialty, {facility_levels}
FROM specialty_facility_medians GROUP BY specialty""",
            False,
        ),
    ]


# The records, facilities, acts and specialties before filtering (all the records) and after.
BEFORE = """SELECT COUNT(*) AS procedures, COUNT(DISTINCT facility) AS facilities,
  COUNT(DISTINCT act) AS acts, COUNT(DISTINCT specialty) AS specialties
FROM procedures"""
AFTER = """SELECT COALESCE(SUM(n), 0) AS procedures, COUNT(DISTINCT facility) AS facilities,
  COUNT(DISTINCT act) AS acts, COUNT(DISTINCT specialty) AS specialties
FROM kept_groups"""
REJECTED = "SELECT reason, COUNT(*) AS n FROM rejected GROUP BY reason"
FACILITY_LEVEL_COLUMNS = tuple(
    f"facility_median_{prefix}_p{round(p * 100)}" for _, prefix in QUANTITIES for p in FRACTIONS
)
LEVEL_COLUMNS = tuple(
    f"{prefix}_p{round(p * 100)}" for _, prefix in QUANTITIES for p in FRACTIONS
)
_L = ", ".join(f"l.{c}" for c in LEVEL_COLUMNS)
_F = ", ".join(f"f.{c}" for c in FACILITY_LEVEL_COLUMNS)
ACT_TABLE = f"""SELECT c.*, {_L}, {_F} FROM act_counts c
JOIN act_levels l ON c.act = l.act JOIN act_facility_levels f ON c.act = f.act
ORDER BY c.specialty, c.act"""
SPECIALTY_TABLE = f"""SELECT c.*, {_L}, {_F} FROM specialty_counts c
JOIN specialty_levels l ON c.specialty = l.specialty
JOIN specialty_facility_levels f ON c.specialty = f.specialty ORDER BY c.specialty"""
FACILITY_MEDIANS = "SELECT * FROM facility_medians ORDER BY specialty, act, facility"
REJECTED_RECORDS = f"""SELECT {REJECTED_COLUMNS}
FROM rejected ORDER BY source_file, source_row"""


def rejected_sample(per_reason: int) -> str:
    """Return the SELECT of the first ``per_reason`` rejected records of each reason (by file
    and row), in the columns of :data:`REJECTED_RECORDS`, by file and row."""
    return f"""SELECT {REJECTED_COLUMNS} FROM (
  SELECT r.*, ROW_NUMBER() OVER (PARTITION BY reason ORDER BY source_file, source_row)
    AS rank_in_reason
  FROM rejected r
) ranked WHERE rank_in_reason <= {per_reason} ORDER BY source_file, source_row"""
