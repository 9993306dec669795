"""The shell around the pure NRD core: ORM rows in, plain records to :mod:`kerma.nrd`, snapshots
out. One module per concern; the public names are re-exported here so that callers import them
from ``kerma.web.nrd.services``.

- :mod:`.devices` — a device's family of acts, imaging unit and NRD settings;
- :mod:`.mappings` — the protocol-mapping rules: :func:`add_mapping` stores one (and re-runs the
  drafts it may change); :func:`unmapped_listing` lists the procedure names no rule maps, with
  counts and likely acts;
- :mod:`.records` — :func:`iter_exam_records` streams one device's exams of a period to the core,
  in chronological order, reading only the columns the rules need, window by window, so that an
  evaluation stops reading as soon as its sample is complete (test exams are left out);
- :mod:`.evaluations` — :func:`run_evaluation` runs :func:`kerma.nrd.evaluate` on them with the
  reference set that applies and the device's mapping rules; :func:`save_evaluation` stores the
  snapshot; :func:`rerun` and :func:`refresh_drafts` recompute drafts after a remapping;
- :mod:`.planning` — :func:`year_plan` computes the yearly plan from the database (perimeter,
  activity per device and act, evaluations on record) with the flags an inspector would raise;
- :mod:`.actions` — corrective actions.

Device ids given to the core are the devices' primary keys as text; the JSON gives them as numbers.
"""

from kerma.web.nrd.services.actions import add_action
from kerma.web.nrd.services.devices import (
    FAMILY_BY_CATEGORY,
    device_family,
    device_info,
    device_unit,
    set_device_settings,
    settings_of,
)
from kerma.web.nrd.services.evaluations import (
    DETAIL_COLUMNS,
    EvaluationRun,
    ManualEvaluationError,
    device_notes,
    evaluate_records,
    evaluation_content,
    evaluation_to_dict,
    refresh_drafts,
    rerun,
    resolve_act,
    run_evaluation,
    save_evaluation,
)
from kerma.web.nrd.services.mappings import (
    add_mapping,
    known_act,
    mapping_rules,
    protocol_mapper,
    remove_mapping,
    unmapped_listing,
)
from kerma.web.nrd.services.planning import (
    current_evaluations,
    plan_device,
    year_activity,
    year_plan,
)
from kerma.web.nrd.services.records import (
    EVENT_KIND,
    FIRST_WINDOW_DAYS,
    MAX_WINDOW_DAYS,
    StreamStats,
    iter_exam_records,
    parse_study_time,
)

__all__ = [
    "DETAIL_COLUMNS",
    "EVENT_KIND",
    "FAMILY_BY_CATEGORY",
    "FIRST_WINDOW_DAYS",
    "MAX_WINDOW_DAYS",
    "EvaluationRun",
    "ManualEvaluationError",
    "StreamStats",
    "add_action",
    "add_mapping",
    "remove_mapping",
    "current_evaluations",
    "device_family",
    "device_info",
    "device_notes",
    "device_unit",
    "evaluate_records",
    "evaluation_content",
    "evaluation_to_dict",
    "iter_exam_records",
    "known_act",
    "mapping_rules",
    "parse_study_time",
    "plan_device",
    "protocol_mapper",
    "refresh_drafts",
    "rerun",
    "resolve_act",
    "run_evaluation",
    "save_evaluation",
    "set_device_settings",
    "settings_of",
    "unmapped_listing",
    "year_activity",
    "year_plan",
]
