"""The controls a page adds beside the filter bar (map level, shading, factor), one place.

Each control is a URL parameter of its page (``/where?level=lsoa&measure=count``,
``/factors?factor=imd:income``) and a view option of the same name: a page's ``layout(**query)``
sets the control from the URL, the generated view callbacks pass the control's value to every
view on the page that takes that option, and the address bar follows the control. So a
bookmarked URL reopens exactly the same view, and a new page gets all of this by listing its
controls here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from dashboard import ids
from svcore.vocab import CENSUS_ETHNIC_GROUPS, CENSUS_REFERENCE_GROUP


@dataclass(frozen=True)
class Control:
    key: str  # the URL parameter, and the view option it sets
    id: str  # the component id
    page: str
    default: str
    values: tuple[str, ...] = ()  # the allowed values; () = any (the view checks, e.g. factors)

    def clean(self, value: object) -> str:
        """A value a view may be asked for: anything else (a forged callback, an old
        bookmark) is the default."""
        if not isinstance(value, str) or not value or len(value) > 100:
            return self.default
        if self.values and value not in self.values:
            return self.default
        return value


CONTROLS: tuple[Control, ...] = (
    Control("level", ids.WHERE_LEVEL, "/where", "auto", ("auto", "district", "ward", "lsoa")),
    Control("measure", ids.WHERE_MEASURE, "/where", "rate", ("rate", "count")),
    Control("factor", ids.FACTORS_CHOICE, "/factors", "imd:imd"),
    Control("measure", ids.WHO_MEASURE, "/who", "count", ("count", "rate")),
    Control(
        "reference", ids.WHO_REFERENCE, "/who", CENSUS_REFERENCE_GROUP, tuple(CENSUS_ETHNIC_GROUPS)
    ),
)


def controls_of(page: str) -> tuple[Control, ...]:
    return tuple(c for c in CONTROLS if c.page == page)


def from_query(page: str, query: Mapping[str, object]) -> dict[str, str]:
    """The page's control values from ``layout(**query)`` (Dash passes the URL's parameters)."""
    out = {}
    for c in controls_of(page):
        raw = query.get(c.key)
        if isinstance(raw, (list, tuple)):
            raw = raw[-1] if raw else None
        out[c.key] = c.clean(raw)
    return out


def to_query(page: str, values: Mapping[str, object]) -> str:
    """The URL parameters for the controls' values (defaults left out, in a fixed order)."""
    pairs = []
    for c in controls_of(page):
        value = c.clean(values.get(c.key))
        if value != c.default:
            pairs.append((c.key, value))
    return urlencode(pairs)
