"""Every chart by name: the data it draws (suppressed) and the figure, for screen and exports.

A chart is built here once; the page callbacks, ``svdash export chart`` and the report pack all
call ``build(name, request)``, so an exported chart is the chart on screen, with the same
numbers, title, source line and suppression note.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go

from dashboard.analysis.hotspots import getis_ord
from dashboard.analysis.stats import correlate
from dashboard.charts.factors import factor_frame
from dashboard.charts.request import Request
from dashboard.figures import alt_text
from dashboard.figures.bars import breakdown_figure, grouped_bars_figure, rate_bars_figure
from dashboard.figures.coverage import coverage_figure
from dashboard.figures.heatmap import hour_weekday_figure
from dashboard.figures.maps import choropleth_figure, hotspot_figure
from dashboard.figures.pyramid import pyramid_figure
from dashboard.figures.scatter import factor_scatter_figure
from dashboard.figures.trend import seasonality_figure, trend_figure
from dashboard.queries.areas import area_table, boundaries, centroids, drill_level
from dashboard.queries.counts import count_table
from dashboard.queries.deciles import decile_profile
from dashboard.queries.gap import hospital_police_gap
from dashboard.queries.overview import monthly_trend
from dashboard.queries.people import (
    cohort_profile,
    ethnicity,
    repeat_presence,
    suspect_pyramid,
    victim_pyramid,
)
from dashboard.queries.quality import coverage
from dashboard.queries.time import hour_by_weekday, monthly, police_and_health_monthly
from svcore.disclosure import SUPPRESSED, suppress_counts, suppress_rates

LEVEL_WORDS = {"district": "district", "ward": "ward", "lsoa": "LSOA"}


@dataclass
class Chart:
    name: str
    figure: go.Figure
    data: pd.DataFrame  # what the chart draws, suppressed: the CSV/XLSX export
    meta: dict = field(default_factory=dict)  # e.g. the area level a map settled on

    @property
    def alt(self) -> str:
        return alt_text(self.figure)


@dataclass(frozen=True)
class Spec:
    name: str
    page: str
    title: str
    build: Callable[..., Chart]
    options: dict[str, tuple[str, ...]] = field(default_factory=dict)


CHARTS: dict[str, Spec] = {}


def chart(name: str, page: str, title: str, **options: tuple[str, ...]):
    def register(fn: Callable[..., Chart]) -> Callable[..., Chart]:
        CHARTS[name] = Spec(name, page, title, fn, options)
        return fn

    return register


class UnknownChart(KeyError):
    pass


def build(name: str, req: Request, **options: str) -> Chart:
    if name not in CHARTS:
        raise UnknownChart(f"unknown chart {name!r}; `svdash export chart --list` names them")
    spec = CHARTS[name]
    for key, value in options.items():
        allowed = spec.options.get(key)
        if allowed is None or (allowed and value not in allowed):
            raise ValueError(f"chart {name}: option {key}={value!r} not allowed")
    return spec.build(req, **options)


def geojson_for(req: Request, level: str, embed: bool) -> dict | str:
    """A URL the browser fetches and caches, or the GeoJSON itself for image exports."""
    if embed:
        return req.source.memo(("boundaries", level), lambda: boundaries(req.con, level, None),
                               shared=False)
    return f"/geojson/{level}.json?v={req.source.snapshot_id()}"


def _readable(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.reset_index(drop=True)


# Overview and when ----------------------------------------------------------------------------

@chart("overview-trend", "/", "Serious violence by month")
def _overview_trend(req: Request) -> Chart:
    frame = suppress_counts(req.q(monthly_trend, req.filters), req.rule)
    return Chart("overview-trend", trend_figure(frame, req.context("Serious violence by month")), frame)


@chart("when-heatmap", "/when", "Serious violence by hour and day of week")
def _heatmap(req: Request) -> Chart:
    frame = suppress_counts(req.q(hour_by_weekday, req.filters), req.rule)
    fig = hour_weekday_figure(frame, req.context("Serious violence by hour and day of week"))
    return Chart("when-heatmap", fig, frame)


@chart("when-monthly", "/when", "Serious violence by month, with a 12-month rolling average")
def _monthly(req: Request) -> Chart:
    frame = suppress_counts(req.q(monthly, req.filters), req.rule)
    return Chart("when-monthly", trend_figure(frame, req.context("Serious violence by month")), frame)


@chart("when-seasonality", "/when", "Seasonality: average events in each calendar month")
def _season(req: Request) -> Chart:
    frame = suppress_counts(req.q(monthly, req.filters), req.rule)
    if not req.filters.source:
        frame = frame.iloc[0:0]  # sources are not additive: no seasonality across them
    fig = seasonality_figure(frame, req.context("Seasonality: average events in each calendar month"))
    return Chart("when-seasonality", fig, frame)


@chart("when-police-ae", "/when", "Police-recorded and A&E-recorded serious violence by month")
def _police_ae(req: Request) -> Chart:
    both = req.q(police_and_health_monthly, req.filters)
    parts = [suppress_counts(p, req.rule_for(s)) for s, p in both.groupby("source", sort=False)]
    frame = pd.concat(parts, ignore_index=True) if parts else both
    ctx = req.context("Police-recorded and A&E-recorded serious violence by month", source=None)
    return Chart("when-police-ae", trend_figure(frame, ctx, rolling=False), frame)


# How ------------------------------------------------------------------------------------------

def _breakdown(name: str, req: Request, dimension: str, title: str, source: str | None = None,
               note: str = "") -> Chart:
    f = req.filters.with_(source=source) if source else req.filters
    rule = req.rule_for(f.source)
    frame = suppress_counts(req.q(count_table, f, (dimension,)), rule)
    labels = {g.key: g.label for g in req.definition.groups} if dimension == "offence_group" else None
    fig = breakdown_figure(frame, dimension, req.context(title, source=f.source, note=note),
                           labels=labels, min_events_for_share=rule.min_events_for_rate)
    return Chart(name, fig, frame)


@chart("how-offence-group", "/how", "Serious violence by offence group")
def _groups(req: Request) -> Chart:
    return _breakdown("how-offence-group", req, "offence_group", "Serious violence by offence group",
                      note="An event can fall in several groups.")


@chart("how-weapon", "/how", "Weapon used (police) or assault method (A&E)")
def _weapon(req: Request) -> Chart:
    return _breakdown("how-weapon", req, "weapon", "Weapon used (police) or assault method (A&E)")


@chart("how-location", "/how", "Where it happened: type of location")
def _location(req: Request) -> Chart:
    return _breakdown("how-location", req, "location_type", "Where it happened: type of location")


@chart("how-domestic-abuse", "/how", "Domestic-abuse related")
def _domestic(req: Request) -> Chart:
    return _breakdown("how-domestic-abuse", req, "domestic_abuse", "Domestic-abuse related")


@chart("how-relationship", "/how", "A&E: relationship to the assailant")
def _relationship(req: Request) -> Chart:
    return _breakdown("how-relationship", req, "relationship", "A&E: relationship to the assailant",
                      source="health")


# Who ------------------------------------------------------------------------------------------

def _people_word(req: Request) -> str:
    return {"police": "Victims", "health": "Patients"}.get(req.filters.source or "", "People")


@chart("who-victims", "/who", "Victims by age and sex")
def _victims(req: Request) -> Chart:
    frame = suppress_counts(req.q(victim_pyramid, req.filters), req.rule)
    fig = pyramid_figure(frame, req.context(f"{_people_word(req)} by age and sex"))
    return Chart("who-victims", fig, frame)


@chart("who-suspects", "/who", "Police-recorded suspects by age and sex")
def _suspects(req: Request) -> Chart:
    frame = suppress_counts(req.q(suspect_pyramid, req.filters), req.rule_for("police"))
    fig = pyramid_figure(frame, req.context("Police-recorded suspects by age and sex", source="police"),
                         sex="suspect_sex", band="suspect_age_band")
    return Chart("who-suspects", fig, frame)


@chart("who-ethnicity", "/who", "Victims by ethnicity")
def _ethnicity(req: Request) -> Chart:
    frame = suppress_counts(req.q(ethnicity, req.filters), req.rule)
    ctx = req.context(f"{_people_word(req)} by ethnicity", note=(
        "Population by ethnicity is not loaded, so shares are of people with a record, not rates."))
    fig = breakdown_figure(frame, "ethnicity", ctx, min_events_for_share=req.rule.min_events_for_rate)
    return Chart("who-ethnicity", fig, frame)


def _cohort(name: str, req: Request, source: str, by: str, title: str) -> Chart:
    rule = req.rule_for(source)
    frame = suppress_counts(req.q(cohort_profile, req.filters, source, by), rule)
    fig = breakdown_figure(frame, by, req.context(title, source=source, note="People counted once."),
                           min_events_for_share=rule.min_events_for_rate, unit="People",
                           ordered=by in ("rosh_level", "age"))
    return Chart(name, fig, frame)


@chart("who-probation-risk", "/who", "Probation caseload by risk of serious harm")
def _probation_risk(req: Request) -> Chart:
    return _cohort("who-probation-risk", req, "probation", "rosh_level",
                   "Probation caseload by risk of serious harm")


@chart("who-probation-offence", "/who", "Probation caseload by index offence")
def _probation_offence(req: Request) -> Chart:
    return _cohort("who-probation-offence", req, "probation", "index_offence_group",
                   "Probation caseload by index offence")


@chart("who-youth-age", "/who", "Youth justice: children with proven offences by age")
def _youth_age(req: Request) -> Chart:
    return _cohort("who-youth-age", req, "youth_justice", "age",
                   "Youth justice: children with proven offences by age")


@chart("who-youth-repeat", "/who", "Youth justice: proven offences per child in the period")
def _youth_repeat(req: Request) -> Chart:
    rule = req.rule_for("youth_justice")
    frame = suppress_counts(req.q(repeat_presence, req.filters, "youth_justice"), rule)
    fig = breakdown_figure(
        frame, "times",
        req.context("Youth justice: proven offences per child in the period", source="youth_justice"),
        labels={"1": "1 offence", "2": "2 offences", "3 or more": "3 or more offences"},
        min_events_for_share=rule.min_events_for_rate, unit="Children", ordered=True)
    return Chart("who-youth-repeat", fig, frame)


# Where ----------------------------------------------------------------------------------------

@chart("where-map", "/where", "Serious violence by area",
       level=("auto", "district", "ward", "lsoa"), measure=("rate", "count"), embed=())
def _map(req: Request, level: str = "auto", measure: str = "rate", embed: str = "") -> Chart:
    lvl = drill_level(req.filters) if level == "auto" else level
    areas = suppress_rates(suppress_counts(req.q(area_table, req.filters, lvl), req.rule), req.rule)
    title = f"Serious violence by {LEVEL_WORDS[lvl]}" + (
        ", rate per 1,000 residents a year" if measure == "rate" else ", events")
    fig = choropleth_figure(areas, geojson_for(req, lvl, bool(embed)), req.context(title), measure)
    data = areas[["area_code", "area_name", "count", "population", "rate"]]
    return Chart("where-map", fig, _readable(data), {"level": lvl})


def hotspot_stats(req: Request) -> pd.DataFrame:
    """Gi* per LSOA in scope (unsuppressed rates in, classes out), memoised per snapshot."""

    def compute() -> pd.DataFrame:
        areas = req.q(area_table, req.filters, "lsoa")
        cents = centroids(req.con, "lsoa", list(areas["area_code"]))
        return getis_ord(areas.merge(cents, on="area_code"), value="rate")

    return req.source.memo(("getis_ord", req.filters), compute)


@chart("where-hotspots", "/where", "Hotspots of serious violence (Gi*)", embed=())
def _hotspots(req: Request, embed: str = "") -> Chart:
    stats = hotspot_stats(req)
    fig = hotspot_figure(stats, geojson_for(req, "lsoa", bool(embed)),
                         req.context("Hotspots of serious violence (Gi*)"))
    data = stats[["area_code", "area_name", "hotspot", "gi_z", "gi_p"]]
    return Chart("where-hotspots", fig, _readable(data))


def gap_table(req: Request, level: str = "auto") -> tuple[pd.DataFrame, str]:
    lvl = drill_level(req.filters) if level == "auto" else level
    lvl = "ward" if lvl == "lsoa" else lvl  # A&E postcodes are too sparse for LSOA comparisons
    gap = req.q(hospital_police_gap, req.filters, lvl)
    rule_health, rule_police = req.rule_for("health"), req.rule_for("police")
    gap = suppress_counts(gap, rule_health, column="health")
    gap = suppress_counts(gap, rule_police, column="police")
    ok = (gap["health"] != SUPPRESSED) & (gap["police"] != SUPPRESSED)
    h = pd.to_numeric(gap["health"].where(ok), errors="coerce")
    p = pd.to_numeric(gap["police"].where(ok), errors="coerce")
    enough = (h >= rule_health.min_events_for_rate) & (p >= rule_police.min_events_for_rate)
    gap["per_100"] = (h / p * 100).where(enough)
    return gap, lvl


@chart("where-gap", "/where", "A&E assault attendances and police-recorded violence with injury",
       level=("auto", "district", "ward", "lsoa"))
def _gap(req: Request, level: str = "auto") -> Chart:
    gap, lvl = gap_table(req, level)
    long = gap.melt(id_vars=["area_code", "area_name"], value_vars=["police", "health"],
                    var_name="source", value_name="count").rename(columns={"area_name": "area"})
    ctx = req.context(
        f"A&E assault attendances and police-recorded violence with injury, by {LEVEL_WORDS[lvl]}",
        source=None, note="A&E: all assault attendances; police: violence with injury.")
    return Chart("where-gap", grouped_bars_figure(long, "area", "source", ctx), _readable(gap),
                 {"level": lvl})


# Factors and quality ---------------------------------------------------------------------------

@chart("factors-scatter", "/factors", "Violence rate against an area factor", factor=())
def _factor_scatter(req: Request, factor: str = "imd:imd") -> Chart:
    frame, label, level = factor_frame(req, factor)
    corr = correlate(frame["factor"], frame["rate"])
    shown = suppress_rates(suppress_counts(frame, req.rule), req.rule)
    ctx = req.context(f"Violence rate against {label}", note=(
        f"Each point is an area ({level}); areas with fewer than {req.rule.min_events_for_rate} "
        "events are not drawn but are in the correlation."))
    fig = factor_scatter_figure(shown, corr, ctx, x_title=label, y_title="Rate per 1,000 residents a year")
    data = shown[["area_code", "area_name", "factor", "count", "rate"]]
    return Chart("factors-scatter", fig, _readable(data))


@chart("factors-deciles", "/factors", "Violence rate by deprivation decile")
def _deciles(req: Request) -> Chart:
    frame = suppress_rates(suppress_counts(req.q(decile_profile, req.filters), req.rule), req.rule)
    fig = rate_bars_figure(
        frame, "decile",
        req.context("Violence rate by deprivation decile (IMD 2019, 1 = most deprived)"),
        x_title="Decile")
    return Chart("factors-deciles", fig, frame)


@chart("quality-coverage", "/quality", "Rows loaded per feed and month")
def _coverage(req: Request) -> Chart:
    frame = suppress_counts(req.q(coverage), req.rule_for(None), column="rows")
    fig = coverage_figure(frame, req.context("Rows loaded per feed and month", source=None))
    return Chart("quality-coverage", fig, frame)
