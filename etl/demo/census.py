"""Census 2021 TS021 (ethnic group by LSOA) for the demo areas, in the ONS bulk file's layout.

Each LSOA's residents are its population estimate for 2021 (the same numbers the population
feed holds), shared among the 19 detailed groups: broad shares that differ by district (more
Asian residents in Bradford, as in West Yorkshire), varied from LSOA to LSOA, then each broad
group split by fixed detailed shares. Integers sum exactly to the LSOA's population. The
generator has its own random stream, so the events drawn from the demo's seed are unchanged.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from etl.demo.geometry import apportion
from svcore.vocab import CENSUS_ETHNIC_GROUPS, CENSUS_ETHNIC_GROUPS_DETAILED

CENSUS_YEAR = 2021
BROAD = tuple(CENSUS_ETHNIC_GROUPS)  # asian, black, mixed, white, other
# District -> broad shares (asian, black, mixed, white, other); others take the default.
SHARES = {
    "E08000032": (0.30, 0.015, 0.03, 0.63, 0.025),  # Bradford
    "E08000034": (0.14, 0.02, 0.03, 0.79, 0.02),  # Kirklees
    "E08000035": (0.09, 0.045, 0.035, 0.80, 0.03),  # Leeds
}
DEFAULT_SHARES = (0.05, 0.01, 0.02, 0.905, 0.015)
DETAILED_SHARES = {
    "asian_bangladeshi": 0.06,
    "asian_chinese": 0.08,
    "asian_indian": 0.22,
    "asian_pakistani": 0.55,
    "asian_other": 0.09,
    "black_african": 0.62,
    "black_caribbean": 0.24,
    "black_other": 0.14,
    "mixed_white_asian": 0.28,
    "mixed_white_black_african": 0.13,
    "mixed_white_black_caribbean": 0.40,
    "mixed_other": 0.19,
    "white_british": 0.90,
    "white_irish": 0.01,
    "white_gypsy_traveller": 0.003,
    "white_roma": 0.004,
    "white_other": 0.083,
    "other_arab": 0.25,
    "other_any": 0.75,
}


def ethnic_group_counts(
    lsoas: pd.DataFrame, totals: np.ndarray, seed: int
) -> tuple[list[str], np.ndarray]:
    """(detailed codes, residents by LSOA x detailed group), each row summing to its total."""
    rng = np.random.default_rng([seed, CENSUS_YEAR])
    detailed = list(CENSUS_ETHNIC_GROUPS_DETAILED)
    out = np.zeros((len(lsoas), len(detailed)), dtype=np.int64)
    for i, (district, total) in enumerate(zip(lsoas["district_code"], totals, strict=True)):
        broad = np.asarray(SHARES.get(district, DEFAULT_SHARES)) * rng.lognormal(0, 0.5, 5)
        weights = np.array(
            [
                broad[BROAD.index(CENSUS_ETHNIC_GROUPS_DETAILED[d][0])] * DETAILED_SHARES[d]
                for d in detailed
            ]
        )
        out[i] = apportion(weights, int(total))
    return detailed, out


def write_census_ethnicity(lsoas: pd.DataFrame, totals: np.ndarray, path: Path, seed: int) -> Path:
    """``census2021-ts021-lsoa.csv`` as in the ONS bulk download: date, geography, geography
    code, the total, then each broad group followed by its detailed groups."""
    detailed, counts = ethnic_group_counts(lsoas, totals, seed)
    frame = pd.DataFrame(
        {
            "date": CENSUS_YEAR,
            "geography": lsoas["lsoa_name"].to_numpy(),
            "geography code": lsoas["lsoa_code"].to_numpy(),
            "Ethnic group: Total: All usual residents": counts.sum(1),
        }
    )
    for b in BROAD:
        label = CENSUS_ETHNIC_GROUPS[b]
        members = [j for j, d in enumerate(detailed) if CENSUS_ETHNIC_GROUPS_DETAILED[d][0] == b]
        frame[f"Ethnic group: {label}"] = counts[:, members].sum(1)
        for j in members:
            frame[f"Ethnic group: {label}: {CENSUS_ETHNIC_GROUPS_DETAILED[detailed[j]][1]}"] = (
                counts[:, j]
            )
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, lineterminator="\n")
    return path
