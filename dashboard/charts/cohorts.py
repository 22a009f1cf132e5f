"""The offender cohorts over time, for the Reducing Reoffending Strategy Group.

Probation's caseload is a monthly snapshot: the people on it each month. Youth justice's
cohort is the people with a proven offence in a month. Both count distinct people (so they are
read from the events, not the rollups), published by the source's rule once, cell by cell.
"""

from __future__ import annotations

from dashboard.charts.catalogue import Chart, chart
from dashboard.charts.request import Request
from dashboard.figures.trend import trend_figure
from dashboard.queries.people import cohort_profile
from svcore.disclosure import protect

NOTES = {
    "probation": "People on the probation caseload each month (its monthly snapshot), each "
    "counted once a month.",
    "youth_justice": "People with a proven offence in the month, each counted once a month.",
}


def _cohort_trend(req: Request, source: str) -> Chart:
    rule = req.rule_for(source)
    frame = protect(req.q(cohort_profile, req.filters, source, "month"), rule, dims=["month"])
    ctx = req.context(source=source, note=NOTES[source])
    return Chart(trend_figure(frame, ctx, rolling=False), frame)


@chart("who-probation-trend", "/who", "Probation caseload by month")
def _probation_trend(req: Request) -> Chart:
    return _cohort_trend(req, "probation")


@chart("who-youth-trend", "/who", "Youth-justice cohort by month")
def _youth_trend(req: Request) -> Chart:
    return _cohort_trend(req, "youth_justice")
