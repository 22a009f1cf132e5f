"""The one filter bar, as a value: parsed once from the URL, used by every query and title.

A bookmarked or shared URL restores exactly the same view. Anything invalid in the URL is
dropped with a message the page shows, never an exception.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import parse_qs, urlencode

from svcore.definitions import DefinitionError, builtin_names, load_definition
from svcore.vocab import AGE_FILTERS, ETHNIC_BROAD, SEXES, SOURCES, WEEKDAYS

# ASCII digits only (``\d`` would take "٢٠٢٣-01"), whole value, and months a query can use:
# year 0 or 1 would reach the SQL and the report pack as a date it cannot make.
MONTH = re.compile(r"(19|20)[0-9]{2}-(0[1-9]|1[0-2])")
GSS = re.compile(r"[EWSN][0-9]{8}")
# A recorded category (weapon, type of location) as the contracts store it: lower-case words.
CATEGORY = re.compile(r"[a-z][a-z0-9_]{0,39}")
# The filters a click on a chart sets (a bar of weapon or location, a heatmap cell), with the
# words the filter bar shows them by: URL parameter -> Filters field.
DETAIL = {"weapon": "weapon", "location": "location", "day": "weekday", "hour": "hour"}
# The "who" filters: the person they describe, and the URL parameters (= Filters fields).
PERSONS = {"victim": "Victim", "suspect": "Suspect"}
WHO = ("age", "sex", "ethnicity")
WHO_SEXES = ("F", "M")
# How the year reads: calendar (January to December) or financial (April to March).
YEARS = {"calendar": "calendar years", "fy": "financial years (April to March)"}
MAX_MESSAGES = 10


@dataclass(frozen=True)
class Filters:
    districts: tuple[str, ...] = ()
    wards: tuple[str, ...] = ()
    date_from: str | None = None  # YYYY-MM inclusive
    date_to: str | None = None  # YYYY-MM inclusive
    group: str | None = None  # offence group of the definition; None = all serious violence
    source: str | None = "police"  # None = every source (counts are not additive across them)
    definition: str = "home_office"
    weapon: str | None = None  # weapon (police) or assault method (A&E), as recorded
    location: str | None = None  # type of location, as recorded
    weekday: str | None = None  # "Monday" .. "Sunday"
    hour: int | None = None  # 0-23, the hour the event started
    # Who: the person the filters below describe (the victim or patient, or the suspect), an
    # ``AGE_FILTERS`` key, "F" or "M", an ``ETHNIC_BROAD`` key. Probation and youth justice
    # record one person (the person supervised, the child): the filters describe them.
    person: str = "victim"
    age: str | None = None
    sex: str | None = None
    ethnicity: str | None = None
    # "calendar" or "fy" (April to March); None: the partnership's setting (svdash.toml).
    year: str | None = None
    messages: tuple[str, ...] = field(default=(), compare=False)
    # The definition a URL without ``definition=`` means (the partnership's, from settings):
    # ``to_query`` leaves out only that one, so the query parses back to the same filters.
    default_definition: str = field(default="home_office", compare=False, repr=False)
    # Districts the signed-in user may see in detail (None: all). Set by the server from the
    # user's role, never parsed from a URL, never written back to one.
    scope: tuple[str, ...] | None = None

    def with_(self, **changes: object) -> Filters:
        return replace(self, **changes)

    def to_query(self) -> str:
        pairs: list[tuple[str, str]] = [("district", d) for d in self.districts]
        pairs += [("ward", w) for w in self.wards]
        if self.date_from:
            pairs.append(("from", self.date_from))
        if self.date_to:
            pairs.append(("to", self.date_to))
        if self.group:
            pairs.append(("group", self.group))
        if self.source != "police":
            pairs.append(("source", self.source or "all"))
        if self.definition != self.default_definition:
            pairs.append(("definition", self.definition))
        for key, attr in DETAIL.items():
            if getattr(self, attr) is not None:
                pairs.append((key, str(getattr(self, attr))))
        if self.person != "victim":
            pairs.append(("person", self.person))
        pairs += [(key, getattr(self, key)) for key in WHO if getattr(self, key) is not None]
        if self.year is not None:
            pairs.append(("year", self.year))
        return urlencode(pairs)

    def has_who(self) -> bool:
        """Whether any "who" filter (age, sex, ethnicity) is set."""
        return any(getattr(self, key) is not None for key in WHO)

    def who(self) -> list[tuple[str, str]]:
        """The "who" filters that are set, as (URL parameter, words) for the filter bar."""
        person = PERSONS[self.person]
        words = {
            "age": lambda v: f"{person} {AGE_FILTERS[v][0]}",
            "sex": lambda v: f"{person}: {SEXES[v].lower()}",
            "ethnicity": lambda v: f"{person}: {ETHNIC_BROAD[v][0]}",
        }
        return [(key, words[key](getattr(self, key))) for key in WHO if getattr(self, key)]

    def details(self) -> list[tuple[str, str]]:
        """The click filters that are set, as (URL parameter, words) for the filter bar."""
        from svcore.vocab import label

        words = {
            "weapon": lambda v: f"Weapon or method: {label('weapon', v)}",
            "location": lambda v: f"Location: {label('location_type', v)}",
            "day": lambda v: f"Day: {v}",
            "hour": lambda v: f"Hour: {int(v):02d}:00 to {int(v):02d}:59",
        }
        return [
            (key, words[key](getattr(self, attr)))
            for key, attr in DETAIL.items()
            if getattr(self, attr) is not None
        ]

    def describe(self, names: Mapping[str, str] | None = None) -> str:
        """Plain words for titles and export notes (area names when ``names`` knows them)."""
        names = names or {}
        parts = []
        if self.date_from or self.date_to:
            parts.append(f"{self.date_from or 'start'} to {self.date_to or 'latest'}")
        else:
            parts.append("all months held")
        if self.districts:
            parts.append(", ".join(names.get(d, d) for d in self.districts))
        if self.wards:
            parts.append(", ".join(names.get(w, w) for w in self.wards))
        parts.append(SOURCES.get(self.source, "all sources") if self.source else "all sources")
        parts += [words for _, words in self.details()]
        parts += [words for _, words in self.who()]
        return "; ".join(parts)


def _texts(value: object) -> list[str]:
    """A parsed-pairs value as strings: a list's items or the one value (JSON from a client
    may hold numbers, nulls or lists where text belongs; None means no value)."""
    items = value if isinstance(value, (list, tuple)) else [value]
    return [v if isinstance(v, str) else str(v) for v in items if v is not None]


def parse_filters(
    query: str | Mapping[str, list[str]] | None, default_definition: str = "home_office"
) -> Filters:
    """Filters from a URL query string (``a=1&b=2`` or parsed pairs); bad values are dropped."""
    msgs: list[str] = []
    if isinstance(query, str) or query is None:
        q = parse_qs((query or "").lstrip("?"), keep_blank_values=False)
    elif isinstance(query, Mapping):
        q = {k: _texts(v) for k, v in query.items() if isinstance(k, str)}
    else:
        q = {}
        msgs.append("Ignored the filters: they are not a query string.")

    def codes(key: str) -> tuple[str, ...]:
        out = []
        for raw in q.get(key, []):
            for v in raw.split(","):
                v = v.strip().upper()
                if not v:
                    continue
                if GSS.fullmatch(v):
                    out.append(v)
                else:
                    msgs.append(f"Ignored {key} {v[:20]!r}: not a GSS code.")
        return tuple(dict.fromkeys(out))

    def month(key: str) -> str | None:
        vals = q.get(key, [])
        if not vals:
            return None
        v = vals[-1].strip()
        if MONTH.fullmatch(v):
            return v
        msgs.append(f"Ignored {key} {v[:20]!r}: expected a month YYYY-MM (1900-01 to 2099-12).")
        return None

    definition_name = (q.get("definition") or [default_definition])[-1]
    # Only definitions shipped with the tool or configured for the partnership: a URL must
    # never make the server open a file of its choosing.
    if definition_name not in {*builtin_names(), default_definition}:
        msgs.append(f"Unknown definition {definition_name[:30]!r}: using {default_definition}.")
        definition_name = default_definition
    try:
        definition = load_definition(definition_name)
    except DefinitionError:
        msgs.append(f"Definition {definition_name[:30]!r} cannot be read: using home_office.")
        definition_name = "home_office"
        definition = load_definition(definition_name)

    group = (q.get("group") or [None])[-1]
    if group is not None and group not in definition.group_keys():
        msgs.append(f"Unknown offence group {group[:30]!r}: showing all serious violence.")
        group = None

    source: str | None = "police"
    if q.get("source"):
        s = q["source"][-1]
        if s == "all":
            source = None
        elif s in SOURCES:
            source = s
        else:
            msgs.append(f"Unknown source {s[:30]!r}: showing police recorded crime.")

    def category(key: str) -> str | None:
        vals = q.get(key, [])
        if not vals:
            return None
        v = vals[-1].strip()
        if CATEGORY.fullmatch(v):
            return v
        msgs.append(f"Ignored {key} {v[:20]!r}: not a recorded category.")
        return None

    weekday = (q.get("day") or [None])[-1]
    if weekday is not None and weekday not in WEEKDAYS:
        msgs.append(f"Ignored day {weekday[:20]!r}: expected Monday to Sunday.")
        weekday = None
    hour_text = (q.get("hour") or [None])[-1]
    hour = None
    if hour_text is not None:
        if re.fullmatch(r"[0-9]{1,2}", hour_text) and int(hour_text) < 24:
            hour = int(hour_text)
        else:
            msgs.append(f"Ignored hour {hour_text[:20]!r}: expected 0 to 23.")

    person = (q.get("person") or ["victim"])[-1].strip().lower()
    if person not in PERSONS:
        msgs.append(f"Ignored person {person[:20]!r}: expected victim or suspect.")
        person = "victim"

    def choice(key: str, allowed, fold, expected: str) -> str | None:
        vals = q.get(key, [])
        if not vals:
            return None
        v = fold(vals[-1].strip())
        if v in allowed:
            return v
        msgs.append(f"Ignored {key} {vals[-1][:20]!r}: expected {expected}.")
        return None

    # A "+" typed in an address reads as a space: "age=65+" arrives as "65".
    age = choice(
        "age",
        AGE_FILTERS,
        lambda v: "65+" if v == "65" else v.lower(),
        "under25, under18 or an age band (" + ", ".join(list(AGE_FILTERS)[2:]) + ")",
    )
    sex = choice(
        "sex", WHO_SEXES, lambda v: {"female": "F", "male": "M"}.get(v.lower(), v.upper()), "F or M"
    )
    ethnicity = choice(
        "ethnicity", ETHNIC_BROAD, str.lower, "a broad group (" + ", ".join(ETHNIC_BROAD) + ")"
    )
    year = choice(
        "year",
        YEARS,
        lambda v: "fy" if v.lower() in ("fy", "financial") else v.lower(),
        "fy or calendar",
    )

    date_from, date_to = month("from"), month("to")
    if date_from and date_to and date_from > date_to:
        msgs.append("The period ends before it starts: the dates were swapped.")
        date_from, date_to = date_to, date_from
    return Filters(
        districts=codes("district"),
        wards=codes("ward"),
        date_from=date_from,
        date_to=date_to,
        group=group,
        source=source,
        definition=definition_name,
        weapon=category("weapon"),
        location=category("location"),
        weekday=weekday,
        hour=hour,
        person=person,
        age=age,
        sex=sex,
        ethnicity=ethnicity,
        year=year,
        messages=_summarised(msgs),
        default_definition=default_definition,
    )


def _summarised(msgs: list[str]) -> tuple[str, ...]:
    """Each message once, and no more than a page can show: a URL of a thousand bad codes
    gets ten lines and a count, not a thousand lines."""
    unique = list(dict.fromkeys(msgs))
    if len(unique) <= MAX_MESSAGES:
        return tuple(unique)
    rest = len(unique) - (MAX_MESSAGES - 1)
    return (*unique[: MAX_MESSAGES - 1], f"... and {rest} more values ignored.")
