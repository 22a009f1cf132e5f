"""A request for charts: who asks, with which filters, against which snapshot.

The screen (a callback), ``svdash export chart`` and the report pack all build one of these and
then ask the chart catalogue for charts, so a chart is the same wherever it appears.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import duckdb

from dashboard.auth import Viewer
from dashboard.data import WarehouseSource
from dashboard.figures import Context
from dashboard.filters import Filters
from dashboard.queries.overview import area_names
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

    def with_filters(self, filters: Filters, note: str = "") -> Request:
        """The same viewer and tier with other filters (a view's own source, a window)."""
        return replace(self, filters=filters, rule=rule_for(self.settings, filters.source, self.tier),
                       note=note or self.note, views={})

    def context(self, title: str, source: object = SAME_SOURCE, note: str = "") -> Context:
        """A chart's title block: period, definition, source line and the suppression rule."""
        src = self.filters.source if source is SAME_SOURCE else source
        line = SOURCES.get(src, "all partner feeds") if src else "all partner feeds"
        rule = rule_for(self.settings, src, self.tier)
        group = self.definition.group(self.filters.group).label if self.filters.group else None
        return Context(
            title=title,
            period=self.filters.with_(source=src).describe(self.names),
            definition=self.definition.title + (f": {group}" if group else ""),
            source_line=line,
            note=" ".join(x for x in (note, self.note, rule.note()) if x),
        )

    def q(self, query: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a query-layer function, or reuse its result for the same arguments on the same
        snapshot (analysts flick between the same few views; a load clears it)."""
        key = (query.__module__, query.__qualname__, args, tuple(sorted(kwargs.items())))
        return self.source.memo(key, lambda: query(self.con, *args, **kwargs))

    def rule_for(self, source: str | None) -> Rule:
        return rule_for(self.settings, source, self.tier)

    def memo(self, key: tuple, compute: Callable[[], T]) -> T:
        """Memoise a view-level result per snapshot: keyed by the tier too, since what a
        statistic may be computed from depends on it."""
        return self.source.memo((*key, self.tier), compute)


def make_request(source: WarehouseSource, filters: Filters, viewer: Viewer,
                 tier: str | None = None) -> Request:
    """The viewer's scope goes into the filters, so every query is limited by it; the tier is
    the viewer's role's (``[disclosure.tiers]``) unless a caller names one (the report pack
    uses ``publication``; the command line's ``--tier``)."""
    settings = source.settings()
    filters = filters.with_(scope=viewer.scope)
    tier = tier or tier_for(settings, viewer.role)
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
    )
