"""The area risk index (the /factors page): public indicators combined, beside the violence rate.

A composite index of the kind Violence Reduction Units publish (the West Midlands VRP's area
vulnerability profiles are the model): each indicator is standardised across the LSOAs in scope
(a z-score), oriented so that a higher value means more risk, and combined as a weighted mean
with the weights stated in ``svdash.toml`` (``[risk_index]``), equal weights over
``DEFAULT_FACTORS`` when none are set. The index is built from **public indicators only** (IMD
2019 and the loaded area indicators), never from the violence counts.

Beside it is the violence rate, the published one (``catalogue.published_areas``), and each
area's quadrant: risk above or below the median index, violence above or below the median
published rate. An area without a published rate (too few events, or a hidden count) is
"not shown": its quadrant would say which side of the median a hidden count falls.
"""

from __future__ import annotations

import pandas as pd

from dashboard.analysis.places import NOT_SHOWN, QUADRANTS, quadrants, risk_index
from dashboard.charts.catalogue import (
    Chart,
    _readable,
    chart,
    district_layers,
    geojson_for,
    published_areas,
    table_meta,
)
from dashboard.charts.factors import factor_options, indicator_frame
from dashboard.charts.request import Request
from dashboard.figures.maps import index_map_figure
from dashboard.figures.scatter import quadrant_scatter_figure
from dashboard.queries.areas import place_only
from dashboard.queries.factors import (
    IMD_DOMAINS,
    imd_scores,
    indicator_catalogue,
)
from svcore.disclosure import SUPPRESSED

# The default factors, each weight 1: the IMD 2019 domains but two, and every loaded ward or
# LSOA indicator. Left out: the overall IMD (it is a weighted sum of the domains: in with them
# it would count them twice) and the crime domain (it is made of recorded crime, violence
# among it: the index would partly measure the rate it is set beside). District indicators
# are left out too: with a handful of districts they cannot tell LSOAs apart.
DEFAULT_IMD = ("income", "employment", "education", "health", "barriers", "living_environment")
LEVEL = "lsoa"
TABLE_ROWS = 50


def _catalogue(req: Request) -> pd.DataFrame:
    return req.q(indicator_catalogue).set_index("indicator_code")


def risk_factors(req: Request) -> tuple[dict[str, float], tuple[str, ...], list[str]]:
    """(weights by factor, reversed factors, factors configured but not loaded)."""
    cat = _catalogue(req)
    configured = dict(req.settings.risk_weights)
    if configured:
        weights = configured
    else:
        weights = {f"imd:{d}": 1.0 for d in DEFAULT_IMD}
        for code, row in cat.iterrows():
            if row["level"] in ("ward", "lsoa"):
                weights[f"ind:{code}"] = 1.0
    available = {f"imd:{d}" for d in IMD_DOMAINS} | {f"ind:{c}" for c in cat.index}
    missing = [k for k in weights if k not in available]
    weights = {k: float(w) for k, w in weights.items() if k in available and w > 0}
    return weights, tuple(req.settings.risk_reverse), missing


def _labels(req: Request) -> dict[str, str]:
    labels = {o["value"]: o["label"] for o in factor_options(req)}
    return {k: v.removeprefix("IMD 2019: ") for k, v in labels.items()}


def risk_frame(req: Request) -> tuple[pd.DataFrame, dict]:
    """Per LSOA in scope: area_code, area_name, ward_name, index, each factor's value and
    z-score, the published count and rate, and the quadrant. And a dict describing the
    method (weights, labels, medians) for the notes."""
    weights, reverse, missing = risk_factors(req)

    def compute() -> tuple[pd.DataFrame, dict]:
        areas = published_areas(req, LEVEL)
        frame = areas[["area_code", "area_name", "ward_code", "district_code", "count", "rate"]]
        frame = frame.copy()
        scores = req.q(imd_scores, place_only(req.filters))
        if not scores.empty:
            wide = scores.pivot_table(index="area_code", columns="domain", values="score")
            wide.columns = [f"imd:{c}" for c in wide.columns]
            frame = frame.merge(wide, left_on="area_code", right_index=True, how="left")
        cat = _catalogue(req)
        for key in weights:
            kind, _, code = key.partition(":")
            if kind != "ind":
                continue
            level = str(cat.loc[code, "level"])
            values = indicator_frame(req, code)
            join = {"lsoa": "area_code", "ward": "ward_code", "district": "district_code"}[level]
            mapped = values.set_index("area_code")["value"]
            frame[key] = frame[join].map(mapped)
        held = {k: w for k, w in weights.items() if k in frame and frame[k].notna().any()}
        scored = risk_index(frame, held, reverse)
        scored["index"] = scored["index"].round(3)
        labels, idx_mid, rate_mid = quadrants(scored["index"], scored["rate"])
        scored["quadrant"] = labels
        names = req.names
        scored["ward_name"] = scored["ward_code"].map(names)
        method = {
            "weights": held,
            "reverse": reverse,
            "missing": missing + [k for k in weights if k not in held],
            "index_median": idx_mid,
            "rate_median": rate_mid,
            "areas": int(scored["index"].notna().sum()),
        }
        return scored, method

    key = ("risk_index", req.filters, tuple(sorted(weights.items())), reverse)
    return req.memo(key, compute)


def method_text(req: Request, method: dict) -> str:
    """The index's method in words (the page, the charts' notes and the report pack)."""
    labels = _labels(req)
    weights = method["weights"]
    total = sum(weights.values()) or 1.0
    parts = []
    for key, w in weights.items():
        flip = " (reversed: higher is less risk)" if key in method["reverse"] else ""
        parts.append(f"{labels.get(key, key)} {w / total:.1%}{flip}")
    configured = (
        "weights set in svdash.toml [risk_index]"
        if req.settings.risk_weights
        else ("equal weights, the default")
    )
    text = (
        f"Area risk index: each indicator is standardised across the {method['areas']:,} "
        "LSOAs in scope (z-score: minus the mean, over the standard deviation), oriented so "
        "that higher means more risk, and combined as a weighted mean of the z-scores "
        f"({configured}): {'; '.join(parts) or 'no indicators loaded'}. Ward indicators are "
        "given to each of the ward's LSOAs; an area missing an indicator is scored on the rest. "
        "0 is the average area. Built from public indicators only; the IMD crime domain and "
        "the overall IMD are left out by default (the first is made of recorded crime, the "
        "second double-counts the domains)."
    )
    if method["missing"]:
        text += f" Named but not loaded: {', '.join(method['missing'])}."
    return text


def quadrant_text(method: dict) -> str:
    mid, imid = method["rate_median"], method["index_median"]
    rate = "–" if pd.isna(mid) else f"{mid:,.1f}"
    index = "–" if pd.isna(imid) else f"{imid:+.2f}"
    return (
        "Quadrants split the areas at the median risk index "
        f"({index}) and at the median published violence rate ({rate} per "
        "1,000 residents a year). An area without a published rate is not placed: "
        f'"{NOT_SHOWN}".'
    )


def _hover(frame: pd.DataFrame) -> list[str]:
    out = []
    for name, idx, count, rate, quad in zip(
        frame["area_name"],
        frame["index"],
        frame["count"],
        frame["rate"],
        frame["quadrant"],
        strict=True,
    ):
        index_text = "none" if pd.isna(idx) else f"{idx:+.2f}"
        count_text = SUPPRESSED if count == SUPPRESSED else f"{int(count):,}"
        rate_text = "not shown" if pd.isna(rate) else f"{rate:,.1f}"
        out.append(
            f"<b>{name}</b><br>Risk index: {index_text}<br>Events: {count_text}<br>"
            f"Rate per 1,000 a year: {rate_text}<br>{quad}"
        )
    return out


@chart(
    "factors-risk-index-map",
    "/factors",
    "Area risk index (public indicators)",
    one_source=True,
    embed=(),
)
def _risk_map(req: Request, embed: str = "") -> Chart:
    frame, method = risk_frame(req)
    frame = frame.assign(hover=_hover(frame))
    fig = index_map_figure(
        frame,
        geojson_for(req, LEVEL, bool(embed)),
        req.context(note=method_text(req, method)),
        "Risk index (z-score)",
        **district_layers(req, LEVEL, frame["area_code"].tolist(), bool(embed)),
    )
    data = frame[["area_code", "area_name", "ward_name", "index", "count", "rate", "quadrant"]]
    return Chart(fig, _readable(data), {"method": method_text(req, method)})


@chart(
    "factors-risk-index-table",
    "/factors",
    "The highest-risk areas beside their violence rate",
    kind="table",
    one_source=True,
)
def _risk_table(req: Request) -> Chart:
    frame, method = risk_frame(req)
    top = frame.dropna(subset=["index"]).sort_values("index", ascending=False, kind="stable")
    data = top.head(TABLE_ROWS)[
        ["area_name", "area_code", "ward_name", "index", "count", "rate", "quadrant"]
    ]
    return Chart(
        None,
        _readable(data),
        table_meta(
            [
                ("area_name", "LSOA"),
                ("area_code", "GSS code"),
                ("ward_name", "Ward"),
                ("index", "Risk index"),
                ("count", "Events"),
                ("rate", "Rate per 1,000 a year"),
                ("quadrant", "Quadrant"),
            ],
            f"The {TABLE_ROWS} LSOAs with the highest risk index, beside their violence rate",
            {"index": "+.2f", "count": ",", "rate": ",.1f"},
            note=method_text(req, method) + " " + quadrant_text(method),
        ),
    )


@chart(
    "factors-risk-quadrants",
    "/factors",
    "Risk index against the violence rate",
    one_source=True,
)
def _risk_quadrants(req: Request) -> Chart:
    frame, method = risk_frame(req)
    fig = quadrant_scatter_figure(
        frame,
        req.context(note=quadrant_text(method)),
        method["index_median"],
        method["rate_median"],
        QUADRANTS,
        x_title="Risk index (z-score; 0 = the average area)",
        y_title="Rate per 1,000 residents a year",
    )
    data = frame[["area_code", "area_name", "index", "count", "rate", "quadrant"]]
    return Chart(fig, _readable(data))


@chart(
    "factors-risk-method",
    "/factors",
    "How the area risk index is built",
    kind="sentence",
    one_source=True,
)
def _risk_method(req: Request) -> Chart:
    frame, method = risk_frame(req)
    text = method_text(req, method) + " " + quadrant_text(method)
    weights = pd.DataFrame(
        [
            {"factor": k, "weight": w, "reversed": k in method["reverse"]}
            for k, w in method["weights"].items()
        ]
    )
    return Chart(None, weights, text=text)
