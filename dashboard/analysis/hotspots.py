"""Hotspots: Getis-Ord Gi* from PySAL's ``esda``, on rates over k-nearest-neighbour weights.

Gi* asks whether an area *and its neighbours* have a higher rate than the whole map would lead
one to expect; a single busy area among quiet ones is not a hotspot. The classes follow the
convention analysts know from GIS tools: hot or cold at 99%, 95% and 90% confidence.

p-values come from Gi*'s z-score against the normal distribution, as ArcGIS Pro's Hot Spot
Analysis and PySAL's ``p_norm`` give them: Gi* is a standardised sum, close to normal for the
8 neighbours (plus the area itself) of each LSOA. Conditional permutation (``permutations``)
gives nearly the same classes at ~300 times the cost (999 reshuffles of every area's
neighbourhood): too slow for a map that follows the filters, and for a hotspot map per year.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd

CLASSES = (
    "Hot spot, 99% confidence",
    "Hot spot, 95% confidence",
    "Hot spot, 90% confidence",
    "Not significant",
    "Cold spot, 90% confidence",
    "Cold spot, 95% confidence",
    "Cold spot, 99% confidence",
)
MIN_AREAS = 8


def _classify(z: float, p: float) -> str:
    if not math.isfinite(z) or not math.isfinite(p):
        return "Not significant"
    side = "Hot" if z > 0 else "Cold"
    for level, cut in ((99, 0.01), (95, 0.05), (90, 0.10)):
        if p < cut:
            return f"{side} spot, {level}% confidence"
    return "Not significant"


def knn_weights(frame: pd.DataFrame, k: int = 8):
    """Binary k-nearest-neighbour weights of the areas in ``frame`` (lon, lat), in its row
    order, each area also its own neighbour (Gi*'s self-weight of 1): a function of the areas
    alone, so a caller may keep them for every period and offence group of the same areas.

    A ``libpysal.graph.Graph`` with the self-weight already on its diagonal: ``G_Local`` then
    uses it as it is, where a ``W`` without one is copied and re-indexed on every call (a
    Gi* map in 5 ms instead of 45 at 1,400 LSOAs)."""
    from libpysal.graph import Graph

    lat0 = math.radians(float(frame["lat"].mean()))
    coords = np.column_stack(
        [frame["lon"].to_numpy(float) * math.cos(lat0), frame["lat"].to_numpy(float)]
    )
    return Graph.build_knn(coords, k=min(k, len(frame) - 1)).assign_self_weight(1)


def getis_ord(
    frame: pd.DataFrame,
    value: str = "rate",
    k: int = 8,
    permutations: int = 0,
    seed: int = 12345,
    weights=None,
) -> pd.DataFrame:
    """``frame``: area_code, lon, lat and ``value``. Adds gi_z, gi_p and hotspot class.

    p-values are two-sided, from the z-score's normal tail (``permutations=0``), or pseudo
    p-values from seeded conditional permutation when asked for; areas without a value (no
    population) take the mean so they neither make nor break a cluster. ``weights``:
    ``knn_weights`` of these very rows, when the caller keeps them.
    """
    from esda.getisord import G_Local

    out = frame.copy()
    if len(out) < MIN_AREAS:
        out["gi_z"], out["gi_p"], out["hotspot"] = np.nan, np.nan, "Not significant"
        return out
    y = pd.to_numeric(out[value], errors="coerce").astype(float)
    y = y.fillna(y.mean() if y.notna().any() else 0.0).to_numpy()
    w = weights if weights is not None else knn_weights(out, k)  # binary, self-weight 1
    with warnings.catch_warnings():
        # esda warns that its permutation p-value is one-sided; we double it below.
        warnings.simplefilter("ignore", DeprecationWarning)
        # A map with no events at all has no variance: z is undefined and reads "not significant".
        warnings.simplefilter("ignore", RuntimeWarning)
        g = G_Local(y, w, transform="B", star=None, permutations=permutations, seed=seed, n_jobs=1)
    out["gi_z"] = np.asarray(g.Zs, dtype=float)
    # Two-sided, as hot and cold spots are both tested: twice the one-sided p, at most 1.
    one_sided = np.asarray(g.p_sim if permutations else g.p_norm, dtype=float)
    out["gi_p"] = np.minimum(1.0, 2 * one_sided)
    out["hotspot"] = [_classify(z, p) for z, p in zip(out["gi_z"], out["gi_p"], strict=True)]
    return out


def warm_up() -> None:
    """Compile esda's permutation kernels (numba) now rather than in a user's first hotspot
    request, where it costs about 5 s. Run before gunicorn forks (``--preload``) it is paid
    once for every worker."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "lon": rng.uniform(-1.8, -1.3, 16),
            "lat": rng.uniform(53.5, 54, 16),
            "rate": rng.gamma(2.0, 5.0, 16),
        }
    )
    getis_ord(frame, permutations=99)
