"""Multi-centre reference-level surveys (issue 16): contributions in a documented template
(:mod:`~kerma.survey.template`), validated and filtered with a reason per rejected record and
reduced to reference levels per act and specialty by one SQL definition (:mod:`~kerma.survey.sql`)
that DuckDB or Spark runs (:mod:`~kerma.survey.engines`), percentiles and bootstrap intervals
defined once (:mod:`~kerma.survey.stats`), a report in HTML and XLSX
(:mod:`~kerma.survey.report`). Pure: no Django here (the contribution of a Kerma site is read
by :mod:`kerma.cli.survey` from the database)."""

from kerma.survey import wording as wording  # noqa: F401 (declares the notice codes)
