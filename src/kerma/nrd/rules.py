"""The numbers of decision 2019-DC-0667 that the rules apply, in one place.

Source: the ASN's presentation of the decision (``../shared/seeds/000_266e64da0aa1751c.txt``,
Lille, 19 November 2019), as ``../shared/reference/README.md`` records it:

- adults: 30 consecutive patients with 18 ≤ BMI ≤ 35; interventional practices (PIR): 10;
- children (< 18 years and < 50 kg): 10 consecutive patients in one weight category, weight
  recorded; a paediatric evaluation is due when paediatric activity on the device exceeds 5 %;
- the **median** of each quantity is compared with the NRD (and the VGD), never the mean;
- quantities: CT → CTDIvol (mGy) and DLP (mGy·cm) per acquisition; conventional radiology and
  dental → DAP in mGy·cm² per acquisition; PIR → DAP in Gy·cm² and fluoroscopy time in min
  (time is only an indicator) per procedure; nuclear medicine → administered activity (MBq).
"""

from __future__ import annotations

from dataclasses import dataclass

from kerma.reference.vocabulary import Family, Population, Quantity


@dataclass(frozen=True, slots=True)
class SamplingRules:
    """Sample sizes and selection bounds (defaults: decision 2019-DC-0667).

    BMI in kg/m², rounded to ``bmi_decimals`` before comparison (the precision BMI is reported
    with, so that a BMI shown as 35.0 is never excluded as "above 35"); ages in years; weights
    in kg. ``paediatric_share_threshold`` is a fraction (0.05 = 5 %), exceeded strictly.
    """

    adult_n: int = 30
    interventional_n: int = 10
    paediatric_n: int = 10
    bmi_min: float = 18.0
    bmi_max: float = 35.0
    bmi_decimals: int = 1
    adult_age_min_years: float = 18.0
    child_weight_max_kg: float = 50.0
    paediatric_share_threshold: float = 0.05
    min_height_m: float = 0.3
    max_height_m: float = 2.5

    def required_n(self, family: Family, population: Population) -> int:
        """Return the number of consecutive eligible patients an evaluation needs."""
        if population is Population.PAEDIATRIC:
            return self.paediatric_n
        if family is Family.INTERVENTIONAL:
            return self.interventional_n
        return self.adult_n


DECISION_2019 = SamplingRules()


@dataclass(frozen=True, slots=True)
class EvaluatedQuantity:
    """A quantity an evaluation computes, in the decision's unit; ``indicative`` for PIR time."""

    quantity: Quantity
    unit: str
    indicative: bool = False


# What an evaluation computes per family, in the units of the decision.
EVALUATED_QUANTITIES: dict[Family, tuple[EvaluatedQuantity, ...]] = {
    Family.CT: (
        EvaluatedQuantity(Quantity.CTDIVOL, "mGy"),
        EvaluatedQuantity(Quantity.DLP, "mGy.cm"),
    ),
    Family.RADIOGRAPHY: (EvaluatedQuantity(Quantity.DAP, "mGy.cm2"),),
    Family.DENTAL: (EvaluatedQuantity(Quantity.DAP, "mGy.cm2"),),
    Family.MAMMOGRAPHY: (EvaluatedQuantity(Quantity.AGD, "mGy"),),
    Family.INTERVENTIONAL: (
        EvaluatedQuantity(Quantity.DAP, "Gy.cm2"),
        EvaluatedQuantity(Quantity.FLUORO_TIME, "min", indicative=True),
    ),
    Family.NUCLEAR_MEDICINE: (EvaluatedQuantity(Quantity.ACTIVITY, "MBq"),),
}
