"""The SQL text we build ourselves: values as named parameters, names and paths quoted.

Every value from a file, a definition, a filter or a user goes into a query as a parameter
(``Params``), never spliced into its text, so no value can change what a query does. The few
things DuckDB takes no parameter for are quoted here, and only here: identifiers (column and
table names, some of them from a partner's header) and the string literals of file paths
(``COPY ... TO`` and a view's list of Parquet parts). One quoting rule for the whole project
means a fix to it is a fix everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


class Params:
    """Collects named query parameters so SQL fragments compose without string values.

    Each ``add`` returns the placeholder (``$p0``, ``$p1``...) to put in the SQL text; pass
    ``values`` with the query. Fragments built by different functions share one collector, so
    their placeholders never clash.
    """

    def __init__(self, prefix: str = "p") -> None:
        self.prefix = prefix
        self.values: dict[str, object] = {}

    def add(self, value: object) -> str:
        name = f"{self.prefix}{len(self.values)}"
        self.values[name] = value
        return f"${name}"


def ident(name: str) -> str:
    """A SQL identifier, double-quoted with any double quote in it doubled: safe for any name
    (a partner's column header may hold spaces, quotes or SQL keywords)."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str | Path) -> str:
    """A SQL string literal, single-quoted with any single quote doubled. Only for what cannot
    be a parameter (the target of ``COPY ... TO``, the files of a view); values are ``Params``."""
    return "'" + str(text).replace("'", "''") + "'"


def literal_list(texts: Iterable[str]) -> str:
    """A SQL list of string literals, ``['a', 'b']``: the Parquet files a view or scan reads."""
    return "[" + ", ".join(literal(t) for t in texts) + "]"
