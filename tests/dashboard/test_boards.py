"""Board views: each shipped board opens with its filters, its views served by their own
callbacks; bad boards stop the start; saved views are per user and audited."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import dash
import pytest
from plotly.utils import PlotlyJSONEncoder

from dashboard.auth import Viewer
from dashboard.boards import DEFAULT_BOARDS, board_url, boards_of
from dashboard.charts.catalogue import CHARTS
from svcore import audit
from svcore.config import Board, BoardError, Settings, read_settings, write_settings

LEEDS, KIRKLEES = "E08000035", "E08000034"


def _ids(component) -> set[str]:
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


def _value_of(component, cid: str):
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


@pytest.fixture(scope="module")
def warehouse(demo_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the demo (saved views are written into it)."""
    return Path(shutil.copytree(demo_warehouse, tmp_path_factory.mktemp("boards") / "wh"))


@pytest.fixture(scope="module")
def app(warehouse: Path) -> dash.Dash:
    from dashboard.app import create_app

    return create_app(warehouse)


@pytest.fixture(scope="module")
def deps(app: dash.Dash) -> list[dict]:
    return app.server.test_client().get("/_dash-dependencies").get_json()


def post(app: dash.Dash, deps: list[dict], output: str, values: dict, changed: str) -> dict:
    """A callback request as the browser sends it, from the server's own dependency list:
    ``values`` maps "id.property" to the value of an input or state (others None)."""
    dep = next(d for d in deps if d["output"] == output or d["output"].startswith(output))
    outputs = []
    for part in dep["output"].strip(".").split("..."):
        cid, prop = part.split("@")[0].rsplit(".", 1)
        # A pattern-matching output (the saved-views list): matching nothing here.
        outputs.append([] if cid.startswith("{") else {"id": cid, "property": prop})

    def items(kind: str) -> list[dict]:
        return [
            {
                "id": i["id"],
                "property": i["property"],
                "value": values.get(f"{i['id']}.{i['property']}"),
            }
            for i in dep.get(kind, [])
        ]

    body = {
        "output": dep["output"],
        "outputs": outputs if len(outputs) > 1 else outputs[0],
        "inputs": items("inputs"),
        "changedPropIds": [changed],
        "state": items("state"),
    }
    r = app.server.test_client().post("/_dash-update-component", json=body)
    assert r.status_code == 200, (output, r.status_code, r.get_data(as_text=True)[:300])
    return r.get_json()["response"]


def as_json(component) -> str:
    return json.dumps(component, cls=PlotlyJSONEncoder)


def board_page():
    return sys.modules["pages.board"]


@pytest.mark.parametrize("board", DEFAULT_BOARDS, ids=lambda b: b.slug)
def test_each_shipped_board_opens_with_its_filters(
    app: dash.Dash, deps: list[dict], warehouse: Path, board: Board
) -> None:
    settings = read_settings(warehouse)
    url = board_url(board, settings)
    parts = urlsplit(url)
    assert parts.path == f"/boards/{board.slug}"
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    # The address carries the board's filters (and controls) as the filter bar writes them.
    for key, value in parse_qs(board.filters or "").items():
        assert parse_qs(parts.query)[key] == value
    for key, value in (board.controls or {}).items():
        assert query[key] == value

    # The page lays out every view of the board, by its graph id, with the controls its views
    # take, set from the address.
    with app.server.test_request_context(url):
        layout = board_page().layout(slug=board.slug, **query)
    found = _ids(layout)
    for name in board.views:
        assert name in found, name
        if CHARTS[name].kind == "chart":
            assert f"{name}-alt" in found
    for key, value in (board.controls or {}).items():
        assert _value_of(layout, {"level": "where-level"}[key]) == value

    # The filter bar reads the filters from the address: the store holds them and each
    # control shows them.
    filter_dep = next(d for d in deps if d["output"].startswith("..filters.data...history"))
    synced = post(app, deps, filter_dep["output"], {"url.search": "?" + parts.query}, "url.search")
    store = synced["filters"]["data"]
    expected = "&".join(
        p for p in parts.query.split("&") if p.split("=")[0] not in (board.controls or {})
    )
    assert store == expected
    group = parse_qs(board.filters or "").get("group")
    assert synced["filter-group"]["value"] == (group[0] if group else None)

    # Each view on the board answers through its one callback, with those filters and the
    # board's controls.
    for name in board.views:
        spec = CHARTS[name]
        values = {"filters.data": store}
        for key, cid in (("level", "where-level"), ("measure", "where-measure")):
            if key in spec.options:
                values[f"{cid}.value"] = query.get(key, "auto" if key == "level" else "rate")
        out = post(app, deps, name + "." if spec.kind != "chart" else f"..{name}.", values, "x")
        if spec.kind == "chart":
            assert out[name]["figure"]["data"] is not None, name
            assert out[f"{name}-alt"]["children"], name
        else:
            assert out[name]["children"] is not None, name


def test_board_views_are_served_by_the_one_callback_of_each_view(app: dash.Dash) -> None:
    """A board adds no callback for a view: its graph is the page's view, by the same id."""
    outputs = [key for key in app.callback_map]
    for board in DEFAULT_BOARDS:
        for name in board.views:
            mine = [k for k in outputs if f"..{name}.figure" in k or k == f"{name}.children"]
            assert len(mine) == 1, (name, mine)


def test_the_boards_page_lists_each_board_with_its_link(app: dash.Dash, warehouse: Path) -> None:
    settings = read_settings(warehouse)
    with app.server.test_request_context("/boards"):
        page = sys.modules["pages.boards"].layout()
    text = as_json(page)
    for board in boards_of(settings):
        assert board.name in text and board.description in text
        assert json.dumps(board_url(board, settings)) in text
    # One click from the navigation (a link to this page, carrying the filters like every
    # nav link); the board page itself is not a tab of its own.
    from dashboard.app import shell
    from dashboard.boards import app_source

    with app.server.test_request_context("/"):
        nav = as_json(shell(app_source()))
    assert '"href": "/boards"' in nav and "/boards/none" not in nav


def test_an_unknown_board_or_no_board_is_said(app: dash.Dash) -> None:
    with app.server.test_request_context("/boards/nope"):
        text = str(board_page().layout(slug="nope"))
    assert "No such board" in text
    assert "No such board" in str(board_page().layout())  # outside a request, as tests do


def test_changed_filters_offer_the_boards_own(app: dash.Dash, warehouse: Path) -> None:
    board = DEFAULT_BOARDS[0]
    with app.server.test_request_context("/"):
        same = str(board_page().layout(slug=board.slug, group="domestic_abuse"))
        other = str(board_page().layout(slug=board.slug, group="robbery"))
    assert "differ from the board's" not in same
    assert "differ from the board's" in other
    assert board_url(board, read_settings(warehouse)) in other


def test_a_board_obeys_each_views_page_rules(
    app: dash.Dash, warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A viewer does not open the data-quality page, so a board's quality view is left out
    (and named); the view's callback refuses it anyway."""
    board = Board("mixed", "Mixed", "", "", ("overview-trend", "quality-coverage"))
    monkeypatch.setattr(board_page(), "board_named", lambda s, slug: board)
    monkeypatch.setattr(board_page(), "current_viewer", lambda demo: Viewer("vic", "viewer"))
    with app.server.test_request_context("/boards/mixed"):
        page = board_page().layout(slug="mixed")
    found = _ids(page)
    assert "overview-trend" in found and "quality-coverage" not in found
    assert "Rows loaded per feed and month" in str(page)
    analyst = Viewer("ann", "analyst")
    monkeypatch.setattr(board_page(), "current_viewer", lambda demo: analyst)
    with app.server.test_request_context("/boards/mixed"):
        assert "quality-coverage" in _ids(board_page().layout(slug="mixed"))


def test_a_duty_holder_sees_their_scope_on_a_board(
    app: dash.Dash, warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A board whose filters name Leeds, opened by a Kirklees duty holder: every query is
    limited to Kirklees, as on any page (``Filters.scope``)."""
    from dashboard.callbacks import common
    from dashboard.callbacks.views import view_outputs
    from dashboard.data import WarehouseSource

    kim = Viewer("kim", "duty_holder", (KIRKLEES,))
    monkeypatch.setattr(common, "current_viewer", lambda demo: kim)
    source = WarehouseSource(warehouse)
    board = Board("leeds", "Leeds", "", f"district={LEEDS}", ("where-top",))
    query = board_url(board, read_settings(warehouse)).split("?", 1)[1]
    with app.server.test_request_context("/_dash-update-component"):
        req = common.request(source, query, page="/where")
        assert req.filters.scope == (KIRKLEES,)
        (table,) = view_outputs(source, "where-top", query, "district")
        monkeypatch.setattr(common, "current_viewer", lambda demo: Viewer("ann", "analyst"))
        (analysts,) = view_outputs(source, "where-top", query, "district")

    def rows(component) -> str:
        return json.dumps(json.loads(as_json(component))["props"]["children"][1]["props"])

    assert LEEDS in rows(analysts)  # the board's own district, for an analyst
    assert LEEDS not in rows(table) and "Leeds" not in rows(table)


# Settings checked at start-up ------------------------------------------------------------------


def _settings(*boards: Board) -> Settings:
    return Settings(districts=(KIRKLEES, LEEDS), boards=boards)


@pytest.mark.parametrize(
    ("board", "key", "words"),
    [
        (Board("x", "X", views=("no-such-view",)), "views", "unknown view 'no-such-view'"),
        (Board("x", "X", views=("overview-year-on-year",)), "views", "unknown view"),
        (Board("x", "X", filters="district=LEEDS", views=("overview-trend",)), "filters", "GSS"),
        (Board("x", "X", filters="group=nope", views=("overview-trend",)), "filters", "group"),
        (Board("x", "X", filters="from=2024-13", views=("overview-trend",)), "filters", "month"),
        (
            Board("x", "X", filters="colour=red", views=("overview-trend",)),
            "filters.colour",
            "not a filter",
        ),
        (
            Board("x", "X", filters="district=E08000001", views=("overview-trend",)),
            "filters.district",
            "partnership",
        ),
        (
            Board("x", "X", views=("overview-trend",), controls={"level": "ward"}),
            "controls.level",
            "no view on this board takes it",
        ),
        (
            Board("x", "X", views=("where-map",), controls={"level": "street"}),
            "controls.level",
            "not one of",
        ),
        (Board("x", views=("where-map",)), "name", "needs a name"),
        (Board("x", "X"), "views", "at least one view"),
    ],
)
def test_a_board_the_dashboard_cannot_show_is_named(board: Board, key: str, words: str) -> None:
    with pytest.raises(BoardError) as err:
        boards_of(_settings(board))
    assert f'"x": {key}:' in str(err.value)
    assert words in str(err.value)


def test_settings_change_remove_and_add_boards() -> None:
    shipped = {b.slug for b in DEFAULT_BOARDS}
    assert {b.slug for b in boards_of(_settings())} == shipped
    changed = boards_of(
        _settings(
            Board("serious-violence-duty", filters=f"district={LEEDS}&group=knife_sharp"),
            Board("lcjb-oocd", enabled=False),
            Board("mine", "Mine", views=("how-weapon",)),
        )
    )
    by_slug = {b.slug: b for b in changed}
    assert set(by_slug) == shipped - {"lcjb-oocd"} | {"mine"}
    duty = by_slug["serious-violence-duty"]
    assert duty.filters == f"district={LEEDS}&group=knife_sharp"
    assert duty.name == "Serious Violence Duty" and duty.views == DEFAULT_BOARDS[3].views
    assert board_url(duty, _settings()) == (
        f"/boards/serious-violence-duty?district={LEEDS}&group=knife_sharp&level=district"
    )


def test_the_app_does_not_start_with_a_bad_board(warehouse: Path, tmp_path: Path) -> None:
    from dashboard.app import create_app

    wh = Path(shutil.copytree(warehouse, tmp_path / "wh"))
    bad = Board("panel", "Panel", views=("outcomes-typo",))
    write_settings(wh, read_settings(wh).with_(boards=(bad,)))
    with pytest.raises(BoardError, match=r'"panel": views: unknown view \'outcomes-typo\''):
        create_app(wh)
    # `svdash serve` says so and stops (a usage error, no traceback).
    from typer.testing import CliRunner

    from svdash.cli import app as cli

    result = CliRunner().invoke(cli, ["serve", "--no-demo", "--warehouse", str(wh)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "unknown view 'outcomes-typo'" in " ".join(result.output.split())


# Saved views ------------------------------------------------------------------------------------


def test_saving_and_deleting_a_view_is_audited_per_user(warehouse: Path, tmp_path: Path) -> None:
    from dashboard import saved

    wh = tmp_path
    ann, bob = Viewer("ann", "analyst"), Viewer("bob", "analyst")
    saved.save(wh, ann, "Leeds knife", f"/boards/serious-violence-duty?district={LEEDS}")
    saved.save(wh, bob, "Bob's", "/who")
    with pytest.raises(saved.SavedViewError):
        saved.save(wh, ann, "Away", "https://evil.example/")
    assert saved.delete(wh, ann, "Bob's") is False  # not ann's
    assert saved.delete(wh, ann, "Leeds knife") is True
    audit.buffer(wh).flush(final=True)
    records = [e for e in audit.entries(wh) if e["action"] == "saved_view"]
    assert [(e["user"], e["outcome"]) for e in records] == [
        ("ann", "ok"),
        ("bob", "ok"),
        ("ann", "refused"),
        ("ann", "ok"),
    ]
    assert "saved 'Leeds knife'" in records[0]["detail"]
    assert records[0]["filters"] == f"district={LEEDS}"
    assert records[3]["detail"] == "deleted 'Leeds knife'"
    assert audit.verify(wh).ok


def test_the_save_button_keeps_the_address_on_screen(
    app: dash.Dash, deps: list[dict], warehouse: Path
) -> None:
    """In demo mode the view is kept under the demo user, and the reply says who shares it."""
    from svcore.saved_views import saved_views

    save_dep = next(d for d in deps if d["output"].startswith("..saved-status.children"))
    out = post(
        app,
        deps,
        save_dep["output"],
        {
            "saved-save.n_clicks": 1,
            "saved-name.value": "Leeds wards",
            "url.pathname": "/boards/serious-violence-duty",
            "filters.data": f"district={LEEDS}&group=knife_sharp",
            "view.data": {
                "page": "/where",
                "path": "/boards/serious-violence-duty",
                "query": "level=ward",
            },
        },
        "saved-save.n_clicks",
    )
    assert "Saved 'Leeds wards'" in out["saved-status"]["children"]
    assert "shares them" in out["saved-status"]["children"]
    (view,) = [v for v in saved_views(warehouse, "demo") if v.name == "Leeds wards"]
    assert view.url == (
        f"/boards/serious-violence-duty?district={LEEDS}&group=knife_sharp&level=ward"
    )
    audit.buffer(warehouse).flush(final=True)
    assert any(
        e["action"] == "saved_view" and e["user"] == "demo" and "Leeds wards" in e["detail"]
        for e in audit.entries(warehouse)
    )
    # The boards page lists it, with a delete button.
    with app.server.test_request_context("/boards"):
        page = as_json(sys.modules["pages.boards"].layout())
    assert "Leeds wards" in page and "Delete the saved view Leeds wards" in page
