"""Board views: a partnership board's views with its filters, one address each, shareable.

A board is a name, a description, the filter bar's filters (a URL query string), the catalogue
views to lay out and the page controls to open them with (``svcore.config.Board``). The tool
ships the partnership's usual boards (``DEFAULT_BOARDS``, the one place to add views to them);
``[[boards]]`` in ``svdash.toml`` adds boards, changes keys of a shipped one (same slug) or
removes one (``enabled = false``). Everything is checked when the app starts (``boards_of``):
an unknown view, a filter the filter bar would drop or a control no view takes is an error
naming the board and the key, not a page that quietly shows less.

Opening a board is navigating to its address, ``/boards/<slug>?<filters>&<controls>``: the
filter bar reads the filters from it like any page's, so the address can be bookmarked and
sent, and every view is served by its one generated callback (``dashboard.callbacks.views``),
under the reader's role, scope and disclosure tier.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import parse_qs, urlencode

from dashboard.charts.catalogue import CHARTS
from dashboard.controls import controls_of
from dashboard.filters import Filters, parse_filters
from svcore.config import Board, BoardError, Settings

BOARDS_PATH = "/boards"

# The partnership's boards as shipped: views are catalogue names (``CHARTS``); this is the one
# place to change what a shipped board shows.
DEFAULT_BOARDS: tuple[Board, ...] = (
    Board(
        slug="domestic-sexual-abuse",
        name="Domestic and Sexual Abuse Board",
        description=(
            "Domestic-abuse related serious violence: the trend, how it overlaps with sexual "
            "violence and violence with injury, victims by sex and age, and where it happens."
        ),
        filters="group=domestic_abuse",
        views=(
            "overview-headline",
            "overview-trend",
            "how-offence-group",
            "who-victims",
            "where-map",
            "where-top",
            "how-location",
        ),
    ),
    Board(
        slug="lcjb-oocd",
        name="LCJB and OOCD Scrutiny Panel",
        description=(
            "Local Criminal Justice Board and Out-of-Court Disposals Scrutiny Panel: police "
            "outcomes in the Home Office framework, the out-of-court disposal share, charge "
            "rates by offence and by suspect ethnicity, youth-justice disposals, and suspects' "
            "relative rates by ethnic group."
        ),
        filters="",
        views=(
            "outcomes-oocd-share",
            "outcomes-groups",
            "outcomes-trend",
            "outcomes-by-offence",
            "outcomes-by-suspect-ethnicity",
            "outcomes-rri-suspect-ethnicity",
            "outcomes-youth",
            "who-rri-suspects",
            "who-rri-suspects-table",
            "who-suspects",
            "who-ethnicity",
        ),
    ),
    Board(
        slug="reducing-reoffending",
        name="Reducing Reoffending Strategy Group",
        description=(
            "The probation caseload and the youth-justice cohort over time, the caseload by "
            "risk of serious harm and index offence, and the cohort by age and repeat offending."
        ),
        filters="",
        views=(
            "who-probation-trend",
            "who-youth-trend",
            "who-probation-risk",
            "who-probation-offence",
            "who-youth-age",
            "who-youth-repeat",
        ),
    ),
    Board(
        slug="serious-violence-duty",
        name="Serious Violence Duty",
        description=(
            "Knife crime by district: the trend, the map and its hot spots, victims by age, and "
            "the violence that reaches A&E but not police records."
        ),
        filters="group=knife_sharp",
        views=(
            "overview-headline",
            "overview-trend",
            "where-map",
            "where-top",
            "where-hotspots",
            "where-hotspot-table",
            "where-persistent-hotspots",
            "who-victims",
            "where-gap",
            "where-gap-table",
        ),
        controls={"level": "district"},
    ),
    Board(
        slug="under-25s",
        name="Serious Violence Duty: under-25s",
        description=(
            "Serious violence against victims under 25 (A&E: patients under 25), the Duty's "
            "focus on young people: the trend and change, where it happens, how, and which "
            "groups are most at risk."
        ),
        filters="age=under25",
        views=(
            "overview-headline",
            "overview-trend",
            "where-map",
            "where-top",
            "how-offence-group",
            "how-weapon",
            "who-victims",
            "when-heatmap",
        ),
    ),
)


def boards_of(settings: Settings) -> tuple[Board, ...]:
    """The partnership's boards: the shipped ones with ``[[boards]]`` applied over them, each
    checked (``BoardError`` names the board and the key)."""
    merged = {b.slug: b for b in DEFAULT_BOARDS}
    for entry in settings.boards:
        base = merged.get(entry.slug)
        if not entry.enabled:
            merged.pop(entry.slug, None)
            continue
        merged[entry.slug] = replace(base, **entry.given()) if base else entry
    boards = tuple(merged.values())
    for board in boards:
        check(board, settings)
    return boards


def board_named(settings: Settings, slug: object) -> Board | None:
    return next((b for b in boards_of(settings) if b.slug == slug), None)


def screen_views(board: Board) -> tuple[str, ...]:
    return board.views or ()


def check(board: Board, settings: Settings) -> None:
    """A board the dashboard can lay out: known screen views, filters the filter bar keeps,
    controls its views take."""
    if not board.name or not board.name.strip():
        raise BoardError(board.slug, "name", "a board needs a name")
    if not board.views:
        raise BoardError(board.slug, "views", "a board needs at least one view")
    unknown = [v for v in board.views if v not in CHARTS or not CHARTS[v].screen]
    if unknown:
        raise BoardError(
            board.slug,
            "views",
            f"unknown view {unknown[0]!r} (`svdash export chart --list` lists the views; "
            "those shown on a page can be on a board)",
        )
    board_filters(board, settings)
    allowed = {c.key: c for c in board_controls(board)}
    for key, value in (board.controls or {}).items():
        control = allowed.get(key)
        if control is None:
            raise BoardError(
                board.slug,
                f"controls.{key}",
                "no view on this board takes it"
                + (f" (controls it can set: {', '.join(sorted(allowed))})" if allowed else ""),
            )
        if control.clean(value) != value:
            raise BoardError(
                board.slug,
                f"controls.{key}",
                f"{value!r} is not one of {', '.join(control.values)}",
            )


def board_filters(board: Board, settings: Settings) -> Filters:
    """The board's filters as the filter bar reads them; a value it would drop, a district
    outside the partnership or a parameter that changes nothing is an error."""
    query = board.filters or ""
    filters = parse_filters(query, default_definition=settings.definition)
    if filters.messages:
        raise BoardError(board.slug, "filters", " ".join(filters.messages))
    for key in parse_qs(query, keep_blank_values=True):
        # The filter bar checks every parameter it knows and drops one it does not without a
        # word (a URL may carry anything): a key it says nothing about a nonsense value of is
        # not one of its filters.
        probe = parse_filters(urlencode([(key, "\u2603")]), settings.definition)
        if not probe.messages:
            raise BoardError(board.slug, f"filters.{key}", "not a filter of the filter bar")
    outside = [d for d in filters.districts if d not in settings.districts]
    if outside:
        raise BoardError(
            board.slug, "filters.district", f"{outside[0]} is not one of the partnership's"
        )
    return filters


def board_controls(board: Board) -> tuple:
    """The page controls the board's views take (each control once, in page order): the
    board lays them out, as each view's callback takes them as inputs."""
    found: dict[str, object] = {}
    for name in board.views or ():
        spec = CHARTS[name]
        for control in controls_of(spec.page):
            if control.key in spec.options:
                found.setdefault(control.id, control)
    return tuple(found.values())


def control_pages(board: Board) -> tuple[str, ...]:
    """The pages whose control groups the board shows (a page's controls come as a group:
    its one callback writes them all into the address)."""
    return tuple(dict.fromkeys(c.page for c in board_controls(board)))


def board_url(board: Board, settings: Settings) -> str:
    """The board's address with its filters (as the filter bar writes them) and controls."""
    query = board_filters(board, settings).to_query()
    controls = urlencode(
        [
            (c.key, (board.controls or {})[c.key])
            for c in board_controls(board)
            if c.key in (board.controls or {}) and (board.controls or {})[c.key] != c.default
        ]
    )
    parts = "&".join(p for p in (query, controls) if p)
    return f"{BOARDS_PATH}/{board.slug}" + (f"?{parts}" if parts else "")


# Where the pages find the warehouse (``create_app`` puts its source on the Flask app).
SOURCE_KEY = "svdash_source"


def app_source():
    """The app's ``WarehouseSource`` (None outside a running app: a layout built in a test)."""
    import flask

    if not flask.has_app_context():
        return None
    return flask.current_app.extensions.get(SOURCE_KEY)


def board_summary(board: Board, settings: Settings) -> str:
    """The board's filters and controls in words, for its card and its page."""
    from svcore.definitions import load_definition

    filters = board_filters(board, settings)
    words = [filters.describe()]
    if filters.group:
        groups = {g.key: g.label for g in load_definition(filters.definition).groups}
        words.append(groups.get(filters.group, filters.group))
    for control in board_controls(board):
        value = (board.controls or {}).get(control.key)
        if value and value != control.default:
            words.append(f"{control.key.replace('_', ' ')}: {value}")
    return "; ".join(words)
