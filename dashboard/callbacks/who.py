"""Who wiring: pyramids, ethnicity and the probation and youth-justice cohort profiles."""

from __future__ import annotations

from dash import Input, Output

from dashboard import ids
from dashboard.callbacks.common import request, with_alt
from dashboard.data import WarehouseSource
from dashboard.figures.bars import breakdown_figure
from dashboard.figures.pyramid import pyramid_figure
from dashboard.queries.people import (
    cohort_profile,
    ethnicity,
    repeat_presence,
    suspect_pyramid,
    victim_pyramid,
)
from svcore.disclosure import suppress_counts

WHO_CHARTS = (ids.WHO_VICTIMS, ids.WHO_SUSPECTS, ids.WHO_ETHNICITY, ids.WHO_PROBATION,
              ids.WHO_PROBATION_OFFENCE, ids.WHO_YOUTH, ids.WHO_REPEAT)


def who_outputs(source: WarehouseSource, query: str | None) -> tuple:
    req = request(source, query)
    f = req.filters
    people = {"police": "Victims", "health": "Patients"}.get(f.source or "", "People")
    figs = [
        pyramid_figure(suppress_counts(req.q(victim_pyramid, f), req.rule),
                       req.context(f"{people} by age and sex")),
        pyramid_figure(suppress_counts(req.q(suspect_pyramid, f), req.rule_for("police")),
                       req.context("Police-recorded suspects by age and sex", source="police"),
                       sex="suspect_sex", band="suspect_age_band"),
        breakdown_figure(suppress_counts(req.q(ethnicity, f), req.rule),
                         "ethnicity", req.context(f"{people} by ethnicity", note=(
                             "Population by ethnicity is not loaded, so shares are of people "
                             "with a record, not rates.")),
                         min_events_for_share=req.rule.min_events_for_rate),
    ]
    for src, by, title in (
        ("probation", "rosh_level", "Probation caseload by risk of serious harm"),
        ("probation", "index_offence_group", "Probation caseload by index offence"),
        ("youth_justice", "age", "Youth justice: children with proven offences by age"),
    ):
        rule = req.rule_for(src)
        figs.append(breakdown_figure(
            suppress_counts(req.q(cohort_profile, f, src, by), rule), by,
            req.context(title, source=src, note="People counted once."),
            min_events_for_share=rule.min_events_for_rate, unit="People",
            ordered=by in ("rosh_level", "age")))
    rule = req.rule_for("youth_justice")
    figs.append(breakdown_figure(
        suppress_counts(req.q(repeat_presence, f, "youth_justice"), rule), "times",
        req.context("Youth justice: proven offences per child in the period", source="youth_justice"),
        labels={"1": "1 offence", "2": "2 offences", "3 or more": "3 or more offences"},
        min_events_for_share=rule.min_events_for_rate, unit="Children", ordered=True))
    out: list = []
    for fig in figs:
        out += list(with_alt(fig))
    return tuple(out)


def register(app, source: WarehouseSource) -> None:
    outputs = []
    for chart_id in WHO_CHARTS:
        outputs += [Output(chart_id, "figure"), Output(ids.alt(chart_id), "children")]

    @app.callback(*outputs, Input(ids.FILTERS, "data"))
    def update(query):
        return who_outputs(source, query)
