"""Benchmark: loading a large police extract through the ETL vs a plain-pandas pipeline.

    python bench/load.py [--rows N] [--seed S] [--keep DIR]

Generates N synthetic police rows in the ``police`` contract's format (vectorised numpy; about
3% of rows break one rule each, about 4% fall outside the area, 1% have no LSOA), writes them
to a CSV in a temp folder, then runs each pipeline in its own subprocess:

(a) ``etl.load.load_files`` into a fresh warehouse (the geography lookup loaded first, not
    timed): DuckDB validation, quarantine, HMAC keys, Parquet parts, catalog commit, snapshot;
(b) a plain-pandas pipeline doing the same work: ``read_csv(dtype=str)``, the same checks per
    column and across rows, ``hmac`` from the standard library for the references, the lookup
    joined for ward and district, good rows written to Parquet (one file per month) with
    pyarrow, bad rows to a quarantine Parquet file;
(c) a merge load: the same warehouse as (a) after loading the extract (not timed), then a
    second N-row extract overlapping it (90% of its references held, so updated, often in
    another month; 10% new), merged by reference: every month is rewritten.

Prints rows/s for both, the ratio, and the peak RSS of each process (its own ``VmHWM``),
and writes them to ``bench/results/load-<rows>.json`` with the configuration, the machine, the
commit measured and the load average around each run (the machine may be shared: a run on a
busy one says so). No assertions on timings: this is a measurement; the issue's targets
(validated rows/s, the ratio to pandas, peak RSS) are reported as met or not.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

if not __package__:  # python bench/load.py (and its workers): make the bench package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.synthetic import OUTCOMES, POLICE_COLUMNS  # noqa: E402

DISTRICTS = ("E08000901", "E08000902")
NEIGHBOUR = "E08000909"
HO_CODES = ("1", "4/1", "5D", "5E", "8N", "8P", "34A", "34B", "10A", "10D", "17A", "19C", "105A")
DESCRIPTIONS = (
    "Assault with injury",
    "Robbery of personal property",
    "Possession of article",
    "Assault without injury",
    "Threats to kill",
)


# ---- synthetic data ------------------------------------------------------------------------


def make_lookup(path: Path, lsoas_per_district: int = 800) -> tuple[np.ndarray, np.ndarray]:
    """An ONS-style LSOA -> ward -> district lookup; returns (in-area, out-of-area) LSOAs."""
    rows = ["LSOA21CD,LSOA21NM,WD23CD,WD23NM,LAD23CD,LAD23NM"]
    inside, outside = [], []
    n = 0
    for d_i, district in enumerate((*DISTRICTS, NEIGHBOUR)):
        for i in range(lsoas_per_district):
            n += 1
            lsoa = f"E01{900000 + n:06d}"
            ward = f"E05{900000 + d_i * 100 + i // 40:06d}"
            rows.append(
                f"{lsoa},Bench {d_i}{i:03d}X,{ward},Bench ward {ward[-3:]},{district},"
                f"Bench district {d_i}"
            )
            (outside if district == NEIGHBOUR else inside).append(lsoa)
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return np.array(inside), np.array(outside)


def make_police_csv(
    path: Path,
    n: int,
    inside: np.ndarray,
    outside: np.ndarray,
    seed: int = 7,
    bad_share: float = 0.03,
    first_ref: int = 0,
) -> dict[str, int]:
    """N police rows as a CSV (references numbered from ``first_ref``); returns how many rows
    were made bad and put out of area."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(seed)

    def pick(values, size=n, p=None):
        return np.asarray(values, dtype=object)[rng.choice(len(values), size=size, p=p)]

    ref = np.char.add(
        "BENCH", np.char.zfill(np.arange(first_ref, first_ref + n).astype(str), 9)
    ).astype(object)
    start = np.datetime64("2023-01-01")
    recorded = start + rng.integers(0, 730, n).astype("timedelta64[D]")
    offence = recorded - rng.integers(0, 20, n).astype("timedelta64[D]")
    hours, minutes = rng.integers(0, 24, n), rng.integers(0, 60, n)
    time_txt = np.char.add(
        np.char.add(np.char.zfill(hours.astype(str), 2), ":"), np.char.zfill(minutes.astype(str), 2)
    ).astype(object)
    time_txt[rng.random(n) < 0.1] = ""
    where = rng.random(n)
    lsoa = pick(inside)
    out_mask = where < 0.04
    lsoa[out_mask] = pick(outside, out_mask.sum())
    lsoa[(where >= 0.04) & (where < 0.05)] = ""
    cols = {
        "crime_ref": ref,
        "recorded_date": np.datetime_as_string(recorded, unit="D").astype(object),
        "offence_date": np.datetime_as_string(offence, unit="D").astype(object),
        "offence_time": time_txt,
        "ho_offence_code": pick(HO_CODES),
        "offence_description": pick(DESCRIPTIONS),
        "lsoa_code": lsoa,
        "location_type": pick(("street", "dwelling", "licensed_premises", "retail", "other")),
        "weapon": pick(
            ("knife_sharp", "firearm", "blunt", "none", "unknown"), p=(0.1, 0.01, 0.09, 0.6, 0.2)
        ),
        "domestic_abuse": pick(("Y", "N", "")),
        "victim_age": rng.integers(0, 95, n).astype(str).astype(object),
        "suspect_age": rng.integers(10, 80, n).astype(str).astype(object),
        "victim_sex": pick(("F", "M", "unknown")),
        "suspect_sex": pick(("F", "M", "unknown")),
        "victim_ethnicity": pick(("asian", "black", "mixed", "white", "other", "not_stated")),
        "suspect_ethnicity": pick(("asian", "black", "mixed", "white", "other", "not_stated")),
        "outcome": pick(OUTCOMES),
    }
    # A few % of rows (inside the area) break exactly one rule each.
    candidates = np.flatnonzero(~out_mask)
    bad = rng.choice(candidates[candidates > 0], size=int(n * bad_share), replace=False)
    kinds = np.array_split(rng.permutation(bad), 9)
    future = (dt.date.today() + dt.timedelta(days=90)).isoformat()
    cols["weapon"][kinds[0]] = "spoon"
    cols["recorded_date"][kinds[1]] = "2024-02-30"
    cols["victim_age"][kinds[2]] = "150"
    cols["crime_ref"][kinds[3]] = ""
    cols["recorded_date"][kinds[4]] = future
    cols["offence_date"][kinds[4]] = future
    cols["offence_date"][kinds[5]] = "2025-12-31"
    cols["recorded_date"][kinds[5]] = "2025-12-01"
    cols["crime_ref"][kinds[6]] = cols["crime_ref"][kinds[6] - 1]  # duplicate of the row above
    cols["lsoa_code"][kinds[7]] = "E0X000001"
    cols["ho_offence_code"][kinds[8]] = "ABC"
    table = pa.table({c: pa.array(cols[c], pa.string()) for c in POLICE_COLUMNS})
    pacsv.write_csv(table, path, pacsv.WriteOptions(quoting_style="needed"))
    return {"bad": int(len(bad)), "out_of_area": int(out_mask.sum())}


# ---- (a) the ETL ---------------------------------------------------------------------------


def run_etl(csv_path: Path, lookup: Path, workdir: Path) -> dict:
    from etl.load import init_warehouse, load_files
    from svcore.config import Settings

    wh = workdir / "warehouse"
    key = workdir / "keys" / "bench.key"
    init_warehouse(wh, Settings(districts=DISTRICTS))
    (geo,) = load_files(wh, "geography", [lookup], key_path=key)
    assert geo.status == "loaded", geo.message
    t0 = time.perf_counter()
    (r,) = load_files(wh, "police", [csv_path], key_path=key)
    seconds = time.perf_counter() - t0
    return {
        "seconds": seconds,
        "status": r.status,
        "rows_read": r.rows_read,
        "rows_loaded": r.rows_loaded,
        "rows_quarantined": r.rows_quarantined,
        "rows_out_of_area": r.rows_out_of_area,
        "message": r.message,
    }


def run_etl_merge(csv_path: Path, lookup: Path, workdir: Path, second: Path) -> dict:
    from etl.load import init_warehouse, load_files
    from svcore.config import Settings

    wh = workdir / "warehouse"
    key = workdir / "keys" / "bench.key"
    init_warehouse(wh, Settings(districts=DISTRICTS))
    (geo,) = load_files(wh, "geography", [lookup], key_path=key)
    assert geo.status == "loaded", geo.message
    (first,) = load_files(wh, "police", [csv_path], key_path=key)
    assert first.status == "loaded", first.message
    t0 = time.perf_counter()
    (r,) = load_files(wh, "police", [second], key_path=key)
    seconds = time.perf_counter() - t0
    return {
        "seconds": seconds,
        "status": r.status,
        "rows_read": r.rows_read,
        "rows_loaded": r.rows_loaded,
        "rows_quarantined": r.rows_quarantined,
        "rows_out_of_area": r.rows_out_of_area,
        "message": r.message,
        "rows_added": r.rows_added,
        "rows_updated": r.rows_updated,
        "rows_removed": r.rows_removed,
        "held_before": first.rows_loaded,
    }


# ---- (b) plain pandas ----------------------------------------------------------------------


def run_pandas(csv_path: Path, lookup: Path, workdir: Path, threshold: float = 0.05) -> dict:
    import hmac
    import secrets

    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    from etl.contracts import HO_CODE
    from svcore import vocab

    t0 = time.perf_counter()
    df = pd.read_csv(csv_path, dtype=str, keep_default_na=False, na_values=[""])
    for c in df.columns:
        df[c] = df[c].str.strip().replace("", pd.NA)
    n = len(df)
    line = pd.Series(np.arange(2, n + 2), index=df.index)
    errors: list[pd.DataFrame] = []

    def fail(mask: pd.Series, column: str, reason: str, show: bool = True) -> None:
        mask = mask.fillna(False).astype(bool)
        if mask.any():
            why = reason + (": " + df.loc[mask, column].astype(str).str[:40] if show else "")
            errors.append(pd.DataFrame({"line": line[mask], "column": column, "reason": why}))

    for col in ("crime_ref", "recorded_date", "offence_date", "ho_offence_code"):
        fail(df[col].isna(), col, "required value is blank", show=False)
    dates = {}
    for col in ("recorded_date", "offence_date"):
        dates[col] = pd.to_datetime(df[col], format="%Y-%m-%d", errors="coerce")
        fail(df[col].notna() & dates[col].isna(), col, "not a date (expected %Y-%m-%d)")
    hms = df["offence_time"].str.extract(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$").astype(float)
    seconds = hms[0] * 3600 + hms[1] * 60 + hms[2].fillna(0)
    seconds = seconds.where((hms[0] < 24) & (hms[1] < 60) & (hms[2].fillna(0) < 60))
    fail(df["offence_time"].notna() & seconds.isna(), "offence_time", "not a time (expected HH:MM)")
    fail(
        df["ho_offence_code"].notna() & ~df["ho_offence_code"].str.fullmatch(HO_CODE),
        "ho_offence_code",
        "not in the expected form",
    )
    fail(
        df["lsoa_code"].notna() & ~df["lsoa_code"].str.upper().str.fullmatch(r"[EW]01\d{6}"),
        "lsoa_code",
        "not an LSOA GSS code (E01...)",
    )
    enums = {
        "location_type": vocab.LOCATION_TYPES,
        "weapon": vocab.WEAPONS,
        "victim_sex": vocab.SEXES,
        "suspect_sex": vocab.SEXES,
        "victim_ethnicity": vocab.ETHNICITIES,
        "suspect_ethnicity": vocab.ETHNICITIES,
    }
    for col, values in enums.items():
        canon = {v.lower(): v for v in values}
        mapped = df[col].str.lower().map(canon)
        fail(df[col].notna() & mapped.isna(), col, "not one of " + ", ".join(values))
        df[col] = mapped
    da = (
        df["domestic_abuse"]
        .str.lower()
        .map(
            {
                "y": True,
                "yes": True,
                "true": True,
                "1": True,
                "n": False,
                "no": False,
                "false": False,
                "0": False,
            }
        )
    )
    fail(df["domestic_abuse"].notna() & da.isna(), "domestic_abuse", "not Y or N")
    df["domestic_abuse"] = da.astype("boolean")
    for col in ("victim_age", "suspect_age"):
        txt = df[col].str.replace(",", "", regex=False)
        whole = txt.str.fullmatch(r"[+-]?\d+(\.0*)?").fillna(False).astype(bool)
        num = pd.to_numeric(txt.where(whole), errors="coerce")
        fail(df[col].notna() & num.isna(), col, "not a whole number")
        fail((num < 0) | (num > 120), col, "out of range 0–120")
        df[col] = num.astype("Int32")
    dup = df["crime_ref"].notna() & df["crime_ref"].duplicated(keep="first")
    fail(dup, "crime_ref", "duplicate crime_ref", show=False)
    fail(
        dates["offence_date"] > dates["recorded_date"],
        "offence_date",
        "offence_date is after recorded_date",
        show=False,
    )
    tomorrow = pd.Timestamp(dt.date.today() + dt.timedelta(days=1))
    for col in ("offence_date", "recorded_date"):
        fail(dates[col] > tomorrow, col, "is in the future", show=False)

    quarantine = (
        pd.concat(errors, ignore_index=True)
        if errors
        else pd.DataFrame(columns=["line", "column", "reason"])
    )
    bad = pd.Series(False, index=df.index)
    bad[quarantine["line"].to_numpy() - 2] = True

    geo = pd.read_csv(lookup, dtype=str)
    geo = geo[geo["LAD23CD"].isin(DISTRICTS)].rename(
        columns={"LSOA21CD": "lsoa_code", "WD23CD": "ward_code", "LAD23CD": "district_code"}
    )
    df["lsoa_code"] = df["lsoa_code"].str.upper()
    df = df.merge(geo[["lsoa_code", "ward_code", "district_code"]], on="lsoa_code", how="left")
    out = df["lsoa_code"].notna() & df["district_code"].isna() & ~bad.to_numpy()
    judged = n - int(out.sum())
    n_bad = int(bad.sum())
    status = "refused" if judged and n_bad / judged > threshold else "loaded"

    key = secrets.token_bytes(32)
    good = df[~bad.to_numpy() & ~out.to_numpy()].copy()
    good.insert(
        0,
        "crime_key",
        [hmac.digest(key, r.encode(), "sha256").hex() for r in good.pop("crime_ref")],
    )
    as_date = pd.ArrowDtype(pa.date32())
    good["recorded_date"] = dates["recorded_date"][good.index].astype(as_date)
    good["offence_date"] = dates["offence_date"][good.index].astype(as_date)
    micros = pa.array(seconds[good.index].to_numpy() * 1e6, from_pandas=True)
    good["offence_time"] = pd.arrays.ArrowExtensionArray(
        micros.cast(pa.int64()).cast(pa.time64("us"))
    )
    month = dates["recorded_date"][good.index].to_numpy().astype("datetime64[M]")
    good["period"] = pd.Series(month.astype("datetime64[D]"), index=good.index).astype(as_date)
    good["period_key"] = np.datetime_as_string(month)
    parts = workdir / "parts"
    parts.mkdir(parents=True, exist_ok=True)
    if status == "loaded":
        for period, frame in good.groupby("period_key", sort=True):
            pq.write_table(
                pa.Table.from_pandas(frame, preserve_index=False),
                parts / f"police-{period}.parquet",
                compression="zstd",
            )
    pq.write_table(
        pa.Table.from_pandas(quarantine, preserve_index=False),
        parts / "quarantine.parquet",
        compression="zstd",
    )
    seconds = time.perf_counter() - t0
    return {
        "seconds": seconds,
        "status": status,
        "rows_read": n,
        "rows_loaded": len(good) if status == "loaded" else 0,
        "rows_quarantined": n_bad,
        "rows_out_of_area": int(out.sum()),
        "message": "",
    }


# ---- driver --------------------------------------------------------------------------------


def worker(kind: str, csv_path: Path, lookup: Path, workdir: Path) -> None:
    if kind == "etl-merge":
        result = run_etl_merge(csv_path, lookup, workdir, csv_path.with_name("police-2.csv"))
    else:
        result = (run_etl if kind == "etl" else run_pandas)(csv_path, lookup, workdir)
    result["self_maxrss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result["vm_hwm_kb"] = _vm_hwm_kb()
    print(json.dumps(result))


def _vm_hwm_kb() -> int | None:
    """This process's own peak resident set (``VmHWM``, Linux), without any child's."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def in_subprocess(kind: str, csv_path: Path, lookup: Path, workdir: Path) -> dict:
    """Run one pipeline in a fresh process; its own rusage gives its peak RSS, its CPU time,
    and the load average before and after says how busy the machine was meanwhile."""
    workdir.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    out_path = workdir / "result.json"
    with open(out_path, "w") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--worker",
                kind,
                "--csv",
                str(csv_path),
                "--lookup",
                str(lookup),
                "--workdir",
                str(workdir),
            ],
            stdout=out,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
        )
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"the {kind} pipeline failed (exit {proc.returncode})")
    result = json.loads(out_path.read_text())
    # The worker's own VmHWM: wait4's ru_maxrss also counts the pages the child shared with
    # this process between fork and exec (this process holds the generated extract's arrays:
    # 7.4 GB at 10M rows, whatever the pipeline itself used). Kept as ``rusage_maxrss_mb``.
    result["rusage_maxrss_mb"] = usage.ru_maxrss / 1024  # Linux reports kilobytes
    result["peak_rss_mb"] = (result.get("vm_hwm_kb") or usage.ru_maxrss) / 1024
    result["cpu_seconds"] = usage.ru_utime + usage.ru_stime
    result["loadavg_before"], result["loadavg_after"] = load_before, os.getloadavg()
    return result


TARGETS = {"rows_per_second": 500_000, "ratio_to_pandas": 3.0, "peak_rss_mb": 2048}


def measured(r: dict, rows: int) -> dict:
    """A pipeline's figures for the results file."""
    keep = ("status", "rows_read", "rows_loaded", "rows_quarantined", "rows_out_of_area")
    extra = ("rows_added", "rows_updated", "rows_removed", "held_before")
    return {
        "seconds": r["seconds"],
        "rows_per_second": rows / r["seconds"],
        "peak_rss_mb": r["peak_rss_mb"],  # the worker's VmHWM
        "rusage_maxrss_mb": r.get("rusage_maxrss_mb"),
        "self_maxrss_mb": r["self_maxrss_kb"] / 1024 if r.get("self_maxrss_kb") else None,
        "cpu_seconds": r["cpu_seconds"],
        "loadavg_before": r["loadavg_before"],
        "loadavg_after": r["loadavg_after"],
        **{k: r[k] for k in keep + extra if k in r},
    }


def report_line(label: str, r: dict, rows: int) -> str:
    return (
        f"{label}: {r['seconds']:6.1f} s  {rows / r['seconds']:>10,.0f} rows/s  peak RSS "
        f"{r['peak_rss_mb']:,.0f} MB  CPU {r['cpu_seconds']:,.0f} s  load "
        f"{r['loadavg_before'][0]:.1f}->{r['loadavg_after'][0]:.1f}"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep", type=Path, help="keep the generated files and outputs here")
    ap.add_argument("--worker", choices=("etl", "pandas", "etl-merge"), help=argparse.SUPPRESS)
    ap.add_argument("--no-merge", action="store_true", help="skip the merge-load measurement")
    ap.add_argument(
        "--results",
        type=Path,
        default=Path(__file__).resolve().parent / "results",
        help="folder for load-<rows>.json (default bench/results)",
    )
    ap.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--lookup", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker(args.worker, args.csv, args.lookup, args.workdir)
        return 0

    import pyarrow

    from bench.harness import code_state, machine
    from etl.writer import WRITER_MEMORY_LIMIT

    root = Path(args.keep or tempfile.mkdtemp(prefix="svdash-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now().isoformat(timespec="seconds")
    code = code_state()
    try:
        t0 = time.perf_counter()
        lookup = root / "lookup.csv"
        inside, outside = make_lookup(lookup)
        csv_path = root / "police.csv"
        made = make_police_csv(csv_path, args.rows, inside, outside, seed=args.seed)
        size_mb = csv_path.stat().st_size / 1e6
        print(
            f"generated {args.rows:,} police rows ({size_mb:,.0f} MB; {made['bad']:,} bad, "
            f"{made['out_of_area']:,} out of area) in {time.perf_counter() - t0:.1f} s"
        )
        results = {}
        for kind in ("etl", "pandas"):
            results[kind] = r = in_subprocess(kind, csv_path, lookup, root / kind)
            label = "etl.load.load_files" if kind == "etl" else "plain pandas       "
            print(
                report_line(label, r, args.rows) + f"  [{r['status']}: loaded "
                f"{r['rows_loaded']:,}, quarantined {r['rows_quarantined']:,}, out of area "
                f"{r['rows_out_of_area']:,}]"
            )
        etl, pandas = results["etl"], results["pandas"]
        ratio = pandas["seconds"] / etl["seconds"]
        print(
            f"ratio (etl rows/s / pandas rows/s): {ratio:.2f}x; "
            f"peak RSS ratio (etl / pandas): {etl['peak_rss_mb'] / pandas['peak_rss_mb']:.2f}"
        )
        merge = None
        if not args.no_merge:
            t0 = time.perf_counter()
            make_police_csv(
                root / "police-2.csv",
                args.rows,
                inside,
                outside,
                seed=args.seed + 1,
                first_ref=args.rows // 10,
            )
            print(
                f"generated a second {args.rows:,}-row extract overlapping the first "
                f"in {time.perf_counter() - t0:.1f} s"
            )
            merge = m = in_subprocess("etl-merge", csv_path, lookup, root / "etl-merge")
            print(
                report_line("merge load (2nd)   ", m, args.rows) + f"  [{m['status']}: onto "
                f"{m['held_before']:,} held; added {m['rows_added']:,}, updated "
                f"{m['rows_updated']:,}, removed {m['rows_removed']:,}; quarantined "
                f"{m['rows_quarantined']:,}]"
            )
            print(
                f"merge vs first load: {m['seconds'] / etl['seconds']:.2f}x the time; vs plain "
                f"pandas (a first load, no merge): {pandas['seconds'] / m['seconds']:.2f}x"
            )
        same = all(
            etl[k] == pandas[k]
            for k in ("status", "rows_loaded", "rows_quarantined", "rows_out_of_area")
        )
        print(
            "both pipelines agree on the counts"
            if same
            else "WARNING: the pipelines disagree on the counts (see above)"
        )
        rate = args.rows / etl["seconds"]
        met = {
            "rows_per_second": rate >= TARGETS["rows_per_second"],
            "ratio_to_pandas": ratio >= TARGETS["ratio_to_pandas"],
            "peak_rss_mb": etl["peak_rss_mb"] < TARGETS["peak_rss_mb"],
        }
        print(
            "targets: "
            + "; ".join(
                f"{k} {'met' if ok else 'NOT met'} (target {TARGETS[k]:,})" for k, ok in met.items()
            )
        )
        args.results.mkdir(parents=True, exist_ok=True)
        out = args.results / f"load-{args.rows}.json"
        result = {
            "rows": args.rows,
            "config": {
                "rows": args.rows,
                "seed": args.seed,
                "csv_mb": size_mb,
                "bad_rows": made["bad"],
                "out_of_area_rows": made["out_of_area"],
                "merge": not args.no_merge,
                "merge_overlap": "90% of the second extract's references held",
            },
            "etl": measured(etl, args.rows),
            "pandas": measured(pandas, args.rows),
            "ratio_to_pandas": ratio,
            "merge": measured(merge, args.rows) if merge else None,
            "counts_agree": same,
            "targets": TARGETS,
            "targets_met": met,
            "machine": {
                **machine(),
                "pyarrow": pyarrow.__version__,
                "writer_memory_limit": WRITER_MEMORY_LIMIT,
                "loadavg_at_end": os.getloadavg(),
            },
            "code": code,
            "started_at": started,
            "finished_at": dt.datetime.now().isoformat(timespec="seconds"),
        }
        out.write_text(json.dumps(result, indent=2, default=str) + "\n")
        print(f"results written to {out}")
        return 0 if same else 1
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
