"""Persons at risk and each patient's dose record: effective-dose estimates (CT from DLP, X-ray
from DAP, nuclear medicine from activity), cumulated over windows, the recurrent-exposure alert,
women of child-bearing age without a pregnancy check, breast-feeding interruption after nuclear
medicine, paediatric categories, SSDE (AAPM TG-204/220) and the dose section of the exam report
(arrêté of 22 September 2006).

Pure rules: no Django. Every coefficient comes with its source (see :mod:`.coefficients`);
every estimate says by which method it was made.
"""

from kerma.patients import wording as wording  # noqa: F401  (declares the notice codes)
