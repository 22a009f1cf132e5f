"""The plain-pandas baseline of the page callbacks: one global events DataFrame, boolean masks,
``groupby`` and the dashboard's own pure figure functions (each figure wrapped in ``go.Figure``,
as a plain plotly app draws), behind a small Flask app.

    python -m bench.baseline WAREHOUSE --port N     (the development server; bench.harness
                                                     starts it for ``--server dev``)
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from dashboard.queries.factors import IMD_DOMAINS
from svcore.vocab import ENGLAND_LSOAS_2019

# The page callbacks measured, each a method of PandasBaseline (and a callback of the app).
PAGES = (
    "overview",
    "where_map",
    "where_hotspots",
    "where_gap",
    "when",
    "how",
    "who",
    "factors",
    "quality",
)


# The pages' own constants, copied so the baseline does not break when the app's callbacks are
# reorganised (the chart descriptions it is checked against would show a real divergence).
LEVEL_WORDS = {"district": "district", "ward": "ward", "lsoa": "LSOA"}
HOW_CHARTS = (  # dimension, title, source override
    ("offence_group", "Serious violence by offence group", None),
    ("weapon", "Weapon used (police) or assault method (A&E)", None),
    ("location_type", "Where it happened: type of location", None),
    ("domestic_abuse", "Domestic-abuse related", None),
    ("relationship", "A&E: relationship to the assailant", "health"),
)
QUALITY_FIELDS = (("lsoa", "LSOA"), ("time_of_day", "Time of day"), ("age", "Age"), ("sex", "Sex"))
GAP_POLICE_GROUP = "violence_with_injury"


def drill_level(filters) -> str:
    """The map level that follows the filters: wards inside districts, LSOAs inside wards."""
    return "lsoa" if filters.wards else "ward" if filters.districts else "district"


def _age_band(age: pd.Series) -> pd.Series:
    from svcore.vocab import AGE_BANDS

    bins = [AGE_BANDS[0][1] - 0.5] + [hi + 0.5 for _, _, hi in AGE_BANDS]
    return pd.cut(age, bins=bins, labels=[b for b, _, _ in AGE_BANDS])


def _last_two_years(monthly: pd.DataFrame) -> tuple[int, int | None, str | None]:
    if monthly.empty:
        return 0, None, None
    counts = monthly.set_index("month")["count"].astype("int64")
    last = counts.index.max()
    months = pd.period_range(end=pd.Period(last, "M"), periods=24, freq="M").strftime("%Y-%m")
    recent = int(counts.reindex(months[12:]).fillna(0).sum())
    held = counts.index.min() <= months[0]
    before = int(counts.reindex(months[:12]).fillna(0).sum()) if held else None
    return recent, before, last


def with_alt(fig: dict) -> tuple:
    """A plain app draws with plotly's graph objects: wrap the dashboard's figure dict in
    ``go.Figure`` so the baseline pays the validation a typical app pays."""
    import plotly.graph_objects as go

    from dashboard.figures import alt_text

    return go.Figure(fig), alt_text(fig)


@dataclass
class PageRequest:
    """What a baseline page starts from (as ``dashboard.callbacks.common.Request``, no DuckDB)."""

    settings: object
    filters: object
    rule: object
    definition: object
    names: dict

    def context(self, title: str, source: object = "same", note: str = ""):
        from dashboard.figures import Context
        from svcore.disclosure import rule_for
        from svcore.vocab import SOURCES

        src = self.filters.source if source == "same" else source
        line = SOURCES.get(src, "all partner feeds") if src else "all partner feeds"
        group = self.definition.group(self.filters.group).label if self.filters.group else None
        return Context(
            title=title,
            period=self.filters.with_(source=src).describe(self.names),
            definition=self.definition.title + (f": {group}" if group else ""),
            source_line=line,
            note=" ".join(x for x in (note, rule_for(self.settings, src).note()) if x),
        )

    def rule_for(self, source: str | None):
        from svcore.disclosure import rule_for

        return rule_for(self.settings, source)


def nte_share(frame: pd.DataFrame) -> tuple[float, int]:
    """The share of the timed counts in the night-time window, and their total, as a plain
    app would compute it (from the true counts)."""
    from dashboard.figures.heatmap import NTE_WINDOW

    counts = pd.to_numeric(frame["count"], errors="coerce").fillna(0)
    total = int(counts.sum())
    in_window = np.zeros(len(frame), dtype=bool)
    for day, hours in NTE_WINDOW:
        in_window |= (frame["weekday"] == day).to_numpy() & frame["hour"].isin(
            list(hours)
        ).to_numpy()
    return (float(counts[in_window].sum()) / total if total else float("nan")), total


class PandasBaseline:
    """The same page callbacks over one global events DataFrame: masks, groupby, figures."""

    LEVEL_COL = {"district": "district_code", "ward": "ward_code", "lsoa": "lsoa_code"}
    # count_table's dimensions that are not simply a column of the events view
    DIM_COL = {**LEVEL_COL, "relationship": "relationship_to_assailant"}
    LEVEL_NAME = {"district": "district_name", "ward": "ward_name", "lsoa": "lsoa_name"}

    def __init__(self, warehouse: Path) -> None:
        from svcore.config import read_settings
        from svcore.vocab import SOURCES
        from svcore.warehouse import connect_reader

        self.settings = read_settings(warehouse)
        con = connect_reader(warehouse)

        def frame(sql: str) -> pd.DataFrame:
            return con.sql(sql).to_arrow_table().to_pandas(date_as_object=False)

        try:
            events = frame("SELECT * FROM events")
            self.geography = frame(
                "SELECT lsoa_code, lsoa_name, ward_code, ward_name, district_code, district_name "
                "FROM geography"
            )
            self.population = frame("SELECT area_code, year, sex, population FROM population")
            self.imd = frame("SELECT lsoa_code, domain, score, rank, decile FROM imd")
            self.indicators = frame(
                "SELECT indicator_code, indicator_name, area_code, period, "
                "value, unit FROM indicators"
            )
            bounds = frame(
                "SELECT level, area_code, geometry, centroid_lon AS lon, "
                "centroid_lat AS lat FROM boundaries"
            )
            self.parts = frame("SELECT * FROM parts")
            self.loads = frame("SELECT * FROM loads")
            self.quarantine = frame("SELECT * FROM quarantine")
        finally:
            con.close()
        # One frame, each source's rows contiguous (the view is a UNION ALL per source), so
        # per-source views are slices of it, not copies.
        src = events["source"].to_numpy()
        if int((src[1:] != src[:-1]).sum()) + 1 > len(set(src)):
            order = {s: i for i, s in enumerate(SOURCES)}
            events = events.iloc[
                np.argsort(events["source"].map(order).to_numpy(), kind="stable")
            ].reset_index(drop=True)
            src = events["source"].to_numpy()
        events["month"] = pd.array(
            np.datetime_as_string(events["period"].to_numpy().astype("datetime64[M]"), unit="M"),
            dtype="str",
        )
        events["weekday"] = events["event_date"].dt.day_name()
        events["age_band"] = _age_band(events["age"])
        events["suspect_age_band"] = _age_band(events["suspect_age"])
        self.events = events
        self.by_source = {}
        for s in SOURCES:
            idx = np.flatnonzero(src == s)
            lo, hi = (int(idx[0]), int(idx[-1]) + 1) if len(idx) else (0, 0)
            self.by_source[s] = events.iloc[lo:hi]
        self.boundaries = {
            level: {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "id": c, "properties": {}, "geometry": json.loads(g)}
                    for c, g in zip(part["area_code"], part["geometry"], strict=True)
                ],
            }
            for level, part in bounds.groupby("level")
        }
        self.centroids = bounds[["level", "area_code", "lon", "lat"]]
        self.names = {
            **dict(
                zip(self.geography["district_code"], self.geography["district_name"], strict=True)
            ),
            **dict(zip(self.geography["ward_code"], self.geography["ward_name"], strict=True)),
        }
        self.population_years = sorted(int(y) for y in self.population["year"].unique())

    # -- the query layer, in pandas ----------------------------------------------------------

    def definition_mask(
        self, d: pd.DataFrame, source: str, group: str | None, definition_name: str
    ) -> np.ndarray:
        """Serious violence (or one group) for a source; one ``isin`` per column where rules
        test a single column, as anyone writing it by hand would."""
        from svcore.definitions import load_definition

        definition = load_definition(definition_name)
        groups = [definition.group(group)] if group else list(definition.groups)
        single: dict[str, set] = {}
        compound: list = []
        for g in groups:
            for rule in g.rules:
                if rule.source != source:
                    continue
                if len(rule.conditions) == 1:
                    col, values = rule.conditions[0]
                    single.setdefault(col, set()).update(values)
                else:
                    compound.append(rule.conditions)
        n = len(d)
        if any(not r for r in compound):
            return np.ones(n, dtype=bool)
        m = np.zeros(n, dtype=bool)
        for col, values in single.items():
            m |= d[col].isin(list(values)).to_numpy(dtype=bool)
        for conditions in compound:
            rm = np.ones(n, dtype=bool)
            for col, values in conditions:
                rm &= d[col].isin(list(values)).to_numpy(dtype=bool)
            m |= rm
        return m

    def mask(self, d: pd.DataFrame, f) -> np.ndarray:
        m = self.definition_mask(d, f.source, f.group, f.definition)
        if f.districts:
            m &= d["district_code"].isin(list(f.districts)).to_numpy(dtype=bool)
        if f.wards:
            m &= d["ward_code"].isin(list(f.wards)).to_numpy(dtype=bool)
        if f.date_from:
            m &= (d["period"] >= pd.Timestamp(f"{f.date_from}-01")).to_numpy(dtype=bool)
        if f.date_to:
            m &= (d["period"] <= pd.Timestamp(f"{f.date_to}-01")).to_numpy(dtype=bool)
        return m

    @staticmethod
    def _order(out: pd.DataFrame, by: list[str]) -> pd.DataFrame:
        from svcore.vocab import ROSH_LEVELS, WEEKDAYS

        keys = {}
        for i, dim in enumerate(by):
            col = out[dim]
            if dim == "weekday":
                key = col.map({w: j for j, w in enumerate(WEEKDAYS)})
            elif dim == "rosh_level":
                key = col.map({r: j for j, r in enumerate(ROSH_LEVELS)})
            elif isinstance(col.dtype, pd.CategoricalDtype):
                key = pd.Series(col.cat.codes, index=col.index).replace(-1, np.nan)
            else:
                key = col
            keys[f"_k{i}"] = key
        out = out.assign(**keys).sort_values(list(keys), na_position="last", kind="stable")
        out = out.drop(columns=list(keys)).reset_index(drop=True)
        for dim in by:
            col = out[dim]
            if isinstance(col.dtype, pd.CategoricalDtype):
                out[dim] = col.astype(object).where(col.notna(), None)
            elif col.dtype.kind == "f" and col.notna().all() and (col % 1 == 0).all():
                out[dim] = col.astype("int64")  # as Arrow gives an integer column with no NULL
        return out

    def count(self, f, by: list[str], people: bool = False) -> pd.DataFrame:
        """``count_table``: serious-violence events under the filters by ``by`` dimensions
        (distinct people for probation, or for any person-level feed with ``people``)."""
        from svcore.definitions import load_definition
        from svcore.vocab import SOURCES

        by = list(by)
        if f.source is None:  # every source: add up each source's table
            parts = [self.count(f.with_(source=s), by, people).assign(source=s) for s in SOURCES]
            out = pd.concat(parts, ignore_index=True)
            if not by:
                return pd.DataFrame({"count": [int(out["count"].sum())]})
            return self._order(out.groupby(by, dropna=False)["count"].sum().reset_index(), by)
        d = self.by_source[f.source]
        m = self.mask(d, f)
        if by == ["offence_group"]:
            definition = load_definition(f.definition)
            rows = []
            for g in definition.groups:
                if f.source not in g.sources() or (f.group and g.key != f.group):
                    continue
                n = int((m & self.definition_mask(d, f.source, g.key, f.definition)).sum())
                if n:
                    rows.append((g.key, n))
            return pd.DataFrame(rows, columns=["offence_group", "count"]).sort_values(
                "offence_group", ignore_index=True
            )
        people = people or f.source == "probation"
        if not by:
            n = d.loc[m, "person_key"].nunique() if people else int(m.sum())
            return pd.DataFrame({"count": [int(n)]})
        cols = [self.DIM_COL.get(dim, dim) for dim in by]
        sub = d.loc[m, cols + (["person_key"] if people else [])]
        grouped = sub.groupby(cols, dropna=False, observed=True, sort=False)
        counts = grouped["person_key"].nunique() if people else grouped.size()
        out = counts.rename("count").reset_index().rename(columns=dict(zip(cols, by, strict=True)))
        out = self._order(out, by)
        out["count"] = out["count"].astype("int64")
        return out

    def months_covered(self, f) -> int:
        d = self.by_source[f.source] if f.source else self.events
        m = np.ones(len(d), dtype=bool)
        if f.date_from:
            m &= (d["period"] >= pd.Timestamp(f"{f.date_from}-01")).to_numpy(dtype=bool)
        if f.date_to:
            m &= (d["period"] <= pd.Timestamp(f"{f.date_to}-01")).to_numpy(dtype=bool)
        return int(d.loc[m, "period"].nunique())

    def scope(self, f) -> pd.DataFrame:
        g = self.geography
        m = np.ones(len(g), dtype=bool)
        if f.districts:
            m &= g["district_code"].isin(list(f.districts)).to_numpy(dtype=bool)
        if f.wards:
            m &= g["ward_code"].isin(list(f.wards)).to_numpy(dtype=bool)
        return g[m]

    def areas_in_scope(self, f, level: str) -> pd.DataFrame:
        code, name = self.LEVEL_COL[level], self.LEVEL_NAME[level]
        g = (
            self.scope(f)
            .groupby(code, sort=True)
            .agg(
                area_name=(name, "first"),
                district_code=("district_code", "first"),
                ward_code=("ward_code", "first"),
            )
        )
        return g.rename_axis("area_code").reset_index()

    def population_year(self, f) -> int | None:
        if not self.population_years:
            return None
        target = int(f.date_to[:4]) if f.date_to else 9999
        return min(self.population_years, key=lambda y: (abs(y - target), -y))

    def population_by_area(self, f, level: str, year: int | None) -> pd.DataFrame:
        if year is None:
            return pd.DataFrame({"area_code": [], "population": []})
        p = self.population
        p = p[(p["year"] == year) & p["sex"].isin(["F", "M", "persons"])]
        code = self.LEVEL_COL[level]
        scope = self.scope(f)[list(dict.fromkeys(["lsoa_code", code]))]
        merged = p.merge(scope, left_on="area_code", right_on="lsoa_code")
        out = merged.groupby(code)["population"].sum()
        return out.rename_axis("area_code").reset_index()

    def area_table(self, f, level: str) -> pd.DataFrame:
        areas = self.areas_in_scope(f, level)
        counts = self.count(f, [level])[[level, "count"]].rename(columns={level: "area_code"})
        pop = self.population_by_area(f, level, self.population_year(f))
        out = areas.merge(counts, on="area_code", how="left").merge(pop, on="area_code", how="left")
        out["count"] = out["count"].fillna(0).astype("int64")
        denom = out["population"].astype("float64") * self.months_covered(f) / 12
        out["rate"] = (out["count"] / denom * 1000).where(denom > 0)
        return out

    def headline(self, f, rule) -> dict:
        from svcore.disclosure import suppress_counts

        raw = int(self.count(f, [])["count"].iloc[0])
        shown = suppress_counts(pd.DataFrame({"count": [raw]}), rule)["count"].iloc[0]
        pop = self.population_by_area(f, "district", self.population_year(f))
        people = float(pop["population"].sum()) if len(pop) else 0.0
        months = self.months_covered(f)
        rate = (
            raw / people / months * 12 * 1000
            if people and months and raw >= rule.min_events_for_rate
            else None
        )
        monthly = self.count(f, ["month"]) if f.source else pd.DataFrame()
        recent, before, last = _last_two_years(monthly)
        change = None
        if before is not None and min(recent, before) >= rule.min_events_for_rate:
            change = recent / before - 1
        return {
            "count": shown,
            "rate": rate,
            "change": change,
            "last12": recent,
            "last_month": last,
        }

    def indicator_catalogue(self) -> pd.DataFrame:
        ind = self.indicators
        wards, districts = set(self.geography["ward_code"]), set(self.geography["district_code"])
        out = (
            ind.assign(
                is_ward=ind["area_code"].isin(wards), is_district=ind["area_code"].isin(districts)
            )
            .groupby("indicator_code", sort=True)
            .agg(
                indicator_name=("indicator_name", "first"),
                unit=("unit", "first"),
                is_ward=("is_ward", "any"),
                is_district=("is_district", "any"),
                latest_period=("period", "max"),
            )
            .reset_index()
        )
        out["level"] = np.where(
            out["is_ward"], "ward", np.where(out["is_district"], "district", "lsoa")
        )
        return out.drop(columns=["is_ward", "is_district"])

    def indicator_values(self, f, code: str) -> pd.DataFrame:
        ind = self.indicators[self.indicators["indicator_code"] == code]
        end = f.date_to[:4] if f.date_to else "9999"
        upto = ind.loc[ind["period"].str[:4] <= end, "period"]
        period = upto.max() if len(upto) else ind["period"].min()
        out = ind[(ind["period"] == period) & ind["value"].notna()]
        return out[["area_code", "value", "period"]].sort_values("area_code", ignore_index=True)

    def imd_scores(self, f) -> pd.DataFrame:

        i = self.imd.merge(self.scope(f)[["lsoa_code"]], on="lsoa_code")
        score = i["score"].fillna(100.0 * (1 - (i["rank"] - 1) / ENGLAND_LSOAS_2019))
        out = pd.DataFrame(
            {
                "area_code": i["lsoa_code"],
                "domain": i["domain"],
                "score": score.astype("float64"),
                "is_score": i["score"].notna(),
                "decile": i["decile"],
            }
        )
        return out.sort_values(["area_code", "domain"], ignore_index=True)

    def decile_profile(self, f) -> pd.DataFrame:
        dec = self.imd[self.imd["domain"] == "imd"].merge(
            self.scope(f)[["lsoa_code"]], on="lsoa_code"
        )[["lsoa_code", "decile"]]
        d = self.by_source[f.source] if f.source else self.events
        m = self.mask(d, f)
        decile_of = dict(zip(dec["lsoa_code"], dec["decile"], strict=True))
        ev = d.loc[m, ["lsoa_code", "person_key"]]
        ev = ev.assign(decile=ev["lsoa_code"].map(decile_of)).dropna(subset=["decile"])
        ev["decile"] = ev["decile"].astype("int64")
        if f.source == "probation":
            counts = ev.groupby("decile")["person_key"].nunique()
        else:
            counts = ev.groupby("decile").size()
        year = self.population_year(f) or 0
        p = self.population[self.population["year"] == year].merge(
            dec, left_on="area_code", right_on="lsoa_code"
        )
        pop = p.groupby("decile")["population"].sum().rename("population")
        out = pop.reset_index().merge(counts.rename("count").reset_index(), on="decile", how="left")
        out["count"] = out["count"].fillna(0).astype("int64")
        out = out[["decile", "count", "population"]].sort_values("decile", ignore_index=True)
        denom = out["population"].astype("float64") * self.months_covered(f) / 12
        out["rate"] = (out["count"] / denom * 1000).where(denom > 0)
        return out

    def geojson(self, level: str) -> dict | str:
        """As the app does: maps reference the boundaries by a URL the browser caches (served
        at /geojson/<level>.json) rather than carrying them in every response."""
        return f"/geojson/{level}.json" if level in self.boundaries else {}

    # -- the pages (the same outputs, in the same order, as dashboard/callbacks) -------------

    def request(self, query: str) -> PageRequest:
        from dashboard.filters import parse_filters
        from svcore.definitions import load_definition
        from svcore.disclosure import rule_for

        filters = parse_filters(query, default_definition=self.settings.definition)
        return PageRequest(
            settings=self.settings,
            filters=filters,
            rule=rule_for(self.settings, filters.source),
            definition=load_definition(filters.definition),
            names=self.names,
        )

    def overview(self, query: str, **_) -> tuple:
        from dash import html

        from dashboard.components import table
        from dashboard.figures.trend import trend_figure
        from svcore.disclosure import SUPPRESSED, rule_for, suppress_counts
        from svcore.vocab import SOURCES

        req = self.request(query)
        f = req.filters
        head = self.headline(f, req.rule)
        monthly = self.count(f, ["month"] if f.source else ["source", "month"])
        fig, alt = with_alt(
            trend_figure(
                suppress_counts(monthly, req.rule), req.context("Serious violence by month")
            )
        )
        number = head["count"]
        facts = []
        if head["rate"] is not None:
            facts.append(f"{head['rate']:,.1f} per 1,000 residents a year")
        if head["change"] is not None:
            facts.append(
                f"{head['change']:+.0%} on the previous 12 months ({head['last12']:,} "
                f"in the 12 months to {head['last_month']})"
            )
        block = html.Div(
            [
                html.Div(
                    [
                        html.Span(
                            f"{number:,}" if number != SUPPRESSED else SUPPRESSED,
                            className="headline-number",
                        ),
                        html.Span(
                            " serious-violence events, " + f.describe(req.names),
                            className="headline-label",
                        ),
                    ]
                ),
                html.Ul([html.Li(x) for x in facts]),
            ]
        )
        rows = []
        for source in SOURCES:
            rule = rule_for(self.settings, source)
            m = self.count(f.with_(source=source), ["month"])
            raw = int(m["count"].sum()) if len(m) else 0
            recent, before, _ = _last_two_years(m)
            change = (
                recent / before - 1
                if before is not None and min(recent, before) >= rule.min_events_for_rate
                else None
            )
            shown = suppress_counts(pd.DataFrame({"count": [raw]}), rule)["count"].iloc[0]
            rows.append({"source": SOURCES.get(source, source), "count": shown, "change": change})
        sources = table(
            pd.DataFrame(rows),
            [
                ("source", "Source"),
                ("count", "Events in period"),
                ("change", "Change on previous year"),
            ],
            caption="Serious violence by partner source for the filters (sources are not additive)",
            formats={"count": ",", "change": "+.0%"},
        )
        p = self.parts[self.parts["active"] & (self.parts["table_name"] != "quarantine")]
        feeds = (
            p.merge(self.loads[["load_id", "finished_at"]], on="load_id")
            .groupby("table_name")
            .agg(
                rows=("rows", "sum"),
                first_period=("period_key", "min"),
                last_period=("period_key", "max"),
                last_load=("finished_at", "max"),
            )
            .rename_axis("feed")
            .reset_index()
        )
        loaded = table(
            feeds.assign(last_load=feeds["last_load"].astype(str).str[:16]),
            [
                ("feed", "Feed"),
                ("rows", "Rows"),
                ("first_period", "From"),
                ("last_period", "To"),
                ("last_load", "Last load"),
            ],
            caption="Feeds loaded in the warehouse",
            formats={"rows": ","},
        )
        return block, fig, alt, sources, loaded

    def where_map(self, query: str, level: str = "auto", measure: str = "rate", **_) -> tuple:
        from dashboard.components import table
        from dashboard.figures.maps import choropleth_figure
        from svcore.disclosure import suppress_counts, suppress_rates

        req = self.request(query)
        lvl = drill_level(req.filters) if level == "auto" else level
        areas = suppress_rates(
            suppress_counts(self.area_table(req.filters, lvl), req.rule), req.rule
        )
        title = f"Serious violence by {LEVEL_WORDS[lvl]}" + (
            ", rate per 1,000 residents a year" if measure == "rate" else ", events"
        )
        fig, alt = with_alt(
            choropleth_figure(areas, self.geojson(lvl), req.context(title), measure)
        )
        ranked = areas.dropna(subset=["rate"]).sort_values("rate", ascending=False).head(10)
        top = table(
            ranked,
            [
                ("area_name", LEVEL_WORDS[lvl].capitalize()),
                ("area_code", "GSS code"),
                ("count", "Events"),
                ("population", "Residents"),
                ("rate", "Rate per 1,000 a year"),
            ],
            caption=f"Top 10 {LEVEL_WORDS[lvl]}s by rate, {req.filters.describe(req.names)}",
            formats={"count": ",", "population": ",.0f", "rate": ",.1f"},
            note="Areas with fewer than 10 events have no rate and are not ranked.",
        )
        return fig, alt, top

    def where_hotspots(self, query: str, **_) -> tuple:
        from dashboard.analysis.hotspots import getis_ord
        from dashboard.components import table
        from dashboard.figures.maps import hotspot_figure
        from svcore.disclosure import suppress_counts

        req = self.request(query)
        areas = self.area_table(req.filters, "lsoa")
        c = self.centroids
        cents = c[(c["level"] == "lsoa") & c["area_code"].isin(areas["area_code"])]
        cents = cents[["area_code", "lon", "lat"]].sort_values("area_code")
        stats = getis_ord(areas.merge(cents, on="area_code"), value="rate")
        fig, alt = with_alt(
            hotspot_figure(
                stats, self.geojson("lsoa"), req.context("Hotspots of serious violence (Gi*)")
            )
        )
        hot = (
            stats[stats["hotspot"].str.startswith("Hot")]
            .sort_values("gi_z", ascending=False)
            .head(15)
        )
        listing = table(
            suppress_counts(hot, req.rule),
            [
                ("area_name", "LSOA"),
                ("area_code", "GSS code"),
                ("hotspot", "Class"),
                ("gi_z", "Gi* z-score"),
                ("gi_p", "p (999 permutations)"),
                ("count", "Events"),
            ],
            caption="The strongest hot spots",
            formats={"gi_z": ".2f", "gi_p": ".3f", "count": ","},
        )
        return fig, alt, listing

    def where_gap(self, query: str, level: str = "auto", **_) -> tuple:
        from dashboard.components import table
        from dashboard.figures.bars import grouped_bars_figure
        from svcore.disclosure import SUPPRESSED, suppress_counts

        req = self.request(query)
        f = req.filters
        lvl = drill_level(f) if level == "auto" else level
        lvl = "ward" if lvl == "lsoa" else lvl
        areas = self.areas_in_scope(f, lvl)[["area_code", "area_name"]]
        health = self.count(f.with_(source="health", group=None), [lvl])
        group = GAP_POLICE_GROUP if GAP_POLICE_GROUP in req.definition.group_keys() else None
        police = self.count(f.with_(source="police", group=group), [lvl])
        gap = areas.merge(
            health[[lvl, "count"]].rename(columns={lvl: "area_code", "count": "health"}),
            on="area_code",
            how="left",
        ).merge(
            police[[lvl, "count"]].rename(columns={lvl: "area_code", "count": "police"}),
            on="area_code",
            how="left",
        )
        gap[["health", "police"]] = gap[["health", "police"]].fillna(0).astype("int64")
        rule_health, rule_police = req.rule_for("health"), req.rule_for("police")
        gap = suppress_counts(gap, rule_health, column="health")
        gap = suppress_counts(gap, rule_police, column="police")
        ok = (gap["health"] != SUPPRESSED) & (gap["police"] != SUPPRESSED)
        h = gap["health"].where(ok).astype("float64")
        p = gap["police"].where(ok).astype("float64")
        enough = (h >= rule_health.min_events_for_rate) & (p >= rule_police.min_events_for_rate)
        gap["per_100"] = (h / p * 100).where(enough)
        long = gap.melt(
            id_vars=["area_code", "area_name"],
            value_vars=["police", "health"],
            var_name="source",
            value_name="count",
        ).rename(columns={"area_name": "area"})
        ctx = req.context(
            "A&E assault attendances and police-recorded violence with injury, by "
            f"{LEVEL_WORDS[lvl]}",
            source=None,
            note="A&E: all assault attendances; police: violence with injury.",
        )
        fig, alt = with_alt(grouped_bars_figure(long, "area", "source", ctx))
        listing = table(
            gap.sort_values("per_100", ascending=False, na_position="last"),
            [
                ("area_name", LEVEL_WORDS[lvl].capitalize()),
                ("health", "A&E assault attendances"),
                ("police", "Police violence with injury"),
                ("per_100", "A&E per 100 police records"),
            ],
            caption="Where violence reaches hospitals but not police records",
            formats={"per_100": ",.0f", "health": ",", "police": ","},
        )
        return fig, alt, listing

    def when(self, query: str, **_) -> tuple:
        from dashboard.figures.heatmap import hour_weekday_figure
        from dashboard.figures.trend import seasonality_figure, trend_figure
        from svcore.disclosure import suppress_counts

        req = self.request(query)
        f = req.filters
        hw = self.count(f, ["weekday", "hour"]).dropna(subset=["weekday", "hour"])
        hw = hw.reset_index(drop=True)
        share, total = nte_share(hw)
        if total >= req.rule.min_events_for_rate:
            nte = (
                f"{share:.0%} of the events with a recorded time shown in the heatmap happened "
                "in the night-time economy window (Friday and Saturday, 20:00 to 03:59), which "
                f"is {16 / 168:.0%} of the week's hours."
            )
        else:
            nte = (
                "Too few events with a recorded time, or night-time cells hidden, to give the "
                "night-time economy share."
            )
        heat, heat_alt = with_alt(
            hour_weekday_figure(
                suppress_counts(hw, req.rule),
                req.context("Serious violence by hour and day of week"),
            )
        )
        trend_frame = suppress_counts(
            self.count(f, ["month"] if f.source else ["source", "month"]), req.rule
        )
        trend, trend_alt = with_alt(
            trend_figure(trend_frame, req.context("Serious violence by month"))
        )
        season, season_alt = with_alt(
            seasonality_figure(
                trend_frame if f.source else trend_frame.iloc[0:0],
                req.context("Seasonality: average events in each calendar month"),
            )
        )
        parts = []
        for source in ("police", "health"):
            part = self.count(f.with_(source=source), ["month"])
            parts.append(suppress_counts(part, req.rule_for(source)).assign(source=source))
        compare, compare_alt = with_alt(
            trend_figure(
                pd.concat(parts, ignore_index=True)[["source", "month", "count"]],
                req.context(
                    "Police-recorded and A&E-recorded serious violence by month", source=None
                ),
                rolling=False,
            )
        )
        return heat, heat_alt, nte, trend, trend_alt, season, season_alt, compare, compare_alt

    def how(self, query: str, **_) -> tuple:
        from dashboard.figures.bars import breakdown_figure
        from svcore.disclosure import suppress_counts

        req = self.request(query)
        out: list = []
        for dimension, title, override in HOW_CHARTS:
            f = req.filters.with_(source=override) if override else req.filters
            rule = req.rule_for(f.source)
            frame = suppress_counts(self.count(f, [dimension]), rule)
            is_group = dimension == "offence_group"
            labels = {g.key: g.label for g in req.definition.groups} if is_group else None
            ctx = req.context(
                title,
                source=f.source,
                note="An event can fall in several groups." if is_group else "",
            )
            out += with_alt(
                breakdown_figure(
                    frame,
                    dimension,
                    ctx,
                    labels=labels,
                    min_events_for_share=rule.min_events_for_rate,
                )
            )
        return tuple(out)

    def who(self, query: str, **_) -> tuple:
        from dashboard.figures.bars import breakdown_figure
        from dashboard.figures.pyramid import pyramid_figure
        from svcore.disclosure import suppress_counts

        req = self.request(query)
        f = req.filters
        people = {"police": "Victims", "health": "Patients"}.get(f.source or "", "People")
        victims = self.count(f, ["sex", "age_band"]).dropna(subset=["age_band"])
        suspects = self.count(f.with_(source="police"), ["suspect_sex", "suspect_age_band"])
        suspects = suspects.dropna(subset=["suspect_age_band"]).reset_index(drop=True)
        figs = [
            pyramid_figure(
                suppress_counts(victims, req.rule), req.context(f"{people} by age and sex")
            ),
            pyramid_figure(
                suppress_counts(suspects, req.rule_for("police")),
                req.context("Police-recorded suspects by age and sex", source="police"),
                sex="suspect_sex",
                band="suspect_age_band",
            ),
            breakdown_figure(
                suppress_counts(self.count(f, ["ethnicity"]), req.rule),
                "ethnicity",
                req.context(
                    f"{people} by ethnicity",
                    note=(
                        "Population by ethnicity is not loaded, so shares are of people "
                        "with a record, not rates."
                    ),
                ),
                min_events_for_share=req.rule.min_events_for_rate,
            ),
        ]
        for src, by, title in (
            ("probation", "rosh_level", "Probation caseload by risk of serious harm"),
            ("probation", "index_offence_group", "Probation caseload by index offence"),
            ("youth_justice", "age", "Youth justice: children with proven offences by age"),
        ):
            rule = req.rule_for(src)
            figs.append(
                breakdown_figure(
                    suppress_counts(self.count(f.with_(source=src), [by], people=True), rule),
                    by,
                    req.context(title, source=src, note="People counted once."),
                    min_events_for_share=rule.min_events_for_rate,
                    unit="People",
                    ordered=by in ("rosh_level", "age"),
                )
            )
        yj = f.with_(source="youth_justice")
        d = self.by_source["youth_justice"]
        keys = d.loc[self.mask(d, yj), "person_key"].dropna()
        times = keys.value_counts()
        bucket = np.where(times >= 3, "3 or more", times.astype(str))
        repeat = pd.Series(bucket).value_counts().rename_axis("times").rename("count")
        repeat = repeat.reset_index().sort_values("times", ignore_index=True)
        rule = req.rule_for("youth_justice")
        figs.append(
            breakdown_figure(
                suppress_counts(repeat, rule),
                "times",
                req.context(
                    "Youth justice: proven offences per child in the period", source="youth_justice"
                ),
                labels={"1": "1 offence", "2": "2 offences", "3 or more": "3 or more offences"},
                min_events_for_share=rule.min_events_for_rate,
                unit="Children",
                ordered=True,
            )
        )
        out: list = []
        for fig in figs:
            out += with_alt(fig)
        return tuple(out)

    def _factor_frame(self, req, choice: str, cache: dict) -> tuple[pd.DataFrame, str, str]:

        kind, _, key = choice.partition(":")
        cat = self.indicator_catalogue().set_index("indicator_code")
        if kind == "ind" and key not in cat.index:
            kind, key = "imd", "imd"
        if kind == "ind":
            level = str(cat.loc[key, "level"])
            label = str(cat.loc[key, "indicator_name"])
            values = self.indicator_values(req.filters, key).rename(columns={"value": "factor"})
        else:
            key = key if key in IMD_DOMAINS else "imd"
            if "imd" not in cache:
                cache["imd"] = self.imd_scores(req.filters)
            scores = cache["imd"][cache["imd"]["domain"] == key]
            kind_word = (
                "score" if scores["is_score"].all() else "national percentile, 100 = most deprived"
            )
            level, label = "lsoa", f"IMD 2019 {IMD_DOMAINS[key].lower()} ({kind_word})"
            values = scores[["area_code", "score"]].rename(columns={"score": "factor"})
        if level not in cache:
            cache[level] = self.area_table(req.filters, level)
        frame = cache[level].merge(values[["area_code", "factor"]], on="area_code", how="inner")
        return frame, label, level

    def factors(self, query: str, choice: str = "imd:imd", **_) -> tuple:
        from dashboard.analysis.stats import correlate
        from dashboard.components import table
        from dashboard.figures.bars import rate_bars_figure
        from dashboard.figures.scatter import factor_scatter_figure
        from svcore.disclosure import suppress_counts, suppress_rates

        req = self.request(query)
        options = [
            {"label": f"IMD 2019: {name}", "value": f"imd:{key}"}
            for key, name in IMD_DOMAINS.items()
        ]
        for r in self.indicator_catalogue().itertuples():
            options.append(
                {"label": f"{r.indicator_name} ({r.level})", "value": f"ind:{r.indicator_code}"}
            )
        cache: dict = {}
        frame, label, level = self._factor_frame(req, choice or "imd:imd", cache)
        corr = correlate(frame["factor"], frame["rate"])
        shown = suppress_rates(suppress_counts(frame, req.rule), req.rule)
        ctx = req.context(
            f"Violence rate against {label}",
            note=(
                f"Each point is an area ({level}); areas with fewer than "
                f"{req.rule.min_events_for_rate} events are not drawn but are in the correlation."
            ),
        )
        scatter, scatter_alt = with_alt(
            factor_scatter_figure(
                shown, corr, ctx, x_title=label, y_title="Rate per 1,000 residents a year"
            )
        )
        rows = []
        for opt in options:
            f2, lab, lvl = self._factor_frame(req, opt["value"], cache)
            c = correlate(f2["factor"], f2["rate"])
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
        ranked = pd.DataFrame(rows)
        ranked = ranked.reindex(ranked["r"].abs().sort_values(ascending=False).index)
        ranked_table = table(
            ranked,
            [
                ("factor", "Factor"),
                ("level", "Areas"),
                ("n", "n"),
                ("r", "Pearson r"),
                ("low", "95% CI low"),
                ("high", "95% CI high"),
                ("rho", "Spearman rho"),
            ],
            caption="Area factors ranked by the strength of their correlation with the violence "
            "rate",
            formats={"r": ".2f", "low": ".2f", "high": ".2f", "rho": ".2f"},
            note="Correlations across areas (ecological): they describe places, not "
            "individuals. District-level indicators rest on very few areas; read their "
            "intervals.",
        )
        deciles = suppress_rates(
            suppress_counts(self.decile_profile(req.filters), req.rule), req.rule
        )
        decile_fig, decile_alt = with_alt(
            rate_bars_figure(
                deciles,
                "decile",
                req.context("Violence rate by deprivation decile (IMD 2019, 1 = most deprived)"),
                x_title="Decile",
            )
        )
        return options, scatter, scatter_alt, ranked_table, decile_fig, decile_alt

    def quality(self, query: str, **_) -> tuple:
        from dashboard.components import table
        from dashboard.figures.coverage import coverage_figure
        from svcore.disclosure import suppress_counts
        from svcore.vocab import SOURCES

        req = self.request(query)
        parts = self.parts
        live = parts[parts["active"] & parts["table_name"].isin(list(SOURCES))]
        cov = live.groupby(["table_name", "period_key"], sort=True)["rows"].sum().reset_index()
        cov = cov.rename(columns={"table_name": "feed", "period_key": "month"})
        cov = suppress_counts(cov, req.rule_for(None), column="rows")
        fig, alt = with_alt(
            coverage_figure(cov, req.context("Rows loaded per feed and month", source=None))
        )
        rows = []
        for source in SOURCES:
            d = self.by_source[source]
            sex = d["sex"]
            rows.append(
                {
                    "feed": source,
                    "rows": len(d),
                    "lsoa": int(d["lsoa_code"].notna().sum()),
                    "time_of_day": int(d["hour"].notna().sum()),
                    "age": int(d["age"].notna().sum()),
                    "sex": int((sex.notna() & (sex != "unknown")).sum()),
                }
            )
        comp = pd.DataFrame(rows)
        for field, _ in QUALITY_FIELDS:
            share = comp[field] / comp["rows"].where(comp["rows"] > 0)
            comp[field] = [
                "not in this feed" if n == 0 else f"{s:.1%}"
                for n, s in zip(comp[field], share, strict=True)
            ]
        comp["feed"] = comp["feed"].map(lambda s: SOURCES.get(s, s))
        completeness_table = table(
            comp,
            [("feed", "Feed"), ("rows", "Rows"), *QUALITY_FIELDS],
            caption="Share of live rows with each key field recorded",
            formats={"rows": ","},
        )
        per = (
            parts[parts["table_name"].isin(list(SOURCES))]
            .merge(self.loads[["load_id", "finished_at"]], on="load_id")
            .groupby(["table_name", "period_key"])["finished_at"]
            .min()
            .reset_index()
        )
        month_end = pd.to_datetime(per["period_key"], format="%Y-%m") + pd.offsets.MonthEnd(0)
        per["days"] = (per["finished_at"].dt.normalize() - month_end).dt.days
        tl = per.groupby("table_name").agg(
            latest_month=("period_key", "max"),
            last_load=("finished_at", "max"),
            median_days_to_load=("days", "median"),
        )
        tl = tl.rename_axis("feed").reset_index()
        tl["feed"] = tl["feed"].map(lambda s: SOURCES.get(s, s))
        tl["last_load"] = tl["last_load"].astype(str).str[:16]
        timeliness_table = table(
            tl,
            [
                ("feed", "Feed"),
                ("latest_month", "Latest month held"),
                ("last_load", "Last load"),
                ("median_days_to_load", "Median days from month end to load"),
            ],
            caption="How fresh each feed is",
            formats={"median_days_to_load": ",.0f"},
        )
        q = self.quarantine.assign(reason=self.quarantine["reason"].str.split(": ").str[0])
        reasons = q.groupby(["feed", "column_name", "reason"]).agg(
            rows=("line", "size"),
            files=("file_name", "nunique"),
            example_file=("file_name", "min"),
            example_line=("line", "min"),
        )
        reasons = reasons.reset_index().sort_values("rows", ascending=False)
        reasons_table = table(
            reasons,
            [
                ("feed", "Feed"),
                ("column_name", "Column"),
                ("reason", "Reason"),
                ("rows", "Rows"),
                ("files", "Files"),
                ("example_file", "Example file"),
                ("example_line", "Line"),
            ],
            caption="Quarantined rows by reason (bad values are not shown: they may be personal "
            "data)",
            formats={"rows": ",", "files": ","},
        )
        hist = self.loads.sort_values("load_id", ascending=False).head(50).copy()
        hist["finished_at"] = hist["finished_at"].astype(str).str[:16]
        history = table(
            hist,
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
                ("message", "Message"),
            ],
            caption="The latest 50 loads, newest first (svdash status lists them all)",
            formats={
                c: ","
                for c in (
                    "rows_read",
                    "rows_loaded",
                    "rows_quarantined",
                    "rows_out_of_area",
                    "rows_excluded",
                )
            },
        )
        return fig, alt, completeness_table, timeliness_table, reasons_table, history


def pandas_wsgi(warehouse: str):
    """The baseline's Flask app: POST /page/<name> with {query, level, measure, choice}."""
    from flask import Flask, Response, request
    from plotly.io.json import to_json_plotly

    base = PandasBaseline(Path(warehouse))
    app = Flask("pandas-baseline")

    @app.get("/")
    def index():
        return "ok"

    @app.get("/geojson/<level>.json")
    def geojson(level: str):
        return Response(json.dumps(base.boundaries.get(level, {})), mimetype="application/json")

    @app.post("/page/<name>")
    def page(name: str):
        if name not in PAGES:
            return Response("unknown page", status=404)
        body = request.get_json()
        out = getattr(base, name)(**body)
        return Response(to_json_plotly({"response": list(out)}), mimetype="application/json")

    return app


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Serve the plain-pandas baseline (Flask, threaded).")
    ap.add_argument("warehouse")
    ap.add_argument("--port", type=int, required=True)
    args = ap.parse_args(argv)
    pandas_wsgi(args.warehouse).run(host="127.0.0.1", port=args.port, threaded=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
