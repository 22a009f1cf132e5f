"""What the fast path of a large load must keep: the text check a block at a time gives the
whole file's answer; parts hold each period's rows in file order; a file big enough for DuckDB
to read on several threads still reports the right line for every bad row."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from helpers import errors_at, feed_rows, reader_rows, write_feed

from etl.parts import write_period_parts
from etl.read import FileRefused, utf8_copy

TEXTS = {
    "ascii": b"a,b\n1,2\n3,4\n",
    "utf8": "a,b\ncaf\u00e9,2\nna\u00efve,\u20ac4\n".encode(),
    "cp1252": "a,b\ncaf\u00e9,2\n\u2018quoted\u2019,4\n".encode("cp1252"),
    "neither": b"a,b\ncaf\xe9,2\nx\x81y,4\n",
    "double-encoded": "a,b\nok,1\nok,2\ncaf\u00e9,3\n".encode().decode("latin-1").encode(),
    "split character at the end": "a,b\n1,caf\u00e9".encode()[:-1],
}


def outcome(path: Path, workdir: Path, block_size: int | None) -> tuple:
    workdir.mkdir(exist_ok=True)
    try:
        if block_size is None:
            out, encoding = utf8_copy(path, workdir)
        else:
            out, encoding = utf8_copy(path, workdir, block_size=block_size)
    except FileRefused as exc:
        return ("refused", str(exc), exc.line)
    return (encoding, out.read_bytes())


@pytest.mark.parametrize("name", list(TEXTS))
def test_text_checked_a_block_at_a_time_as_if_whole(tmp_path: Path, name: str) -> None:
    """Every block size, down to one byte (a character or a double-encoded pair split
    across blocks), gives what the file read whole gives: the same encoding and text, or
    the same refusal on the same line."""
    path = tmp_path / f"{name}.csv"
    path.write_bytes(TEXTS[name])
    whole = outcome(path, tmp_path / "whole", None)
    for size in (1, 2, 3, 5, 8):
        assert outcome(path, tmp_path / f"b{size}", size) == whole, (name, size)
    if name == "double-encoded":
        assert whole[0] == "refused" and whole[2] == 4
    if name == "neither":
        assert whole[0] == "refused" and whole[2] == 2


def test_parts_hold_each_period_in_order(tmp_path: Path) -> None:
    """Rows of interleaved periods, in small batches and row groups: each period's file holds
    the held rows then the file's rows, each in their order; a period without rows gets no
    file; a ``plain`` column is written without a dictionary or statistics."""
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE t AS SELECT i, (ARRAY['2024-01', '2024-02', '2024-03'])[1 + i % 3] "
        "AS period_key, md5(i::VARCHAR) AS k FROM range(100) r(i)"
    )
    held = ("SELECT i, period_key, k FROM t WHERE i >= 90 ORDER BY i DESC", {})
    new = (
        "SELECT i, period_key, k FROM t WHERE i < 90 AND period_key <> $skip",
        {"skip": "2024-02"},
    )
    written = write_period_parts(
        con,
        [held, new],
        lambda period: tmp_path / f"{period}.parquet",
        plain=["k"],
        batch_rows=7,
        row_group_rows=5,
        buffered_rows=12,
    )
    assert [(w.period, w.rows) for w in written] == [
        ("2024-01", 34),
        ("2024-03", 33),
        ("2024-02", 3),
    ]
    months = ["2024-01", "2024-02", "2024-03"]
    for w in written:
        got = pq.read_table(w.path).column("i").to_pylist()
        first = [i for i in range(99, 89, -1) if months[i % 3] == w.period]
        rest = [i for i in range(90) if months[i % 3] == w.period and w.period != "2024-02"]
        assert got == first + rest
        meta = pq.ParquetFile(w.path).metadata
        assert meta.num_row_groups > 1 or w.rows <= 5
        k = meta.schema.names.index("k")
        assert all(
            not meta.row_group(g).column(k).has_dictionary_page
            and not meta.row_group(g).column(k).is_stats_set
            for g in range(meta.num_row_groups)
        )
        i = meta.schema.names.index("i")
        assert meta.row_group(0).column(i).is_stats_set


def test_a_large_extract_keeps_its_lines_and_its_order(warehouse, load, tmp_path, key_file) -> None:
    """200,000 rows (30 MB: DuckDB reads it on several threads), with bad rows and a
    malformed record far into the file: every bad row is reported on its own line, and each
    month's part holds that month's rows in the order of the file."""
    n = 200_000
    rows = feed_rows("police", n)
    for i, row in enumerate(rows):
        row["recorded_date"] = f"2024-{1 + i % 3:02d}-10"
        row["offence_date"] = f"2024-{1 + i % 3:02d}-09"
    bad = {150_001: "weapon", 170_003: "victim_age", 199_999: "weapon"}
    rows[150_001 - 2]["weapon"] = "spoon"
    rows[170_003 - 2]["victim_age"] = "150"
    rows[199_999 - 2]["weapon"] = "fork"
    rows[180_000 - 2]["crime_ref"] = rows[120_000 - 2]["crime_ref"]  # a duplicate
    path = write_feed(tmp_path / "large.csv", "police", rows)
    lines = path.read_bytes().split(b"\n")
    lines.insert(160_000 - 1, b"one,two")  # a malformed record: line 160000, later ones shift
    path.write_bytes(b"\n".join(lines))
    shift = {k + (k >= 160_000): v for k, v in bad.items()}

    (r,) = load(warehouse, "police", path)
    assert r.status == "loaded", r.message
    assert r.rows_quarantined == 5  # three bad values, the duplicate and the malformed record
    for line, column in shift.items():
        assert [c for c, _ in errors_at(r, line)] == [column]
    assert errors_at(r, 160_000)[0][1].endswith("(malformed CSV row)")
    assert errors_at(r, 180_001) == [("crime_ref", "duplicate crime_ref (first on line 120000)")]

    key = key_file.read_bytes()
    skipped = {k - 2 for k in bad} | {180_000 - 2}
    for month in (1, 2, 3):
        period = f"2024-{month:02d}"
        want = [
            hmac.new(key, row["crime_ref"].encode(), hashlib.sha256).hexdigest()
            for i, row in enumerate(rows)
            if i % 3 == month - 1 and i not in skipped
        ]
        ((part,),) = reader_rows(
            warehouse,
            "SELECT path FROM parts WHERE table_name = 'police' AND period_key = $p",
            {"p": period},
        )
        got = pq.read_table(warehouse / part).column("crime_key").to_pylist()
        assert got == want, period
