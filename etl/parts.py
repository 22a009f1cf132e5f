"""Parquet parts on disk: writing them, their folders, their digests, making them durable.

Parts are immutable and written before the catalog commit that lists them, so each must be on
disk for good (its bytes and its name) before that commit: otherwise a power cut after the
commit could leave the catalog listing a part that is not there.
"""

from __future__ import annotations

import hashlib
import os
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from svcore.warehouse import PARTS


def fsync_dir(path: Path) -> None:
    """Make a folder's entries (new or renamed names) durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def parts_dir(warehouse: Path, table: str) -> Path:
    d = warehouse / PARTS / table
    d.mkdir(parents=True, exist_ok=True)
    return d


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file, read in 1 MiB blocks: partner files, parts, backup members."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def part_digest(path: Path) -> tuple[int, str]:
    """Size and SHA-256 of a part, recorded at write time and checked by ``svdash check``.

    The file is fsynced first: a part must be durable before the catalog commit that lists it.
    """
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())
    return path.stat().st_size, sha256_file(path)


def fsync_parts_dirs(warehouse: Path, tables: set[str]) -> None:
    """New part names must be durable too, not just their bytes."""
    for table in tables:
        fsync_dir(warehouse / PARTS / table)
    fsync_dir(warehouse / PARTS)  # a table's folder may be new too


# Writing parts. DuckDB streams the rows as Arrow batches; each batch is split by period and
# each period's rows go to that period's file through pyarrow's Parquet writer (on a million
# police rows pyarrow wrote them in 0.6 CPU-seconds, where one DuckDB ``COPY`` per period took
# 1.4 and one partitioned ``COPY`` 2.3). Splitting and writing run on a few threads (pyarrow
# works without the GIL), while DuckDB prepares the next batch. Rows keep the order they come
# in, so a part holds its period's rows in file order, as a sorted copy would, without a sort.
BATCH_ROWS = 1 << 17  # rows per Arrow batch from DuckDB
ROW_GROUP_ROWS = 122_880  # DuckDB's own row-group size: a period's rows are written in these
BUFFERED_ROWS = 1 << 19  # rows held back across all periods, at most, before they are written
WRITER_THREADS = max(2, min(4, os.cpu_count() or 1))


@dataclass
class WrittenPart:
    """One period's part as written: its file and how many rows it holds."""

    period: str | None
    path: Path
    rows: int = 0


def _by_period(batch: pa.RecordBatch) -> list[tuple[str | None, pa.Table]]:
    """A batch's rows grouped by ``period_key`` (each group in the batch's order)."""
    table = pa.Table.from_batches([batch])
    keys = pc.dictionary_encode(table.column("period_key"), null_encoding="encode")
    keys = keys.combine_chunks()
    codes = keys.indices.to_numpy(zero_copy_only=False)
    sizes = np.bincount(codes, minlength=len(keys.dictionary))
    if np.all(codes[1:] >= codes[:-1]):  # already grouped (a sorted source): no copy
        ordered = table
    else:
        ordered = table.take(pa.array(np.argsort(codes, kind="stable")))
    groups, start = [], 0
    for code in np.flatnonzero(sizes):
        n = int(sizes[code])
        groups.append((keys.dictionary[int(code)].as_py(), ordered.slice(start, n)))
        start += n
    return groups


class _Files:
    """The open Parquet file of each period, fed row groups in order, one write at a time."""

    def __init__(
        self,
        pool: ThreadPoolExecutor,
        target: Callable,
        plain: set[str],
        row_group_rows: int = ROW_GROUP_ROWS,
        buffered_rows: int = BUFFERED_ROWS,
    ) -> None:
        self.pool, self.target, self.plain = pool, target, plain
        self.row_group_rows, self.buffered_rows = row_group_rows, buffered_rows
        self.parts: dict[str | None, WrittenPart] = {}
        self.writers: dict[str | None, pq.ParquetWriter] = {}
        self.writing: dict[str | None, Future] = {}
        self.held: dict[str | None, list[pa.Table]] = {}
        self.held_rows: dict[str | None, int] = {}

    def add(self, period: str | None, rows: pa.Table) -> None:
        if period not in self.parts:
            self.parts[period] = WrittenPart(period, Path(self.target(period)))
        self.parts[period].rows += rows.num_rows
        self.held.setdefault(period, []).append(rows)
        self.held_rows[period] = self.held_rows.get(period, 0) + rows.num_rows
        if self.held_rows[period] >= self.row_group_rows:
            self.flush(period)
        elif sum(self.held_rows.values()) > self.buffered_rows:
            for p in list(self.held):
                self.flush(p)

    def flush(self, period: str | None) -> None:
        tables = self.held.pop(period, [])
        self.held_rows.pop(period, None)
        if tables:
            if period in self.writing:  # the period's previous row group goes first
                self.writing.pop(period).result()
            self.writing[period] = self.pool.submit(self._write, period, tables)

    def _write(self, period: str | None, tables: list[pa.Table]) -> None:
        table = pa.concat_tables(tables)
        writer = self.writers.get(period)
        if writer is None:
            writer = self.writers[period] = pq.ParquetWriter(
                self.parts[period].path,
                table.schema,
                compression="zstd",
                use_dictionary=[c for c in table.column_names if c not in self.plain],
                # Nor min/max statistics: a keyed hash's row group spans every value, so they
                # prune nothing, and on 64-character keys they were a quarter of the write.
                write_statistics=[c for c in table.column_names if c not in self.plain],
            )
        elif table.schema != writer.schema:  # the same types, told apart by a detail
            table = table.cast(writer.schema)
        writer.write_table(table, row_group_size=max(self.row_group_rows, table.num_rows))

    def finish(self) -> None:
        for period in list(self.held):
            self.flush(period)
        for future in self.writing.values():
            future.result()

    def close(self) -> None:
        for future in self.writing.values():  # never close a file a thread is writing
            future.exception()
        for writer in self.writers.values():
            writer.close()


def write_period_parts(
    con: duckdb.DuckDBPyConnection,
    queries: Sequence[tuple[str, dict]],
    target: Callable[[str | None], Path],
    plain: Iterable[str] = (),
    batch_rows: int = BATCH_ROWS,
    row_group_rows: int = ROW_GROUP_ROWS,
    buffered_rows: int = BUFFERED_ROWS,
) -> list[WrittenPart]:
    """Write the rows of ``queries`` (run in turn; each selects a part's columns, the same
    names and types, ``period_key`` among them) to one Parquet file per period, at
    ``target(period)``: each file holds its period's rows in the order the queries give
    them. A period without rows gets no file. ``plain`` names columns written without a
    dictionary or statistics (keyed hashes: every value differs, so both only cost).

    Returns the parts written, in the order their periods first appeared. Files written
    before a failure are left for the caller's recovery: nothing lists them yet.
    """
    con.complete()  # a relation cannot run while an execute() result is left part-read
    with ThreadPoolExecutor(WRITER_THREADS, thread_name_prefix="svdash-parts") as pool:
        files = _Files(pool, target, set(plain), row_group_rows, buffered_rows)
        try:
            for sql, params in queries:
                splitting: deque[Future] = deque()
                for batch in con.sql(sql, params=params).to_arrow_reader(batch_rows):
                    if batch.num_rows:
                        splitting.append(pool.submit(_by_period, batch))
                    while len(splitting) > WRITER_THREADS or (splitting and splitting[0].done()):
                        for period, rows in splitting.popleft().result():
                            files.add(period, rows)
                while splitting:
                    for period, rows in splitting.popleft().result():
                        files.add(period, rows)
            files.finish()
        finally:
            files.close()
    return list(files.parts.values())
