"""The one parameter collector and the one quoting rule, against real DuckDB: a name or a path
full of quotes is data, never SQL."""

from __future__ import annotations

from pathlib import Path

import duckdb

from svcore.sql import Params, ident, literal, literal_list

NASTY = ["plain", "with space", 'quote"inside', "it's", "select", '"; DROP TABLE t; --', "é ünï"]


def test_params_compose_across_fragments_without_clashing() -> None:
    params = Params()
    a = f"x = {params.add(1)}"
    b = f"y = ANY({params.add(['a', 'b'])})"
    assert (a, b) == ("x = $p0", "y = ANY($p1)")
    con = duckdb.connect()
    got = con.execute(
        f"SELECT count(*) FROM (VALUES (1, 'a'), (1, 'c'), (2, 'b')) t(x, y) WHERE {a} AND {b}",
        params.values,
    ).fetchone()[0]
    assert got == 1


def test_ident_round_trips_any_name() -> None:
    con = duckdb.connect()
    cols = ", ".join(f"{i} AS {ident(name)}" for i, name in enumerate(NASTY))
    con.execute(f"CREATE TABLE t AS SELECT {cols}")
    assert [r[0] for r in con.execute("DESCRIBE t").fetchall()] == NASTY
    for i, name in enumerate(NASTY):
        assert con.execute(f"SELECT {ident(name)} FROM t").fetchone()[0] == i


def test_literal_is_the_text_itself(tmp_path: Path) -> None:
    con = duckdb.connect()
    for text in NASTY:
        assert con.execute(f"SELECT {literal(text)}").fetchone()[0] == text
    assert con.execute(f"SELECT {literal_list(NASTY)}").fetchone()[0] == NASTY
    folder = tmp_path / 'it\'s a "folder"'
    folder.mkdir()
    target = folder / "part.parquet"
    con.execute(f"COPY (SELECT 42 AS n) TO {literal(target)} (FORMAT parquet)")
    assert con.execute(f"SELECT n FROM read_parquet({literal_list([str(target)])})").fetchall() == [
        (42,)
    ]
