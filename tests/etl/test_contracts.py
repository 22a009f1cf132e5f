"""The contracts: internally consistent, in step with FEEDS.md and with the definition."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import count

from etl.contracts import CONTRACTS, EVENT_FEEDS, FEEDS, HO_CODE, contract
from etl.events import EVENTS_COLUMNS
from etl.mapping import normalise_name
from etl.validate import stored_schema
from svcore import vocab
from svcore.definitions import CLASSIFIERS, builtin_names, load_definition

FEEDS_MD = Path(__file__).resolve().parents[2].parent / "shared" / "design" / "FEEDS.md"


@pytest.mark.parametrize("feed", FEEDS)
def test_contract_is_consistent(feed: str) -> None:
    c = contract(feed)
    assert c.feed == feed
    names = c.names
    assert len(set(names)) == len(names)
    assert all(normalise_name(n) == n for n in names)  # canonical names survive normalising
    assert c.place_column is None or c.place_column in names
    for cmp in c.comparisons:
        left, right = c.column(cmp.left), c.column(cmp.right)
        assert left.type == right.type and left.type in ("date", "datetime")
    for name in c.not_future:
        assert c.column(name).type in ("date", "datetime")
    for name in c.excluded_when_blank:
        assert not c.column(name).required
    for col in c.columns:
        assert (col.type == "enum") == bool(col.enum), col
        if col.min is not None and col.max is not None:
            assert col.min <= col.max
        if col.pattern:
            re.compile(col.pattern)
        if col.pseudonymise:
            assert col.store and col.stored_name.endswith("_key")
    stored = [n for n, _ in stored_schema(c)]
    assert len(set(stored)) == len(stored)
    assert not {col.name for col in c.columns if col.pseudonymise or not col.store} & set(stored)
    assert stored[-3:] == ["partner", "period_key", "load_id"]
    if c.kind == "event":
        assert {"ward_code", "district_code", "period"} <= set(stored)
        assert c.place_column is not None


def test_event_feeds() -> None:
    assert EVENT_FEEDS == ("police", "policeuk", "health", "probation", "youth_justice")
    assert set(EVENT_FEEDS) == set(vocab.SOURCES) == set(CLASSIFIERS)
    # Every event feed keys its records or people; the key column names are what views expect.
    for feed in EVENT_FEEDS:
        keys = [c.stored_name for c in contract(feed).columns if c.pseudonymise]
        assert len(keys) == 1 and keys[0] in ("crime_key", "attendance_key", "person_key")


def test_unknown_feed() -> None:
    with pytest.raises(KeyError, match="unknown feed 'burglary'.*police, policeuk"):
        contract("burglary")


@pytest.mark.parametrize("code", ["1", "4/1", "4/10", "5D", "8N", "34B", "10A", "88A", "105A"])
def test_home_office_code_pattern_accepts(code: str) -> None:
    assert re.fullmatch(HO_CODE, code)


@pytest.mark.parametrize("code", ["", "ABC", "8n", "8N/", "34 B", "1234"])
def test_home_office_code_pattern_refuses(code: str) -> None:
    assert not re.fullmatch(HO_CODE, code)


def test_free_text_and_identifiers_are_never_stored() -> None:
    health = CONTRACTS["health"]
    assert not health.column("assault_location_description").store
    uk = CONTRACTS["policeuk"]
    assert {c.name for c in uk.columns if not c.store} == {
        "longitude",
        "latitude",
        "location",
        "lsoa_name",
        "context",
    }
    for feed in EVENT_FEEDS:
        for col in contract(feed).columns:
            if col.name.endswith("_ref"):
                assert col.pseudonymise, (feed, col.name)


# ---- in step with FEEDS.md -----------------------------------------------------------------

MD_TYPES = {
    "GSS": ("lsoa",),
    "int": ("int",),
    "enum": ("enum",),
    "bool": ("bool",),
    "text": ("text",),
    "date": ("date",),
    "time": ("time",),
    "datetime": ("datetime",),
}


def md_table(feed: str) -> list[tuple[list[str], str, str]]:
    """The rows of a feed's column table in FEEDS.md: (column names, type, rule)."""
    text = FEEDS_MD.read_text(encoding="utf-8")
    section = text.split(f"### `{feed}`", 1)[1].split("###", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or cells[0] in ("column", "---"):
            continue
        rows.append(([n.strip() for n in cells[0].split(",")], cells[1], cells[2]))
    return rows


@pytest.mark.skipif(not FEEDS_MD.exists(), reason="FEEDS.md not present")
@pytest.mark.parametrize("feed", ["police", "health"])
def test_contract_matches_feeds_md(feed: str) -> None:
    c = contract(feed)
    rows = md_table(feed)
    documented = [n for names, _, _ in rows for n in names]
    assert documented == list(c.names)
    for names, kind, rule in rows:
        for name in names:
            col = c.column(name)
            assert col.type in MD_TYPES[kind], (name, kind, col.type)
            if rule.startswith("required"):
                assert col.required, name
            if kind == "enum" and not rule.startswith("as "):
                listed = re.sub(r"\(.*?\)", "", rule)  # drop asides such as "(ONS 5+1 groups)"
                assert list(col.enum) == [v.strip() for v in listed.split(",")], name
            m = re.search(r"(\d+)–(\d+)", rule)
            if kind == "int" and m:
                assert (col.min, col.max) == (int(m.group(1)), int(m.group(2)))
            if "unique" in rule:
                assert col.unique, name


@pytest.mark.skipif(not FEEDS_MD.exists(), reason="FEEDS.md not present")
def test_policeuk_native_columns_match_feeds_md() -> None:
    text = FEEDS_MD.read_text(encoding="utf-8")
    native = re.search(r"Native columns: `([^`]+)`", text.replace("\n", " ")).group(1)
    assert [normalise_name(n) for n in native.split(",")] == list(contract("policeuk").names)
    types = re.findall(
        r"`(Violence and sexual offences)`, `(Robbery)`,\s+`(Possession of weapons)`", text
    )
    assert tuple(types[0]) == vocab.POLICEUK_SERIOUS_TYPES


# ---- in step with the serious-violence definition and the events view ----------------------


def test_definition_columns_exist_and_are_stored() -> None:
    for source, columns in CLASSIFIERS.items():
        stored = {n for n, _ in stored_schema(contract(source))}
        assert columns <= stored, (source, columns - stored)


@pytest.mark.parametrize("name", builtin_names())
def test_definition_values_are_valid_codes(name: str) -> None:
    d = load_definition(name)
    for group in d.groups:
        for rule in group.rules:
            for column, values in rule.conditions:
                col = contract(rule.source).column(column)
                if col.type == "enum":
                    assert set(values) <= set(col.enum), (group.key, column, values)
                if column == "ho_offence_code":
                    assert all(re.fullmatch(HO_CODE, v) for v in values), values
                if column == "crime_type":
                    assert set(values) <= set(vocab.POLICEUK_SERIOUS_TYPES)
    uk_types = {
        v
        for g in d.groups
        for r in g.rules
        if r.source == "policeuk"
        for col, vals in r.conditions
        if col == "crime_type"
        for v in vals
    }
    assert uk_types == set(vocab.POLICEUK_SERIOUS_TYPES)


def test_events_view_builds_over_empty_tables(warehouse) -> None:
    assert count(warehouse, "events") == 0
    for feed in (*FEEDS, "quarantine"):
        assert count(warehouse, feed) == (5 if feed == "geography" else 0)
    assert len(set(EVENTS_COLUMNS)) == len(EVENTS_COLUMNS)
