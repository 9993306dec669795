"""Beam quality and dose conversion factors: half-value layer, backscatter factor and the
water-to-air mass energy-absorption coefficient ratio.

Sources:

* Mass attenuation and mass energy-absorption coefficients: J. H. Hubbell and S. M. Seltzer,
  *Tables of X-Ray Mass Attenuation Coefficients and Mass Energy-Absorption Coefficients*,
  NIST Standard Reference Database 126 (NISTIR 5632), values at 10–150 keV.
* Spectrum: Kramers' law (energy fluence per unit energy proportional to ``kVp - E``) for a
  tungsten anode, hardened by the inherent and added filtration. It ignores characteristic
  lines, which changes the half-value layer by a few per cent: the backscatter factor moves by
  less than 1 % per 10 % of HVL.
* Backscatter factor: the fit of A. Benmakhlouf, H. Benmakhlouf, P. Andreo, *Influence of
  phantom thickness and material on the backscatter factors for diagnostic x-ray beam
  dosimetry*, Phys. Med. Biol. 58 (2013) 247–260, eq. (8) and its coefficients for water and
  square fields of 5, 10, 20, 25 and 35 cm side (full-scatter water phantom), which reproduce
  the Monte Carlo backscatter factors of H. Benmakhlouf, H. Bouchard, A. Fransson, P. Andreo,
  Med. Phys. 38 (2011) 1410–1419 within about 1 %.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

# Photon energies (keV) of the tables below.
_ENERGY_KEV = np.array([10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 80.0, 100.0, 150.0])
# Mass attenuation coefficients mu/rho (cm²/g), NIST (Hubbell & Seltzer).
_MU_AL = np.array([26.23, 7.955, 3.441, 1.128, 0.5685, 0.3681, 0.2778, 0.2018, 0.1704, 0.1378])
_MU_CU = np.array([215.9, 74.05, 33.79, 10.92, 4.862, 2.613, 1.593, 0.7630, 0.4584, 0.2217])
# Mass energy-absorption coefficients mu_en/rho (cm²/g), NIST (Hubbell & Seltzer).
_MUEN_AIR = np.array(
    [4.742, 1.334, 0.5389, 0.1537, 0.06833, 0.04098, 0.03041, 0.02407, 0.02325, 0.02496]
)
_MUEN_WATER = np.array(
    [4.944, 1.374, 0.5503, 0.1557, 0.06947, 0.04223, 0.03190, 0.02597, 0.02546, 0.02764]
)
_DENSITY_AL = 2.699  # g/cm³
_DENSITY_CU = 8.96  # g/cm³
# Kramers' law ignores the absorption of bremsstrahlung inside the tungsten target. 1.5 mm Al
# equivalent brings the HVL of unfiltered 50–100 kVp beams behind 2.5 mm Al within about 5 % of
# the IEC 61267 RQR qualities (e.g. RQR 6: 80 kV, 3.01 mm Al).
_ANODE_SELF_FILTRATION_MMAL = 1.5

# Benmakhlouf et al. 2013, eq. (8): BSF = sum_i (a_i + b_i kVp + c_i kVp²) HVL^i, i = 0, 1, 2,
# one column per square field side (cm) at the phantom surface.
BSF_FIELD_SIDES_CM = np.array([5.0, 10.0, 20.0, 25.0, 35.0])
_BSF_COEFFICIENTS = np.array(
    [
        [1.00870e0, 9.29969e-1, 8.65442e-1, 8.58665e-1, 8.57065e-1],
        [2.35816e-3, 4.08549e-3, 5.36739e-3, 5.51579e-3, 5.55933e-3],
        [-9.48937e-6, -1.66271e-5, -2.21494e-5, -2.27532e-5, -2.28004e-5],
        [1.03143e-1, 1.53605e-1, 1.72418e-1, 1.70826e-1, 1.66418e-1],
        [-1.04881e-3, -1.45187e-3, -1.46088e-3, -1.38540e-3, -1.28180e-3],
        [3.59731e-6, 5.05312e-6, 5.17430e-6, 4.91192e-6, 4.53036e-6],
        [-7.31303e-3, -9.32427e-3, -8.30138e-3, -7.64330e-3, -6.81574e-3],
        [7.93272e-5, 9.40568e-5, 7.13576e-5, 6.13126e-5, 4.94197e-5],
        [-2.74296e-7, -3.28449e-7, -2.54885e-7, -2.21399e-7, -1.79074e-7],
    ]
)


def _loglog(table: np.ndarray, energy: np.ndarray) -> np.ndarray:
    """Return the table interpolated log-log at the energies (keV)."""
    return np.exp(np.interp(np.log(energy), np.log(_ENERGY_KEV), np.log(table)))


def _spectrum(kvp: float, al_mm: float, cu_mm: float) -> tuple[np.ndarray, np.ndarray]:
    """Return (energies in keV, energy fluence per bin, arbitrary unit) of the filtered beam."""
    energy = np.arange(10.25, kvp, 0.5)
    if energy.size == 0:
        energy = np.array([max(kvp - 0.25, 10.0)])
    psi = np.clip(kvp - energy, 0.0, None)  # Kramers: energy fluence ∝ (kVp − E)
    al_mm += _ANODE_SELF_FILTRATION_MMAL
    mu = _loglog(_MU_AL, energy) * _DENSITY_AL * al_mm / 10.0
    mu += _loglog(_MU_CU, energy) * _DENSITY_CU * cu_mm / 10.0
    return energy, psi * np.exp(-mu)


@lru_cache(maxsize=4096)
def beam_quality(kvp: float, al_mm: float, cu_mm: float) -> tuple[float, float]:
    """Return (HVL in mm Al, water-to-air mu_en ratio) of a tungsten beam at ``kvp`` filtered
    by ``al_mm`` of aluminium (inherent plus added) and ``cu_mm`` of copper.

    The ratio is averaged over the beam's air-kerma spectrum: it converts air kerma to dose to
    water for that beam (about 1.02–1.06 in interventional beams).
    """
    kvp = float(np.clip(kvp, 20.0, 150.0))
    energy, psi = _spectrum(kvp, al_mm, cu_mm)
    muen_air = _loglog(_MUEN_AIR, energy)
    kerma = psi * muen_air
    total = kerma.sum()
    mu_al = _loglog(_MU_AL, energy) * _DENSITY_AL / 10.0  # per mm
    low, high = 0.0, 40.0
    for _ in range(40):  # bisection to 40 mm / 2**40
        mid = (low + high) / 2.0
        if (kerma * np.exp(-mu_al * mid)).sum() > total / 2.0:
            low = mid
        else:
            high = mid
    ratio = float((psi * _loglog(_MUEN_WATER, energy)).sum() / total)
    return (low + high) / 2.0, ratio


def backscatter_by_side(kvp: float, hvl_mmal: float) -> np.ndarray:
    """Return the backscatter factors (water, full scatter) at :data:`BSF_FIELD_SIDES_CM` for a
    beam of ``kvp`` and half-value layer ``hvl_mmal`` (Benmakhlouf et al. 2013, eq. 8).

    The fit is valid for 50–150 kVp and HVL 2–10 mm Al; inputs are clamped to that range so an
    unusual beam does not extrapolate a polynomial.
    """
    kv = float(np.clip(kvp, 50.0, 150.0))
    hvl = float(np.clip(hvl_mmal, 1.5, 12.0))
    c = _BSF_COEFFICIENTS
    powers_kv = np.array([1.0, kv, kv * kv])
    a = powers_kv @ c[0:3]
    b = powers_kv @ c[3:6]
    q = powers_kv @ c[6:9]
    return a + b * hvl + q * hvl * hvl


def backscatter(kvp: float, hvl_mmal: float, side_cm: np.ndarray | float) -> np.ndarray:
    """Return the backscatter factor for square fields of side ``side_cm`` at the skin,
    interpolated linearly between the tabulated sides and held constant beyond them."""
    values = backscatter_by_side(kvp, hvl_mmal)
    return np.interp(side_cm, BSF_FIELD_SIDES_CM, values)


def filtration(material: str, thickness_mm: float | None) -> tuple[float, float]:
    """Return (added Al mm, added Cu mm) from a report's filter material and thickness."""
    if not thickness_mm or not material:
        return 0.0, 0.0
    name = material.strip().lower()
    if name.startswith(("cu", "copper")):
        return 0.0, float(thickness_mm)
    if name.startswith(("al", "alumin")):
        return float(thickness_mm), 0.0
    return 0.0, 0.0
