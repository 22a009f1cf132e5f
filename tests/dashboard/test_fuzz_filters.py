"""Fuzzing the filter bar's parsers: any URL or stored value gives filters, never an error.

The filters arrive from places the server does not control: a hand-edited or truncated address
bar, a link pasted from an email, and Dash callback payloads (JSON a client can forge). Every
one goes through ``parse_filters``; a value it cannot use is dropped with a message, and what it
keeps must be safe to hand to the SQL (ASCII GSS codes, real months in order, known source,
definition and group). A query written back to the address bar must parse to the same filters,
or a bookmark would show a different view from the one saved.

Examples are derandomised; ``SVDASH_FUZZ_EXAMPLES`` multiplies the counts for a long local run
and ``SVDASH_FUZZ_RANDOM=1`` draws fresh examples each run.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, quote, urlencode

import pytest
from dash.exceptions import PreventUpdate
from helpers import fuzz
from hypothesis import example, given
from hypothesis import strategies as st

from dashboard.callbacks.common import MAX_QUERY, request
from dashboard.callbacks.filters import filters_of
from dashboard.data import WarehouseSource
from dashboard.filters import (
    GSS,
    MAX_MESSAGES,
    MONTH,
    PERSONS,
    WHO_SEXES,
    YEARS,
    Filters,
    parse_filters,
)
from svcore.definitions import builtin_names, load_definition
from svcore.vocab import AGE_FILTERS, ETHNIC_BROAD, SOURCES

KEYS = ("district", "ward", "from", "to", "group", "source", "definition")
WHO_KEYS = ("person", "age", "sex", "ethnicity", "year")
WHO_VALUES = (*PERSONS, *AGE_FILTERS, *WHO_SEXES, *ETHNIC_BROAD, *YEARS, "65", "f", "Female")
GROUPS = tuple(load_definition("home_office").group_keys())


# ---- strategies --------------------------------------------------------------------------

HOSTILE = (
    "",
    " ",
    ",",
    ",,",
    "%",
    "%zz",
    "%00",
    "\x00",
    "+",
    "&",
    "=",
    "#",
    "?",
    ";",
    "\n",
    "\t",
    "None",
    "null",
    "undefined",
    "[]",
    "{}",
    "all",
    "ALL",
    "police ",
    "Police",
    "../../etc/passwd",
    "/etc/passwd.toml",
    "home_office.toml",
    "HOME_OFFICE",
    "E08000035",
    "e08000035",
    " E08000035 ",
    "E08000035,E08000036",
    "E08000035,,LEEDS",
    "E0800003５",
    "E0800003٥",
    "E08000035\n",
    "X08000035",
    "E080000351",
    "E0800003",
    "2023-01",
    "2023-1",
    "2023-13",
    "2023-00",
    "0000-01",
    "0001-01",
    "1899-12",
    "2100-01",
    "٢٠٢٣-٠١",
    "２０２３-01",
    "2023-01\n",
    " 2023-01 ",
    "2023-01-01",
    "202301",
    "knife_sharp",
    "KNIFE_SHARP",
    "homicide ",
    "x" * 5000,
    "💥",
    "\u202e",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "65+",
    "65 ",
    "UNDER25",
    "under 25",
    "18-24 ",
    "unknown",
    "not_stated",
    "FY",
)
valid_value = st.one_of(
    st.from_regex(r"[EWSNewsn][0-9]{8}", fullmatch=True),
    st.from_regex(r"(19|20)[0-9]{2}-(0[1-9]|1[0-2])", fullmatch=True),
    st.sampled_from((*GROUPS, *SOURCES, "all", *builtin_names())),
    st.sampled_from(WHO_VALUES),
)
value = st.one_of(
    valid_value,
    st.sampled_from(HOSTILE),
    st.text(max_size=20),
    st.lists(valid_value, min_size=2, max_size=4).map(",".join),
)
key = st.one_of(
    st.sampled_from(KEYS),
    st.sampled_from(WHO_KEYS),
    st.sampled_from(("District", " from", "scope", "messages", "definition[]", "")),
    st.text(max_size=8),
)
pairs = st.lists(st.tuples(key, value), max_size=10)
query_string = st.one_of(
    st.text(max_size=200),
    pairs.map(urlencode),
    pairs.map(lambda ps: "&".join(f"{k}={v}" for k, v in ps)),  # hand-typed: not encoded
    pairs.map(lambda ps: "?" + ";".join(f"{quote(k)}={quote(v)}" for k, v in ps)),
)
json_scalar = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=12), value
)
json_value = st.recursive(
    json_scalar,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=8,
)
parsed_pairs = st.dictionaries(
    st.one_of(st.sampled_from(KEYS + WHO_KEYS), st.text(max_size=8)),
    st.one_of(st.lists(json_scalar, max_size=4), json_value),
    max_size=8,
)
default_definition = st.sampled_from((*builtin_names(), "home_office", "no_such_definition"))


# ---- the properties ----------------------------------------------------------------------


def assert_valid(f: Filters, default: str) -> None:
    """What the rest of the dashboard may rely on, whatever the URL said."""
    assert isinstance(f, Filters)
    for codes in (f.districts, f.wards):
        assert isinstance(codes, tuple) and len(set(codes)) == len(codes)
        assert all(isinstance(c, str) and GSS.fullmatch(c) and c.isascii() for c in codes), codes
    for month in (f.date_from, f.date_to):
        assert month is None or (MONTH.fullmatch(month) and month.isascii()), month
    if f.date_from and f.date_to:
        assert f.date_from <= f.date_to
    assert f.definition in builtin_names() or f.definition == default
    assert f.group is None or f.group in load_definition(f.definition).group_keys()
    assert f.source is None or f.source in SOURCES
    assert f.scope is None  # never from a URL
    assert f.person in PERSONS
    assert f.age is None or f.age in AGE_FILTERS
    assert f.sex is None or f.sex in WHO_SEXES
    assert f.ethnicity is None or f.ethnicity in ETHNIC_BROAD
    assert f.year is None or f.year in YEARS
    assert all(isinstance(m, str) and m for m in f.messages)
    assert len(f.messages) <= MAX_MESSAGES


def assert_round_trip(f: Filters, default: str) -> None:
    """The query written back to the address bar parses to the same filters, cleanly."""
    again = parse_filters(f.to_query(), default)
    assert again == f, (f.to_query(), again, f)
    if f.definition in builtin_names():
        assert not again.messages, again.messages


def assert_explained(f: Filters, q: dict[str, list[str]]) -> None:
    """A value given for a filter and not used has a message saying so."""
    msgs = " ".join(f.messages).lower()
    capped = any(m.startswith("... and") for m in f.messages)

    def said(text: str) -> bool:
        return text.lower() in msgs or capped

    for k in ("district", "ward"):
        given_codes = [v.strip().upper() for raw in q.get(k, []) for v in raw.split(",")]
        if any(v and not GSS.fullmatch(v) for v in given_codes):
            assert said(f"Ignored {k} "), (k, q, f.messages)
    for k, kept in (("from", f.date_from), ("to", f.date_to)):
        if q.get(k) and kept is None:
            assert said(f"Ignored {k} "), (k, q, f.messages)
    if (
        q.get("source")
        and f.source != q["source"][-1]
        and not (q["source"][-1] == "all" and f.source is None)
    ):
        assert said("Unknown source"), (q, f.messages)
    if q.get("group") and f.group != q["group"][-1]:
        assert said("Unknown offence group"), (q, f.messages)
    if q.get("definition") and f.definition != q["definition"][-1]:
        assert said("definition"), (q, f.messages)
    for k in ("age", "sex", "ethnicity", "year"):
        if q.get(k) and getattr(f, k) is None:
            assert said(f"Ignored {k} "), (k, q, f.messages)
    if q.get("person") and f.person != q["person"][-1].strip().lower():
        assert said("Ignored person "), (q, f.messages)


def check(query: object, default: str) -> Filters:
    f = parse_filters(query, default)  # type: ignore[arg-type]
    assert_valid(f, default)
    assert_round_trip(f, default)
    return f


@fuzz(150)
@given(query=query_string, default=default_definition)
@example(query="district=E0800003%D9%A5&from=%D9%A2%D9%A0%D9%A2%D9%A3-01", default="home_office")
@example(query="from=0000-01&to=0001-01", default="home_office")
@example(query="definition=home_office", default="no_such_definition")
def test_any_query_string_gives_valid_filters_that_round_trip(query: str, default: str) -> None:
    f = check(query, default)
    assert_explained(f, parse_qs(query.lstrip("?"), keep_blank_values=False))


@fuzz(150)
@given(query=parsed_pairs, default=default_definition)
@example(
    query={"district": [5, None, ["E08000035"]], "from": [None], "to": 202301},
    default="home_office",
)
@example(
    query={"group": [["knife_sharp"]], "source": [{}], "definition": [1.5]}, default="home_office"
)
def test_any_parsed_pairs_give_valid_filters_that_round_trip(query: dict, default: str) -> None:
    f = check(query, default)
    as_text = {
        k: [
            v if isinstance(v, str) else str(v)
            for v in (vs if isinstance(vs, list) else [vs])
            if v is not None
        ]
        for k, vs in query.items()
    }
    assert_explained(f, as_text)


@fuzz(50)
@given(
    query=st.one_of(
        st.binary(max_size=20),
        st.integers(),
        st.lists(st.text(max_size=5)),
        st.tuples(st.text(max_size=5)),
    )
)
def test_a_value_that_is_not_a_query_is_ignored_with_a_message(query: object) -> None:
    f = check(query, "home_office")
    assert f == Filters() and f.messages


@fuzz(100)
@given(
    values=st.tuples(
        st.one_of(st.none(), st.lists(st.one_of(st.none(), value), max_size=4), value),
        st.one_of(st.none(), st.lists(st.one_of(st.none(), value), max_size=4), value),
        st.one_of(st.none(), value),
        st.one_of(st.none(), value),
        st.one_of(st.none(), value),
        st.one_of(st.none(), value),
        st.one_of(st.none(), value),
        # person, age, sex, ethnicity, the period shortcut (absent from older payloads).
        st.lists(st.one_of(st.none(), value), max_size=5),
    ).map(lambda t: (*t[:-1], *t[-1]))
)
def test_the_filter_controls_give_valid_filters(values: tuple) -> None:
    """What the filter bar's controls send (lists of codes, single values, or null)."""
    f = filters_of(list(values), "home_office")
    assert_valid(f, "home_office")
    assert_round_trip(f, "home_office")


def test_a_forged_control_value_is_dropped_with_a_message() -> None:
    f = filters_of([5, 7.5, None, None, None, None, None], "home_office")
    assert f.districts == () and f.wards == () and f.messages


@pytest.fixture
def demo_source(make_warehouse: Callable[..., Path]) -> WarehouseSource:
    """A warehouse in demo mode: ``request`` sees the open demo viewer, no sign-in needed."""
    return WarehouseSource(make_warehouse(demo=True))


PAGES = (
    "",
    "/",
    "/where",
    "/when",
    "/how",
    "/who",
    "/factors",
    "/quality",
    "/audit",
    "/admin",
    "//",
    "/where/",
    "\x00",
    "/../quality",
)


@fuzz(40)
@given(
    query=st.one_of(
        st.none(),
        query_string,
        json_value,
        st.just("a" * (MAX_QUERY + 1)),
        st.just("district=E08000001&" * 300),
    ),
    page=st.one_of(st.sampled_from(PAGES), st.text(max_size=10)),
)
def test_the_stored_query_gives_a_request_or_no_answer(
    demo_source: WarehouseSource, query: object, page: str
) -> None:
    """The filters store as every page callback reads it: a request, or HTTP 204."""
    default = demo_source.settings().definition
    try:
        req = request(demo_source, query, page)  # type: ignore[arg-type]
    except PreventUpdate:
        assert not isinstance(query, str) or len(query) > MAX_QUERY or page
        return
    assert isinstance(query, str) and len(query) <= MAX_QUERY
    assert req.filters.scope is None  # the demo analyst sees every district
    assert_valid(req.filters.with_(scope=None), default)
    assert_round_trip(req.filters.with_(scope=None), default)
