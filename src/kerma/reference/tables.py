"""A reference set as plain, immutable data: acts, reference levels, weight categories, gaps.

A :class:`ReferenceSet` is what :func:`kerma.reference.loader.load_reference_set` returns: the rows
of one reference file (plus its metadata sidecar), validated. Each :class:`Reference` row is one
(act, population, weight category, quantity) with its NRD, its VGD where one exists, its unit and
its source. A row may list an act without a value (``nrd is None``): the set then says why in
:attr:`Reference.note` (for example ``MISSING: …``) and an evaluation says "no reference" rather
than comparing with nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from kerma.reference.vocabulary import (
    Family,
    Population,
    Quantity,
    convert_value,
    display_unit,
)


@dataclass(frozen=True, slots=True)
class WeightCategory:
    """A paediatric weight category: children whose weight is in [min, max) kg.

    ``weight_min_kg`` is inclusive, ``weight_max_kg`` exclusive; either may be None when the set
    does not define it (then the category cannot select children until a physicist defines it).
    ``source`` says where the category itself comes from; ``bounds_source`` where its bounds come
    from (a regulatory table, or a stated local convention).
    """

    code: str
    label: str
    weight_min_kg: float | None = None
    weight_max_kg: float | None = None
    nominal_weight_kg: float | None = None
    indicative_age: str = ""
    source: str = ""
    bounds_source: str = ""

    @property
    def has_bounds(self) -> bool:
        """True when both weight bounds are defined."""
        return self.weight_min_kg is not None and self.weight_max_kg is not None

    def contains(self, weight_kg: float) -> bool:
        """True when ``weight_kg`` (kg) is in [weight_min_kg, weight_max_kg).

        Raises ValueError when the category has no bounds.
        """
        if self.weight_min_kg is None or self.weight_max_kg is None:
            raise ValueError(f"weight category {self.code!r} has no weight bounds")
        return self.weight_min_kg <= weight_kg < self.weight_max_kg

    def describe(self) -> str:
        """Return e.g. ``"10kg: poids 10 kg (âge indicatif : 1 an), 6.75 ≤ weight < 15 kg"``."""
        bounds = (
            f"{self.weight_min_kg:g} ≤ weight < {self.weight_max_kg:g} kg"
            if self.weight_min_kg is not None and self.weight_max_kg is not None
            else "no weight bounds defined"
        )
        return f"{self.code}: {self.label}, {bounds}"


@dataclass(frozen=True, slots=True)
class Act:
    """A regulatory act of a reference set: its code, French label, family and unit of evaluation.

    ``per`` is ``"acquisition"`` (one CT helix / one projection), ``"procedure"`` (interventional
    totals), ``"exam"`` (total activity of a nuclear-medicine exam) or ``"administration-n"``.
    """

    code: str
    label: str
    family: Family
    per: str


@dataclass(frozen=True, slots=True)
class Reference:
    """One row of a reference set: the NRD (and VGD) of an act for a population and a quantity.

    ``nrd`` and ``vgd`` are in ``unit`` exactly as the source printed them; None when absent
    (``note`` then says why). ``category`` is the paediatric weight category code (None for
    adults). ``phantom_cm`` is the CTDI phantom (16 or 32 cm) of a CT level. ``origin`` is the
    file and line the row was read from.
    """

    set_name: str
    act_code: str
    act_label: str
    family: Family
    population: Population
    category: str | None
    condition: str
    quantity: Quantity
    unit: str
    nrd: float | None
    vgd: float | None
    phantom_cm: int | None
    per: str
    source: str
    note: str = ""
    origin: str = ""

    @property
    def key(self) -> tuple[str, Population, str | None, Quantity]:
        """The row's identity in its set: (act, population, category, quantity)."""
        return (self.act_code, self.population, self.category, self.quantity)

    @property
    def has_value(self) -> bool:
        """True when the set gives an NRD value for this row."""
        return self.nrd is not None

    def nrd_in(self, unit: str) -> float | None:
        """Return the NRD converted to ``unit`` (None when the set has no NRD)."""
        return None if self.nrd is None else convert_value(self.nrd, self.unit, unit, self.quantity)

    def vgd_in(self, unit: str) -> float | None:
        """Return the VGD converted to ``unit`` (None when the set has no VGD)."""
        return None if self.vgd is None else convert_value(self.vgd, self.unit, unit, self.quantity)

    def describe(self) -> str:
        """Return a one-line description, e.g. ``"RX-THORAX-PA adult dap: NRD 200 mGy·cm² …"``."""
        who = self.population.value + (f" {self.category}" if self.category else "")
        unit = display_unit(self.unit)
        if self.nrd is None:
            value = f"no value ({self.note})" if self.note else "no value"
        else:
            value = f"NRD {self.nrd:g} {unit}"
            if self.vgd is not None:
                value += f", VGD {self.vgd:g} {unit}"
        return f"{self.act_code} {who} {self.quantity.value}: {value} [{self.set_name}]"


@dataclass(frozen=True, slots=True)
class Gap:
    """A part of the regulatory text that the set knows exists but whose values it lacks."""

    modality: str
    population: str
    quantities: tuple[str, ...]
    units: tuple[str, ...]
    what: str
    source: str


RowKey = tuple[str, Population, str | None, Quantity]


def _index(refs: Iterable[Reference]) -> dict[RowKey, Reference]:
    return {ref.key: ref for ref in refs}


@dataclass(frozen=True)
class ReferenceSet:
    """A validated, immutable reference set (NRD/VGD per act, population and quantity).

    ``status`` is what the metadata says (``in_force``, ``abrogated``, ``local``…): an evaluation
    against an abrogated or local set shows it, so a number is never unlabelled.
    ``metadata`` holds the rest of the sidecar (legal reference, notes, dates).
    """

    name: str
    title: str
    status: str
    references: tuple[Reference, ...]
    categories: Mapping[str, WeightCategory] = field(default_factory=dict)
    gaps: tuple[Gap, ...] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict)
    origins: tuple[str, ...] = ()
    _by_key: Mapping[RowKey, Reference] = field(init=False, repr=False, compare=False)
    _acts: Mapping[str, Act] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "categories", MappingProxyType(dict(self.categories)))
        object.__setattr__(self, "metadata", MappingProxyType(dict(self.metadata)))
        object.__setattr__(self, "_by_key", MappingProxyType(_index(self.references)))
        acts: dict[str, Act] = {}
        for ref in self.references:
            acts.setdefault(ref.act_code, Act(ref.act_code, ref.act_label, ref.family, ref.per))
        object.__setattr__(self, "_acts", MappingProxyType(acts))

    @property
    def label(self) -> str:
        """Return the name with its status, e.g. ``"fr-2011-arrete (abrogated)"``."""
        return f"{self.name} ({self.status})" if self.status else self.name

    def acts(self, family: Family | str | None = None) -> list[Act]:
        """Return the set's acts in file order, optionally only those of ``family``."""
        return [a for a in self._acts.values() if family is None or a.family == family]

    def act(self, code: str) -> Act | None:
        """Return the act whose code is ``code``, or None when the set does not list it."""
        return self._acts.get(code)

    def category(self, code: str) -> WeightCategory | None:
        """Return the paediatric weight category ``code``, or None."""
        return self.categories.get(code)

    def lookup(
        self,
        act_code: str,
        population: Population | str,
        quantity: Quantity | str,
        category: str | None = None,
    ) -> Reference | None:
        """Return the row for (act, population, quantity, category), or None when not listed.

        A returned row may have no value (``has_value`` False): the act is listed, its value is
        absent, and ``note`` says why. ``category`` is ignored for adults.
        """
        pop = Population(population)
        cat = category if pop is Population.PAEDIATRIC else None
        return self._by_key.get((act_code, pop, cat, Quantity(quantity)))

    def rows_for(self, act_code: str) -> list[Reference]:
        """Return every row of ``act_code`` in file order."""
        return [r for r in self.references if r.act_code == act_code]

    def missing_values(self) -> list[Reference]:
        """Return the rows that list an act without an NRD value (the set says why in ``note``)."""
        return [r for r in self.references if r.nrd is None]

    def with_supplement(self, other: ReferenceSet) -> ReferenceSet:
        """Return this set completed by ``other`` (e.g. the physicist's missing 2019 values).

        A row of ``other`` is added when this set lacks it, and replaces a row of this set that
        has no value; when both rows have values they must agree (same NRD, VGD and unit), else
        ValueError names both origins. Categories of ``other`` are added; a category defined in
        both must have the same bounds. Every row keeps its own source and origin.
        """
        problems: list[str] = []
        for code, act in other._acts.items():
            mine = self._acts.get(code)
            if mine and (mine.family != act.family or mine.per != act.per):
                problems.append(
                    f"act {code}: family/per {act.family}/{act.per} in {other.name} differ from "
                    f"{mine.family}/{mine.per} in {self.name}"
                )
        categories = dict(self.categories)
        for code, cat in other.categories.items():
            mine_cat = categories.get(code)
            if mine_cat and (mine_cat.weight_min_kg, mine_cat.weight_max_kg) != (
                cat.weight_min_kg,
                cat.weight_max_kg,
            ):
                problems.append(
                    f"category {code}: bounds differ between {self.name} and {other.name}"
                )
            categories.setdefault(code, cat)
        rows = dict(_index(self.references))
        for ref in other.references:
            mine_ref = rows.get(ref.key)
            if mine_ref is None or mine_ref.nrd is None:
                rows[ref.key] = ref
            elif ref.nrd is not None:
                same = ref.nrd_in(mine_ref.unit) == mine_ref.nrd and ref.vgd_in(mine_ref.unit) == (
                    mine_ref.vgd
                )
                if not same:
                    problems.append(
                        f"{ref.origin} ({ref.describe()}) conflicts with {mine_ref.origin} "
                        f"({mine_ref.describe()})"
                    )
        if problems:
            raise ValueError(
                f"cannot complete {self.name} with {other.name}:\n  " + "\n  ".join(problems)
            )
        metadata = dict(self.metadata)
        metadata["supplements"] = [*self.metadata.get("supplements", ()), other.name]
        return ReferenceSet(
            name=f"{self.name}+{other.name}",
            title=self.title,
            status=self.status,
            references=tuple(rows.values()),
            categories=categories,
            gaps=self.gaps,
            metadata=metadata,
            origins=(*self.origins, *other.origins),
        )


def reference_for(
    reference_set: ReferenceSet,
    act_code: str,
    population: Population | str,
    quantity: Quantity | str,
    category: str | None = None,
) -> Reference | None:
    """Return the row of ``reference_set`` for (act, population, quantity, category), or None.

    None means the set does not list the act for that population and quantity; a returned row
    with ``has_value`` False means the set lists it without a value (see ``Reference.note``).
    """
    return reference_set.lookup(act_code, population, quantity, category)
