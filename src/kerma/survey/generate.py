"""Generated survey data with planted errors, for the benchmark, the tests and the demo.

The records are drawn by DuckDB over ``range(n)`` with a hash of the row number as the random
source, so the same ``n`` and ``seed`` give the same records on any machine and in any number of
threads, and ten million records are written to Parquet in bounded memory. Each record carries
in ``planted`` the reason the survey must reject it for (``clean`` if none): missing DAP,
missing act, an implausible weight, a DAP 100× too small (a unit error), a copy of the record
before it; the last records are a facility with five procedures and an act with five. The
genuine spread is a log-normal squeezed within two standard deviations (σ 0.6 per procedure,
0.3 per facility) so that no genuine record is ten times off its act's median and a 100× error
always is: the planted counts are exact.
"""

from __future__ import annotations

from pathlib import Path

# act, specialty, median DAP (Gy·cm²), median fluoroscopy time (min): orders of magnitude of the
# SFPM working group's survey of mobile C-arms in theatre.
ACTS: tuple[tuple[str, str, float, float], ...] = (
    ("PIED, COUDE", "orthopaedics", 0.08, 0.4),
    ("OSTEOSYNTHESE POIGNET", "orthopaedics", 0.06, 0.5),
    ("PROTHESE TOTALE DE HANCHE", "orthopaedics", 0.5, 0.6),
    ("ENCLOUAGE CENTROMEDULLAIRE", "orthopaedics", 2.5, 2.0),
    ("CYPHOPLASTIE PERCUTANEE", "neuro", 8.0, 5.0),
    ("HERNIE DISCALE LOMBAIRE", "neuro", 1.2, 0.8),
    ("HERNIE DISCALE CERVICALE", "neuro", 0.6, 0.5),
    ("CHOLECYSTECTOMIE", "digestive", 1.0, 0.7),
    ("DRAINAGE VOIES BILIAIRES", "digestive", 6.0, 5.0),
    ("URETEROSCOPIE", "urology", 1.0, 1.0),
    ("LITHOTRITIE", "urology", 2.0, 1.5),
    ("MONTEE DE SONDE JJ", "urology", 0.8, 0.8),
    ("DILATATION ARTERE FEMORALE", "vascular", 12.0, 8.0),
    ("ENDOPROTHESE AORTE ABDOMINALE", "vascular", 40.0, 15.0),
    ("PICCLINE", "vascular", 0.1, 0.4),
    ("DVI", "vascular", 0.2, 0.5),
    ("PACEMAKER", "cardiology", 1.5, 3.0),
    ("TROUBLES DU RYTHME COMPLEXES", "cardiology", 20.0, 20.0),
)
PLANTED = (
    "missing_dap",
    "missing_act",
    "implausible_value",
    "unit_error",
    "duplicate",
    "facility_below_minimum",
    "act_below_minimum",
)
# Fractions of the records that get each planted error (the rest: clean or the tail).
_ERRORS = (("missing_dap", 0.01), ("missing_act", 0.005), ("implausible_value", 0.005),
           ("unit_error", 0.01), ("duplicate", 0.01))  # fmt: skip
MANUFACTURERS = (("SIEMENS", "Cios Alpha"), ("GE", "OEC Elite"), ("Philips", "Zenition 70"),
                 ("Ziehm", "Vision RFD"))  # fmt: skip


def generate_sql(n: int, facilities: int, seed: int, prefix: str = "F") -> str:
    """Return the DuckDB SELECT of ``n`` generated records over ``facilities`` facilities (codes
    ``prefix`` + 3 digits), with the template's columns and ``planted``."""
    acts = ", ".join(
        f"({i}, '{a}', '{s}', {d}, {t})" for i, (a, s, d, t) in enumerate(ACTS)
    )
    makers = ", ".join(f"({i}, '{m}', '{d}')" for i, (m, d) in enumerate(MANUFACTURERS))
    bounds, total = [], 0.0
    for name, share in _ERRORS:
        bounds.append(f"WHEN e < {total + share} THEN '{name}'")
        total += share
    klass = "CASE " + " ".join(bounds) + " ELSE 'clean' END"

    def u(index: str, k: int) -> str:
        return f"((hash({index} * 97 + {k} + {seed} * 1000003) % 1000000000) + 0.5) / 1e9"

    def z(index: str, k: int) -> str:
        # A normal draw squeezed into (-2, 2) by 2·tanh(z/2): no genuine record is ten times
        # off its act's median, and no value repeats (a cut would pile records at ±2, and
        # records alike in everything are duplicates).
        normal = f"sqrt(-2 * ln({u(index, k)})) * cos(2 * pi() * {u(index, k + 1)})"
        return f"(2.0 * tanh(({normal}) / 2.0))"

    return f"""
WITH acts(idx, act, specialty, dap, fluoro) AS (VALUES {acts}),
makers(idx, manufacturer, model) AS (VALUES {makers}),
rows AS (
  SELECT i, CASE WHEN i >= {n} - 10 THEN 'tail' ELSE {klass.replace('e <', f'{u("i", 1)} <')}
    END AS klass,
    CASE WHEN i >= {n} - 10 THEN 'tail' WHEN i = 0 THEN 'clean'
      ELSE {klass.replace('e <', f'{u("(i - 1)", 1)} <')} END AS previous
  FROM range({n}) t(i)
),
base AS (
  SELECT r.i, r.klass, r.previous,
    CASE WHEN r.klass = 'duplicate' THEN r.i - 1 ELSE r.i END AS src
  FROM rows r
),
drawn AS (
  SELECT b.*, CAST(floor({u("src", 2)} * {facilities}) AS BIGINT) AS fac,
    CASE WHEN b.i >= {n} - 10 THEN 0
      ELSE CAST(floor({u("src", 3)} * {len(ACTS)}) AS BIGINT) END AS act_idx,
    {z("src", 4)} AS z_dap, {z("src", 6)} AS z_time, {u("src", 8)} AS u_images,
    {u("src", 9)} AS u_weight, {u("src", 10)} AS u_height, {u("src", 11)} AS u_month
  FROM base b
)
SELECT
  CASE WHEN d.i >= {n} - 5 THEN '{prefix}-SMALL'
    ELSE '{prefix}' || lpad(CAST(d.fac + 1 AS VARCHAR), 3, '0') END AS facility,
  a.specialty AS specialty,
  CASE WHEN d.klass = 'missing_act' THEN NULL
    WHEN d.i >= {n} - 10 AND d.i < {n} - 5 THEN 'ACTE RARE' ELSE a.act END AS act,
  CASE WHEN d.klass = 'missing_dap' THEN NULL ELSE round(
    a.dap * exp(0.3 * {z("(d.fac + 7919)", 12)}) * exp(0.6 * d.z_dap)
    / CASE WHEN d.klass = 'unit_error' THEN 100 ELSE 1 END, 6) END AS dap_gycm2,
  round(a.fluoro * exp(0.3 * {z("(d.fac + 104729)", 14)}) * exp(0.5 * d.z_time), 4)
    AS fluoro_time_min,
  round(a.dap * exp(0.6 * d.z_dap) * 9, 3) AS kar_mgy,
  CAST(floor(d.u_images * 30) AS BIGINT) AS images,
  CASE WHEN d.klass = 'implausible_value' THEN 900.0
    WHEN d.u_weight < 0.4 THEN NULL ELSE round(45 + d.u_weight * 55, 1) END AS weight_kg,
  CASE WHEN d.u_height < 0.5 THEN NULL ELSE round(150 + d.u_height * 40, 0) END AS height_cm,
  m.manufacturer AS device_manufacturer, m.model AS device_model,
  CAST(2008 + d.fac % 15 AS BIGINT) AS device_year,
  '2025-' || lpad(CAST(1 + CAST(floor(d.u_month * 12) AS BIGINT) AS VARCHAR), 2, '0') AS month,
  CASE WHEN d.i >= {n} - 5 THEN 'facility_below_minimum'
    WHEN d.i >= {n} - 10 THEN 'act_below_minimum'
    WHEN d.klass = 'duplicate' AND d.previous <> 'clean' THEN 'clean'
    ELSE d.klass END AS planted
FROM drawn d JOIN acts a ON a.idx = d.act_idx
JOIN makers m ON m.idx = d.fac % {len(MANUFACTURERS)}
"""


def generate(
    path: Path, n: int, *, facilities: int = 55, seed: int = 1, prefix: str = "F"
) -> Path:
    """Write ``n`` generated records to ``path`` (Parquet, or CSV by its extension) and return
    the path. Bounded memory: DuckDB streams the records to the file."""
    import duckdb

    con = duckdb.connect()
    try:
        con.execute("SET memory_limit = '1GB'")
        con.execute("SET enable_progress_bar = false")
        con.execute("SET preserve_insertion_order = false")
        fmt = "FORMAT csv, HEADER true" if path.suffix.lower() == ".csv" else "FORMAT parquet"
        target = str(path).replace("'", "''")
        con.execute(f"COPY ({generate_sql(n, facilities, seed, prefix)}) TO '{target}' ({fmt})")
    finally:
        con.close()
    return path
