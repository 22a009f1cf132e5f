"""How the ``svdash`` commands print listings: a rich table on a terminal, plain
tab-separated lines otherwise (a pipe, a file, cron), and JSON with ``--json``."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from rich.console import Console
from rich.table import Table


def listing(
    console: Console,
    columns: Sequence[str],
    rows: Iterable[Sequence[object]],
    title: str | None = None,
    right: Sequence[str] = (),
) -> None:
    """A rich table when ``console`` is a terminal; otherwise the header and then one line a
    row, cells separated by tabs (whitespace inside a cell folded to single spaces)."""
    cells = [["" if v is None else str(v) for v in row] for row in rows]
    if console.is_terminal:
        table = Table(title=title)
        for col in columns:
            table.add_column(col, justify="right" if col in right else "left")
        for row in cells:
            table.add_row(*row)
        console.print(table)
        return
    for line in (list(columns), *cells):
        print("\t".join(" ".join(c.split()) for c in line))


def print_json(data: object) -> None:
    """JSON on standard output, indented, never wrapped or highlighted."""
    print(json.dumps(data, indent=2, default=str))
