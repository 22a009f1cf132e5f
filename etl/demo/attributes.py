"""Attributes of the synthetic LSOAs: urbanity, students, night-time economy, IMD-style ranks
and deciles by domain, and residents by single year of age and sex.
"""

from __future__ import annotations

import numpy as np
import shapely

from etl.demo.calibration import (
    AGES,
    DEPRIVATION_BUMPS,
    DISTRICTS,
    DOMAIN_WEIGHTS,
    DOMAINS,
    ENGLAND_LSOAS,
    RESIDENTS_PER_LSOA,
    STUDENT_SITES,
    TOWNS,
    WY_DECILE_SHARES,
)
from etl.demo.geometry import apportion, to_km

# England mid-2020 by single year of age (thousands, approximate, ONS): knots to interpolate.
# columns: age, male, female
_AGE_TABLE = np.array(
    [
        (0, 317, 301),
        (5, 350, 333),
        (10, 355, 337),
        (15, 320, 303),
        (18, 320, 300),
        (20, 345, 325),
        (25, 385, 375),
        (30, 395, 395),
        (35, 380, 385),
        (40, 355, 360),
        (45, 360, 370),
        (50, 395, 405),
        (55, 390, 400),
        (60, 340, 350),
        (65, 290, 305),
        (70, 300, 325),
        (73, 305, 335),
        (75, 240, 270),
        (80, 175, 215),
        (85, 105, 150),
        (89, 60, 100),
    ],
    dtype=float,
)
_MALE_90_PLUS, _FEMALE_90_PLUS = 190.0, 370.0


def _gauss(x: np.ndarray, y: np.ndarray, lon: float, lat: float, sigma_km: float) -> np.ndarray:
    cx, cy = to_km(lon, lat)
    return np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * sigma_km**2))


def _smooth_field(rng: np.random.Generator, x: np.ndarray, y: np.ndarray, km: float) -> np.ndarray:
    """A smooth random surface (random Fourier features of a Gaussian process), unit variance."""
    k = 32
    freq = rng.normal(0.0, 1.0 / km, size=(k, 2))
    phase = rng.uniform(0.0, 2 * np.pi, size=k)
    waves = np.cos(np.outer(x, freq[:, 0]) + np.outer(y, freq[:, 1]) + phase)
    return np.sqrt(2.0 / k) * waves.sum(1)


def _standardise(v: np.ndarray) -> np.ndarray:
    return (v - v.mean()) / v.std()


def lsoa_attributes(
    rng: np.random.Generator, points: np.ndarray, area_km2: np.ndarray, district: np.ndarray
) -> dict[str, np.ndarray]:
    """Urbanity, student share, night-time economy weight and IMD-style ranks for every LSOA."""
    lonlat = shapely.get_coordinates(points)
    x, y = to_km(lonlat[:, 0], lonlat[:, 1])
    n = len(x)
    density = RESIDENTS_PER_LSOA / area_km2
    urban = np.clip((np.log10(density) - np.log10(400)) / (np.log10(8000) - np.log10(400)), 0, 1)
    student = np.zeros(n)
    for lon, lat, strength, sigma in STUDENT_SITES:
        student += strength * _gauss(x, y, lon, lat, sigma)
    student = np.clip(student, 0.0, 1.0)

    nte = np.zeros(n)
    for t in TOWNS:
        if t.nte:
            cx, cy = to_km(t.lon, t.lat)
            nte += t.nte * np.exp(-np.hypot(x - cx, y - cy) / t.nte_km)
    nte = np.round(nte / nte.max(), 4)

    def noise(smooth: float, iid: float, km: float = 3.0) -> np.ndarray:
        # centred within each district: chance reshuffles places, not the districts' standing
        v = smooth * _smooth_field(rng, x, y, km) + iid * rng.standard_normal(n)
        return v - (np.bincount(district, weights=v) / np.bincount(district))[district]

    latent = np.array([s.deprivation for s in DISTRICTS])[district]
    for t in TOWNS:
        latent += t.deprivation * _gauss(x, y, t.lon, t.lat, 1.3 * t.sigma_km)
    for lon, lat, weight, sigma in DEPRIVATION_BUMPS:
        latent += weight * _gauss(x, y, lon, lat, sigma)
    latent += noise(0.25, 0.3, 2.5)
    z = _standardise(latent)
    coalfield = (district == [s.code for s in DISTRICTS].index("E08000036")).astype(float)
    domains = {
        "income": 0.95 * z + noise(0.2, 0.2),
        "employment": 0.92 * z + 0.25 * coalfield + noise(0.25, 0.25),
        "education": 0.88 * z + noise(0.3, 0.3),
        "health": 0.85 * z + 0.3 * coalfield + noise(0.3, 0.3),
        "crime": 0.7 * z + 0.6 * urban + 0.8 * nte + noise(0.3, 0.35),
        "barriers": 0.3 * z + 0.9 * (1 - urban) + noise(0.4, 0.4),
        "living_environment": 0.15 * z + 0.5 * urban + noise(0.4, 0.4),
    }
    score = sum(
        wt * _standardise(domains[d]) for wt, d in zip(DOMAIN_WEIGHTS, DOMAINS, strict=True)
    )
    out = {
        "urbanity": np.round(urban, 4),
        "student_share": np.round(student, 4),
        "nte_weight": nte,
        "deprivation_score": np.round(_standardise(score), 4),
    }
    for name, values in [("imd", score), *domains.items()]:
        ranks = _national_ranks(values, WY_DECILE_SHARES[name])
        out[f"{name}_rank"] = ranks
        out[f"{name}_decile"] = decile_of(ranks)
    return out


def decile_of(rank: np.ndarray) -> np.ndarray:
    """IMD decile of a national rank, 1 = most deprived 10% (= ceil(rank / 3284.4))."""
    return (np.asarray(rank) * 10 + ENGLAND_LSOAS - 1) // ENGLAND_LSOAS


def _national_ranks(score: np.ndarray, shares: tuple[float, ...]) -> np.ndarray:
    """Distinct national ranks (1 = most deprived) with West Yorkshire's real decile mix."""
    n = len(score)
    order = np.argsort(-score, kind="stable")
    cum = np.concatenate([[0.0], np.cumsum(shares) / sum(shares)])
    pct = np.interp((np.arange(n) + 0.5) / n, cum, np.linspace(0.0, 1.0, 11))
    ranked = np.clip(np.ceil(pct * ENGLAND_LSOAS).astype(np.int64), 1, ENGLAND_LSOAS)
    step = np.arange(n)
    ranked = np.maximum.accumulate(ranked - step) + step  # strictly increasing
    ranked = np.minimum(ranked, ENGLAND_LSOAS - (n - 1 - step))
    out = np.empty(n, dtype=np.int64)
    out[order] = ranked
    return out


def _age_profile() -> tuple[np.ndarray, np.ndarray]:
    """England's single-year-of-age shape, 0..89 and 90+, female then male."""
    ages = AGES[:-1]
    female = np.append(np.interp(ages, _AGE_TABLE[:, 0], _AGE_TABLE[:, 2]), _FEMALE_90_PLUS)
    male = np.append(np.interp(ages, _AGE_TABLE[:, 0], _AGE_TABLE[:, 1]), _MALE_90_PLUS)
    return female, male


def _ramp(points: list[tuple[float, float]]) -> np.ndarray:
    xs, ys = zip(*points, strict=True)
    return np.interp(AGES, xs, ys)


def age_sex_counts(
    rng: np.random.Generator, attrs: dict[str, np.ndarray], district: np.ndarray
) -> np.ndarray:
    """Residents by LSOA x (F 0..90, M 0..90): totals per district hit the targets exactly.

    Cities draw young adults and students, deprived areas have more children and fewer old
    people, the countryside is older; each LSOA's counts are one multinomial draw.
    """
    n = len(district)
    urban, student = attrs["urbanity"], attrs["student_share"]
    z = attrs["deprivation_score"]
    raw = RESIDENTS_PER_LSOA * np.exp(rng.normal(0.0, 0.17, n)) * (1 + 0.5 * student)
    raw = np.clip(raw, 1050, 3000)
    totals = np.zeros(n, dtype=np.int64)
    for d, spec in enumerate(DISTRICTS):
        m = district == d
        totals[m] = apportion(raw[m], spec.population)

    children = _ramp([(0, 1), (15, 1), (18, 0)])
    young = _ramp([(19, 0), (23, 1), (34, 1), (42, 0)])
    older = _ramp([(55, 0), (65, 1), (90, 1)])
    middle = _ramp([(40, 0), (48, 1), (70, 1), (78, 0)])
    bradford = (district == 0).astype(float)
    log_mod = (
        np.outer(urban, 0.5 * young - 0.35 * older)
        + np.outer(np.clip(z, -2.5, 2.5), 0.15 * children - 0.12 * older)
        + np.outer(1 - urban, 0.25 * middle)
        + np.outer(bradford, 0.12 * children)
    )
    female, male = _age_profile()
    base = np.concatenate([female, male]) * np.exp(0.08 * np.concatenate([children, children]))
    p = base[None, :] * np.exp(np.concatenate([log_mod, log_mod], axis=1))
    p /= p.sum(1, keepdims=True)
    bump = np.exp(-((AGES - 20.0) ** 2) / (2 * 1.5**2)) * ((AGES >= 18) & (AGES <= 24))
    stud = np.concatenate([0.52 * bump, 0.48 * bump])
    stud /= stud.sum()
    mix = 0.55 * student[:, None]
    p = (1 - mix) * p + mix * stud[None, :]
    p /= p.sum(1, keepdims=True)
    return rng.multinomial(totals, p)
