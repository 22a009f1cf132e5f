"""Area settings: which districts make up the partnership, and the thresholds it works to.

They live in ``svdash.toml`` inside the warehouse folder so that a warehouse carries its own
area with it (a backup restores the area too) and an analyst can read and edit them by hand.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import tomli_w

from svcore.disclosure import DEFAULT_TIERS, METHODS, TIER_NAMES

SETTINGS_FILE = "svdash.toml"
DEFAULT_WAREHOUSE = Path("data/warehouse")
WAREHOUSE_ENV = "SVDASH_WAREHOUSE"

DISTRICT_CODE = re.compile(r"^[EWSN]0[6789]\d{6}$")
RISK_FACTOR = re.compile(r"^(imd|ind):[A-Za-z0-9_.-]{1,80}$")

# The demo partnership: West Yorkshire's five metropolitan districts (real ONS codes).
WEST_YORKSHIRE: dict[str, str] = {
    "E08000032": "Bradford",
    "E08000033": "Calderdale",
    "E08000034": "Kirklees",
    "E08000035": "Leeds",
    "E08000036": "Wakefield",
}


ROUNDING_MODES = ("none", "ons_10_5")
YEAR_MODES = ("calendar", "fy")

# A board's address: /boards/<slug>.
BOARD_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
BOARD_KEYS = ("slug", "name", "description", "filters", "views", "controls", "enabled")


class BoardError(ValueError):
    """A ``[[boards]]`` entry that cannot be used; the message names the board and the key."""

    def __init__(self, slug: object, key: str, problem: str) -> None:
        self.slug, self.key = slug, key
        super().__init__(f'svdash.toml [[boards]] "{slug}": {key}: {problem}')


@dataclass(frozen=True)
class Board:
    """A named set of views with its filters, for one partnership board (``[[boards]]``).

    The settings hold what ``svdash.toml`` says; ``None`` is a key it does not give, so an
    entry naming a shipped board (``dashboard.boards.DEFAULT_BOARDS``) changes only the keys it
    gives, and ``enabled = false`` removes that board. Which view names and filters are valid
    is the dashboard's to check (``dashboard.boards.boards_of``), at start-up.
    """

    slug: str
    name: str | None = None
    description: str | None = None
    filters: str | None = None  # the filter bar's URL parameters: "group=knife_sharp&from=..."
    views: tuple[str, ...] | None = None  # catalogue view names, in the order laid out
    # Page controls the board opens with (the map's level, the factor): one value per control
    # for every view on the board that takes it, as on its own page.
    controls: dict[str, str] | None = None
    enabled: bool = True

    def given(self) -> dict[str, object]:
        """The keys the settings give (for merging over a shipped board)."""
        return {k: v for k, v in asdict(self).items() if v is not None and k != "slug"}


def board_from_toml(raw: object, index: int) -> Board:
    """One ``[[boards]]`` table; the filters may be a query string or a table of values."""
    from urllib.parse import urlencode

    if not isinstance(raw, dict):
        raise BoardError(f"#{index + 1}", "[[boards]]", "each board is a table")
    slug = raw.get("slug")
    if not isinstance(slug, str) or not BOARD_SLUG.fullmatch(slug):
        raise BoardError(
            slug if isinstance(slug, str) else f"#{index + 1}",
            "slug",
            "a board needs a slug of lower-case letters, digits and hyphens (up to 40), "
            "its address /boards/<slug>",
        )
    unknown = sorted(set(raw) - set(BOARD_KEYS))
    if unknown:
        raise BoardError(slug, unknown[0], f"not a board key (keys: {', '.join(BOARD_KEYS)})")
    for key in ("name", "description"):
        if key in raw and not (isinstance(raw[key], str) and (raw[key].strip() or key != "name")):
            raise BoardError(slug, key, "expected text")
    filters = raw.get("filters")
    if isinstance(filters, dict):
        pairs = []
        for k, v in filters.items():
            values = v if isinstance(v, list) else [v]
            if not all(isinstance(x, str | int) and not isinstance(x, bool) for x in values):
                raise BoardError(slug, f"filters.{k}", "expected text, a number or a list")
            pairs += [(str(k), str(x)) for x in values]
        filters = urlencode(pairs)
    elif filters is not None and not isinstance(filters, str):
        raise BoardError(slug, "filters", 'expected a query string ("group=knife_sharp") or table')
    views = raw.get("views")
    if views is not None:
        if not (isinstance(views, list) and views and all(isinstance(v, str) for v in views)):
            raise BoardError(slug, "views", "expected a list of view names")
        if len(set(views)) != len(views):
            raise BoardError(slug, "views", "a view may appear once on a board")
        views = tuple(views)
    controls = raw.get("controls")
    if controls is not None:
        if not isinstance(controls, dict) or not all(isinstance(v, str) for v in controls.values()):
            raise BoardError(slug, "controls", 'expected a table of values (level = "ward")')
        controls = {str(k): v for k, v in controls.items()}
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        raise BoardError(slug, "enabled", "expected true or false")
    return Board(
        slug=slug,
        name=raw.get("name"),
        description=raw.get("description"),
        filters=filters.lstrip("?") if isinstance(filters, str) else None,
        views=views,
        controls=controls,
        enabled=enabled,
    )


@dataclass(frozen=True)
class Settings:
    """One partnership's area and rules; written by ``svdash init``, read by everyone."""

    districts: tuple[str, ...]
    area_name: str = "Violence Reduction Partnership"
    definition: str = "home_office"
    # How the dashboard reads "a year": "calendar" (January to December) or "fy" (the
    # financial year, April to March, that most partners report on). ``[area] year``.
    year: str = "calendar"
    bad_row_threshold: float = 0.05
    # A replacing load (mode "replace", police.uk months, snapshots) that would remove more than
    # this share of the rows held for any period it covers is refused unless confirmed.
    max_replace_removal: float = 0.10
    suppress_below: int = 5
    suppress_below_by_source: dict[str, int] = field(default_factory=lambda: {"health": 8})
    min_events_for_rate: int = 10
    rounding: str = "none"  # "none", or "ons_10_5": suppress under 10, round the rest to 5
    # Disclosure method per role and for publication (svcore.disclosure.DEFAULT_TIERS).
    tiers: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_TIERS))
    demo: bool = False
    # Signed-in sessions end after this long without a request, and this long after sign-in
    # whatever happens ([sessions] in svdash.toml).
    session_idle_minutes: int = 30
    session_hours: float = 8.0
    # The area risk index ([risk_index] in svdash.toml): factor ("imd:<domain>" or
    # "ind:<indicator code>") -> weight; empty = the stated defaults
    # (dashboard.charts.risk.DEFAULT_FACTORS), equal weights. ``risk_reverse``: factors where
    # a higher value means less risk.
    risk_weights: dict[str, float] = field(default_factory=dict)
    risk_reverse: tuple[str, ...] = ()
    # The partnership's boards as ``[[boards]]`` gives them (the shipped ones are merged in by
    # ``dashboard.boards``).
    boards: tuple[Board, ...] = ()
    # The report pack's protective marking and version ([report] in svdash.toml): a pack on
    # the publication tier carries ``report_public_marking``, any other ``report_marking``.
    report_marking: str = "OFFICIAL-SENSITIVE"
    report_public_marking: str = "OFFICIAL"
    report_version: str = "1.0"

    def __post_init__(self) -> None:
        bad = [d for d in self.districts if not DISTRICT_CODE.match(d)]
        if bad:
            raise ValueError(f"not a district GSS code: {', '.join(bad)}")
        if not self.districts:
            raise ValueError("a partnership needs at least one district")
        if self.year not in YEAR_MODES:
            raise ValueError(f"[area] year must be one of {', '.join(YEAR_MODES)}")
        if self.rounding not in ROUNDING_MODES:
            raise ValueError(f"rounding must be one of {', '.join(ROUNDING_MODES)}")
        unknown = {k: v for k, v in self.tiers.items() if k not in TIER_NAMES or v not in METHODS}
        if unknown:
            raise ValueError(
                f"[disclosure.tiers]: {unknown} (tiers {', '.join(TIER_NAMES)}; methods "
                f"{', '.join(METHODS)})"
            )
        loose = [
            t for t in ("duty_holder", "viewer", "publication") if self.tiers.get(t) == "exact"
        ]
        if loose:
            raise ValueError(
                f'[disclosure.tiers]: {", ".join(loose)} cannot be "exact": exact counts can be '
                'differenced across requests (Jan-Oct minus Jan-Sep); use "cell_key" (or '
                '"ons_10_5"), or give the person the analyst role'
            )
        if not 0 <= self.bad_row_threshold <= 1:
            raise ValueError("bad_row_threshold is a share between 0 and 1")
        if not 0 <= self.max_replace_removal <= 1:
            raise ValueError("max_replace_removal is a share between 0 and 1")
        if self.session_idle_minutes <= 0 or self.session_hours <= 0:
            raise ValueError("[sessions] idle_minutes and lifetime_hours must be above 0")
        bad_factors = [
            k for k in (*self.risk_weights, *self.risk_reverse) if not RISK_FACTOR.match(k)
        ]
        if bad_factors:
            raise ValueError(
                f"[risk_index]: {', '.join(bad_factors)} (a factor is imd:<domain> or "
                "ind:<indicator code>)"
            )
        if any(w < 0 for w in self.risk_weights.values()):
            raise ValueError(
                "[risk_index] weights cannot be negative: list a factor where a higher value "
                "means less risk in reverse instead"
            )
        slugs = [b.slug for b in self.boards]
        twice = sorted({s for s in slugs if slugs.count(s) > 1})
        if twice:
            raise BoardError(twice[0], "slug", "more than one [[boards]] entry has this slug")

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)


def warehouse_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The warehouse folder: the option if given, else ``SVDASH_WAREHOUSE``, else the default."""
    if explicit:
        return Path(explicit)
    env = os.environ.get(WAREHOUSE_ENV)
    return Path(env) if env else DEFAULT_WAREHOUSE


def read_settings(warehouse: Path) -> Settings:
    path = warehouse / SETTINGS_FILE
    if not path.exists():
        raise FileNotFoundError(
            f"{warehouse} is not a warehouse (no {SETTINGS_FILE}); "
            "create one with `svdash init --districts CODE,...` or `svdash demo`"
        )
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    area = raw.get("area", {})
    load = raw.get("load", {})
    disclosure = raw.get("disclosure", {})
    sessions = raw.get("sessions", {})
    risk = raw.get("risk_index", {})
    boards = raw.get("boards", [])
    report = raw.get("report", {})
    if not isinstance(boards, list):
        raise BoardError("-", "[[boards]]", "boards are an array of tables: [[boards]]")
    return Settings(
        districts=tuple(area.get("districts", ())),
        area_name=area.get("name", Settings.area_name),
        definition=area.get("definition", Settings.definition),
        year={"financial": "fy"}.get(
            str(area.get("year", "")), str(area.get("year", Settings.year))
        ),
        demo=bool(area.get("demo", False)),
        bad_row_threshold=float(load.get("bad_row_threshold", Settings.bad_row_threshold)),
        max_replace_removal=float(load.get("max_replace_removal", Settings.max_replace_removal)),
        suppress_below=int(disclosure.get("suppress_below", Settings.suppress_below)),
        suppress_below_by_source={
            str(k): int(v) for k, v in disclosure.get("suppress_below_by_source", {}).items()
        }
        or {"health": 8},
        min_events_for_rate=int(
            disclosure.get("min_events_for_rate", Settings.min_events_for_rate)
        ),
        rounding=str(disclosure.get("rounding", Settings.rounding)),
        tiers={**DEFAULT_TIERS, **{str(k): str(v) for k, v in disclosure.get("tiers", {}).items()}},
        session_idle_minutes=int(sessions.get("idle_minutes", Settings.session_idle_minutes)),
        session_hours=float(sessions.get("lifetime_hours", Settings.session_hours)),
        risk_weights={str(k): float(v) for k, v in risk.get("weights", {}).items()},
        risk_reverse=tuple(str(k) for k in risk.get("reverse", ())),
        boards=tuple(board_from_toml(b, i) for i, b in enumerate(boards)),
        report_marking=str(report.get("marking", Settings.report_marking)),
        report_public_marking=str(report.get("public_marking", Settings.report_public_marking)),
        report_version=str(report.get("version", Settings.report_version)),
    )


def write_settings(warehouse: Path, settings: Settings) -> Path:
    data = asdict(settings)
    doc = {
        "area": {
            "name": data["area_name"],
            "districts": list(data["districts"]),
            "definition": data["definition"],
            "year": data["year"],
            "demo": data["demo"],
        },
        "load": {
            "bad_row_threshold": data["bad_row_threshold"],
            "max_replace_removal": data["max_replace_removal"],
        },
        "disclosure": {
            "suppress_below": data["suppress_below"],
            "suppress_below_by_source": data["suppress_below_by_source"],
            "min_events_for_rate": data["min_events_for_rate"],
            "rounding": data["rounding"],
            "tiers": data["tiers"],
        },
        "sessions": {
            "idle_minutes": data["session_idle_minutes"],
            "lifetime_hours": data["session_hours"],
        },
    }
    report = {
        key: data[f"report_{key}"]
        for key in ("marking", "public_marking", "version")
        if data[f"report_{key}"] != getattr(Settings, f"report_{key}")
    }
    if report:
        doc["report"] = report
    if data["risk_weights"] or data["risk_reverse"]:
        doc["risk_index"] = {
            "weights": data["risk_weights"],
            "reverse": list(data["risk_reverse"]),
        }
    if settings.boards:
        doc["boards"] = [
            {"slug": b.slug, **{k: list(v) if k == "views" else v for k, v in b.given().items()}}
            for b in settings.boards
        ]
    warehouse.mkdir(parents=True, exist_ok=True)
    path = warehouse / SETTINGS_FILE
    header = (
        "# Partnership settings for this warehouse. Edit by hand; see README 'Configure'.\n"
        "# suppress_below = 5 hides counts 1-4; health sets a stricter floor (1-7).\n"
        '# rounding = "ons_10_5" hides counts under 10 and rounds the rest to the nearest 5.\n'
        "# [disclosure.tiers] sets each role's method: exact, ons_10_5 or cell_key.\n"
        '# [risk_index] weights = { "imd:income" = 1.0, ... }, reverse = [...]: the area\n'
        "# risk index's factors and weights (README 'Area risk index').\n"
        '# [area] year = "fy" reads a year as April to March; "calendar" as January to December.\n'
    )
    path.write_text(header + tomli_w.dumps(doc), encoding="utf-8")
    return path
