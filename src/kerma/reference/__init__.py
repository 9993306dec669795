"""Versioned reference tables: NRD and VGD per act, population and quantity, as data files.

The values live in ``data/<name>.csv`` (one file per reference set) with an optional metadata
sidecar ``data/<name>.toml``; ``README.md`` in this package describes the format. Nothing here
invents a value: where the regulatory text could not be traced, a row lists the act without a value
and says why, and :meth:`ReferenceSet.missing_values` and :attr:`ReferenceSet.gaps` say what is
missing.

Typical use::

    from kerma.reference import load_reference_set, reference_for

    refs = load_reference_set("fr-2019-DC-0667")
    ref = reference_for(refs, "RX-THORAX-PA", "adult", "dap")
    ref.nrd, ref.vgd, ref.unit          # 200.0, 150.0, 'mGy.cm2'

Units: each value stays in the unit its source prints (2011 PDS in cGy·cm², 2019 in mGy·cm²);
:meth:`Reference.nrd_in` and :func:`convert_value` convert.
"""

from kerma.reference.loader import (
    ReferenceSetError,
    available_sets,
    find_act,
    load_reference_file,
    load_reference_set,
    parse_reference_csv,
)
from kerma.reference.tables import (
    Act,
    Gap,
    Reference,
    ReferenceSet,
    WeightCategory,
    reference_for,
)
from kerma.reference.vocabulary import (
    Family,
    Population,
    Quantity,
    convert_value,
    display_unit,
    units_for,
)

__all__ = [
    "Act",
    "Family",
    "Gap",
    "Population",
    "Quantity",
    "Reference",
    "ReferenceSet",
    "ReferenceSetError",
    "WeightCategory",
    "available_sets",
    "convert_value",
    "display_unit",
    "find_act",
    "load_reference_file",
    "load_reference_set",
    "parse_reference_csv",
    "reference_for",
    "units_for",
]
