"""The generated wiring: every view on screen has its component, its callback and its controls.

The page callbacks are generated from the catalogue's specs (``dashboard.callbacks.views``),
so these tests hold the contract a new view relies on: its id is its name, its page lays it
out, its callback takes the page's controls it has options for, and a bookmarked control comes
back from the URL.
"""

from __future__ import annotations

from pathlib import Path

import dash
import pytest

from dashboard.callbacks.views import controls_for
from dashboard.charts.catalogue import CHARTS
from dashboard.controls import CONTROLS, controls_of, from_query, to_query


def _ids(component) -> set[str]:
    """Every string id in a layout tree."""
    found: set[str] = set()
    stack = [component]
    while stack:
        node = stack.pop()
        if isinstance(node, (list, tuple)):
            stack.extend(node)
            continue
        if node is None or isinstance(node, (str, int, float)):
            continue
        cid = getattr(node, "id", None)
        if isinstance(cid, str):
            found.add(cid)
        stack.append(getattr(node, "children", None))
    return found


@pytest.fixture(scope="module")
def app(demo_warehouse: Path) -> dash.Dash:
    from dashboard.app import create_app

    return create_app(demo_warehouse)


def test_every_screen_view_is_laid_out_on_its_page_by_its_name(app: dash.Dash) -> None:
    layouts = {p["path"]: _ids(p["layout"]()) for p in dash.page_registry.values()}
    for spec in CHARTS.values():
        if not spec.screen:
            continue
        assert spec.name in layouts[spec.page], f"{spec.name} is not on {spec.page}"
    # And no page lays out a view that is not in the catalogue (a stale id).
    names = set(CHARTS)
    for page, found in layouts.items():
        prefixes = {"overview", "where", "when", "how", "who", "factors", "quality"}
        controls = tuple(c.id for c in CONTROLS)
        views = {
            i.removesuffix("-alt")
            for i in found
            if i.split("-")[0] in prefixes and not i.startswith(controls)
        }
        assert views - names == set(), page


def test_every_screen_view_has_one_callback_with_its_controls(app: dash.Dash) -> None:
    callbacks = app.callback_map
    for spec in CHARTS.values():
        if not spec.screen:
            continue
        key = (
            f"..{spec.name}.figure...{spec.name}-alt.children.."
            if spec.kind == "chart"
            else f"{spec.name}.children"
        )
        assert key in callbacks, spec.name
        inputs = [(i["id"], i["property"]) for i in callbacks[key]["inputs"]]
        assert inputs[0] == ("filters", "data")
        assert inputs[1:] == [(c.id, "value") for c in controls_for(spec)]


def test_controls_round_trip_through_the_url() -> None:
    assert from_query("/where", {"level": "lsoa", "measure": "count"}) == {
        "level": "lsoa",
        "measure": "count",
    }
    assert to_query("/where", {"level": "lsoa", "measure": "count"}) == "level=lsoa&measure=count"
    # Defaults stay out of the address; nonsense falls back to the default.
    assert to_query("/where", {"level": "auto", "measure": "rate"}) == ""
    assert from_query("/where", {"level": "<script>", "measure": ["rate", "count"]}) == {
        "level": "auto",
        "measure": "count",
    }
    assert from_query("/factors", {"factor": "imd:income"}) == {"factor": "imd:income"}
    assert controls_of("/how") == ()


def test_a_bookmarked_control_is_set_by_the_page_layout(app: dash.Dash) -> None:
    # The page modules as Dash loaded them (importing ``dashboard.pages.where`` would register
    # the page a second time, under another module name, for every later app in the process).
    layouts = {page["path"]: page["layout"] for page in dash.page_registry.values()}

    def value_of(component, cid: str):
        stack = [component]
        while stack:
            node = stack.pop()
            if isinstance(node, (list, tuple)):
                stack.extend(node)
            elif node is not None and not isinstance(node, (str, int, float)):
                if getattr(node, "id", None) == cid:
                    return node.value
                stack.append(getattr(node, "children", None))
        raise AssertionError(cid)

    page = layouts["/where"](level="lsoa", measure="count")
    assert value_of(page, "where-level") == "lsoa"
    assert value_of(page, "where-measure") == "count"
    assert value_of(layouts["/factors"](factor="imd:income"), "factors-choice") == "imd:income"
    assert value_of(layouts["/where"](level="nonsense"), "where-level") == "auto"


def test_a_download_is_the_view_with_the_page_controls_on_screen() -> None:
    from dashboard.callbacks.downloads import view_options

    where = {"page": "/where", "query": "level=lsoa&measure=count"}
    assert view_options("where-top", where) == {"level": "lsoa"}
    assert view_options("where-map", where) == {"level": "lsoa", "measure": "count"}
    # Another page's controls, or nonsense, give the defaults.
    assert view_options("where-map", {"page": "/how", "query": "level=lsoa"}) == {
        "level": "auto",
        "measure": "rate",
    }
    assert view_options("where-map", "level=lsoa") == {"level": "auto", "measure": "rate"}
    assert view_options("how-weapon", where) == {}
