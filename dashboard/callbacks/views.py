"""Every view on screen is wired here, generated from the catalogue's specs.

One callback per view: its component id is its catalogue name, its inputs are the filters
store and the page's controls that the view takes as options (``dashboard.controls``), its
outputs are what its kind renders (a chart's figure and text alternative; a table; a sentence;
the headline cards). A new view on a page needs its spec and a place in the page's layout;
nothing here. The browser asks for a page's views at once, so each appears when it is ready.
"""

from __future__ import annotations

from dash import Input, Output

from dashboard import ids
from dashboard.callbacks.common import request
from dashboard.charts.catalogue import CHARTS, Spec, build
from dashboard.charts.factors import factor_options
from dashboard.charts.request import Request
from dashboard.components import headline_cards, table
from dashboard.controls import Control, controls_of
from dashboard.data import WarehouseSource


def outputs_of(spec: Spec) -> list[Output]:
    if spec.kind == "chart":
        return [Output(spec.name, "figure"), Output(ids.alt(spec.name), "children")]
    return [Output(spec.name, "children")]


def controls_for(spec: Spec) -> tuple[Control, ...]:
    """The page's controls this view takes as options, in the page's order."""
    return tuple(c for c in controls_of(spec.page) if c.key in spec.options)


def view_outputs(source: WarehouseSource, name: str, query: str | None, *values: object) -> tuple:
    """What one view's callback returns, for the signed-in viewer (also what tests call)."""
    spec = CHARTS[name]
    req = request(source, query, page=spec.page)
    options = {}
    for control, value in zip(controls_for(spec), values, strict=True):
        clean = control.clean(value)
        if control.key == "factor" and clean not in {o["value"] for o in factor_options(req)}:
            clean = control.default
        options[control.key] = clean
    return rendered(req, spec, options)


def rendered(req: Request, spec: Spec, options: dict[str, str]) -> tuple:
    """A view's callback output, built once per snapshot for the same filters (the viewer's
    scope and click filters included), options and disclosure tier, and then served from the
    shared cache (``dashboard.cache``) to every worker and instance. The output is a function
    of exactly those: what a role may open is checked before (``request``), and the record of
    who asked is written for every response, cached or not."""
    return req.source.memo(output_key(req, spec, options), lambda: render(req, spec, options))


def output_key(req: Request, spec: Spec, options: dict[str, str]) -> tuple:
    return (
        "view-output",
        spec.name,
        tuple(sorted(options.items())),
        req.filters,
        req.tier,
        req.note,
    )


def render(req: Request, spec: Spec, options: dict[str, str]) -> tuple:
    view = build(spec.name, req, **options)
    if spec.kind == "chart":
        return view.figure, view.alt
    if spec.kind == "table":
        return (table(view.data, name=view.name, **view.meta["table"]),)
    if spec.kind == "headline":
        return (headline_cards(view.meta),)
    return (view.text,)


def register(app, source: WarehouseSource) -> None:
    for spec in CHARTS.values():
        if spec.screen:
            _register_view(app, source, spec)

    @app.callback(Output(ids.FACTORS_CHOICE, "options"), Input(ids.FILTERS, "data"))
    def factor_choices(query):
        """IMD domains and every loaded indicator (the layout knows only the domains)."""
        return factor_options(request(source, query, page="/factors"))


def _register_view(app, source: WarehouseSource, spec: Spec) -> None:
    inputs = [Input(ids.FILTERS, "data")] + [Input(c.id, "value") for c in controls_for(spec)]
    outputs = outputs_of(spec)

    def update(query, *values):
        out = view_outputs(source, spec.name, query, *values)
        return out if len(outputs) > 1 else out[0]

    update.__name__ = f"update_{spec.name.replace('-', '_')}"
    app.callback(*outputs, *inputs)(update)
