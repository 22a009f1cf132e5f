"""A request for charts: who asks, with which filters, against which snapshot.

The screen (a callback), ``svdash export chart`` and the report pack all build one of these and
then ask the chart catalogue for charts, so a chart is the same wherever it appears.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import duckdb
import pandas as pd

from dashboard.auth import Viewer
from dashboard.data import WarehouseSource
from dashboard.figures import Context
from dashboard.filters import PERSONS, Filters
from dashboard.queries.areas import (
    LEVELS,
    areas_in_scope,
    join_area_table,
    months_covered,
    period_only,
    place_only,
    population_by_area,
    population_year,
    year_end_only,
)
from dashboard.queries.counts import count_table
from dashboard.queries.overview import area_names
from dashboard.queries.scope import ONE_PERSON_SOURCES, who_not_applied
from svcore.config import Settings
from svcore.definitions import Definition, load_definition
from svcore.disclosure import Rule, rule_for, tier_for
from svcore.vocab import SOURCES

T = TypeVar("T")
SAME_SOURCE = object()  # "use the filters' source" (None already means every source)


@dataclass
class Request:
    settings: Settings
    filters: Filters
    con: duckdb.DuckDBPyConnection
    rule: Rule
    definition: Definition
    names: dict[str, str]
    source: WarehouseSource
    viewer: Viewer
    tier: str = "exact"  # the disclosure method every number of this request is published by
    note: str = ""  # added to every chart's note (e.g. which source stands in for "all")
    views: dict = field(default_factory=dict)  # views built for this request, by name/options
    title: str = ""  # the title of the view being built (``build`` sets it from the spec)

    def with_filters(self, filters: Filters, note: str = "") -> Request:
        """The same viewer and tier with other filters (a view's own source, a window)."""
        return replace(
            self,
            filters=filters,
            rule=rule_for(self.settings, filters.source, self.tier),
            note=note or self.note,
            views={},
        )

    def context(
        self, title: str | None = None, source: object = SAME_SOURCE, note: str = ""
    ) -> Context:
        """A chart's title block: period, definition, source line and the suppression rule.
        The title is the view's own (its spec's) unless the view words it for the data."""
        title = self.title if title is None else title
        src = self.filters.source if source is SAME_SOURCE else source
        line = SOURCES.get(src, "all partner feeds") if src else "all partner feeds"
        rule = rule_for(self.settings, src, self.tier)
        group = self.definition.group(self.filters.group).label if self.filters.group else None
        return Context(
            title=title,
            period=self.filters.with_(source=src).describe(self.names),
            definition=self.definition.title + (f": {group}" if group else ""),
            source_line=line,
            note=" ".join(x for x in (note, self.note, self.who_note(src), rule.note()) if x),
        )

    def who_note(self, source: str | None) -> str:
        """What the "who" filters did to a view of ``source`` (None: every source)."""
        return who_note(self.filters, (source,) if source else tuple(SOURCES))

    @property
    def year_mode(self) -> str:
        """ "fy" (April to March) or "calendar": the filters' ``year=``, else the setting."""
        return self.filters.year or self.settings.year

    def q(self, query: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a query-layer function, or reuse its result for the same arguments on the same
        snapshot (analysts flick between the same few views; a load clears it)."""
        key = (query.__module__, query.__qualname__, args, tuple(sorted(kwargs.items())))
        return self.source.memo(key, lambda: query(self.con, *args, **kwargs))

    def area_table(self, level: str) -> pd.DataFrame:
        """``queries.areas.area_table`` (raw counts, residents and person-years per area),
        built from parts memoised apart: the areas and residents of a place are shared by
        every period and offence group asked of it, and only the counts are queried anew.
        Not memoised itself: its one caller, ``catalogue.published_areas``, memoises what it
        publishes from it."""
        if level not in LEVELS:
            raise ValueError(f"unknown level {level!r}")
        f = self.filters
        place = place_only(f)
        year = self.q(population_year, year_end_only(f))
        return join_area_table(
            self.q(areas_in_scope, place, level),
            self.q(count_table, f, [level]),
            # Residents of every area of the level (public ONS figures, whatever the place):
            # one lookup per level and year, which the left join above narrows to the place.
            self.q(population_by_area, Filters(), level, year),
            self.q(months_covered, period_only(f)),
            level,
        )

    def rule_for(self, source: str | None) -> Rule:
        return rule_for(self.settings, source, self.tier)

    def disclosure_key(self) -> tuple:
        """What a published number depends on beyond the filters: the tier and the
        disclosure settings (an edited ``svdash.toml`` publishes afresh)."""
        return (
            self.tier,
            self.settings.suppress_below,
            tuple(sorted(self.settings.suppress_below_by_source.items())),
            self.settings.min_events_for_rate,
            self.settings.rounding,
            tuple(sorted(self.settings.tiers.items())),
        )

    def memo(self, key: tuple, compute: Callable[[], T]) -> T:
        """Memoise a view-level result per snapshot: keyed by the tier and the disclosure
        settings too, since what a statistic may be computed from depends on them."""
        return self.source.memo((*key, *self.disclosure_key()), compute)


RESTRICTED_NOTE = (
    "On this disclosure tier a view covers one area (a district or a ward) and a "
    "month, a calendar quarter, a financial year or whole calendar years, without the "
    "filters set by clicking a chart (weapon, location, day, hour) or the who filters "
    "(age, sex, ethnicity)."
)
WHO_WORDS = {"age": "age", "sex": "sex", "ethnicity": "ethnicity"}


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def who_note(filters: Filters, sources: tuple[str, ...]) -> str:
    """Says which "who" filters a view's sources could not apply (a source that does not
    record the field counts every person), and whom they describe in the cohort feeds."""
    if not filters.has_who():
        return ""
    person = PERSONS[filters.person].lower()
    parts = []
    for source in sources:
        missing = who_not_applied(filters, source)
        if missing:
            fields = _and([WHO_WORDS[k] for k in missing])
            verb = "does" if len(missing) == 1 else "do"
            parts.append(
                f"{SOURCES[source]}: no {person}'s {fields} is recorded, so the {fields} "
                f"filter {verb} not apply (every {person} is counted)."
            )
    cohort = [SOURCES[s] for s in sources if s in ONE_PERSON_SOURCES]
    if cohort:
        parts.append(
            f"{_and(cohort)} record one person (the person supervised, the child): the who "
            "filters describe them."
        )
    return " ".join(parts)


def _window(date_from: str | None, date_to: str | None) -> tuple[str | None, str | None]:
    """The nearest window a perturbed tier may show: a month, a calendar quarter, a financial
    year (April to March), whole calendar years, or every month held. Anything else widens
    to the whole calendar years it touches.

    Why: a hidden cell differenced along many routes (Jan..Oct minus Jan..Sep, Feb..Oct minus
    Feb..Sep, ...) lets an attacker average the perturbation away. With fixed windows the
    routes to a month are few (its quarter, its year, its financial year, less the other
    months, each adding their own noise), and none pins it."""
    if not date_from and not date_to:
        return None, None
    if not date_from or not date_to:
        year = (date_from or date_to)[:4]
        return (f"{year}-01", None) if date_from else (None, f"{year}-12")
    fy, fm, ty, tm = int(date_from[:4]), int(date_from[5:]), int(date_to[:4]), int(date_to[5:])
    if (fy, fm) == (ty, tm):
        return date_from, date_to
    if fy == ty and fm in (1, 4, 7, 10) and tm == fm + 2:
        return date_from, date_to
    if fm == 4 and tm == 3 and ty == fy + 1:
        return date_from, date_to
    return f"{min(fy, ty)}-01", f"{max(fy, ty)}-12"


def restrict(filters: Filters) -> Filters:
    """Filters a perturbed tier may ask for: one district or one ward, a fixed window (see
    ``_window``), no click filters and no who filters. Unions of areas are refused the same way: each added area is another
    independent route to the same hidden cell."""
    date_from, date_to = _window(filters.date_from, filters.date_to)
    # The click filters cut the same cells along yet more routes: analysts only.
    return filters.with_(
        districts=filters.districts[:1],
        wards=filters.wards[:1],
        date_from=date_from,
        date_to=date_to,
        weapon=None,
        location=None,
        weekday=None,
        hour=None,
        # The who filters cut every cell by a person's age, sex and ethnicity: analysts only.
        person="victim",
        age=None,
        sex=None,
        ethnicity=None,
    )


def make_request(
    source: WarehouseSource,
    filters: Filters,
    viewer: Viewer,
    tier: str | None = None,
    restricted: bool | None = None,
) -> Request:
    """The viewer's scope goes into the filters, so every query is limited by it; the tier is
    the viewer's role's (``[disclosure.tiers]``) unless a caller names one (the report pack
    uses ``publication``; the command line's ``--tier``).

    On any tier but ``exact`` the filters are ``restrict``-ed (one area, a fixed window) unless
    the caller says otherwise (the report pack: calendar years, the districts it was asked for).
    """
    settings = source.settings()
    filters = filters.with_(scope=viewer.scope)
    tier = tier or tier_for(settings, viewer.role)
    note = ""
    if tier != "exact" if restricted is None else restricted:
        narrowed = restrict(filters)
        if narrowed != filters:
            filters, note = narrowed, RESTRICTED_NOTE
    return Request(
        settings=settings,
        filters=filters,
        con=source.connection(),
        rule=rule_for(settings, filters.source, tier),
        definition=load_definition(filters.definition),
        names=source.memo(("area_names",), lambda: area_names(source.connection())),
        source=source,
        viewer=viewer,
        tier=tier,
        note=note,
    )
