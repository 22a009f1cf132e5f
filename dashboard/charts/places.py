"""Persistent places (the /where page): hot spots year after year, and repeat locations.

Views registered with the catalogue's ``chart`` decorator (``dashboard.charts.catalogue``
imports this module at its end), published the catalogue's way:

- **Persistent hot spots**: Getis-Ord Gi* run on each calendar year's *published* LSOA rates
  (``catalogue.hotspot_stats`` for that year, the same statistics the hotspot map shows for
  it), and for each LSOA the number of years it was a significant hot spot
  (``dashboard.analysis.places.persistence``).
- **Location types by year** and **repeat locations**. Partner feeds carry no address (the
  police contract has a location *type* and an LSOA; free-text locations are never stored),
  so a "repeat location" is a location type in an area (ward, or LSOA inside one ward) that is
  among the year's busiest such places in more than one year: where analysts would point
  patrols, licensing or guardianship.

Every count goes through ``protect`` with the request's rule before anything is ranked or
divided; shares are of published counts (``published_share``); the Gi* classes are functions
of published rates only.
"""

from __future__ import annotations

import pandas as pd

from dashboard.analysis.places import PERSISTENCE_METHOD, persistence
from dashboard.charts.catalogue import (
    Chart,
    _readable,
    _shift,
    chart,
    compare,
    district_layers,
    geojson_for,
    hotspot_stats,
    table_meta,
)
from dashboard.charts.request import Request
from dashboard.figures.maps import persistence_figure
from dashboard.queries.areas import areas_in_scope
from dashboard.queries.counts import count_table
from dashboard.queries.overview import latest_month
from svcore.disclosure import protect, published, published_share
from svcore.vocab import label

TOP_PLACES = 20  # a year's busiest location type x area combinations


def years_of(req: Request) -> list[int]:
    """The calendar years the filters' period touches that hold events of the source."""
    years = req.q(count_table, req.filters, ("year",))
    return sorted(int(y) for y in years.loc[years["count"] > 0, "year"])


def _year(req: Request, year: int) -> Request:
    return req.with_filters(req.filters.with_(date_from=f"{year}-01", date_to=f"{year}-12"))


def _span(req: Request, years: list[int]) -> Request:
    """The request over whole calendar years first to last (the views' period line)."""
    if not years:
        return req
    f = req.filters.with_(date_from=f"{years[0]}-01", date_to=f"{years[-1]}-12")
    return req.with_filters(f)


def persistent_hotspots(req: Request) -> tuple[pd.DataFrame, list[int]]:
    """Per LSOA in scope: years_hot, years_tested, hot_years, mean_gi_z (see the module)."""
    years = years_of(req)

    def compute() -> pd.DataFrame:
        per_year = {y: hotspot_stats(_year(req, y)) for y in years}
        out = persistence(per_year)
        out["mean_gi_z"] = pd.to_numeric(out["mean_gi_z"]).round(1)
        return out

    return req.memo(("persistent_hotspots", req.filters, tuple(years)), compute), years


@chart(
    "where-persistent-hotspots",
    "/where",
    "Persistent hot spots: years each LSOA was a significant hot spot",
    one_source=True,
    embed=(),
)
def _persistent_map(req: Request, embed: str = "") -> Chart:
    stats, years = persistent_hotspots(req)
    span = _span(req, years)
    fig = persistence_figure(
        stats,
        geojson_for(req, "lsoa", bool(embed)),
        span.context(note=PERSISTENCE_METHOD + " Computed from the published LSOA rates."),
        **district_layers(req, "lsoa", stats["area_code"].tolist(), bool(embed)),
    )
    data = stats[["area_code", "area_name", "years_hot", "years_tested", "hot_years", "mean_gi_z"]]
    return Chart(fig, _readable(data), {"years": years})


@chart(
    "where-persistent-table",
    "/where",
    "The most persistent hot spots",
    kind="table",
    one_source=True,
)
def _persistent_table(req: Request) -> Chart:
    stats, years = persistent_hotspots(req)
    hot = stats[stats["years_hot"] > 0].head(25)
    span = f"{years[0]} to {years[-1]}" if len(years) > 1 else (str(years[0]) if years else "–")
    return Chart(
        None,
        _readable(hot),
        {
            "years": years,
            **table_meta(
                [
                    ("area_name", "LSOA"),
                    ("area_code", "GSS code"),
                    ("years_hot", "Years a significant hot spot"),
                    ("years_tested", "Years tested"),
                    ("hot_years", "Which years"),
                    ("mean_gi_z", "Mean Gi* z-score"),
                ],
                f"LSOAs that were significant hot spots in the most years, {span}",
                {"mean_gi_z": ".1f"},
                note=PERSISTENCE_METHOD
                + " Ties are ordered by the mean Gi* z-score over the years. With many areas "
                "tested, about 1 area in 20 can be significant in a year by chance; by chance "
                "alone few are significant year after year.",
            ),
        },
    )


def _place_level(req: Request) -> str:
    """Repeat locations are location types in wards, or in LSOAs inside one chosen ward."""
    return "lsoa" if req.filters.wards else "ward"


def location_types_by_year(req: Request) -> pd.DataFrame:
    """year, location_type (code), location (label), count (published), share of the year's
    published events, rank within the year (by published count; hidden counts unranked)."""
    years = years_of(req)
    f = _span(req, years).filters if years else req.filters
    frame = protect(
        req.q(count_table, f, ("year", "location_type")), req.rule, dims=["year", "location_type"]
    )
    frame = frame.rename(columns={"location_type": "location_code"})
    frame["location_type"] = [label("location_type", v) for v in frame["location_code"]]
    shown = published(frame)
    whole = shown.fillna(0).groupby(frame["year"]).transform("sum")
    frame["share"] = [
        published_share(p, w, req.rule) if pd.notna(p) else None
        for p, w in zip(shown, whole, strict=True)
    ]
    frame["rank"] = shown.groupby(frame["year"]).rank(ascending=False, method="min").astype("Int64")
    frame = frame.assign(_n=shown.fillna(-1)).sort_values(
        ["year", "_n"], ascending=[False, False], kind="stable"
    )
    return frame.drop(columns=["_n"]).reset_index(drop=True)


@chart(
    "where-location-types",
    "/where",
    "The most frequent location types, by year",
    kind="table",
    one_source=True,
)
def _location_types(req: Request) -> Chart:
    data = location_types_by_year(req)
    return Chart(
        None,
        _readable(data[["year", "rank", "location_type", "count", "share"]]),
        table_meta(
            [
                ("year", "Year"),
                ("rank", "Rank in the year"),
                ("location_type", "Location type"),
                ("count", "Events"),
                ("share", "Share of the year's events"),
            ],
            "The most frequent location types each year, with their share of the year's events",
            {"rank": ",.0f", "count": ",", "share": ".1%"},
            note="Location type as the partner recorded it (police: the crime's location type; "
            "A&E: where the assault happened). Shares are of the year's published events; "
            "a hidden count has no share and no rank.",
        ),
    )


def repeat_locations(req: Request) -> tuple[pd.DataFrame, list[int], str]:
    """Location type x area combinations among a year's ``TOP_PLACES`` busiest (by published
    count) in two or more years: one row per combination and year it was in the top."""
    years = years_of(req)
    level = _place_level(req)
    f = _span(req, years).filters if years else req.filters
    dims = ["year", level, "location_type"]
    frame = protect(req.q(count_table, f, tuple(dims)), req.rule, dims=dims)
    frame = frame.rename(columns={level: "area_code", f"{level}_name": "area_name"})
    frame = frame[
        frame["area_code"].notna()
        & frame["location_type"].notna()
        & (frame["location_type"] != "unknown")
    ].copy()
    shown = published(frame)
    frame["_n"] = shown
    frame["rank"] = shown.groupby(frame["year"]).rank(ascending=False, method="min")
    top = frame[frame["rank"] <= TOP_PLACES].copy()
    top["rank"] = top["rank"].astype("int64")
    key = ["area_code", "location_type"]
    top["years_in_top"] = top.groupby(key)["year"].transform("nunique").astype("int64")
    repeat = top[top["years_in_top"] >= 2].copy()
    totals = shown.fillna(0).groupby(frame["year"]).sum()
    repeat["share"] = [
        published_share(n, float(totals.get(y, 0)), req.rule)
        for n, y in zip(repeat["_n"], repeat["year"], strict=True)
    ]
    repeat["location"] = [label("location_type", v) for v in repeat["location_type"]]
    best = repeat.groupby(key)["rank"].transform("min")
    repeat = repeat.assign(_best=best).sort_values(
        ["years_in_top", "_best", "area_code", "location_type", "year"],
        ascending=[False, True, True, True, False],
        kind="stable",
    )
    repeat["years_in_top"] = [f"{n} of {len(years)}" for n in repeat["years_in_top"]]
    out = repeat[
        ["area_code", "area_name", "location", "year", "rank", "count", "share", "years_in_top"]
    ]
    return out.reset_index(drop=True), years, level


@chart(
    "where-repeat-locations",
    "/where",
    "Repeat locations: location types in areas busy year after year",
    kind="table",
    one_source=True,
)
def _repeat_locations(req: Request) -> Chart:
    data, years, level = repeat_locations(req)
    word = {"ward": "ward", "lsoa": "LSOA"}[level]
    return Chart(
        None,
        _readable(data),
        {
            "level": level,
            **table_meta(
                [
                    ("area_name", word[0].upper() + word[1:]),
                    ("area_code", "GSS code"),
                    ("location", "Location type"),
                    ("year", "Year"),
                    ("rank", "Rank in the year"),
                    ("count", "Events"),
                    ("share", "Share of the year's events"),
                    ("years_in_top", f"Years in the top {TOP_PLACES}"),
                ],
                f"Repeat locations: location types in a {word} among the {TOP_PLACES} busiest "
                "in two or more years",
                {"rank": ",.0f", "count": ",", "share": ".1%"},
                note=f"Feeds hold no address, so a place is a location type in a {word}. Each "
                f"year the {word} and location type combinations are ranked by published "
                f"count; those in the top {TOP_PLACES} in two or more years are listed, with "
                "the years they were. Unknown or unrecorded location types are left out.",
            ),
        },
    )


@chart(
    "where-district-change",
    "/where",
    "Change by district: this period against the same months a year earlier",
    kind="table",
    one_source=True,
    screen=False,
)
def _district_change(req: Request) -> Chart:
    """Each district's published count in the period and a year earlier, with the exact test
    of the change on those counts (``catalogue.compare``, as the headline does): where
    violence rose or fell, and whether by more than chance. Without a period, the latest 12
    months held."""
    f = req.filters
    end = f.date_to or req.q(latest_month, f)
    rows = []
    if end:
        start = f.date_from or _shift(end, -11)
        districts = areas_in_scope(req.con, f, "district")
        for code, name in zip(districts["area_code"], districts["area_name"], strict=True):
            c = compare(
                req, f.with_(districts=(code,), wards=(), date_from=start, date_to=end), req.rule
            )
            rows.append(
                {
                    "area_code": code,
                    "area_name": name,
                    "now": c["now"],
                    "before": c["before"],
                    "change": c["change"],
                    "p_value": c["p"],
                    "words": c["words"],
                    "period": c["label"],
                    "before_period": c["before_label"],
                }
            )
    data = pd.DataFrame(
        rows,
        columns=[
            "area_code",
            "area_name",
            "now",
            "before",
            "change",
            "p_value",
            "words",
            "period",
            "before_period",
        ],
    )
    label = data["period"].iloc[0] if len(data) else "this period"
    before = data["before_period"].iloc[0] if len(data) else "a year earlier"
    return Chart(
        None,
        data,
        table_meta(
            [
                ("area_name", "District"),
                ("now", label),
                ("before", before),
                ("change", "Change"),
                ("words", "Change in words"),
            ],
            f"Serious violence by district, {label} against {before}",
            {"change": "+.0%"},
            note="Changes are tested as two Poisson counts (exact test) on the published counts.",
        ),
    )
