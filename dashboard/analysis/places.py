"""Persistent places and area risk: pure statistics over frames the views layer has published.

``persistence`` counts, for each area, the years in which Getis-Ord Gi* (one run per calendar
year, ``hotspots.getis_ord``) classed it a significant hot spot. ``risk_index`` is a composite
area risk index of the kind Violence Reduction Units publish: each indicator standardised
(z-score across the areas), oriented so that higher means more risk, and combined as a
weighted mean with stated weights. ``quadrants`` sets each area's index beside its violence
rate, split at the medians.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
from scipy import stats

# A "significant hot spot" in a year: hot at 95% confidence or more (two-sided p < 0.05).
SIGNIFICANT_HOT = ("Hot spot, 99% confidence", "Hot spot, 95% confidence")
PERSISTENCE_METHOD = (
    "Getis-Ord Gi* is run on each calendar year's published LSOA rates (8 nearest "
    "neighbours, p from the z-score); an LSOA counts a year when it is a hot spot at 95% "
    "confidence or more (two-sided p < 0.05) that year."
)


def persistence(per_year: Mapping[int, pd.DataFrame]) -> pd.DataFrame:
    """``per_year``: year -> frame of area_code, area_name, hotspot (a ``hotspots.CLASSES``
    class) and gi_z. Returns per area: area_code, area_name, years_hot (years it was a
    significant hot spot), years_tested (years it was in the map), hot_years ("2023, 2024")
    and mean_gi_z (its mean Gi* z over the years tested), most persistent first."""
    columns = ["area_code", "area_name", "years_hot", "years_tested", "hot_years", "mean_gi_z"]
    parts = []
    for year, frame in sorted(per_year.items()):
        if frame.empty:
            continue
        part = frame[["area_code", "area_name", "hotspot", "gi_z"]].copy()
        part["year"] = int(year)
        part["hot"] = part["hotspot"].isin(SIGNIFICANT_HOT)
        parts.append(part)
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    long = pd.concat(parts, ignore_index=True)
    grouped = long.groupby("area_code", sort=True)
    out = pd.DataFrame(
        {
            "area_name": grouped["area_name"].last(),
            "years_hot": grouped["hot"].sum().astype("int64"),
            "years_tested": grouped["year"].nunique().astype("int64"),
            "hot_years": grouped.apply(
                lambda g: ", ".join(str(y) for y in sorted(g.loc[g["hot"], "year"])),
                include_groups=False,
            ),
            "mean_gi_z": grouped["gi_z"].mean(),
        }
    ).reset_index()
    out = out.sort_values(
        ["years_hot", "mean_gi_z", "area_code"], ascending=[False, False, True], kind="stable"
    )
    return out[columns].reset_index(drop=True)


def zscores(values: pd.Series) -> pd.Series:
    """Standard scores across the areas (sample standard deviation, ``ddof=1``, as R's
    ``scale()`` and Excel's STANDARDIZE with STDEV.S); missing values stay missing, and an
    indicator that does not vary has no z-scores (it cannot rank areas)."""
    x = pd.to_numeric(values, errors="coerce").astype("float64")
    if x.notna().sum() < 2 or x.nunique(dropna=True) < 2:
        return pd.Series(np.nan, index=values.index, dtype="float64")
    return pd.Series(stats.zscore(x.to_numpy(), ddof=1, nan_policy="omit"), index=values.index)


def risk_index(
    frame: pd.DataFrame, weights: Mapping[str, float], reverse: Iterable[str] = ()
) -> pd.DataFrame:
    """``frame``: one row per area with a column per indicator named as in ``weights``.

    Each indicator becomes a z-score across the rows (``zscores``), negated for indicators in
    ``reverse`` (where a higher value means less risk); the index is the weighted mean of an
    area's z-scores, the weights re-normalised over the indicators the area has. Returns the
    frame with ``z:<indicator>`` columns, ``index`` and ``indicators_used`` (how many)."""
    out = frame.copy()
    flipped = set(reverse)
    used = [k for k, w in weights.items() if k in out and w]
    if not used:
        out["index"], out["indicators_used"] = np.nan, 0
        return out
    z = pd.DataFrame(
        {k: zscores(out[k]) * (-1.0 if k in flipped else 1.0) for k in used}, index=out.index
    )
    w = pd.Series({k: float(weights[k]) for k in used})
    present = z.notna()
    weight_sum = present.mul(w, axis=1).sum(axis=1)
    total = z.fillna(0).mul(w, axis=1).sum(axis=1)
    for k in used:
        out[f"z:{k}"] = z[k]
    out["index"] = (total / weight_sum).where(weight_sum > 0)
    out["indicators_used"] = present.sum(axis=1).astype("int64")
    return out


QUADRANTS = (
    "High risk, high violence",
    "High risk, low violence (yet)",
    "Low risk, high violence",
    "Low risk, low violence",
)
NOT_SHOWN = "Not shown (no published rate)"
NO_INDEX = "No risk index (no indicators)"


def quadrants(index: pd.Series, rate: pd.Series) -> tuple[pd.Series, float, float]:
    """Each area's quadrant: risk index above or below the median index of the areas, and the
    published violence rate above or below the median published rate. An area without a
    published rate (too few events, or a hidden count) is ``NOT_SHOWN``: its quadrant would
    tell which side of the median a hidden count falls. Returns the labels and both medians."""
    idx = pd.to_numeric(index, errors="coerce").astype("float64")
    r = pd.to_numeric(rate, errors="coerce").astype("float64")
    idx_mid = float(idx.median()) if idx.notna().any() else float("nan")
    rate_mid = float(r.median()) if r.notna().any() else float("nan")
    labels = []
    for i, v in zip(idx, r, strict=True):
        if not np.isfinite(i):
            labels.append(NO_INDEX)
            continue
        if not np.isfinite(v):
            labels.append(NOT_SHOWN)
            continue
        high_risk, high_rate = i > idx_mid, v > rate_mid
        labels.append(QUADRANTS[(0 if high_rate else 1) if high_risk else (2 if high_rate else 3)])
    return pd.Series(labels, index=index.index, dtype="object"), idx_mid, rate_mid
