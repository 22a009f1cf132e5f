"""Justice outcomes views: what happened to recorded serious violence (the /outcomes page).

For the Local Criminal Justice Board and the Out of Court Disposals Scrutiny Panel. Counts come
raw from ``dashboard.queries.outcomes`` and are published here, once, by the request's rule
(``protect``); every share and its 95% Wilson interval is computed from the published counts
(``dashboard.analysis.proportions``), and none is shown on fewer than the rule's minimum of
events. The outcome groups are ``svcore.outcomes``'s (Home Office outcomes framework).
"""

from __future__ import annotations

import pandas as pd

from dashboard.analysis.proportions import share_columns, share_with_interval
from dashboard.charts.catalogue import Chart, chart, table_meta
from dashboard.charts.request import Request
from dashboard.figures import empty_figure
from dashboard.figures.shares import share_bars_figure, share_series_figure
from dashboard.queries.counts import count_table
from dashboard.queries.outcomes import (
    OUTCOME_SOURCES,
    disposals,
    outcome_counts,
    outcome_measures,
)
from svcore.disclosure import protect, published
from svcore.outcomes import OOCD_GROUPS, OUTCOME_GROUPS
from svcore.vocab import CENSUS_ETHNIC_GROUPS, ETHNICITIES, SOURCES

PAGE = "/outcomes"
MEASURE_LABELS = {"charged": "Charge rate", "oocd": "Out-of-court disposal share"}
SHARE_NOTE = (
    "Shares are of the published counts, with 95% Wilson intervals; none on fewer than {n} events."
)
NO_OUTCOMES = "The {source} feed records no outcomes: choose police, police.uk or youth justice."


def _columns(by_label: str, by: str, extra: list[tuple[str, str]] | None = None) -> list:
    return [
        (by, by_label),
        *(extra or []),
        ("count", "Events"),
        ("of", "Of"),
        ("share", "Share"),
        ("ci_low", "95% interval from"),
        ("ci_high", "95% interval to"),
    ]


PERCENT = {"count": ",", "share": ".1%", "ci_low": ".1%", "ci_high": ".1%"}


def _no_outcomes(req: Request) -> Chart | None:
    source = req.filters.source
    if source in OUTCOME_SOURCES:
        return None
    ctx = req.context()
    message = NO_OUTCOMES.format(source=SOURCES.get(source, str(source)))
    return Chart(empty_figure(ctx, message), pd.DataFrame(), text=message)


def _total(req: Request, filters) -> float:
    """The published count of every event under ``filters`` (a cell of its own; NaN when
    hidden)."""
    cell = protect(req.q(count_table, filters, ()), req.rule_for(filters.source))
    value = published(cell)
    return float(value.iloc[0]) if len(value) else 0.0


def _of(values: pd.Series | float, index: pd.Index) -> pd.Series:
    """Published denominators as whole numbers (empty where hidden)."""
    series = values if isinstance(values, pd.Series) else pd.Series(values, index=index)
    return pd.to_numeric(series, errors="coerce").round().astype("Int64")


def _context(req: Request, source: str | None = None):
    rule = req.rule_for(source or req.filters.source)
    return req.context(
        source=source or req.filters.source, note=SHARE_NOTE.format(n=rule.min_events_for_rate)
    )


def published_groups(req: Request) -> pd.DataFrame:
    """outcome_group, label, count (published), of (published total), share, ci_low, ci_high."""
    rule = req.rule
    raw = req.q(outcome_counts, req.filters, None)
    # The out-of-court disposals' total is published too (``outcomes-oocd-share``): it is a
    # margin of this table, so no lone hidden disposal is that total less the others.
    raw = raw.assign(family=raw["outcome_group"].isin(OOCD_GROUPS))
    frame = protect(raw, rule, dims=["family", "outcome_group"])
    frame = frame.drop(columns="family").reset_index(drop=True)
    total = _total(req, req.filters)
    frame.insert(1, "label", [OUTCOME_GROUPS.get(g, str(g)) for g in frame["outcome_group"]])
    frame["of"] = _of(total, frame.index)
    return pd.concat([frame, share_columns(published(frame), frame["of"], rule)], axis=1)


@chart("outcomes-groups", PAGE, "Outcomes of recorded serious violence", one_source=True)
def _groups(req: Request) -> Chart:
    if (none := _no_outcomes(req)) is not None:
        return none
    frame = published_groups(req)
    fig = share_bars_figure(frame, "outcome_group", _context(req), labels=dict(OUTCOME_GROUPS))
    return Chart(fig, frame)


def published_measures(req: Request, by: str, filters=None) -> pd.DataFrame:
    """Per ``by`` value: the charge rate and the OOCD share with their intervals, from the
    published cells ``charged``, ``oocd`` and ``all`` (each protected as a table by ``by``)."""
    filters = filters or req.filters
    rule = req.rule_for(filters.source)
    raw = req.q(outcome_measures, filters, by)
    keys = [by] + ([f"{by}_name"] if f"{by}_name" in raw else [])
    parts = {
        m: protect(p.drop(columns="measure"), rule, dims=[by]).reset_index(drop=True)
        for m, p in raw.groupby("measure", sort=False)
    }
    if not parts:
        return pd.DataFrame(columns=[*keys, "measure", "count", "of", "share", "ci_low", "ci_high"])
    whole = parts["all"][[*keys, "count"]].rename(columns={"count": "of"})
    whole["of"] = _of(published(whole, "of"), whole.index)
    rows = []
    for measure in MEASURE_LABELS:
        part = parts[measure].merge(whole, on=keys, how="left")
        part.insert(len(keys), "measure", measure)
        rows.append(pd.concat([part, share_columns(published(part), part["of"], rule)], axis=1))
    return pd.concat(rows, ignore_index=True)


def _measures_chart(
    req: Request, by: str, category_labels: dict | None = None, lines: bool = False
) -> Chart:
    """``category_labels`` name the categories and, when given, order them."""
    if (none := _no_outcomes(req)) is not None:
        return none
    frame = published_measures(req, by)
    if category_labels:
        frame = _in_order(frame, by, list(category_labels))
    ctx = _context(req)
    fig = share_series_figure(
        frame, by, "measure", ctx, MEASURE_LABELS, category_labels=category_labels, lines=lines
    )
    return Chart(fig, frame)


@chart(
    "outcomes-by-offence",
    PAGE,
    "Charge rate and out-of-court disposals by offence group",
    one_source=True,
)
def _by_offence(req: Request) -> Chart:
    labels = {g.key: g.label for g in req.definition.groups}
    return _measures_chart(req, "offence_group", labels)


def _in_order(frame: pd.DataFrame, column: str, keys: list) -> pd.DataFrame:
    """Rows in the order of ``keys`` (e.g. the definition's groups), the rest after."""
    rank = {k: i for i, k in enumerate(keys)}
    return frame.sort_values(
        column, key=lambda s: s.map(rank).fillna(len(rank)), kind="stable", ignore_index=True
    )


@chart(
    "outcomes-trend",
    PAGE,
    "Charge rate and out-of-court disposal share by quarter",
    one_source=True,
)
def _trend(req: Request) -> Chart:
    return _measures_chart(req, "quarter", lines=True)


@chart("outcomes-by-area", PAGE, "Charge rate and out-of-court disposals by area", one_source=True)
def _by_area(req: Request) -> Chart:
    by = "ward" if req.filters.districts or req.filters.wards else "district"
    if (none := _no_outcomes(req)) is not None:
        return none
    frame = published_measures(req, by)
    names = dict(zip(frame[by], frame.get(f"{by}_name", frame[by]), strict=True))
    fig = share_series_figure(
        frame, by, "measure", _context(req), MEASURE_LABELS, category_labels=names
    )
    return Chart(fig, frame, meta={"level": by})


@chart(
    "outcomes-by-suspect-ethnicity",
    PAGE,
    "Charge rate and out-of-court disposals by suspect ethnicity",
)
def _by_ethnicity(req: Request) -> Chart:
    """Police only: the force extract is the feed that records the suspect's ethnicity."""
    run = req.with_filters(req.filters.with_(source="police"), note=req.note)
    frame = published_measures(run, "suspect_ethnicity")
    ctx = _context(run)
    labels = {**dict(ETHNICITIES), None: "Not recorded"}
    frame["suspect_ethnicity"] = frame["suspect_ethnicity"].where(
        frame["suspect_ethnicity"].notna(), None
    )
    fig = share_series_figure(
        frame, "suspect_ethnicity", "measure", ctx, MEASURE_LABELS, category_labels=labels
    )
    return Chart(fig, frame)


@chart(
    "outcomes-oocd-share",
    PAGE,
    "Out-of-court disposals: how many, and of what kind",
    kind="table",
    one_source=True,
)
def _oocd(req: Request) -> Chart:
    """The scrutiny panel's table: each out-of-court disposal, all of them together (a cell of
    its own) and every outcome; shares of all outcomes and of the disposals."""
    rule = req.rule
    columns = [
        ("label", "Outcome"),
        ("count", "Events"),
        ("share", "Share of all outcomes"),
        ("ci_low", "95% interval from"),
        ("ci_high", "95% interval to"),
        ("share_of_oocd", "Share of out-of-court disposals"),
    ]
    meta = table_meta(
        columns,
        "Out-of-court disposals",
        formats={**PERCENT, "share_of_oocd": ".1%"},
        note=SHARE_NOTE.format(n=rule.min_events_for_rate),
    )
    if (none := _no_outcomes(req)) is not None:
        none.meta.update(meta)
        return none
    # The same published cells as ``outcomes-groups`` shows (one protection of the groups).
    groups = published_groups(req)[["outcome_group", "count"]]
    kinds = pd.DataFrame({"outcome_group": list(OOCD_GROUPS)}).merge(
        groups, on="outcome_group", how="left"
    )
    kinds["count"] = kinds["count"].astype("object").where(kinds["count"].notna(), 0)
    raw = req.q(outcome_measures, req.filters, None)
    # Each measure is a cell of its own (the disposals together, every outcome).
    cells = {m: protect(p, rule)["count"].iloc[0] for m, p in raw.groupby("measure", sort=False)}
    oocd, total = cells.get("oocd", 0), cells.get("all", 0)
    rows = kinds.assign(label=[OUTCOME_GROUPS[g] for g in kinds["outcome_group"]])
    rows = pd.concat(
        [
            rows,
            pd.DataFrame(
                [
                    {"outcome_group": "oocd", "label": "All out-of-court disposals", "count": oocd},
                    {"outcome_group": "all", "label": "All outcomes", "count": total},
                ]
            ),
        ],
        ignore_index=True,
    )
    n_total = published(pd.DataFrame({"count": [total]})).iloc[0]
    n_oocd = published(pd.DataFrame({"count": [oocd]})).iloc[0]
    counts = published(rows)
    rows = pd.concat(
        [rows, share_columns(counts, pd.Series(n_total, index=rows.index), rule)], axis=1
    )
    of_oocd = share_columns(counts, pd.Series(n_oocd, index=rows.index), rule)["share"]
    rows["share_of_oocd"] = of_oocd.where(rows["outcome_group"].isin(OOCD_GROUPS))
    rows.loc[rows["outcome_group"] == "all", ["share", "ci_low", "ci_high"]] = float("nan")
    head = share_with_interval(n_oocd, n_total, rule)
    if head is None:
        text = "Too few events to give the share of out-of-court disposals for these filters."
    else:
        text = (
            f"{head[0]:.1%} of outcomes were out-of-court disposals "
            f"(95% interval {head[1]:.1%} to {head[2]:.1%})."
        )
    rows = rows[["outcome_group", "label", "count", "share", "ci_low", "ci_high", "share_of_oocd"]]
    return Chart(None, rows, meta=meta, text=text)


def _recorded_chart(req: Request, source: str) -> Chart:
    """One source's outcomes as recorded, each with its group, as shares with intervals."""
    run = req.with_filters(req.filters.with_(source=source), note=req.note)
    rule = run.rule
    frame = protect(req.q(disposals, run.filters, source), rule, dims=["outcome_group", "outcome"])
    frame = frame.reset_index(drop=True)
    frame.insert(0, "group_label", [OUTCOME_GROUPS.get(g, str(g)) for g in frame["outcome_group"]])
    frame["outcome"] = frame["outcome"].fillna("Not recorded")
    frame["of"] = _of(_total(run, run.filters), frame.index)
    frame = pd.concat([frame, share_columns(published(frame), frame["of"], rule)], axis=1)
    ctx = run.context(req.title, source=source, note=SHARE_NOTE.format(n=rule.min_events_for_rate))
    fig = share_bars_figure(frame, "outcome", ctx)
    return Chart(fig, frame)


@chart("outcomes-policeuk", PAGE, "police.uk: latest outcome of recorded serious violence")
def _policeuk(req: Request) -> Chart:
    return _recorded_chart(req, "policeuk")


@chart("outcomes-youth", PAGE, "Youth justice: disposals of proven offences, pre-court and court")
def _youth(req: Request) -> Chart:
    return _recorded_chart(req, "youth_justice")


# Disproportionality in outcomes --------------------------------------------------------------

RRI_REFERENCE = "white"


def outcome_rri(req: Request, reference: str = RRI_REFERENCE) -> pd.DataFrame:
    """Per measure (charge rate, out-of-court share) and suspect ethnic group: the published
    share and its ratio to the reference group's, with the Katz 95% interval for a ratio of
    two proportions (``dashboard.analysis.disproportionality``), from the published counts of
    ``outcomes-by-suspect-ethnicity`` only; none where either share is not shown."""
    from dashboard.analysis.disproportionality import relative_rate_index

    run = req.with_filters(req.filters.with_(source="police"), note=req.note)
    frame = published_measures(run, "suspect_ethnicity")
    frame = frame[frame["suspect_ethnicity"].isin(list(CENSUS_ETHNIC_GROUPS))]
    rule = run.rule_for("police")
    parts = []
    for measure, label in MEASURE_LABELS.items():
        part = frame[frame["measure"] == measure].reset_index(drop=True)
        # ``relative_rate_index`` reads a shown ``rate``: the share (blank when not shown).
        part = part.assign(rate=part["share"])
        part = relative_rate_index(part, "suspect_ethnicity", reference, rule, residents="of")
        part["label"] = [f"{ETHNICITIES[g]}: {label.lower()}" for g in part["suspect_ethnicity"]]
        parts.append(part)
    columns = ["measure", "suspect_ethnicity", "label", "count", "of", "share", "ci_low", "ci_high"]
    columns += ["rri", "rri_low", "rri_high", "flag"]
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)[columns]


RRI_NOTE = (
    "Each group's share (charged, or given an out-of-court disposal, of the crimes whose "
    "first named suspect is in the group) divided by the {ref} group's, with Katz's 95% "
    "interval for a ratio of two proportions, log RRI ± 1.96·sqrt(1/a − 1/n1 + 1/c − 1/n2) "
    "(a, c: published outcomes; n1, n2: published crimes); * the interval excludes 1. None on "
    "fewer than {n} events. Crimes without a recorded suspect ethnicity are left out."
)


@chart(
    "outcomes-rri-suspect-ethnicity",
    PAGE,
    "Outcomes by suspect ethnicity: relative rate index against White suspects",
)
def _outcome_rri(req: Request) -> Chart:
    from dashboard.figures.disproportionality import rri_figure

    frame = outcome_rri(req)
    rule = req.rule_for("police")
    ctx = req.context(
        source="police",
        note=RRI_NOTE.format(ref=ETHNICITIES[RRI_REFERENCE], n=rule.min_events_for_rate),
    )
    return Chart(rri_figure(frame, ctx), frame)


@chart(
    "outcomes-rri-table",
    PAGE,
    "Outcomes by suspect ethnicity: shares and relative rate index",
    kind="table",
)
def _outcome_rri_table(req: Request) -> Chart:
    frame = outcome_rri(req)
    rule = req.rule_for("police")
    data = frame.assign(measure=frame["measure"].map(MEASURE_LABELS))
    data = data.assign(suspect_ethnicity=data["suspect_ethnicity"].map(dict(ETHNICITIES)))
    return Chart(
        None,
        data.drop(columns="label"),
        table_meta(
            [
                ("measure", "Measure"),
                ("suspect_ethnicity", "Suspect ethnicity"),
                ("count", "Outcomes"),
                ("of", "Crimes"),
                ("share", "Share"),
                ("ci_low", "Share 95% CI low"),
                ("ci_high", "Share 95% CI high"),
                ("rri", "RRI (vs White)"),
                ("rri_low", "95% CI low"),
                ("rri_high", "95% CI high"),
                ("flag", "Interval excludes 1"),
            ],
            "Charge rate and out-of-court disposal share by suspect ethnicity, relative to "
            "White suspects",
            {
                "count": ",",
                "of": ",",
                "share": ".1%",
                "ci_low": ".1%",
                "ci_high": ".1%",
                "rri": ".2f",
                "rri_low": ".2f",
                "rri_high": ".2f",
            },
            note=RRI_NOTE.format(ref=ETHNICITIES[RRI_REFERENCE], n=rule.min_events_for_rate),
        ),
    )
