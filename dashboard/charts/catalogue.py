"""Every view by name: charts, headline figures, tables and sentences, for screen and exports.

A view is built here once; the page callbacks, ``svdash export``, the downloads and the report
pack all call ``build(name, request)``, so an exported chart or table is the one on screen, with
the same numbers, title, source line and disclosure note. This is the **only** place counts are
published: each view reads raw aggregates (counts and their cell keys) from ``dashboard.queries``,
applies the request's disclosure rule once (``svcore.disclosure.protect``), and computes every
derived number (rates, shares, changes, correlations, fitted lines, hotspot statistics) from
the published counts, so that no derived figure carries a hidden count back out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from dashboard.analysis.change import compare_counts
from dashboard.analysis.hotspots import getis_ord, knn_weights
from dashboard.analysis.stats import EVIDENCE_METHOD, correlate, rank_by_evidence
from dashboard.charts.factors import factor_options, factor_values
from dashboard.charts.request import Request
from dashboard.figures import Figure, alt_text
from dashboard.figures.bars import breakdown_figure, grouped_bars_figure, rate_bars_figure
from dashboard.figures.coverage import coverage_figure
from dashboard.figures.heatmap import NTE_WINDOW, hour_weekday_figure
from dashboard.figures.maps import bounds_of, choropleth_figure, hotspot_figure
from dashboard.figures.pyramid import pyramid_figure
from dashboard.figures.scatter import factor_scatter_figure
from dashboard.figures.sparkline import sparkline_figure
from dashboard.figures.trend import seasonality_figure, trend_figure
from dashboard.filters import Filters
from dashboard.queries.areas import (
    areas_in_scope,
    boundaries,
    centroids,
    drill_level,
    months_covered,
    period_only,
    place_only,
    population_by_area,
    population_year,
    year_end_only,
)
from dashboard.queries.counts import count_table, rolled_up
from dashboard.queries.deciles import decile_profile, deciles_from_areas
from dashboard.queries.equity import census_year
from dashboard.queries.factors import imd_scores, indicator_catalogue
from dashboard.queries.gap import hospital_police_gap
from dashboard.queries.overview import first_month, latest_month, loaded_feeds, monthly_trend
from dashboard.queries.people import (
    cohort_profile,
    ethnicity,
    repeat_presence,
    suspect_pyramid,
    victim_pyramid,
)
from dashboard.queries.quality import (
    codes_not_in_definition,
    completeness,
    coverage,
    load_history,
    quarantine_reasons,
    timeliness,
)
from dashboard.queries.time import hour_by_weekday, monthly, police_and_health_monthly
from svcore.disclosure import (
    KEY_SPACE,
    SUPPRESSED,
    Rule,
    protect,
    published,
    published_rate,
    published_share,
    published_value,
)
from svcore.vocab import LEVEL_NAMES, REFERENCE_FEEDS, SOURCES

LEVEL_WORDS = {"district": "district", "ward": "ward", "lsoa": "LSOA"}
KINDS = ("chart", "table", "headline", "sentence")
ALL_SOURCES_NOTE = (
    "All sources were chosen, and sources count different things, so they are "
    "not added together: this view shows police-recorded crime."
)
# What the who filters (age, sex, ethnicity) mean on a page's views, beyond the sources that
# do not record a field (``Request.who_note`` says those on every view).
WHO_RATES_NOTE = (
    "Rates are per 1,000 residents of every age, sex and ethnic group: the who filters "
    "narrow the events, not the residents."
)
WHO_PAGE_NOTES = {
    "/": WHO_RATES_NOTE,
    "/where": WHO_RATES_NOTE,
    "/factors": WHO_RATES_NOTE
    + " The factors describe all residents of an area, not the people the who filters name.",
    "/quality": "The who filters (age, sex, ethnicity) do not apply to the data-quality views.",
}


@dataclass
class Chart:
    """A built view. ``data`` is what it publishes (the CSV/XLSX export); ``figure`` is the
    plotly figure as a plain dict (``dashboard.figures``: no ``go.Figure`` on the way to the
    browser), None for tables and sentences; ``text`` holds a sentence or a headline's words."""

    figure: Figure | None
    data: pd.DataFrame
    meta: dict = field(default_factory=dict)  # e.g. the area level a map settled on
    text: str = ""
    # Stamped by ``build`` from the view's spec: a builder never repeats them.
    name: str = ""
    title: str = ""
    kind: str = "chart"

    @property
    def alt(self) -> str:
        return alt_text(self.figure) if self.figure is not None else self.text


View = Chart  # every kind of view is built and exported the same way


@dataclass(frozen=True)
class Spec:
    name: str
    page: str
    title: str
    build: Callable[..., Chart]
    options: dict[str, tuple[str, ...]] = field(default_factory=dict)
    kind: str = "chart"
    one_source: bool = False  # counts of one source only: "all sources" shows police
    screen: bool = True  # shown on its page (False: the report pack and exports only)


CHARTS: dict[str, Spec] = {}


def chart(
    name: str,
    page: str,
    title: str,
    kind: str = "chart",
    one_source: bool = False,
    screen: bool = True,
    **options: tuple[str, ...],
):
    def register(fn: Callable[..., Chart]) -> Callable[..., Chart]:
        CHARTS[name] = Spec(name, page, title, fn, options, kind, one_source, screen)
        return fn

    return register


view = chart


class UnknownChart(KeyError):
    pass


def build(name: str, req: Request, **options: str) -> Chart:
    """Build a view for a request (once per request: a table beside its chart reuses it)."""
    if name not in CHARTS:
        raise UnknownChart(f"unknown chart {name!r}; `svdash export chart --list` names them")
    spec = CHARTS[name]
    for key, value in options.items():
        allowed = spec.options.get(key)
        if allowed is None or (allowed and value not in allowed):
            raise ValueError(f"chart {name}: option {key}={value!r} not allowed")
    if not req.viewer.may_open(spec.page):
        raise PermissionError(f"{name} is not available to the {req.viewer.role} role")
    cache_key = (name, tuple(sorted(options.items())))
    if cache_key in req.views:
        return req.views[cache_key]
    run = req
    if spec.one_source and req.filters.source is None:
        run = req.with_filters(req.filters.with_(source="police"), note=ALL_SOURCES_NOTE)
    if run.filters.has_who() and spec.page in WHO_PAGE_NOTES:
        run = replace(run, note=" ".join(x for x in (run.note, WHO_PAGE_NOTES[spec.page]) if x))
    built = spec.build(replace(run, title=spec.title, views=run.views), **options)
    built.name, built.kind = spec.name, spec.kind
    built.title = built.title or spec.title
    table = built.meta.get("table")
    if (
        table is not None
        and "shown as [c]" not in table["note"]
        and "perturbed" not in table["note"]
    ):
        # Every table says which rule published it, in the rule's own words.
        rule_note = run.rule.note() if run.tier != "exact" or spec.page != "/quality" else ""
        table["note"] = " ".join(x for x in (table["note"], run.note, rule_note) if x)
    if table is not None and run.filters.has_who():
        # Every table says what the who filters did to it, whatever its note already holds.
        who = [WHO_PAGE_NOTES.get(spec.page, "")]
        who += [run.who_note(run.filters.source)] if spec.page != "/quality" else []
        for part in who:
            if part and part not in table["note"]:
                table["note"] = f"{table['note']} {part}".strip()
    req.views[cache_key] = built
    return built


def geojson_for(req: Request, level: str, embed: bool) -> dict | str:
    """A URL the browser fetches and caches, or the GeoJSON itself for image exports."""
    if embed:
        return req.source.memo(
            ("boundaries", level), lambda: boundaries(req.con, level, None), shared=False
        )
    return f"/geojson/{level}.json?v={req.source.snapshot_id()}"


def area_centroids(req: Request, level: str, codes: tuple[str, ...]) -> pd.DataFrame:
    """The centroids of ``codes`` (ordered by code), sliced from every centroid of the level:
    one query a level per snapshot and process, where one a place cost about 10 ms (the
    boundaries table holds the geometries too), a fifth of a hotspot map's time."""
    every = req.source.memo(("centroids", level), lambda: centroids(req.con, level), shared=False)
    return every[every["area_code"].isin(codes)].reset_index(drop=True)


def district_layers(req: Request, level: str, codes: list[str], embed: bool) -> dict:
    """What a ward or LSOA map draws over its areas for bearings: the outlines and names of
    the districts in scope (keyword arguments of the map figures; nothing at district level).

    Inside a ward the LSOAs cover a corner of their district, and fitting the view to every
    trace would take in the whole district outline: the view is pinned to the LSOAs' own
    bounds instead."""
    if level == "district":
        return {}
    districts = req.q(areas_in_scope, place_only(req.filters), "district")
    districts = districts[["area_code", "area_name"]]
    if districts.empty:
        return {}
    in_scope = tuple(districts["area_code"])
    places = area_centroids(req, "district", in_scope)
    layers: dict = {
        "districts": districts.merge(places, on="area_code", how="left"),
        "district_geojson": geojson_for(req, "district", embed),
    }
    if req.filters.wards and codes:
        layers["bounds"] = bounds_of(req.q(boundaries, level, tuple(sorted(codes))))
        # Drawn as lines clipped to the view, from the geometry itself (a few districts).
        layers["district_geojson"] = req.q(boundaries, "district", in_scope)
    return layers


def _readable(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.reset_index(drop=True)


def _per_source(frame: pd.DataFrame, req: Request, dims: list[str]) -> pd.DataFrame:
    """Publish a frame with a ``source`` column, each source by its own rule."""
    if "source" not in frame:
        return protect(frame, req.rule, dims=dims)
    parts = [protect(p, req.rule_for(s), dims=dims) for s, p in frame.groupby("source", sort=False)]
    return pd.concat(parts, ignore_index=True) if parts else protect(frame, req.rule, dims=dims)


def table_meta(
    columns: list[tuple[str, str]], caption: str, formats: dict | None = None, note: str = ""
) -> dict:
    """How a table view is laid out (the page renders it with ``components.table``)."""
    return {
        "table": {"columns": columns, "caption": caption, "formats": formats or {}, "note": note}
    }


# Overview -------------------------------------------------------------------------------------


def _shift(month: str, months: int) -> str:
    return (pd.Period(month, "M") + months).strftime("%Y-%m")


def _cell(req: Request, filters, rule: Rule) -> int | str:
    """One published count: the events matching ``filters`` (a cell of its own, with its key)."""
    return published_value(protect(window_count(req, filters), rule))


def window_count(req: Request, filters) -> pd.DataFrame:
    """The raw count and cell key of the events matching ``filters``: for an event source,
    summed from its monthly counts under the same filters without a period (one query, and
    memoised, for every window the headline compares). Counts and cell keys (a sum mod 256)
    both add up over months, so the cell is the one a query of the window gives. A caseload
    counts each person once over the window, which months do not add up to: queried."""
    if filters.source is None or filters.source == "probation" or filters.has_who():
        return req.q(count_table, filters, ())
    months, counts, keys = _running_sums(req, filters.with_(date_from=None, date_to=None))
    lo = int(np.searchsorted(months, filters.date_from or "0000-00", side="left"))
    hi = int(np.searchsorted(months, filters.date_to or "9999-99", side="right"))
    return pd.DataFrame(
        {"count": [int(counts[hi] - counts[lo])], "ckey": [int(keys[hi] - keys[lo]) % KEY_SPACE]}
    )


def _running_sums(req: Request, undated) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A source's months (YYYY-MM, ascending) under ``undated`` filters, with running totals
    of their counts and cell keys from 0: any window's cell is two lookups. Kept in this
    process (raw sums, before disclosure, which ``_cell`` applies to each window): a headline
    and its sources table ask for a dozen windows, and slicing the monthly frame afresh for
    each took ~2 ms."""

    def compute() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        every = undated.with_(source=None)
        # Asked of the connection, not memoised: its snapshot facts answer it in microseconds.
        if rolled_up(req.con, every, ("source", "month")):
            # One rollup holds every source's months: one query for all the overview's sources.
            months = req.q(count_table, every, ["source", "month"])
            monthly = months[months["source"] == undated.source]
        else:
            monthly = req.q(count_table, undated, ["month"])
        monthly = monthly.sort_values("month", kind="stable")
        zero = np.zeros(1, dtype="int64")
        return (
            monthly["month"].to_numpy(dtype=object),
            np.concatenate([zero, np.cumsum(monthly["count"].to_numpy("int64"))]),
            np.concatenate([zero, np.cumsum(monthly["ckey"].to_numpy("int64"))]),
        )

    return req.source.memo(("running_sums", undated), compute, shared=False)


def _number(value: int | str) -> float | None:
    return None if value == SUPPRESSED else float(value)


def _change(now: int | str, before: int | str, rule: Rule) -> float | None:
    """Change between two published counts, or None when either is hidden or too small."""
    a, b = _number(now), _number(before)
    if a is None or b is None or min(a, b) < rule.min_events_for_rate:
        return None
    return a / b - 1


def _months(a: str, b: str) -> int:
    return (pd.Period(b, "M") - pd.Period(a, "M")).n + 1


def period_label(start: str, end: str) -> str:
    """A window in words: "2024" (a calendar year), "2024/25" (a financial year, April to
    March), else "2024-02 to 2024-07"."""
    if start[5:] == "01" and end == f"{start[:4]}-12":
        return start[:4]
    if start[5:] == "04" and end == f"{int(start[:4]) + 1}-03":
        return f"{start[:4]}/{str(int(start[:4]) + 1)[2:]}"
    return start if start == end else f"{start} to {end}"


def latest_whole_year(end: str, mode: str) -> tuple[str, str]:
    """The latest whole year (calendar, or financial: April to March) ending by ``end``."""
    year, month = int(end[:4]), int(end[5:])
    if mode == "fy":
        last = year if month >= 3 else year - 1  # the financial year ending in March ``last``
        return f"{last - 1}-04", f"{last}-03"
    last = year if month == 12 else year - 1
    return f"{last}-01", f"{last}-12"


def compare(
    req: Request, now_f, rule: Rule, now: int | str | None = None, test: bool = True
) -> dict:
    """A window (``now_f``'s months) against the same months a year earlier, under the same
    filters otherwise (reading outside the filter's months): both published counts, the change
    and the exact test of two Poisson counts on them (``dashboard.analysis.change``), in words
    (``test=False``: the change alone, for a view that shows no test).

    No comparison when the earlier window holds fewer months of data than this one, or either
    count is hidden or below the rule's minimum for a rate."""
    now = _cell(req, now_f, rule) if now is None else now
    before_f = now_f.with_(
        date_from=_shift(now_f.date_from, -12), date_to=_shift(now_f.date_to, -12)
    )
    held = req.q(months_covered, now_f)
    held_before = req.q(months_covered, before_f)
    out = {
        "label": period_label(now_f.date_from, now_f.date_to),
        "before_label": period_label(before_f.date_from, before_f.date_to),
        "now": now,
        "before": None,
        "change": None,
        "p": None,
        "words": "no comparison: no data for the year before",
    }
    if not held_before:
        return out
    before = _cell(req, before_f, rule)
    out["before"] = before
    if held_before < held:
        out["words"] = "no comparison: the year before is not fully held"
        return out
    change = _change(now, before, rule)
    if change is None:
        out["words"] = "no comparison: too few events"
        return out
    if now_f.source == "probation":
        # A caseload counts people (month by month), not independent events: no Poisson test.
        pct = round(abs(change) * 100)
        way = "no change" if not pct else f"{'up' if change > 0 else 'down'} {pct}%"
        out |= {"change": change, "words": f"{way}, a caseload: not tested against chance"}
        return out
    if not test:
        out |= {"change": change, "words": "not tested against chance"}
        return out
    # Published counts only; each period's exposure is its months held.
    tested = compare_counts(int(now), int(before), held, held_before)
    out |= {
        "change": change,
        "p": tested.p,
        "words": tested.words(),
        "interval": tested.interval(),
    }
    return out


def source_figures(req: Request, source: str) -> dict:
    """One source's headline, each window a published cell of its own: the count in the
    period and its annual rate per 1,000 residents; the change on the same months a year
    earlier (any period filter: the earlier months are read under the same filters); the
    latest 12 months held against the 12 before; and, without a period filter, the latest
    whole year (calendar or financial, ``Request.year_mode``) against the year before.

    Memoised per filters, source and tier (the report and the exports ask again for what the
    screen built). The sources table shows only each source's count and change
    (``source_change``: the same cells and change, without the other windows and tests).
    Callers must not change the dict."""
    return req.memo(
        ("source_figures", req.filters.with_(source=source), req.year_mode),
        lambda: _source_figures(req, source),
    )


def _source_figures(req: Request, source: str) -> dict:
    f = req.filters.with_(source=source)
    rule = req.rule_for(source)
    count = _cell(req, f, rule)
    people = place_residents(req, f)
    months = req.q(months_covered, f)
    n = _number(count)
    rate = (
        n / (people * months / 12) * 1000
        if n is not None and n >= rule.min_events_for_rate and people and months
        else None
    )
    undated = f.with_(date_from=None, date_to=None)
    latest = req.q(latest_month, f)
    row: dict = {"source": source, "count": count, "rate": rate, "last_month": latest}
    period = rolling = year = None
    if latest:
        first = req.q(first_month, f)
        held = _period_held(req, f)
        if held is not None:
            period = compare(req, held, rule)
        rolling = compare(req, _latest_12(f, latest), rule)
        if not (f.date_from or f.date_to):
            y_from, y_to = latest_whole_year(latest, req.year_mode)
            if first and y_from >= first:
                year = compare(req, undated.with_(date_from=y_from, date_to=y_to), rule)
    primary = period or rolling
    row |= {
        "change": primary["change"] if primary else None,
        "change_words": primary["words"] if primary else "no comparison: no data",
        "p_value": primary["p"] if primary else None,
        "change_interval": primary.get("interval") if primary else None,
        "before": primary["before"] if primary else None,
        "compared": (f"{primary['label']} against {primary['before_label']}" if primary else None),
        "last12": rolling["now"] if rolling else None,
        "before12": rolling["before"] if rolling else None,
        "change12": rolling["change"] if rolling else None,
        "words12": rolling["words"] if rolling else None,
        "year": year["label"] if year else None,
        "year_count": year["now"] if year else None,
        "year_before": year["before"] if year else None,
        "year_change": year["change"] if year else None,
        "year_words": year["words"] if year else None,
    }
    row["_period"], row["_rolling"], row["_year"] = period, rolling, year
    return row


def place_residents(req: Request, f) -> float:
    """Residents of the filters' place in the population year of their period: the LSOA
    estimates of the LSOAs in scope, summed. Both lookups are shared by every place (and the
    LSOAs of a place by every period), where a query of the place's residents cost ~10 ms for
    each new place and year an analyst opens."""
    year = req.q(population_year, year_end_only(f))
    lsoas = req.q(areas_in_scope, place_only(f), "lsoa")
    pop = req.q(population_by_area, Filters(), "lsoa", year)
    return float(pop.loc[pop["area_code"].isin(lsoas["area_code"]), "population"].sum())


def _period_held(req: Request, f) -> object | None:
    """The filter's period as far as the data holds it (a period running past the data ends
    where it does), or None without a period filter or data in it."""
    latest = req.q(latest_month, f)
    if not latest or not (f.date_from or f.date_to):
        return None
    end = min(f.date_to or latest, latest)
    start = f.date_from or req.q(first_month, f)
    return f.with_(date_from=start, date_to=end) if start and start <= end else None


def _latest_12(f, latest: str):
    """The latest 12 months held, under the filters otherwise."""
    return f.with_(date_from=_shift(latest, -11), date_to=latest)


def source_change(req: Request, source: str) -> tuple[int | str, float | None]:
    """A source's published count and its change on the same months a year earlier, as the
    headline gives them (the period held, else the latest 12 months), without the headline's
    other windows and tests: the sources table shows only these two."""
    f = req.filters.with_(source=source)
    rule = req.rule_for(source)
    count = _cell(req, f, rule)
    latest = req.q(latest_month, f)
    if not latest:
        return count, None
    window = _period_held(req, f) or _latest_12(f.with_(date_from=None, date_to=None), latest)
    return count, compare(req, window, rule, test=False)["change"]


def _sources_shown(req: Request) -> tuple[str, ...]:
    return (req.filters.source,) if req.filters.source else tuple(SOURCES)


def _comparison_fact(c: dict, what: str) -> str:
    """E.g. "Financial year (2024/25): 1,234, up 12% on 2023/24 (1,100), more than chance
    alone would give"."""
    head = f"{what}: {_fmt_count(c['now'])}"
    if c["change"] is None:
        return f"{head} ({c['words']})"
    direction, _, verdict = c["words"].partition(", ")
    return f"{head}, {direction} on {c['before_label']} ({_fmt_count(c['before'])}), {verdict}"


@chart("overview-headline", "/", "Headline figures", kind="headline")
def _headline(req: Request) -> Chart:
    """Each source's own figure: sources count different things and are never added up."""
    rows = [source_figures(req, s) for s in _sources_shown(req)]
    facts: list[str] = []
    for r in rows:
        label = SOURCES[r["source"]] + ": " if len(rows) > 1 else ""
        parts = []
        if len(rows) > 1:
            parts.append(_fmt_count(r["count"]))
        if r["rate"] is not None:
            parts.append(f"{r['rate']:,.1f} per 1,000 residents a year")
        shown = set()
        for c, what in (
            (r["_period"], "This period"),
            (r["_year"], "Financial year" if req.year_mode == "fy" else "Year"),
            (r["_rolling"], "Latest 12 months"),
        ):
            # The latest 12 months are often the period or the year itself: said once.
            if c and c["label"] not in shown:
                shown.add(c["label"])
                parts.append(_comparison_fact(c, f"{what} ({c['label']})"))
        if parts:
            facts.append(label + "; ".join(parts))
    wide: list[str] = []
    if req.filters.scope is not None:
        # Duty holders see other districts only inside the partnership-wide total.
        whole = req.filters.with_(scope=None, districts=(), wards=())
        for s in _sources_shown(req):
            total = _cell(req, whole.with_(source=s), req.rule_for(s))
            word = f"{SOURCES[s]}, partnership-wide" if len(rows) > 1 else "Partnership-wide"
            wide.append(f"{word} (all districts): {_fmt_count(total)}")
        facts += wide
    data = pd.DataFrame([{k: v for k, v in r.items() if not k.startswith("_")} for r in rows])
    single = len(rows) == 1
    number = _fmt_count(rows[0]["count"]) if single else f"{len(rows)} sources"
    label = (
        " serious-violence events, " if single else " side by side (not added together), "
    ) + req.filters.describe(req.names)
    text = number + label + ". " + ". ".join(facts)
    notes = [req.rule.note(), CHANGE_NOTE]
    if req.filters.has_who():
        notes += [WHO_RATES_NOTE, req.who_note(req.filters.source)]
    meta = {
        "number": number,
        "label": label,
        "facts": facts,
        "note": " ".join(x for x in notes if x),
        "scope": req.filters.describe(req.names),
    }
    meta["cards"], meta["wide"] = _cards(req, rows), wide
    return Chart(None, data, meta, text=text)


CHANGE_NOTE = (
    "A change is compared with the same months a year earlier, from the published counts: "
    "'more than chance alone would give' when an exact test of two Poisson counts finds it "
    "unlikely (p < 0.05) if the underlying rate had not changed."
)


SPARK_MONTHS = 24


def _spark(req: Request, source: str, label: str) -> dict | None:
    """The last two years of the trend view's *published* months for one source."""
    trend = build("overview-trend", req).data
    if "source" in trend:
        trend = trend[trend["source"] == source]
    if trend.empty:
        return None
    trend = trend.sort_values("month").tail(SPARK_MONTHS)
    counts = published(trend)
    return sparkline_figure(list(trend["month"].astype(str)), list(counts), label)


def _change_words(r: dict) -> str:
    if r["change"] is None:
        return r["change_words"][:1].upper() + r["change_words"][1:]
    return f"{r['change_words'][:1].upper()}{r['change_words'][1:]} ({r['compared']})"


def _cards(req: Request, rows: list[dict]) -> list[dict]:
    """Headline cards (value, words, sparkline), each from the published figures above."""
    if len(rows) > 1:  # one card per source: sources count different things
        return [
            {
                "label": SOURCES[r["source"]],
                "value": _fmt_count(r["count"]),
                "detail": _change_words(r),
                "spark": _spark(req, r["source"], SOURCES[r["source"]]),
            }
            for r in rows
        ]
    r = rows[0]
    cards = [
        {
            "label": SOURCES[r["source"]],
            "value": _fmt_count(r["count"]),
            "detail": "Events, " + req.filters.describe(req.names).split("; ")[0],
            "spark": _spark(req, r["source"], "Events"),
        },
        {
            "label": "Rate per 1,000 residents a year",
            "value": "–" if r["rate"] is None else f"{r['rate']:,.1f}",
            "detail": "Too few events for a rate"
            if r["rate"] is None
            else "Residents: ONS mid-year",
            "spark": None,
        },
        {
            "label": "Change on a year earlier",
            "value": "–" if r["change"] is None else f"{r['change']:+.0%}",
            "detail": _change_words(r),
            "spark": None,
        },
    ]
    other = r["_year"] if r["_year"] else r["_rolling"] if r["_period"] else None
    if other:
        fy = req.year_mode == "fy"
        cards.append(
            {
                "label": (
                    f"{'Financial year' if fy else 'Year'} {other['label']}"
                    if r["_year"]
                    else "Latest 12 months"
                ),
                "value": _fmt_count(other["now"]),
                "detail": (
                    other["words"][:1].upper()
                    + other["words"][1:]
                    + (
                        f" ({other['label']} against {other['before_label']})"
                        if other["change"] is not None
                        else ""
                    )
                ),
                "spark": None,
            }
        )
    return cards


def _fmt_count(value: object) -> str:
    if value is None:
        return "–"
    return SUPPRESSED if value == SUPPRESSED else f"{int(value):,}"


@chart("overview-sources", "/", "Serious violence by partner source", kind="table")
def _sources(req: Request) -> Chart:
    changes = {s: source_change(req, s) for s in SOURCES}
    data = pd.DataFrame(
        [{"source": SOURCES[s], "count": n, "change": c} for s, (n, c) in changes.items()]
    )
    return Chart(
        None,
        data,
        table_meta(
            [
                ("source", "Source"),
                ("count", "Events in period"),
                ("change", "Change on previous year"),
            ],
            "Serious violence by partner source for the filters (sources are not additive)",
            {"count": ",", "change": "+.0%"},
            note=" ".join(x for x in (req.rule_for(None).note(), req.who_note(None)) if x),
        ),
    )


@chart(
    "overview-year-on-year",
    "/",
    "Serious violence by source, this period and a year earlier",
    kind="table",
    screen=False,
)
def _year_on_year(req: Request) -> Chart:
    """Each source in the period and in the same months a year earlier (the report's table),
    with the exact test of the change on the published counts."""
    f = req.filters
    rows = []
    for source in SOURCES:
        rule = req.rule_for(source)
        now_f = f.with_(source=source)
        end = f.date_to or req.q(latest_month, now_f)
        start = f.date_from or (_shift(end, -11) if end else None)
        if not end or not start:
            rows.append(
                {
                    "Source": SOURCES[source],
                    "This period": 0,
                    "A year earlier": 0,
                    "Change": "no data for either period",
                    "More than chance?": "",
                }
            )
            continue
        now_f = now_f.with_(date_from=start, date_to=end)
        c = compare(req, now_f, rule)
        now, before = c["now"], c["before"] or 0
        if not now and not before:
            words = "no data for either period"
        elif not before:
            words = "no data for the year before"
        elif not now:
            words = "no data for this period"
        elif c["change"] is None:
            words = "too few events to compare"
        else:
            words = f"{c['change']:+.0%}"
        verdict = c["words"].partition(", ")[2] if c["change"] is not None else ""
        rows.append(
            {
                "Source": SOURCES[source],
                "This period": now,
                "A year earlier": before,
                "Change": words,
                "More than chance?": verdict,
            }
        )
    return Chart(
        None,
        pd.DataFrame(rows),
        table_meta(
            [
                ("Source", "Source"),
                ("This period", "This period"),
                ("A year earlier", "A year earlier"),
                ("Change", "Change"),
                ("More than chance?", "More than chance?"),
            ],
            "Serious violence by source, this period and a year earlier",
            {"This period": ",", "A year earlier": ","},
            note=" ".join((req.rule_for(None).note(), CHANGE_NOTE)),
        ),
    )


def _covers(feed: str, periods: list[str], indicators: dict[str, str]) -> str:
    """What a feed's parts cover, in words: months for events, levels, years or names else."""
    periods = [str(p) for p in periods]
    if feed in SOURCES or all(len(p) == 7 and p[4] == "-" for p in periods):
        return f"{periods[0]} to {periods[-1]}" if periods else "–"
    if feed == "boundaries":
        order = list(LEVEL_NAMES)
        levels = sorted(periods, key=lambda p: order.index(p) if p in order else 99)
        return ", ".join(LEVEL_NAMES.get(p, p) for p in levels)
    if feed == "indicators":
        named = []
        for p in periods:
            code, _, year = p.partition("|")
            named.append(f"{indicators.get(code, code.replace('_', ' '))} ({year})")
        return "; ".join(named)
    words = {"lsoa2021": "LSOA 2021", "lsoa2011": "LSOA 2011", "imd2019": "IoD 2019"}
    words |= {f"census{y}": f"Census {y}" for y in (2011, 2021)}
    words |= {f"msoa{y}": f"MSOA {y}" for y in (2011, 2021)}
    return ", ".join(words.get(p, p) for p in periods)


@chart("overview-feeds", "/", "Feeds loaded in the warehouse", kind="table")
def _feeds(req: Request) -> Chart:
    feeds = req.q(loaded_feeds)
    data = protect(feeds, req.rule_for(None), column="rows")
    names = dict(
        req.q(indicator_catalogue)[["indicator_code", "indicator_name"]].itertuples(
            index=False, name=None
        )
    )
    data = data.assign(
        covers=[
            _covers(f, list(p), names) for f, p in zip(data["feed"], data["periods"], strict=True)
        ],
        feed=data["feed"].map(lambda s: SOURCES.get(s) or REFERENCE_FEEDS.get(s, s)),
        last_load=data["last_load"].astype(str).str[:16],
    ).drop(columns=["periods", "first_period", "last_period"])
    return Chart(
        None,
        _readable(data),
        table_meta(
            [
                ("feed", "Feed"),
                ("rows", "Rows"),
                ("covers", "Covers"),
                ("last_load", "Last load"),
            ],
            "Feeds loaded in the warehouse",
            {"rows": ","},
        ),
    )


@chart("overview-trend", "/", "Serious violence by month")
def _overview_trend(req: Request) -> Chart:
    raw = req.q(monthly_trend, req.filters)
    frame = _per_source(raw, req, ["month"])
    return Chart(trend_figure(frame, req.context()), frame)


# When -----------------------------------------------------------------------------------------


@chart("when-heatmap", "/when", "Serious violence by hour and day of week", one_source=True)
def _heatmap(req: Request) -> Chart:
    frame = protect(req.q(hour_by_weekday, req.filters), req.rule, dims=["weekday", "hour"])
    fig = hour_weekday_figure(frame, req.context())
    return Chart(fig, frame)


def nte_mask(frame: pd.DataFrame) -> np.ndarray:
    in_window = np.zeros(len(frame), dtype=bool)
    for day, hours in NTE_WINDOW:
        in_window |= (frame["weekday"] == day).to_numpy() & frame["hour"].isin(
            list(hours)
        ).to_numpy()
    return in_window


@chart("when-nte", "/when", "The night-time economy share", kind="sentence", one_source=True)
def _nte(req: Request) -> Chart:
    """The share of the heatmap's *published* cells in the night-time window: a statistic of
    what is on screen, so it gives nothing the heatmap does not."""
    heat = build("when-heatmap", req).data
    window = nte_mask(heat) if len(heat) else np.zeros(0, dtype=bool)
    y = published(heat) if len(heat) else pd.Series(dtype="float64")
    share = None
    if len(heat) and not y[window].isna().any():
        share = published_share(float(y[window].sum()), float(y.fillna(0).sum()), req.rule)
    if share is None:
        text = (
            "Too few events with a recorded time, or night-time cells hidden, to give the "
            "night-time economy share."
        )
    else:
        text = (
            f"{share:.0%} of the events with a recorded time shown in the heatmap happened "
            "in the night-time economy window (Friday and Saturday, 20:00 to 03:59), which "
            f"is {16 / 168:.0%} of the week's hours."
        )
    return Chart(None, pd.DataFrame({"nte_share": [share]}), text=text)


@chart("when-monthly", "/when", "Serious violence by month, with a 12-month rolling average")
def _monthly(req: Request) -> Chart:
    frame = _per_source(req.q(monthly, req.filters), req, ["month"])
    return Chart(trend_figure(frame, req.context("Serious violence by month")), frame)


@chart("when-seasonality", "/when", "Seasonality: average events in each calendar month")
def _season(req: Request) -> Chart:
    frame = _per_source(req.q(monthly, req.filters), req, ["month"])
    if not req.filters.source:
        frame = frame.iloc[0:0]  # sources are not additive: no seasonality across them
    fig = seasonality_figure(frame, req.context())
    return Chart(fig, frame)


@chart("when-police-ae", "/when", "Police-recorded and A&E-recorded serious violence by month")
def _police_ae(req: Request) -> Chart:
    frame = _per_source(req.q(police_and_health_monthly, req.filters), req, ["month"])
    ctx = req.context(source=None)
    return Chart(trend_figure(frame, ctx, rolling=False), frame)


# How ------------------------------------------------------------------------------------------


def _breakdown(req: Request, dimension: str, source: str | None = None, note: str = "") -> Chart:
    """Counts by one dimension as bars; the bars carry the recorded value, so a click on one
    can filter by it (``dashboard.callbacks.clicks``)."""
    f = req.filters.with_(source=source) if source else req.filters
    rule = req.rule_for(f.source)
    frame = protect(req.q(count_table, f, (dimension,)), rule, dims=[dimension])
    labels = (
        {g.key: g.label for g in req.definition.groups} if dimension == "offence_group" else None
    )
    fig = breakdown_figure(
        frame,
        dimension,
        req.context(source=f.source, note=note),
        labels=labels,
        min_events_for_share=rule.min_events_for_rate,
    )
    return Chart(fig, frame)


@chart("how-offence-group", "/how", "Serious violence by offence group", one_source=True)
def _groups(req: Request) -> Chart:
    return _breakdown(req, "offence_group", note="An event can fall in several groups.")


@chart("how-weapon", "/how", "Weapon used (police) or assault method (A&E)", one_source=True)
def _weapon(req: Request) -> Chart:
    return _breakdown(req, "weapon")


@chart("how-location", "/how", "Where it happened: type of location", one_source=True)
def _location(req: Request) -> Chart:
    return _breakdown(req, "location_type")


@chart("how-domestic-abuse", "/how", "Domestic-abuse related", one_source=True)
def _domestic(req: Request) -> Chart:
    return _breakdown(req, "domestic_abuse")


@chart("how-relationship", "/how", "A&E: relationship to the assailant")
def _relationship(req: Request) -> Chart:
    return _breakdown(req, "relationship", source="health")


# Who ------------------------------------------------------------------------------------------


def _people_word(req: Request) -> str:
    return {"police": "Victims", "health": "Patients"}.get(req.filters.source or "", "People")


RATE_WORDS = ", per 1,000 residents a year"  # a pyramid of rates (measure=rate)


@chart("who-victims", "/who", "Victims by age and sex", one_source=True, measure=("count", "rate"))
def _victims(req: Request, measure: str = "count") -> Chart:
    frame = protect(req.q(victim_pyramid, req.filters), req.rule, dims=["sex", "age_band"])
    title = f"{_people_word(req)} by age and sex"
    if measure == "rate":  # from the published counts (dashboard.charts.equity)
        from dashboard.charts.equity import age_sex_rates

        frame = age_sex_rates(req, frame, req.filters.source)
        title += RATE_WORDS
    fig = pyramid_figure(frame, req.context(title), measure=measure)
    return Chart(fig, frame)


@chart("who-suspects", "/who", "Police-recorded suspects by age and sex", measure=("count", "rate"))
def _suspects(req: Request, measure: str = "count") -> Chart:
    frame = protect(
        req.q(suspect_pyramid, req.filters),
        req.rule_for("police"),
        dims=["suspect_sex", "suspect_age_band"],
    )
    title = None
    if measure == "rate":
        from dashboard.charts.equity import age_sex_rates

        renamed = frame.rename(columns={"suspect_sex": "sex", "suspect_age_band": "age_band"})
        frame = age_sex_rates(req, renamed, "police").rename(
            columns={"sex": "suspect_sex", "age_band": "suspect_age_band"}
        )
        title = req.title + RATE_WORDS
    fig = pyramid_figure(
        frame,
        req.context(title, source="police"),
        sex="suspect_sex",
        band="suspect_age_band",
        measure=measure,
    )
    return Chart(fig, frame)


@chart("who-ethnicity", "/who", "Victims by ethnicity", one_source=True)
def _ethnicity(req: Request) -> Chart:
    frame = protect(req.q(ethnicity, req.filters), req.rule, dims=["ethnicity"])
    ctx = req.context(
        f"{_people_word(req)} by ethnicity",
        note=(
            "Shares are of people with a record; victims' and suspects' rates per 1,000 "
            "residents by Census ethnic group are shown separately."
            if req.q(census_year) is not None
            else "Population by ethnicity is not loaded, so shares are of people with a record, "
            "not rates."
        ),
    )
    fig = breakdown_figure(
        frame, "ethnicity", ctx, min_events_for_share=req.rule.min_events_for_rate
    )
    return Chart(fig, frame)


def _cohort(req: Request, source: str, by: str) -> Chart:
    rule = req.rule_for(source)
    frame = protect(req.q(cohort_profile, req.filters, source, by), rule, dims=[by])
    fig = breakdown_figure(
        frame,
        by,
        req.context(source=source, note="People counted once."),
        min_events_for_share=rule.min_events_for_rate,
        unit="People",
        ordered=by in ("rosh_level", "age"),
    )
    return Chart(fig, frame)


@chart("who-probation-risk", "/who", "Probation caseload by risk of serious harm")
def _probation_risk(req: Request) -> Chart:
    return _cohort(req, "probation", "rosh_level")


@chart("who-probation-offence", "/who", "Probation caseload by index offence")
def _probation_offence(req: Request) -> Chart:
    return _cohort(req, "probation", "index_offence_group")


@chart("who-youth-age", "/who", "Youth justice: children with proven offences by age")
def _youth_age(req: Request) -> Chart:
    return _cohort(req, "youth_justice", "age")


@chart("who-youth-repeat", "/who", "Youth justice: proven offences per child in the period")
def _youth_repeat(req: Request) -> Chart:
    rule = req.rule_for("youth_justice")
    frame = protect(req.q(repeat_presence, req.filters, "youth_justice"), rule, dims=["times"])
    fig = breakdown_figure(
        frame,
        "times",
        req.context(source="youth_justice"),
        labels={"1": "1 offence", "2": "2 offences", "3 or more": "3 or more offences"},
        min_events_for_share=rule.min_events_for_rate,
        unit="Children",
        ordered=True,
    )
    return Chart(fig, frame)


# Where ----------------------------------------------------------------------------------------


def published_areas(req: Request, level: str) -> pd.DataFrame:
    """Per area: published count and the annual rate per 1,000 computed from it. The map, the
    hotspots, the factors and the risk index all draw these very cells, so no two of them
    publish an area's count differently."""

    def compute() -> pd.DataFrame:
        areas = protect(req.area_table(level), req.rule)
        return published_rate(areas, req.rule, "person_years")

    return req.memo(("published_areas", req.filters, level), compute)


@chart(
    "where-map",
    "/where",
    "Serious violence by area",
    one_source=True,
    level=("auto", "district", "ward", "lsoa"),
    measure=("rate", "count"),
    embed=(),
)
def _map(req: Request, level: str = "auto", measure: str = "rate", embed: str = "") -> Chart:
    lvl = drill_level(req.filters) if level == "auto" else level
    areas = published_areas(req, lvl)
    title = f"Serious violence by {LEVEL_WORDS[lvl]}" + (
        ", rate per 1,000 residents a year" if measure == "rate" else ", events"
    )
    fig = choropleth_figure(
        areas,
        geojson_for(req, lvl, bool(embed)),
        req.context(title),
        measure,
        **district_layers(req, lvl, areas["area_code"].tolist(), bool(embed)),
    )
    data = areas[["area_code", "area_name", "count", "population", "rate"]]
    return Chart(fig, _readable(data), {"level": lvl})


@chart(
    "where-top",
    "/where",
    "Top 10 areas by rate",
    kind="table",
    one_source=True,
    level=("auto", "district", "ward", "lsoa"),
)
def _top(req: Request, level: str = "auto") -> Chart:
    lvl = drill_level(req.filters) if level == "auto" else level
    areas = published_areas(req, lvl)
    ranked = areas.dropna(subset=["rate"]).sort_values("rate", ascending=False).head(10)
    word = LEVEL_WORDS[lvl]
    data = ranked[["area_name", "area_code", "count", "population", "rate"]]
    return Chart(
        None,
        _readable(data),
        {
            "level": lvl,
            **table_meta(
                [
                    ("area_name", word[0].upper() + word[1:]),
                    ("area_code", "GSS code"),
                    ("count", "Events"),
                    ("population", "Residents"),
                    ("rate", "Rate per 1,000 a year"),
                ],
                f"Top 10 {word}s by rate, {req.filters.describe(req.names)}",
                {"count": ",", "population": ",.0f", "rate": ",.1f"},
                note=f"Areas with fewer than {req.rule.min_events_for_rate} events have no rate and are "
                f"not ranked. {req.rule.note()}",
            ),
        },
    )


def hotspot_stats(req: Request) -> pd.DataFrame:
    """Gi* per LSOA in scope, computed from the **published** LSOA rates (a hidden rate counts
    as the map's mean), so the statistics are a function of what the viewer already sees and no
    system of them can be solved for a hidden count. Memoised per snapshot and tier."""

    def compute() -> pd.DataFrame:
        areas = published_areas(req, "lsoa")
        cents = area_centroids(req, "lsoa", tuple(areas["area_code"]))
        placed = areas.merge(cents, on="area_code")
        weights = req.source.memo(  # the areas' neighbours: the same for every period
            ("knn", tuple(placed["area_code"])), lambda: knn_weights(placed), shared=False
        )
        stats = getis_ord(placed, value="rate", weights=weights)
        stats["gi_z"] = stats["gi_z"].round(1)  # the precision a reader needs
        stats["gi_p"] = stats["gi_p"].round(3)
        return stats

    return req.memo(("getis_ord", req.filters), compute)


@chart("where-hotspots", "/where", "Hotspots of serious violence (Gi*)", one_source=True, embed=())
def _hotspots(req: Request, embed: str = "") -> Chart:
    stats = hotspot_stats(req)
    fig = hotspot_figure(
        stats,
        geojson_for(req, "lsoa", bool(embed)),
        req.context(
            "Hotspots of serious violence (Gi*)", note=("Computed from the published LSOA rates.")
        ),
        **district_layers(req, "lsoa", stats["area_code"].tolist(), bool(embed)),
    )
    data = stats[["area_code", "area_name", "hotspot", "gi_z", "gi_p"]]
    return Chart(fig, _readable(data))


@chart("where-hotspot-table", "/where", "The strongest hot spots", kind="table", one_source=True)
def _hotspot_table(req: Request) -> Chart:
    stats = hotspot_stats(req)
    hot = (
        stats[stats["hotspot"].str.startswith("Hot")].sort_values("gi_z", ascending=False).head(15)
    )
    data = hot[["area_name", "area_code", "hotspot", "gi_z", "gi_p"]]
    return Chart(
        None,
        _readable(data),
        table_meta(
            [
                ("area_name", "LSOA"),
                ("area_code", "GSS code"),
                ("hotspot", "Class"),
                ("gi_z", "Gi* z-score"),
                ("gi_p", "p (two-sided)"),
            ],
            "The strongest hot spots",
            {"gi_z": ".1f", "gi_p": ".3f"},
            note="Gi* on the published LSOA rates over each LSOA's 8 nearest neighbours; two-sided "
            "p-values from the Gi* z-score. With many areas tested, about 1 in 10 areas at 90% confidence can "
            "be significant by chance.",
        ),
    )


def gap_table(req: Request, level: str = "auto") -> tuple[pd.DataFrame, str]:
    lvl = drill_level(req.filters) if level == "auto" else level
    lvl = "ward" if lvl == "lsoa" else lvl  # A&E postcodes are too sparse for LSOA comparisons
    gap = req.q(hospital_police_gap, req.filters, lvl)
    rule_health, rule_police = req.rule_for("health"), req.rule_for("police")
    gap = protect(gap, rule_health, column="health", key="health_ckey")
    gap = protect(gap, rule_police, column="police", key="police_ckey")
    h, p = published(gap, "health"), published(gap, "police")
    enough = (h >= rule_health.min_events_for_rate) & (p >= rule_police.min_events_for_rate)
    gap["per_100"] = (h / p * 100).where(enough)
    return gap, lvl


@chart(
    "where-gap",
    "/where",
    "A&E assault attendances and police-recorded violence with injury",
    level=("auto", "district", "ward", "lsoa"),
)
def _gap(req: Request, level: str = "auto") -> Chart:
    gap, lvl = gap_table(req, level)
    long = gap.melt(
        id_vars=["area_code", "area_name"],
        value_vars=["police", "health"],
        var_name="source",
        value_name="count",
    ).rename(columns={"area_name": "area"})
    ctx = req.context(
        f"A&E assault attendances and police-recorded violence with injury, by {LEVEL_WORDS[lvl]}",
        source=None,
        note="A&E: all assault attendances; police: violence with injury.",
    )
    return Chart(
        grouped_bars_figure(long, "area", "source", ctx),
        _readable(gap),
        {"level": lvl},
    )


@chart(
    "where-gap-table",
    "/where",
    "Where violence reaches hospitals but not police records",
    kind="table",
    level=("auto", "district", "ward", "lsoa"),
)
def _gap_table(req: Request, level: str = "auto") -> Chart:
    gap, lvl = gap_table(req, level)
    word = LEVEL_WORDS[lvl]
    data = gap.sort_values("per_100", ascending=False, na_position="last")
    return Chart(
        None,
        _readable(data),
        {
            "level": lvl,
            **table_meta(
                [
                    ("area_name", word.capitalize()),
                    ("health", "A&E assault attendances"),
                    ("police", "Police violence with injury"),
                    ("per_100", "A&E per 100 police records"),
                ],
                "Where violence reaches hospitals but not police records",
                {"per_100": ",.0f", "health": ",", "police": ","},
                note="Records are not linked between partners: the ratio compares volumes, and a high "
                "ratio points to violence unknown to police (the Cardiff Model gap). "
                + req.rule_for("health").note(),
            ),
        },
    )


# Factors --------------------------------------------------------------------------------------


def published_factor(req: Request, choice: str) -> tuple[pd.DataFrame, str, str]:
    """A factor's areas with their published counts and rates (the points a chart may draw)."""
    values, label, level = factor_values(req, choice)
    shown = published_areas(req, level).merge(values, on="area_code", how="inner")
    return shown, label, level


@chart(
    "factors-scatter",
    "/factors",
    "Violence rate against an area factor",
    one_source=True,
    factor=(),
)
def _factor_scatter(req: Request, factor: str = "imd:imd") -> Chart:
    shown, label, level = published_factor(req, factor)
    corr = correlate(shown["factor"], shown["rate"])  # over the points drawn, nothing else
    ctx = req.context(
        f"Violence rate against {label}",
        note=(
            f"Each point is an area ({level}); areas with fewer than {req.rule.min_events_for_rate} "
            "events have no published rate, so they are neither drawn nor in the correlation."
        ),
    )
    fig = factor_scatter_figure(
        shown, corr, ctx, x_title=label, y_title="Rate per 1,000 residents a year"
    )
    data = shown[["area_code", "area_name", "factor", "count", "rate"]]
    return Chart(fig, _readable(data))


def ranked_factors(req: Request) -> pd.DataFrame:
    """Every factor's correlation with the published rates, the strongest evidence first
    (``stats.rank_by_evidence``: by the interval's end nearer zero, not by r alone)."""

    def compute() -> pd.DataFrame:
        rows = []
        rates: dict[str, tuple[pd.Index, np.ndarray]] = {}
        for opt in factor_options(req):
            values, lab, lvl = factor_values(req, opt["value"])
            if lvl not in rates:  # each level's published areas, indexed once
                areas = published_areas(req, lvl)
                rates[lvl] = (pd.Index(areas["area_code"]), areas["rate"].to_numpy(float))
            index, rate = rates[lvl]
            # The factor's areas among the published ones (``published_factor``'s inner join).
            at = index.get_indexer(values["area_code"])
            inside = at >= 0
            c = correlate(values["factor"].to_numpy(float)[inside], rate[at[inside]])
            rows.append(
                {
                    "factor": lab,
                    "level": lvl,
                    "n": c.n,
                    "r": c.r,
                    "low": c.r_low,
                    "high": c.r_high,
                    "rho": c.rho,
                }
            )
        ranked = rank_by_evidence(pd.DataFrame(rows))
        ranked["rank"] = range(1, len(ranked) + 1)
        return ranked

    return req.memo(("factors_ranked", req.filters), compute)


@chart(
    "factors-ranked",
    "/factors",
    "Area factors ranked by the strength of the evidence",
    kind="table",
    one_source=True,
)
def _ranked(req: Request) -> Chart:
    return Chart(
        None,
        _readable(ranked_factors(req).round(2)),
        table_meta(
            [
                ("rank", "Rank"),
                ("factor", "Factor"),
                ("level", "Areas"),
                ("n", "Areas with a rate"),
                ("r", "Pearson r"),
                ("low", "95% CI low"),
                ("high", "95% CI high"),
                ("evidence", "Weakest |r| in the interval"),
                ("rho", "Spearman rho"),
            ],
            "Area factors ranked by the strength of the evidence for their correlation with "
            "the violence rate",
            {"r": ".2f", "low": ".2f", "high": ".2f", "evidence": ".2f", "rho": ".2f"},
            note=EVIDENCE_METHOD
            + " Correlations across areas (ecological): they describe places, not individuals, "
            "and use only areas with a published rate.",
        ),
    )


@chart("factors-deciles", "/factors", "Violence rate by deprivation decile", one_source=True)
def _deciles(req: Request) -> Chart:
    if req.filters.source == "probation":  # distinct people: LSOA counts do not add up
        raw = req.q(decile_profile, req.filters)
    else:  # the LSOA counts the page's map and hotspots have queried, summed by decile
        raw = deciles_from_areas(
            req.area_table("lsoa"),
            req.q(imd_scores, place_only(req.filters)),
            req.q(months_covered, period_only(req.filters)),
        )
    frame = published_rate(
        protect(raw, req.rule, dims=["decile"]),
        req.rule,
        "person_years",
    )
    frame = frame.drop(columns=["person_years"])
    fig = rate_bars_figure(
        frame,
        "decile",
        req.context("Violence rate by deprivation decile (IMD 2019, 1 = most deprived)"),
        x_title="Decile",
    )
    return Chart(fig, frame)


# Data quality ---------------------------------------------------------------------------------


@chart("quality-coverage", "/quality", "Rows loaded per feed and month")
def _coverage(req: Request) -> Chart:
    frame = protect(req.q(coverage), req.rule_for(None), column="rows", dims=["feed", "month"])
    fig = coverage_figure(frame, req.context(source=None))
    return Chart(fig, frame)


QUALITY_FIELDS = (("lsoa", "LSOA"), ("time_of_day", "Time of day"), ("age", "Age"), ("sex", "Sex"))


@chart(
    "quality-completeness",
    "/quality",
    "Share of live rows with each key field recorded",
    kind="table",
)
def _completeness(req: Request) -> Chart:
    rule = req.rule_for(None)
    comp = req.q(completeness)
    shown = protect(comp, rule, column="rows")
    rows = published(shown, "rows")
    for col, _ in QUALITY_FIELDS:
        counts = published(protect(comp, rule, column=col), col)
        shown[col] = [
            "not in this feed"
            if c == 0
            else ("–" if pd.isna(r) or pd.isna(c) or r == 0 else f"{c / r:.1%}")
            for c, r in zip(counts, rows, strict=True)
        ]
    shown["feed"] = shown["feed"].map(lambda s: SOURCES.get(s, s))
    return Chart(
        None,
        _readable(shown),
        table_meta(
            [("feed", "Feed"), ("rows", "Rows"), *QUALITY_FIELDS],
            "Share of live rows with each key field recorded",
            {"rows": ","},
        ),
    )


@chart("quality-timeliness", "/quality", "How fresh each feed is", kind="table")
def _timeliness(req: Request) -> Chart:
    tl = req.q(timeliness)
    tl = tl.assign(
        feed=tl["feed"].map(lambda s: SOURCES.get(s, s)),
        last_load=tl["last_load"].astype(str).str[:16],
    )
    return Chart(
        None,
        _readable(tl),
        table_meta(
            [
                ("feed", "Feed"),
                ("latest_month", "Latest month held"),
                ("last_load", "Last load"),
                ("median_days_to_load", "Median days from month end to load"),
            ],
            "How fresh each feed is",
            {"median_days_to_load": ",.0f"},
        ),
    )


# Load metadata (files, lines, rows read or refused) describes what partners sent, not people;
# the quality page that shows it is open only to roles that may see every row anyway, so the
# exact tier shows it as it is; any other tier publishes its row counts by its own rule.


def _metadata(frame: pd.DataFrame, req: Request, columns: tuple[str, ...]) -> pd.DataFrame:
    if req.tier == "exact":
        return frame
    for col in columns:
        frame = protect(frame, req.rule_for(None), column=col)
    return frame


@chart("quality-reasons", "/quality", "Quarantined rows by reason", kind="table")
def _reasons(req: Request) -> Chart:
    reasons = _metadata(req.q(quarantine_reasons), req, ("rows", "files"))
    return Chart(
        None,
        _readable(reasons),
        table_meta(
            [
                ("feed", "Feed"),
                ("column_name", "Column"),
                ("reason", "Reason"),
                ("rows", "Rows"),
                ("files", "Files"),
                ("example_file", "Example file"),
                ("example_line", "Line"),
            ],
            "Quarantined rows by reason (bad values are not shown: they may be personal data)",
            {"rows": ",", "files": ","},
        ),
    )


@chart("quality-history", "/quality", "The latest 50 loads", kind="table")
def _history(req: Request) -> Chart:
    hist = req.q(load_history, limit=50)
    hist = hist.assign(finished_at=hist["finished_at"].astype(str).str[:16])
    counts = (
        "rows_read",
        "rows_loaded",
        "rows_quarantined",
        "rows_out_of_area",
        "rows_excluded",
        "rows_added",
        "rows_updated",
        "rows_removed",
    )
    hist = _metadata(hist, req, counts)
    return Chart(
        None,
        _readable(hist),
        table_meta(
            [
                ("load_id", "Load"),
                ("finished_at", "Finished"),
                ("feed", "Feed"),
                ("partner", "Partner"),
                ("file_name", "File"),
                ("status", "Status"),
                ("rows_read", "Read"),
                ("rows_loaded", "Loaded"),
                ("rows_quarantined", "Quarantined"),
                ("rows_out_of_area", "Out of area"),
                ("rows_excluded", "Excluded"),
                ("mode", "Mode"),
                ("rows_added", "Added"),
                ("rows_updated", "Updated"),
                ("rows_removed", "Removed"),
                ("message", "Message"),
            ],
            "The latest 50 loads, newest first (svdash status lists them all)",
            {c: "," for c in counts},
        ),
    )


@chart("quality-codes", "/quality", "Codes not in the definition", kind="table")
def _codes(req: Request) -> Chart:
    """Codes that passed validation but fall in no group: they count in no figure, so an
    analyst can extend the definition or recode them in the partner's mapping."""
    codes = _metadata(req.q(codes_not_in_definition, req.filters.definition), req, ("rows",))
    codes = codes.assign(feed=codes["feed"].map(lambda s: SOURCES.get(s, s)))
    return Chart(
        None,
        _readable(codes),
        table_meta(
            [("feed", "Feed"), ("code", "Code"), ("rows", "Rows")],
            f"Live rows whose code the definition ({req.definition.title}) names nowhere: they "
            "count in no serious-violence figure. Add the code to the definition, or recode it in "
            "the partner's mapping file.",
            {"rows": ","},
        ),
    )


# Ad-hoc tables (svdash export table) -------------------------------------------------------------


def published_table(req: Request, by: list[str]) -> pd.DataFrame:
    """The count table by any dimensions, published by the request's rule (every margin
    protected): what ``svdash export table`` writes."""
    return protect(req.q(count_table, req.filters, tuple(by)), req.rule, dims=list(by))


# Views in their own modules register with ``chart`` above (imported last: they use it).
from dashboard.charts import cohorts as _cohorts  # noqa: E402, F401
from dashboard.charts import equity as _equity  # noqa: E402, F401  (registers its views)
from dashboard.charts import outcomes as _outcomes  # noqa: E402, F401  (the /outcomes views)
from dashboard.charts import places as _places  # noqa: E402, F401
from dashboard.charts import risk as _risk  # noqa: E402, F401
