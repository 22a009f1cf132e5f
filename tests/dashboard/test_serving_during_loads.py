"""Readers during writes: gunicorn with two workers keeps answering while a batch loads, and
never shows a number that is neither the state before the load nor the state after it.

The workers share one flask-caching filesystem cache, so this also shows a load invalidating
cached results in every worker: once the batch is published, no worker serves the old figure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
import requests
from helpers import callback, dependencies, feed_rows, free_port, reader_rows, write_feed

HEADLINE = "overview-headline.children"
QUERIES = ("", "district=E08000035", "source=all")


@pytest.fixture(scope="module")
def served(demo_warehouse: Path, tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("serving")
    wh = Path(shutil.copytree(demo_warehouse, root / "warehouse"))
    port = free_port()
    env = {
        **os.environ,
        "SVDASH_WAREHOUSE": str(wh),
        "SVDASH_CACHE": f"filesystem:{root / 'cache'}",
        "SVDASH_PREWARM": "0",  # tests/dashboard/test_prewarm.py covers it; CPU for the load here
        "XDG_CONFIG_HOME": str(root / "cfg"),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            "2",
            "--threads",
            "2",
            "--worker-class",
            "gthread",
            "--preload",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "dashboard.wsgi:server",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    log: list[bytes] = []
    threading.Thread(target=lambda: log.extend(proc.stdout), daemon=True).start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            urllib.request.urlopen(url + "/assets/style.css", timeout=2)
            break
        except OSError:
            assert proc.poll() is None and time.monotonic() < deadline, b"".join(log).decode()
            time.sleep(0.3)
    yield wh, url, root, log
    proc.terminate()
    proc.wait(timeout=20)


def batch(wh: Path, folder: Path) -> list[Path]:
    """Three monthly police files after the last month held, on the area's own LSOAs."""
    ((last,),) = reader_rows(wh, "SELECT max(offence_date) FROM police")
    lsoas = [r[0] for r in reader_rows(wh, "SELECT lsoa_code FROM geography ORDER BY 1 LIMIT 400")]
    files, start = [], 1
    for k in range(1, 4):
        year, month = divmod(last.month - 1 + k, 12)
        ym = f"{last.year + year}-{month + 1:02d}"
        rows = feed_rows(
            "police",
            6000,
            start=start,
            offence_date=f"{ym}-14",
            recorded_date=f"{ym}-15",
            crime_ref="",
        )
        for i, row in enumerate(rows):
            row["crime_ref"] = f"SERVEQX{start + i:08d}"
            row["lsoa_code"] = lsoas[i % len(lsoas)]
        start += len(rows)
        files.append(write_feed(folder / f"police-{ym}.csv", "police", rows))
    return files


def headlines(s: requests.Session, url: str, deps: list[dict]) -> dict[str, str]:
    out = {}
    for q in QUERIES:
        r = callback(s, url, deps, HEADLINE, q)
        assert r.status_code == 200, (q, r.status_code, r.text[:300])
        out[q] = json.dumps(r.json()["response"]["overview-headline"], sort_keys=True)
    return out


def test_two_workers_keep_serving_whole_states_through_a_load(served) -> None:
    wh, url, root, log = served
    s = requests.Session()
    deps = dependencies(s, url)
    before = headlines(s, url, deps)
    assert headlines(s, url, deps) == before  # cached now, in the shared cache
    files = batch(wh, root)

    seen: list[tuple[float, str, int, str]] = []
    stop = threading.Event()

    def client(i: int) -> None:
        sess = requests.Session()
        n = 0
        while not stop.is_set():
            q = QUERIES[(i + n) % len(QUERIES)]
            n += 1
            if n % 5 == 0:
                page = sess.get(f"{url}/when?{q}", timeout=60)
                seen.append((time.monotonic(), "page", page.status_code, ""))
                continue
            r = callback(sess, url, deps, HEADLINE, q)
            text = (
                json.dumps(r.json()["response"]["overview-headline"], sort_keys=True)
                if r.status_code == 200
                else r.text[:300]
            )
            seen.append((time.monotonic(), q, r.status_code, text))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    load_start = time.monotonic()
    loader = subprocess.run(
        [
            sys.executable,
            "-m",
            "svdash.cli",
            "load",
            "police",
            *map(str, files),
            "--warehouse",
            str(wh),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    load_end = time.monotonic()
    time.sleep(2.0)
    stop.set()
    for t in threads:
        t.join(timeout=120)
    assert loader.returncode == 0, loader.stderr

    after = headlines(s, url, deps)
    assert all(after[q] != before[q] for q in QUERIES)  # the load changed every figure
    errors = [x for x in seen if x[2] != 200]
    assert not errors, (errors[:3], b"".join(log).decode()[-2000:])
    during = [x for x in seen if load_start <= x[0] <= load_end and x[1] != "page"]
    assert len(during) >= 10  # the app was really answering while the load ran
    mixed = [x for x in seen if x[1] != "page" and x[3] not in (before[x[1]], after[x[1]])]
    assert not mixed, mixed[:2]
    settled = [x for x in seen if x[0] > load_end + 0.5 and x[1] != "page"]
    assert settled and all(x[3] == after[x[1]] for x in settled)  # no worker serves stale
    assert not any(b"Traceback" in line for line in log)
    print(
        f"\n{len(seen)} responses, {len(during)} headlines while the {load_end - load_start:.1f} s "
        f"load ran, {len(settled)} after it; 0 errors, 0 mixed"
    )
