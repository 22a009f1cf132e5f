"""Test helpers: a tiny ONS-style lookup, valid rows of every event feed, CSV writers.

Imported by ``conftest.py`` and by test modules (``from helpers import ...``: pytest puts
``tests/`` on ``sys.path`` because ``tests/conftest.py`` lives there).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections import deque
from collections.abc import Iterable, Sequence
from pathlib import Path

import requests
from hypothesis import HealthCheck, settings

from etl.load import FileReport, init_warehouse, load_files
from svcore.config import Settings
from svcore.warehouse import connect_reader

REALDATA = Path(__file__).resolve().parents[1].parent / "shared" / "realdata"

# A two-district partnership and a neighbour, in the ONS lookup's column naming.
DISTRICTS = ("E08000001", "E08000002")
GEO_HEADER = ("LSOA21CD", "LSOA21NM", "WD23CD", "WD23NM", "LAD23CD", "LAD23NM")
GEO_ROWS = (
    ("E01000001", "Alpha 001A", "E05000001", "Alpha North", "E08000001", "Alpha"),
    ("E01000002", "Alpha 001B", "E05000001", "Alpha North", "E08000001", "Alpha"),
    ("E01000003", "Alpha 002A", "E05000002", "Alpha South", "E08000001", "Alpha"),
    ("E01000004", "Beta 001A", "E05000003", "Beta Central", "E08000002", "Beta"),
    ("E01000005", "Beta 001B", "E05000003", "Beta Central", "E08000002", "Beta"),
    ("E01000009", "Gamma 001A", "E05000009", "Gamma Ward", "E08000009", "Gamma"),
    ("E01000010", "Gamma 001B", "E05000009", "Gamma Ward", "E08000009", "Gamma"),
)
IN_AREA_LSOAS = tuple(r[0] for r in GEO_ROWS if r[4] in DISTRICTS)
OUT_OF_AREA_LSOA = "E01000009"

POLICEUK_HEADER = (
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
    "Last outcome category",
    "Context",
)

# One valid row per event feed, in the canonical column names (policeuk in its native ones).
VALID: dict[str, dict[str, str]] = {
    "police": {
        "crime_ref": "",
        "recorded_date": "2024-01-10",
        "offence_date": "2024-01-09",
        "offence_time": "21:30",
        "ho_offence_code": "8N",
        "offence_description": "Assault with injury",
        "lsoa_code": "E01000001",
        "location_type": "street",
        "weapon": "knife_sharp",
        "domestic_abuse": "N",
        "victim_age": "24",
        "suspect_age": "27",
        "victim_sex": "M",
        "suspect_sex": "M",
        "victim_ethnicity": "white",
        "suspect_ethnicity": "white",
        "outcome": "Investigation complete",
    },
    "policeuk": {
        "Crime ID": "",
        "Month": "2024-01",
        "Reported by": "Test Police",
        "Falls within": "Test Police",
        "Longitude": "-1.549",
        "Latitude": "53.797",
        "Location": "On or near High Street",
        "LSOA code": "E01000001",
        "LSOA name": "Alpha 001A",
        "Crime type": "Violence and sexual offences",
        "Last outcome category": "Under investigation",
        "Context": "",
    },
    "health": {
        "attendance_ref": "",
        "site_code": "RR801",
        "arrival_datetime": "2024-01-10 23:15",
        "assault_datetime": "2024-01-10 22:50",
        "assault_method": "body_part",
        "assault_location_type": "licensed_premises",
        "assault_location_description": "outside the Rose and Crown",
        "assault_lsoa_code": "E01000001",
        "patient_age": "31",
        "patient_sex": "M",
        "relationship_to_assailant": "stranger",
        "admitted": "N",
    },
    "probation": {
        "person_ref": "",
        "snapshot_date": "2024-01-31",
        "case_start_date": "2023-06-01",
        "age": "30",
        "sex": "M",
        "ethnicity": "white",
        "index_offence_group": "violence_with_injury",
        "rosh_level": "medium",
        "supervision_type": "licence",
        "home_lsoa_code": "E01000002",
    },
    "youth_justice": {
        "person_ref": "",
        "offence_date": "2024-01-15",
        "age": "16",
        "sex": "M",
        "ethnicity": "black",
        "offence_group": "robbery",
        "first_time_entrant": "Y",
        "disposal": "Referral order",
        "home_lsoa_code": "E01000003",
    },
}
REF_COLUMN = {
    "police": "crime_ref",
    "policeuk": "Crime ID",
    "health": "attendance_ref",
    "probation": "person_ref",
    "youth_justice": "person_ref",
}
REF_PREFIX = {
    "police": "CRQX",
    "policeuk": "",
    "health": "ATQX",
    "probation": "PRQX",
    "youth_justice": "YJQX",
}


def ref_for(feed: str, i: int) -> str:
    """A distinctive raw reference (police.uk uses 64-hex ids), easy to grep for."""
    if feed == "policeuk":
        return hashlib.sha256(f"policeuk-{i}".encode()).hexdigest()
    return f"{REF_PREFIX[feed]}{i:07d}"


def future(days: int = 60) -> dt.date:
    return dt.date.today() + dt.timedelta(days=days)


def write_csv(
    path: Path,
    header: Sequence[str],
    rows: Iterable[Sequence[object] | dict[str, object]],
    *,
    encoding: str = "utf-8",
    newline: str = "\n",
) -> Path:
    """Write a CSV with the csv module (quotes where needed); rows as sequences or dicts."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh, lineterminator=newline)
        w.writerow(header)
        for row in rows:
            w.writerow([row.get(h, "") for h in header] if isinstance(row, dict) else row)
    return path


def feed_rows(feed: str, n: int, start: int = 1, **overrides: str) -> list[dict[str, str]]:
    """``n`` valid rows of a feed with unique references, with the same overrides on each."""
    rows = []
    for i in range(start, start + n):
        row = dict(VALID[feed])
        row[REF_COLUMN[feed]] = ref_for(feed, i)
        row.update(overrides)
        rows.append(row)
    return rows


def write_feed(path: Path, feed: str, rows: Sequence[dict[str, str]], **kw) -> Path:
    header = POLICEUK_HEADER if feed == "policeuk" else tuple(VALID[feed])
    return write_csv(path, header, rows, **kw)


def write_geography(
    path: Path, rows: Sequence[Sequence[str]] = GEO_ROWS, header: Sequence[str] = GEO_HEADER
) -> Path:
    return write_csv(path, header, rows)


def reader_rows(warehouse: Path, sql: str, params: dict | None = None) -> list[tuple]:
    con = connect_reader(warehouse)
    try:
        return con.execute(sql, params or {}).fetchall()
    finally:
        con.close()


def count(warehouse: Path, table: str) -> int:
    return reader_rows(warehouse, f"SELECT count(*) FROM {table}")[0][0]


def errors_at(report: FileReport, line: int) -> list[tuple[str | None, str]]:
    return [(e["column"], e["reason"]) for e in report.errors if e["line"] == line]


def build_warehouse(
    path: Path,
    key_file: Path,
    districts: tuple[str, ...] = DISTRICTS,
    geography: bool = True,
    **settings: object,
) -> Path:
    init_warehouse(path, Settings(districts=districts, **settings))
    if geography:
        lookup = write_geography(path.parent / f"{path.name}-lookup.csv")
        (report,) = load_files(path, "geography", [lookup], key_path=key_file)
        assert report.status == "loaded", report
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(warehouse: Path, env: dict | None = None):
    """``svdash serve`` in a subprocess on a free port; returns (process, base URL)."""
    port = free_port()
    # No prewarming in test servers unless a test asks: nobody opens the pages it builds.
    env = {**os.environ, "SVDASH_WAREHOUSE": str(warehouse), "SVDASH_PREWARM": "0", **(env or {})}
    proc = subprocess.Popen(
        [sys.executable, "-m", "svdash.cli", "serve", "--port", str(port), "--no-demo"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    # Keep reading the server's output: it logs every request, and once an unread pipe's buffer
    # fills (64 KiB, about 800 requests) the server blocks mid-request and pages time out.
    log: deque[bytes] = deque(maxlen=500)
    reader = threading.Thread(target=log.extend, args=(proc.stdout,), daemon=True)
    reader.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/assets/style.css", timeout=2)
            return proc, url
        except OSError:
            if proc.poll() is not None:
                reader.join(timeout=10)
                raise RuntimeError(b"".join(log).decode()) from None
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("the server did not start in 60 s")


def dependencies(s: requests.Session, url: str) -> list[dict]:
    r = s.get(f"{url}/_dash-dependencies")
    assert r.status_code == 200
    return r.json()


def callback(
    s: requests.Session, url: str, deps: list[dict], output_fragment: str, value: object
) -> requests.Response:
    """POST a hand-made callback request: ``filters.data`` set to ``value``."""
    dep = next(d for d in deps if output_fragment in d["output"])
    outputs = []
    for part in dep["output"].strip(".").split("..."):
        cid, prop = part.rsplit(".", 1)
        outputs.append({"id": cid, "property": prop})
    inputs = []
    for i in dep["inputs"]:
        v = value if (i["id"], i["property"]) == ("filters", "data") else None
        inputs.append({"id": i["id"], "property": i["property"], "value": v})
    body = {
        "output": dep["output"],
        "outputs": outputs if len(outputs) > 1 else outputs[0],
        "inputs": inputs,
        "changedPropIds": ["filters.data"],
        "state": [{"id": st["id"], "property": st["property"]} for st in dep.get("state", [])],
    }
    return s.post(f"{url}/_dash-update-component", json=body)


FUZZ_SCALE = max(1, int(os.environ.get("SVDASH_FUZZ_EXAMPLES", "1")))


def fuzz(n: int, *checks: HealthCheck) -> settings:
    """``n`` examples (times SVDASH_FUZZ_EXAMPLES), reproducible unless SVDASH_FUZZ_RANDOM, for
    every fuzz test of the feeds and the filters."""
    return settings(
        max_examples=n * FUZZ_SCALE,
        deadline=None,
        derandomize=not os.environ.get("SVDASH_FUZZ_RANDOM"),
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, *checks],
    )


def route_posterior(routes: Sequence[tuple[float, int]], values: Sequence[int] = range(1, 8)):
    """An attacker's posterior over a hidden cell's count from differencing routes.

    Each route is (d, k): a published total minus ``k`` published parts, so d = x + the sum of
    ``k + 1`` independent cell-key adjustments (the published table's distribution). Returns
    (values, posterior) under a flat prior over ``values`` (a hidden count is under 5, or under
    8 once perturbed)."""
    import numpy as np

    from svcore.disclosure import ADJUSTMENTS, KEY_SPACE, KEYS_PER_ADJUSTMENT

    base = np.array(KEYS_PER_ADJUSTMENT, dtype=float) / KEY_SPACE
    reach = max(ADJUSTMENTS)
    xs = np.array(list(values))
    log_post = np.zeros(len(xs))
    for d, k in routes:
        pmf = base
        for _ in range(k):
            pmf = np.convolve(pmf, base)
        idx = np.rint(d - xs).astype(int) + reach * (k + 1)
        like = np.where((idx >= 0) & (idx < len(pmf)), pmf[np.clip(idx, 0, len(pmf) - 1)], 0.0)
        log_post += np.log(like + 1e-300)
    post = np.exp(log_post - log_post.max())
    return xs, post / post.sum()


TEST_PASSWORD = "a long test password"


@contextlib.contextmanager
def secured_server(
    demo_warehouse: Path, root: Path, users: Sequence[tuple[str, str, tuple[str, ...]]]
):
    """A copy of the demo switched out of demo mode, with ``users`` (name, role, districts),
    served by ``svdash serve`` in a subprocess: yields (warehouse, base URL)."""
    import shutil

    from svcore.config import read_settings, write_settings
    from svcore.users import add_user

    wh = Path(shutil.copytree(demo_warehouse, root / "warehouse"))
    write_settings(wh, read_settings(wh).with_(demo=False))
    for name, role, districts in users:
        add_user(wh, name, role, TEST_PASSWORD, districts)
    proc, url = start_server(wh, env={"XDG_CONFIG_HOME": str(root / "config")})
    try:
        yield wh, url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@contextlib.contextmanager
def redis_server(root: Path):
    """Debian's ``redis-server`` on a free loopback port, persisting nothing, its files in
    ``root``: yields its URL (``redis://127.0.0.1:PORT/0``) once it answers PING, and shuts it
    down at exit. ``scripts/test.sh`` installs it."""
    import shutil

    import redis

    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed: run scripts/test.sh, which installs it")
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(root),
            "--logfile",
            str(root / "redis.log"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log = root / "redis.log"
                    raise RuntimeError(
                        "redis-server did not start: "
                        + (log.read_text()[-2000:] if log.exists() else "")
                    ) from None
                time.sleep(0.1)
        yield url
    finally:
        client.close()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def sign_in_form(
    s: requests.Session, url: str, name: str, password: str = TEST_PASSWORD
) -> requests.Response:
    """Sign in through the form as a browser does: GET /login for the CSRF token (and the
    session cookie that goes with it), then POST; redirects are not followed."""
    import re

    page = s.get(f"{url}/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    data = {"username": name, "password": password, "next": "/", "csrf_token": token}
    return s.post(f"{url}/login", data=data, allow_redirects=False)


def from_loopback(address: str) -> requests.Session:
    """A session whose connections come from ``address`` (any of 127.0.0.0/8), so servers
    see different clients without a proxy in between."""

    class FromAddress(requests.adapters.HTTPAdapter):
        def init_poolmanager(self, *args, **kwargs):
            kwargs["source_address"] = (address, 0)
            return super().init_poolmanager(*args, **kwargs)

    s = requests.Session()
    s.mount("http://", FromAddress())
    return s
