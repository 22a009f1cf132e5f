"""What the synthetic geography is calibrated to: West Yorkshire's real districts and towns,
where deprivation and students concentrate, the real IMD decile mix, England's age profile.

Real codes, names and aggregate shares only; every ward and LSOA built from them is invented.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ENGLAND_LSOAS = 32_844  # LSOAs ranked in the IMD 2019
RESIDENTS_PER_LSOA = 1_600  # ONS aims LSOAs at 1,000-3,000 residents
BASE_YEAR = 2020  # the year the populations in Areas describe
GROWTH_PER_YEAR = 0.005
MAX_AGE = 90  # single years 0..89, then 90+
AGES = np.arange(MAX_AGE + 1)


@dataclass(frozen=True)
class DistrictSpec:
    """A real district: its code and name are real, everything inside it is invented."""

    code: str
    name: str
    population: int
    wards: int
    deprivation: float  # offset of the latent deprivation score (Bradford the most deprived)


DISTRICTS: tuple[DistrictSpec, ...] = (
    DistrictSpec("E08000032", "Bradford", 550_000, 30, 0.3),
    DistrictSpec("E08000033", "Calderdale", 210_000, 17, 0.05),
    DistrictSpec("E08000034", "Kirklees", 440_000, 23, -0.05),
    DistrictSpec("E08000035", "Leeds", 810_000, 33, 0.0),
    DistrictSpec("E08000036", "Wakefield", 355_000, 21, 0.1),
)


@dataclass(frozen=True)
class Town:
    """A real town centre used to shape the invented population and deprivation surfaces."""

    name: str
    lon: float
    lat: float
    share: float  # share of its district's residents clustered around it
    sigma_km: float  # spread of that cluster
    deprivation: float  # weight of its inner-area deprivation
    nte: float = 0.0  # night-time-economy weight (only the five main centres)
    nte_km: float = 0.7  # how fast the night-time economy falls off


TOWNS: tuple[Town, ...] = (
    Town("Leeds", -1.549, 53.797, 0.66, 4.0, 1.3, 1.0, 0.9),
    Town("Bradford", -1.752, 53.794, 0.55, 3.0, 1.2, 0.55, 0.7),
    Town("Huddersfield", -1.784, 53.646, 0.45, 2.6, 1.1, 0.45, 0.6),
    Town("Halifax", -1.861, 53.722, 0.45, 2.2, 1.0, 0.35, 0.6),
    Town("Wakefield", -1.497, 53.683, 0.40, 2.4, 0.9, 0.45, 0.6),
    Town("Keighley", -1.906, 53.867, 0.12, 1.3, 1.0),
    Town("Dewsbury", -1.630, 53.691, 0.17, 1.4, 1.0),
    Town("Castleford", -1.356, 53.725, 0.14, 1.2, 0.8),
    Town("Pontefract", -1.312, 53.691, 0.10, 1.0, 0.4),
    Town("Batley", -1.634, 53.716, 0.10, 1.1, 0.8),
    Town("Brighouse", -1.782, 53.703, 0.15, 1.2, 0.3),
    Town("Otley", -1.694, 53.905, 0.03, 0.7, -0.2),
    Town("Wetherby", -1.386, 53.928, 0.03, 0.7, -0.8),
    Town("Morley", -1.600, 53.740, 0.06, 1.0, 0.0),
    Town("Shipley", -1.776, 53.833, 0.10, 1.5, 0.3),
    Town("Todmorden", -2.097, 53.713, 0.07, 0.8, 0.2),
)
MAIN_CENTRES = ("Leeds", "Bradford", "Huddersfield", "Halifax", "Wakefield")

# Broad patterns the towns alone miss: (lon, lat, weight, sigma_km). Negative = affluent.
DEPRIVATION_BUMPS: tuple[tuple[float, float, float, float], ...] = (
    (-1.549, 53.797, -0.7, 0.8),  # Leeds city centre itself ranks mid-table; its inner ring not
    (-1.490, 53.812, 0.8, 2.5),  # inner east Leeds
    (-1.560, 53.765, 0.6, 2.0),  # inner south Leeds
    (-1.530, 53.860, -1.0, 4.0),  # north Leeds suburbs
    (-1.800, 53.920, -1.0, 4.0),  # Wharfedale
    (-1.360, 53.700, 0.4, 4.0),  # the eastern coalfield towns
)

# Where students live: (lon, lat, strength 0..1, sigma_km).
STUDENT_SITES: tuple[tuple[float, float, float, float], ...] = (
    (-1.553, 53.807, 1.0, 1.0),  # Leeds universities
    (-1.578, 53.821, 0.9, 0.9),  # Headingley
    (-1.764, 53.792, 0.6, 0.8),  # Bradford university
    (-1.778, 53.643, 0.4, 0.7),  # Huddersfield university
)

# West Yorkshire's real share of LSOAs in each national decile (1 = most deprived), IoD 2019
# (MHCLG, OGL v3.0): the synthetic ranks are calibrated to these marginals.
WY_DECILE_SHARES: dict[str, tuple[float, ...]] = {
    "imd": (0.218, 0.140, 0.112, 0.078, 0.088, 0.077, 0.092, 0.084, 0.062, 0.050),
    "income": (0.174, 0.140, 0.112, 0.074, 0.089, 0.079, 0.087, 0.081, 0.086, 0.080),
    "employment": (0.163, 0.159, 0.116, 0.095, 0.076, 0.087, 0.096, 0.084, 0.064, 0.059),
    "education": (0.224, 0.123, 0.094, 0.091, 0.078, 0.074, 0.072, 0.081, 0.082, 0.081),
    "health": (0.144, 0.188, 0.145, 0.136, 0.110, 0.092, 0.102, 0.056, 0.023, 0.003),
    "crime": (0.316, 0.163, 0.116, 0.095, 0.099, 0.082, 0.060, 0.037, 0.024, 0.009),
    "barriers": (0.002, 0.016, 0.045, 0.074, 0.110, 0.127, 0.161, 0.156, 0.146, 0.163),
    "living_environment": (0.236, 0.146, 0.125, 0.122, 0.105, 0.086, 0.068, 0.064, 0.032, 0.017),
}
DOMAINS = (
    "income",
    "employment",
    "education",
    "health",
    "crime",
    "barriers",
    "living_environment",
)
# IMD 2019 domain weights.
DOMAIN_WEIGHTS = (0.225, 0.225, 0.135, 0.135, 0.093, 0.093, 0.093)
