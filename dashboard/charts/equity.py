"""Disproportionality views on the "who" page: victim and suspect rates per 1,000 residents
by Census ethnic group, age band and sex, and relative rate indices with 95% intervals.

Registered with the catalogue's ``chart`` decorator (imported at the end of
``dashboard.charts.catalogue``). As everywhere, every count is published by the request's
rule first (``protect``); rates and RRIs are computed from the published counts only, never on
fewer than ``min_events_for_rate`` events, and an RRI only when both groups publish a rate.
Residents (Census 2021, ONS mid-year estimates) are public and need no suppression.
"""

from __future__ import annotations

import pandas as pd

from dashboard.analysis.disproportionality import METHOD, rates, relative_rate_index
from dashboard.charts.catalogue import Chart, chart, table_meta
from dashboard.charts.request import Request
from dashboard.figures.bars import rate_bars_figure
from dashboard.figures.disproportionality import grouped_rates_figure, rri_figure
from dashboard.queries.areas import months_covered
from dashboard.queries.equity import (
    age_population_year,
    census_year,
    people_by_age_sex,
    people_by_ethnicity,
    residents_by_age_sex,
    residents_by_ethnicity,
)
from svcore.disclosure import protect
from svcore.vocab import AGE_BANDS, CENSUS_ETHNIC_GROUPS, CENSUS_REFERENCE_GROUP, SEXES

GROUPS = tuple(CENSUS_ETHNIC_GROUPS)
SHORT = {
    "asian": "Asian",
    "black": "Black",
    "mixed": "Mixed",
    "white": "White",
    "other": "Other",
}
NOT_STATED = "Not stated or not recorded"
WHO = {"victims": "Victims", "suspects": "Suspects"}


def _method(req: Request) -> str:
    return METHOD.format(min=req.rule_for("police").min_events_for_rate)


def ethnicity_rates(req: Request, who: str) -> pd.DataFrame:
    """Per Census broad group (and one row for not stated or not recorded, without a rate):
    published count, residents, person-years and the annual rate per 1,000."""
    f = req.filters.with_(source="police")
    rule = req.rule_for("police")
    counts = protect(req.q(people_by_ethnicity, f, who), rule, dims=["ethnic_group"])
    residents = req.q(residents_by_ethnicity, f)
    groups = pd.DataFrame({"ethnic_group": pd.Series(GROUPS, dtype="object")})
    key = {"ethnic_group": "object"}
    known = groups.merge(counts.astype(key), on="ethnic_group", how="left").merge(
        residents.astype(key), on="ethnic_group", how="left"
    )
    known["count"] = known["count"].astype("object").where(known["count"].notna(), 0)
    frame = rates(known, rule, req.q(months_covered, f))
    frame.insert(1, "label", frame["ethnic_group"].map(SHORT))
    rest = counts[counts["ethnic_group"].isna()]
    if len(rest):
        extra = pd.DataFrame(
            {
                "ethnic_group": [None],
                "label": [NOT_STATED],
                "count": [rest["count"].iloc[0]],
                "residents": [float("nan")],
                "person_years": [float("nan")],
                "rate": [float("nan")],
            }
        )
        frame = pd.concat([frame, extra], ignore_index=True)
    return frame


def _no_census_note(req: Request) -> str:
    year = req.q(census_year)
    if year is None:
        return (
            "No Census ethnic-group population is loaded (feed census_ethnicity), so no "
            "rates can be given."
        )
    return (
        f"Residents: Census {year} usual residents (TS021) of the areas in scope, for every "
        "period. Victims and suspects whose ethnicity is not stated have no rate."
    )


def _rates_view(req: Request, who: str) -> Chart:
    frame = ethnicity_rates(req, who)
    ctx = req.context(
        f"{WHO[who]} per 1,000 residents a year by ethnic group",
        source="police",
        note=_no_census_note(req),
    )
    fig = rate_bars_figure(frame[frame["ethnic_group"].notna()], "label", ctx, "Ethnic group")
    data = frame[["ethnic_group", "label", "count", "residents", "rate"]]
    return Chart(fig, data.reset_index(drop=True))


@chart("who-victim-rates-ethnicity", "/who", "Victims per 1,000 residents by ethnic group (police)")
def _victim_rates(req: Request) -> Chart:
    return _rates_view(req, "victims")


@chart(
    "who-suspect-rates-ethnicity", "/who", "Suspects per 1,000 residents by ethnic group (police)"
)
def _suspect_rates(req: Request) -> Chart:
    return _rates_view(req, "suspects")


def rri_frame(req: Request, who: str, reference: str) -> pd.DataFrame:
    """Per group: published count, residents, rate, and the RRI against ``reference`` with
    its Katz interval and flag."""
    frame = ethnicity_rates(req, who)
    known = frame[frame["ethnic_group"].notna()].reset_index(drop=True)
    return relative_rate_index(known, "ethnic_group", reference, req.rule_for("police"))


def _rri_view(req: Request, who: str, reference: str) -> Chart:
    frame = rri_frame(req, who, reference)
    ctx = req.context(
        f"{WHO[who]}: relative rate index by ethnic group, against {SHORT[reference]}",
        source="police",
        note=f"{_method(req)} * the interval excludes 1. {_no_census_note(req)}",
    )
    fig = rri_figure(frame, ctx)
    data = frame[
        [
            "ethnic_group",
            "label",
            "count",
            "residents",
            "rate",
            "rri",
            "rri_low",
            "rri_high",
            "flag",
        ]
    ]
    return Chart(fig, data.reset_index(drop=True), {"reference": reference})


def _rri_table(req: Request, who: str, reference: str) -> Chart:
    frame = rri_frame(req, who, reference)
    data = frame[
        ["label", "count", "residents", "rate", "rri", "rri_low", "rri_high", "flag"]
    ].reset_index(drop=True)
    return Chart(
        None,
        data,
        {
            "reference": reference,
            **table_meta(
                [
                    ("label", "Ethnic group"),
                    ("count", WHO[who]),
                    ("residents", "Residents"),
                    ("rate", "Rate per 1,000 a year"),
                    ("rri", f"RRI (vs {SHORT[reference]})"),
                    ("rri_low", "95% CI low"),
                    ("rri_high", "95% CI high"),
                    ("flag", "Interval excludes 1"),
                ],
                f"{WHO[who]} by ethnic group: rates and relative rate index, "
                f"{req.filters.with_(source='police').describe(req.names)}",
                {
                    "count": ",",
                    "residents": ",.0f",
                    "rate": ",.2f",
                    "rri": ".2f",
                    "rri_low": ".2f",
                    "rri_high": ".2f",
                },
                note=f"{_method(req)} {_no_census_note(req)}",
            ),
        },
    )


@chart(
    "who-rri-victims",
    "/who",
    "Victims: relative rate index by ethnic group (police)",
    reference=GROUPS,
)
def _rri_victims(req: Request, reference: str = CENSUS_REFERENCE_GROUP) -> Chart:
    return _rri_view(req, "victims", reference)


@chart(
    "who-rri-suspects",
    "/who",
    "Suspects: relative rate index by ethnic group (police)",
    reference=GROUPS,
)
def _rri_suspects(req: Request, reference: str = CENSUS_REFERENCE_GROUP) -> Chart:
    return _rri_view(req, "suspects", reference)


@chart(
    "who-rri-victims-table",
    "/who",
    "Victims by ethnic group: rates and relative rate index",
    kind="table",
    reference=GROUPS,
)
def _rri_victims_table(req: Request, reference: str = CENSUS_REFERENCE_GROUP) -> Chart:
    return _rri_table(req, "victims", reference)


@chart(
    "who-rri-suspects-table",
    "/who",
    "Suspects by ethnic group: rates and relative rate index",
    kind="table",
    reference=GROUPS,
)
def _rri_suspects_table(req: Request, reference: str = CENSUS_REFERENCE_GROUP) -> Chart:
    return _rri_table(req, "suspects", reference)


# Age and sex ----------------------------------------------------------------------------------


def age_sex_rates(req: Request, frame: pd.DataFrame, source: str | None) -> pd.DataFrame:
    """A published frame (sex, age_band, count) with residents, person-years and the annual
    rate per 1,000 residents of that sex and age band in the areas in scope (blank where the
    estimates have no such band or sex, e.g. persons-only MSOA estimates)."""
    f = req.filters.with_(source=source)
    year = req.q(age_population_year, f)
    pop = req.q(residents_by_age_sex, f, year)[["sex", "age_band", "residents"]]
    keys = ["sex", "age_band"]
    out = frame.astype({k: "object" for k in keys}).merge(
        pop.astype({k: "object" for k in keys}), on=keys, how="left"
    )
    return rates(out, req.rule_for(source), req.q(months_covered, f))


@chart("who-rates-age-sex", "/who", "Victims and suspects per 1,000 residents by age and sex")
def _rates_age_sex(req: Request) -> Chart:
    f = req.filters.with_(source="police")
    rule = req.rule_for("police")
    year = req.q(age_population_year, f)
    # Estimates by sex where loaded; persons-only estimates (the MSOA SAPE tables) give rates
    # by age band for both sexes together.
    pop = req.q(residents_by_age_sex, f, year)
    by_sex = pop["sex"].isin(["F", "M"]).any()
    msoa = " (MSOA estimates, for whole districts)" if (pop["level"] == "msoa").any() else ""
    sexes = ("F", "M") if by_sex else ("persons",)
    parts = []
    for who in WHO:
        counts = protect(
            req.q(people_by_age_sex, f, who, bool(by_sex)), rule, dims=["sex", "age_band"]
        )
        counts = counts[counts["sex"].isin(sexes)]
        rated = age_sex_rates(req, counts, "police")
        rated.insert(0, "who", who)
        parts.append(rated)
    frame = pd.concat(parts, ignore_index=True)
    order = {b: i for i, (b, _, _) in enumerate(AGE_BANDS)}
    frame = frame.sort_values(
        ["age_band", "who", "sex"], key=lambda s: s.map(order) if s.name == "age_band" else s
    ).reset_index(drop=True)
    frame["series"] = frame["who"] + "|" + frame["sex"]
    names = {
        f"{w}|{s}": f"{WHO[w]}, {SEXES[s].lower() if s in SEXES else 'both sexes'}"
        for w in WHO
        for s in sexes
    }
    ctx = req.context(
        source="police",
        note=(
            f"Residents: ONS mid-year estimate {year} by {'sex and ' if by_sex else ''}age "
            f"of the areas in scope{msoa}."
            if year
            else "No population estimates by age are loaded, so no rates can be given."
        ),
    )
    fig = grouped_rates_figure(frame, "age_band", "series", ctx, names)
    data = frame[["who", "sex", "age_band", "count", "residents", "rate"]]
    return Chart(fig, data)
