"""NRD evaluations and the yearly plan (decision ASN 2019-DC-0667), as pure functions.

Nothing here imports Django or a database: the shell builds :class:`ExamRecord` objects from what
it stores, calls these functions and stores what they return.

Modules, each named after what it holds:

- :mod:`~kerma.nrd.records` — the plain data: exams, acquisitions, administrations;
- :mod:`~kerma.nrd.rules` — the decision's numbers (30/10/10 patients, BMI 18–35, < 18 years and
  < 50 kg, 5 %) and the quantities evaluated per family, in the decision's units;
- :mod:`~kerma.nrd.eligibility` — who may be in a sample, and why an exam is excluded (EN/FR);
- :mod:`~kerma.nrd.mapping` — protocol names → acts (user rules), unmapped names, suggestions;
- :mod:`~kerma.nrd.acquisitions` — which acquisition of an exam stands for a per-acquisition act;
- :mod:`~kerma.nrd.measurement` — what one exam contributes, in the decision's units;
- :mod:`~kerma.nrd.sampling` — consecutive sampling from the start of the period;
- :mod:`~kerma.nrd.statistics` — the median and the comparison with VGD and NRD;
- :mod:`~kerma.nrd.evaluation` — :func:`evaluate` and the :class:`Evaluation` JSON;
- :mod:`~kerma.nrd.plan` — the yearly plan: due, done, late, and the inspector's flags;
- :mod:`~kerma.nrd.manual` — rows typed by hand (or from a CSV/XLSX file) → exam records;
- :mod:`~kerma.nrd.wording` — the French and English words of the notices the core returns
  (:mod:`kerma.notices`): plan notes, flags, evaluation messages.

Units: CTDIvol mGy, DLP mGy·cm, radiology DAP mGy·cm², interventional DAP Gy·cm², fluoroscopy
time min, activity MBq in results; the records carry the canonical units of :mod:`kerma.units`
(DAP Gy·cm², time s).
"""

import kerma.nrd.wording  # noqa: F401  (declares the notices of the package)
from kerma.nrd.acquisitions import AcquisitionChoice, choose_acquisition, load_series_patterns
from kerma.nrd.eligibility import Exclusion, Reason, bmi, check_eligibility, reported_bmi
from kerma.nrd.evaluation import Evaluation, QuantityResult, SelectedExam, evaluate
from kerma.nrd.mapping import (
    MappingRule,
    MappingRuleError,
    MatchKind,
    ProtocolMapper,
    Suggestion,
    UnmappedName,
    suggest_acts,
    unmapped_names,
)
from kerma.nrd.measurement import Measurement, measure
from kerma.nrd.plan import (
    Device,
    DeviceActivity,
    EvaluationRecord,
    InspectorFlag,
    PlanItem,
    PlanStatus,
    Requirement,
    YearPlan,
    activity_from_exams,
    plan_year,
)
from kerma.nrd.records import Acquisition, Administration, ExamRecord
from kerma.nrd.rules import DECISION_2019, EVALUATED_QUANTITIES, EvaluatedQuantity, SamplingRules
from kerma.nrd.sampling import Sample, select_consecutive
from kerma.nrd.statistics import Status, compare, median

__all__ = [
    "DECISION_2019",
    "EVALUATED_QUANTITIES",
    "Acquisition",
    "AcquisitionChoice",
    "Administration",
    "Device",
    "DeviceActivity",
    "Evaluation",
    "EvaluatedQuantity",
    "EvaluationRecord",
    "ExamRecord",
    "Exclusion",
    "InspectorFlag",
    "MappingRule",
    "MappingRuleError",
    "MatchKind",
    "Measurement",
    "PlanItem",
    "PlanStatus",
    "ProtocolMapper",
    "QuantityResult",
    "Reason",
    "Requirement",
    "Sample",
    "SamplingRules",
    "SelectedExam",
    "Status",
    "Suggestion",
    "UnmappedName",
    "YearPlan",
    "activity_from_exams",
    "bmi",
    "check_eligibility",
    "choose_acquisition",
    "compare",
    "evaluate",
    "load_series_patterns",
    "measure",
    "median",
    "plan_year",
    "reported_bmi",
    "select_consecutive",
    "suggest_acts",
    "unmapped_names",
]
