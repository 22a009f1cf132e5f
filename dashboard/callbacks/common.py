"""What every page callback starts from: the filters, a connection, the rule, a chart context."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import duckdb
import plotly.graph_objects as go
from dash.exceptions import PreventUpdate

from dashboard.auth import Viewer, current_viewer
from dashboard.data import WarehouseSource
from dashboard.figures import Context, alt_text
from dashboard.filters import Filters, parse_filters
from dashboard.queries.overview import area_names
from svcore.config import Settings
from svcore.definitions import Definition, load_definition
from svcore.disclosure import Rule, rule_for
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

    def context(self, title: str, source: object = SAME_SOURCE, note: str = "") -> Context:
        """A chart's title block: period, definition, source line and the suppression rule."""
        src = self.filters.source if source is SAME_SOURCE else source
        line = SOURCES.get(src, "all partner feeds") if src else "all partner feeds"
        rule = rule_for(self.settings, src)
        group = self.definition.group(self.filters.group).label if self.filters.group else None
        return Context(
            title=title,
            period=self.filters.with_(source=src).describe(self.names),
            definition=self.definition.title + (f": {group}" if group else ""),
            source_line=line,
            note=" ".join(x for x in (note, rule.note()) if x),
        )

    def q(self, query: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a query-layer function, or reuse its result for the same arguments on the same
        snapshot (analysts flick between the same few views; a load clears it)."""
        key = (query.__module__, query.__qualname__, args, tuple(sorted(kwargs.items())))
        return self.source.memo(key, lambda: query(self.con, *args, **kwargs))

    def rule_for(self, source: str | None) -> Rule:
        return rule_for(self.settings, source)


def request(source: WarehouseSource, query: str | None, page: str = "") -> Request:
    """Parse the stored query for the signed-in viewer; ``None`` means the filter bar has not
    spoken yet. The viewer's scope goes into the filters, so every query is limited by it."""
    if query is None or not isinstance(query, str) or len(query) > 4096:
        raise PreventUpdate
    settings = source.settings()
    viewer = current_viewer(settings.demo)
    if viewer is None or (page and not viewer.may_open(page)):
        raise PreventUpdate
    filters = parse_filters(query, default_definition=settings.definition)
    filters = filters.with_(scope=viewer.scope)
    return Request(
        settings=settings,
        filters=filters,
        con=source.connection(),
        rule=rule_for(settings, filters.source),
        definition=load_definition(filters.definition),
        names=source.memo(("area_names",), lambda: area_names(source.connection())),
        source=source,
        viewer=viewer,
    )


def with_alt(fig: go.Figure) -> tuple[go.Figure, str]:
    return fig, alt_text(fig)
