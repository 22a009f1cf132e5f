"""The serious-violence definition as configuration: TOML files compiled to SQL predicates.

Every page, export and the report pack reads groups from here, so switching the definition
switches it everywhere at once. Predicates are built with parameters only: the values in a
definition file are data, never spliced into SQL text.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from svcore.sql import Params

# Columns a rule may test, per source (the feeds' classification columns).
CLASSIFIERS: dict[str, frozenset[str]] = {
    "police": frozenset({"ho_offence_code", "weapon", "domestic_abuse", "location_type"}),
    "policeuk": frozenset({"crime_type"}),
    "health": frozenset(
        {"assault_method", "relationship_to_assailant", "assault_location_type", "admitted"}
    ),
    "probation": frozenset({"index_offence_group", "rosh_level", "supervision_type"}),
    "youth_justice": frozenset({"offence_group", "first_time_entrant"}),
}

# The open-vocabulary code column of a source (the other classifiers are closed lists that the
# contracts check): a code here that the definition names nowhere is reported, not dropped
# unseen ("codes not in the definition" in the load report and on the quality page).
CODE_COLUMNS: dict[str, str] = {"police": "ho_offence_code", "policeuk": "crime_type"}


class DefinitionError(ValueError):
    """A definition file that cannot be used; the message names the file and the group."""


@dataclass(frozen=True)
class Rule:
    source: str
    conditions: tuple[tuple[str, tuple[object, ...]], ...]


@dataclass(frozen=True)
class Group:
    key: str
    label: str
    rules: tuple[Rule, ...]

    def sources(self) -> frozenset[str]:
        return frozenset(r.source for r in self.rules)


@dataclass(frozen=True)
class Definition:
    name: str
    title: str
    description: str
    groups: tuple[Group, ...]
    # Codes the definition knows and leaves out of serious violence on purpose ([outside]).
    outside: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def named_codes(self, source: str) -> frozenset[str] | None:
        """Every value of the source's code column the definition names, in a group or in
        [outside]; None when a rule takes every row of the source (nothing can fall out)."""
        column = CODE_COLUMNS.get(source)
        codes = {str(v) for s, values in self.outside if s == source for v in values}
        for g in self.groups:
            for rule in g.rules:
                if rule.source != source:
                    continue
                if not rule.conditions:
                    return None
                codes |= {str(v) for c, values in rule.conditions if c == column for v in values}
        return frozenset(codes)

    def group(self, key: str) -> Group:
        for g in self.groups:
            if g.key == key:
                return g
        raise KeyError(key)

    def group_keys(self, source: str | None = None) -> list[str]:
        return [g.key for g in self.groups if source is None or source in g.sources()]

    def predicate(self, source: str, params: Params, group: str | None = None) -> str:
        """SQL boolean over one source's table: the event is in ``group`` (or in any group)."""
        groups = [self.group(group)] if group else list(self.groups)
        clauses = []
        # Rules testing one column are merged per column: ``a IN (x) OR a IN (y)`` is
        # ``a IN (x, y)``, and DuckDB evaluates one list test per column about twice as fast.
        single: dict[str, list[str]] = {}
        for g in groups:
            for rule in g.rules:
                if rule.source != source:
                    continue
                if not rule.conditions:
                    return "(TRUE)"
                if len(rule.conditions) == 1:
                    col, values = rule.conditions[0]
                    merged = single.setdefault(col, [])
                    merged += [v for v in values if v not in merged]
                    continue
                parts = [
                    f"{col} = ANY({params.add(list(values))})" for col, values in rule.conditions
                ]
                clauses.append("(" + " AND ".join(parts) + ")")
        clauses = [
            f"({col} = ANY({params.add(values)}))" for col, values in single.items()
        ] + clauses
        return "(" + (" OR ".join(clauses) or "FALSE") + ")"

    def groups_list_sql(self, source: str, params: Params) -> str:
        """SQL list of the group keys an event falls in (for breakdowns by group)."""
        items = []
        for g in self.groups:
            if source not in g.sources():
                continue
            pred = self.predicate(source, params, g.key)
            items.append(f"CASE WHEN {pred} THEN {params.add(g.key)} END")
        if not items:
            return "CAST([] AS VARCHAR[])"
        return f"list_filter([{', '.join(items)}], lambda x: x IS NOT NULL)"


def _parse(data: dict, origin: str) -> Definition:
    try:
        name = str(data["name"])
        groups_raw = data["groups"]
    except KeyError as exc:
        raise DefinitionError(f"{origin}: missing key {exc.args[0]!r}") from None
    if not isinstance(groups_raw, dict):
        raise DefinitionError(f"{origin}: groups must be a table of groups ([groups.NAME])")
    groups = []
    for key, g in groups_raw.items():
        if not isinstance(g, dict):
            raise DefinitionError(f"{origin}: group {key!r} must be a table ([groups.{key}])")
        rules_raw = g.get("rules", [])
        if not isinstance(rules_raw, list) or not all(isinstance(r, dict) for r in rules_raw):
            raise DefinitionError(
                f"{origin}: group {key!r}: rules must be a list of tables ([[groups.{key}.rules]])"
            )
        rules = []
        for i, r in enumerate(rules_raw):
            r = dict(r)
            source = r.pop("source", None)
            if source not in CLASSIFIERS:
                raise DefinitionError(
                    f"{origin}: group {key!r} rule {i + 1} has unknown source {source!r}"
                )
            conds = []
            for col, values in r.items():
                if col not in CLASSIFIERS[source]:
                    raise DefinitionError(
                        f"{origin}: group {key!r} rule {i + 1}: {source} has no classifying "
                        f"column {col!r} (allowed: {', '.join(sorted(CLASSIFIERS[source]))})"
                    )
                if not isinstance(values, list) or not values:
                    raise DefinitionError(
                        f"{origin}: group {key!r} rule {i + 1}: {col} needs a non-empty list"
                    )
                conds.append((col, tuple(values)))
            rules.append(Rule(source, tuple(conds)))
        if not rules:
            raise DefinitionError(f"{origin}: group {key!r} has no rules")
        groups.append(Group(key, str(g.get("label", key)), tuple(rules)))
    outside = data.get("outside", {})
    if not isinstance(outside, dict):
        raise DefinitionError(f"{origin}: [outside] must be a table of source = [codes]")
    for source, values in outside.items():
        if source not in CODE_COLUMNS:
            raise DefinitionError(
                f"{origin}: [outside] {source!r}: only {', '.join(CODE_COLUMNS)} have codes"
            )
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise DefinitionError(f"{origin}: [outside] {source} needs a list of codes as text")
    return Definition(
        name,
        str(data.get("title", name)),
        str(data.get("description", "")),
        tuple(groups),
        tuple((source, tuple(values)) for source, values in outside.items()),
    )


def builtin_names() -> list[str]:
    root = resources.files(__package__)
    return sorted(p.name.removesuffix(".toml") for p in root.iterdir() if p.name.endswith(".toml"))


def _looks_like_path(name_or_path: str) -> bool:
    return (
        "/" in name_or_path
        or "\\" in name_or_path
        or name_or_path.startswith("~")
        or Path(name_or_path).suffix.lower() == ".toml"
    )


def _read_file(name_or_path: str) -> str:
    """A definition file's text, or a DefinitionError saying why it cannot be read."""
    path = Path(name_or_path).expanduser()
    if not path.exists():
        raise DefinitionError(f"{name_or_path}: no such definition file")
    if path.is_dir():
        raise DefinitionError(f"{name_or_path}: is a folder, not a definition file")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DefinitionError(f"{name_or_path}: cannot be read ({exc.strerror or exc})") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DefinitionError(
            f"{name_or_path}: not UTF-8 text (byte {exc.start + 1}); save it as UTF-8"
        ) from None


def definition_text(name_or_path: str) -> str:
    """The TOML text of a built-in definition or a definition file (the report pack's
    manifest records its SHA-256, so a pack names exactly the definition it counted by)."""
    if name_or_path in builtin_names():
        return (resources.files(__package__) / f"{name_or_path}.toml").read_text(encoding="utf-8")
    if _looks_like_path(name_or_path) or Path(name_or_path).expanduser().exists():
        return _read_file(name_or_path)
    raise DefinitionError(
        f"no definition {name_or_path!r}: not a built-in one ({', '.join(builtin_names())}) "
        "and no such file"
    )


@cache
def load_definition(name_or_path: str = "home_office") -> Definition:
    """A built-in definition by name, or a definition TOML file by path, wherever it is.

    A built-in name wins over a file of that name in the working folder. A file that cannot
    be used raises :class:`DefinitionError` naming it and saying why (missing, a folder,
    unreadable, not UTF-8, not TOML, or not a definition).
    """
    text, origin = definition_text(name_or_path), name_or_path
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DefinitionError(f"{origin}: not valid TOML: {exc}") from None
    return _parse(data, origin)
