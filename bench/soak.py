"""Soak test: the running dashboard over HTTP, 20 bounded clients for 60 s, every page and filter.

    python bench/soak.py [--seconds 60] [--clients 20] [--warehouse DIR] [--url URL]
                         [--workers 2] [--threads 4] [--load-during auto|FILE] [--quick]

What it does:

1. Warehouse: by default the demo (``svdash demo --seed 42 --years 5``: synthetic West
   Yorkshire, 2021-01 to 2025-12, every feed), built once through the real ETL into
   ``--workdir`` (default /tmp/svdash-bench/soak-demo, about a minute; delete it to rebuild).
   ``--warehouse DIR`` soaks an existing warehouse instead; it is only read (the app must be in
   demo mode: the soak does not sign in).
2. Server: the real app (``dashboard.app.create_app``) under gunicorn, ``gthread``, 2 workers x
   4 threads by default, on 127.0.0.1 (``bench/harness.py``'s ``start_server``); or, with
   ``--url``, a server that is already running (nothing is started).
3. ``--clients`` clients (default 20), each a thread with its own ``requests.Session`` and its
   own seeded random stream, loop for ``--seconds`` (default 60). Each request starts only when
   the previous one of that client has finished (no pipelining, no retries). A client picks a
   page (overview, where, when, how, who, factors, quality) and filters (districts, wards,
   periods, offence groups, sources: ``bench/harness.py``'s ``random_query``, a fifth with
   another source or all sources; 5% a bad URL such as ``?district=LEEDS&from=2021-13``) and
   does what a browser does when it opens that address:

   - ``GET /<page>?<filters>`` (the HTML), ``GET /_dash-layout``, ``GET /_dash-dependencies``;
   - ``POST /_dash-update-component`` for Dash's page router (``_pages_content``), the filter
     bar's URL sync (which turns the address into the canonical filters, or drops bad values
     with a message), the month options, the nav links, the ward and offence-group options;
   - then the page's own callbacks with the canonical filters (where: map, hotspots and the
     A&E gap; factors: a random IMD domain or indicator; where: a random level and measure),
     bodies built from the server's ``/_dash-dependencies`` (``Payloads``);
   - on the where page, ``GET /geojson/<level>.json?v=...`` named in the map's figure, when
     that client's "browser cache" does not hold it yet (and 15% of the time anyway).

   Before the timed run one visit per page and one bad URL are made in turn (warm-up and a
   check that every callback answers); their errors count too.

An error is: a connection error or a timeout (``--timeout``, default 60 s per request); any
status outside 2xx (redirects are not followed: a redirect to a login page is an error); 204
from a page's own callback (``callbacks.py`` requires 200 with a response: 204 means the app
declined to answer), though 204 is accepted from the shell's callbacks, which may legitimately
return no update; a callback's 200 whose JSON has no ``response``; a bad URL whose filter sync
shows no message. Latencies (p50/p95/p99/max per request kind and overall) are of the requests
that succeeded, as in ``callbacks.py``; the first ``--keep-errors`` errors are kept in full.

``--load-during auto|FILE`` runs a real load while the soak runs: at 30% of the time,
``svdash load police FILE --warehouse W`` in a subprocess, of FILE or (``auto``) a synthetic
force extract for the month after the last police month held, as many rows as that month
(``bench/synthetic.py``'s ``write_police_csv``). When the script starts the server, the warehouse is
first copied (to ``<workdir>/soak-load-warehouse``) and the copy is served and loaded: the
warehouse you name, or the cached demo, is never changed. Only with ``--url`` (a server this
script does not control) does ``--load-during`` load into ``--warehouse`` itself, which must
be the warehouse that server serves. A probe (one more client) asks for the overview's headline
(police, all months) every half second: every answer must be the old total (counted from the
warehouse before the load) until the load publishes, then the new total (counted after it),
never anything else and never back again; the final answer must be the new total. Latencies
are also given before, during and after the load.

Results: a table on the terminal and ``bench/results/soak.json`` (``soak-load-during.json``
with ``--load-during``, ``soak-quick.json`` with ``--quick``): configuration, per-kind and
overall latencies, requests/s, errors, server RSS and PSS (idle after the warm-up and peak
during the soak, the server process and its workers), problems found in the server's log,
machine and commit measured. Exit status 1 if there was any error (or the headline check
failed), 0 otherwise. ``--quick``: 4 clients for 10 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

if not __package__:  # python bench/soak.py: make the bench package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import BENCH, MB, ROOT  # noqa: E402
from bench.harness import (  # noqa: E402
    DISTRICTS,
    HEADERS,
    Item,
    MemorySampler,
    Payloads,
    Server,
    code_state,
    fmt_ms,
    machine,
    random_query,
    reference_choices,
    start_server,
)
from bench.synthetic import lsoa_weights, write_police_csv  # noqa: E402
from dashboard import ids  # noqa: E402

# Page -> (path, the page callbacks of bench.baseline.PAGES it fires).
PAGE_CALLBACKS: dict[str, tuple[str, tuple[str, ...]]] = {
    "overview": ("/", ("overview",)),
    "where": ("/where", ("where_map", "where_hotspots", "where_gap")),
    "when": ("/when", ("when",)),
    "how": ("/how", ("how",)),
    "who": ("/who", ("who",)),
    "factors": ("/factors", ("factors",)),
    "quality": ("/quality", ("quality",)),
}
NAV_LINK = '{"path":["ALL"],"type":"' + ids.NAV_LINK + '"}'
# The shell's callbacks a page load fires, by their first output (id, property).
SHELL_CALLBACKS = {
    "pages": ("_pages_content", "children"),
    "filters": (ids.FILTERS, "data"),
    "months": (ids.F_FROM, "options"),
    "nav": (NAV_LINK, "href"),
    "wards": (ids.F_WARD, "options"),
    "groups": (ids.F_GROUP, "options"),
}
KINDS = (
    "page",
    "layout",
    "dependencies",
    *(f"cb {k}" for k in SHELL_CALLBACKS),
    *(f"cb {p}" for _, cbs in PAGE_CALLBACKS.values() for p in cbs),
    "geojson",
)
OTHER_SOURCES = ("policeuk", "probation", "youth_justice", "all")
BAD_QUERIES = (
    "district=LEEDS&from=2021-13",
    "district=E08000035&ward=NOT-A-WARD",
    "from=2023-00&to=20x4-01",
    "group=no_such_group&source=fax",
    "definition=..%2F..%2Fetc%2Fpasswd",
    "district=E99999999&group=knife_sharp&to=2024-02-30",
)
# A map figure names its boundaries by URL (plotly's JSON escapes "/" as \u002f).
GEOJSON_URL = re.compile(rb'"geojson":\s*("(?:/|\\u002f)geojson[^"]*")')
LOG_PROBLEM = re.compile(
    r"Exception|\[ERROR\]|\[CRITICAL\]|WORKER TIMEOUT|was sent SIG|"
    r"Error\b|Warning\b|\[WARNING\]"
)
DEMO_SEED, DEMO_YEARS = 42, 5


# ---- what a client asks for --------------------------------------------------------------------


@dataclass(frozen=True)
class Visit:
    """One browser page load: a page, the address's query and the page's own controls."""

    page: str
    query: str
    bad: bool = False
    level: str = "auto"
    measure: str = "rate"
    choice: str = "imd:imd"


def random_visit(
    rng: np.random.Generator, wards: dict[str, list[str]], factors: list[str]
) -> Visit:
    page = str(rng.choice(list(PAGE_CALLBACKS)))
    if rng.random() < 0.05:
        return Visit(page, str(rng.choice(BAD_QUERIES)), bad=True)
    pairs = urllib.parse.parse_qsl(random_query(rng, wards))
    if rng.random() < 0.2:  # the other partner sources, and all of them together
        pairs = [(k, v) for k, v in pairs if k != "source"]
        pairs.append(("source", str(rng.choice(OTHER_SOURCES))))
    query = urllib.parse.urlencode(pairs)
    level = str(rng.choice(["auto"] * 5 + ["district", "ward", "lsoa"]))
    return Visit(
        page,
        query,
        level=level,
        measure=str(rng.choice(["rate", "rate", "count"])),
        choice=str(rng.choice(factors)),
    )


def http_choices(
    url: str, deps: list[dict], payloads: Payloads, timeout: float
) -> tuple[dict[str, list[str]], list[str]]:
    """Wards per district and factor choices asked of the server (``--url`` with no warehouse)."""
    import requests

    spec = find_callback(deps, SHELL_CALLBACKS["wards"])
    wards: dict[str, list[str]] = {}
    with requests.Session() as s:
        for d in DISTRICTS:
            r = s.post(
                url + "/_dash-update-component",
                headers=HEADERS,
                timeout=timeout,
                data=callback_body(spec, {(ids.F_DISTRICT, "value"): [d]}, [], []),
            )
            if r.status_code == 200:
                options = r.json()["response"][ids.F_WARD]["options"]
                wards[d] = [o["value"] for o in options]
        target, body = payloads.request(Item("factors", ""))
        r = s.post(target, data=body, headers=HEADERS, timeout=timeout)
        options = r.json()["response"][ids.FACTORS_CHOICE]["options"] if r.ok else []
    return wards, [o["value"] for o in options] or ["imd:imd"]


# ---- Dash callback bodies ----------------------------------------------------------------------


def find_callback(deps: list[dict], first: tuple[str, str]) -> dict:
    for cb in deps:
        text = cb["output"][2:] if cb["output"].startswith("..") else cb["output"]
        head = text.split("...")[0].removesuffix("..")
        cid, _, prop = head.rpartition(".")
        if (cid, prop) == first:
            return cb
    raise SystemExit(f"no callback with output {first[0]}.{first[1]} in /_dash-dependencies")


def callback_body(
    spec: dict, values: dict[tuple[str, str], Any], changed: list[str], nav_ids: list[dict]
) -> bytes:
    """The body Dash's renderer posts for ``spec``: single outputs as one object, several as a
    list, the nav links' ``ALL`` pattern expanded to the ids the layout holds."""
    output = spec["output"]
    multi = output.startswith("..")
    parts = (output[2:-2] if multi else output).split("...")
    outputs: Any = []
    for part in parts:
        cid, _, prop = part.rpartition(".")
        if cid.startswith("{"):
            outputs = [{"id": i, "property": prop} for i in nav_ids]
        else:
            outputs.append({"id": cid, "property": prop})
    if not multi and not parts[0].startswith("{"):
        outputs = outputs[0]

    def fill(dep: dict) -> Any:
        if dep["id"].startswith("{"):
            return [
                {
                    "id": i,
                    "property": dep["property"],
                    "value": i if dep["property"] == "id" else None,
                }
                for i in nav_ids
            ]
        return {
            "id": dep["id"],
            "property": dep["property"],
            "value": values.get((dep["id"], dep["property"])),
        }

    body = {
        "output": output,
        "outputs": outputs,
        "inputs": [fill(d) for d in spec["inputs"]],
        "changedPropIds": changed,
        "state": [fill(d) for d in spec.get("state", [])],
    }
    return json.dumps(body).encode()


def nav_link_ids(layout: Any) -> list[dict]:
    """The nav links' pattern-matching ids in a ``/_dash-layout`` answer."""
    found: list[dict] = []

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for x in node:
                walk(x)
        elif isinstance(node, dict) and isinstance(node.get("props"), dict):
            cid = node["props"].get("id")
            if isinstance(cid, dict) and cid.get("type") == ids.NAV_LINK:
                found.append(cid)
            walk(node["props"].get("children"))

    walk(layout)
    return found


def headline_number(payload: dict) -> int | None:
    """The headline view's first card value (``kpi-value``), None if suppressed."""

    def walk(node: Any) -> Iterator[Any]:
        if isinstance(node, list):
            for x in node:
                yield from walk(x)
        elif isinstance(node, dict) and isinstance(node.get("props"), dict):
            props = node["props"]
            if props.get("className") == "kpi-value":
                yield props.get("children")
            yield from walk(props.get("children"))

    for text in walk(payload["response"]["overview-headline"]["children"]):
        digits = str(text).replace(",", "")
        return int(digits) if digits.isdigit() else None
    raise ValueError("no kpi-value in the overview's answer")


# ---- the clients -------------------------------------------------------------------------------


class Stop(Exception):
    """The soak's time is up: the client stops before its next request."""


@dataclass
class Sample:
    kind: str
    start: float  # seconds since the soak started
    seconds: float
    ok: bool
    status: int | None


@dataclass
class Recorder:
    """Every request's outcome, and the first errors in full (shared by the clients)."""

    origin: float
    keep: int
    samples: list[Sample] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    error_count: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, sample: Sample, error: dict | None) -> None:
        with self.lock:
            self.samples.append(sample)
            if error is not None:
                self.error_count += 1
                if len(self.errors) < self.keep:
                    self.errors.append(error)


@dataclass
class Context:
    url: str
    payloads: Payloads
    deps: list[dict]
    timeout: float
    nav_ids: list[dict]

    def shell(self, name: str) -> dict:
        return find_callback(self.deps, SHELL_CALLBACKS[name])


class Client:
    """One browser: a session, a seeded stream of visits, a geojson cache."""

    def __init__(
        self,
        ctx: Context,
        rec: Recorder,
        number: int,
        deadline: float | None,
        rng: np.random.Generator,
    ) -> None:
        import requests

        self.ctx, self.rec, self.number, self.deadline, self.rng = ctx, rec, number, deadline, rng
        self.session = requests.Session()
        self.geojson_seen: set[str] = set()
        self.visits: list[Visit] = []

    def call(
        self,
        kind: str,
        method: str,
        path: str,
        body: bytes | None = None,
        check: Callable[[Any], str | None] | None = None,
    ) -> Any:
        """One request, timed and judged; returns the response (None on a connection error)."""
        import requests

        if self.deadline is not None and time.perf_counter() >= self.deadline:
            raise Stop
        t0 = time.perf_counter()
        resp, problem, status = None, None, None
        try:
            resp = self.session.request(
                method,
                self.ctx.url + path,
                data=body,
                headers=HEADERS if body is not None else None,
                timeout=self.ctx.timeout,
                allow_redirects=False,
            )
            status = resp.status_code
            seconds = time.perf_counter() - t0
            is_callback = kind.startswith("cb ")
            if not 200 <= status < 300:
                problem = f"HTTP {status}: {resp.text[:300]}"
            elif status == 204 and is_callback and kind.removeprefix("cb ") not in SHELL_CALLBACKS:
                problem = "HTTP 204 (no update) from a page callback"
            elif is_callback and status == 200 and b'"response"' not in resp.content[:64]:
                problem = f"no response in the callback's JSON: {resp.text[:300]}"
            elif check is not None:
                try:
                    problem = check(resp)
                except (ValueError, KeyError, TypeError, AttributeError) as exc:
                    problem = f"unexpected answer ({type(exc).__name__}: {exc})"
        except requests.RequestException as exc:
            seconds = time.perf_counter() - t0
            problem = f"{type(exc).__name__}: {str(exc)[:300]}"
        error = None
        if problem is not None:
            error = {
                "kind": kind,
                "method": method,
                "path": path[:300],
                "status": status,
                "problem": problem,
                "at_s": round(t0 - self.rec.origin, 2),
                "seconds": round(seconds, 3),
                "client": self.number,
            }
        self.rec.add(Sample(kind, t0 - self.rec.origin, seconds, problem is None, status), error)
        return resp

    def post_callback(
        self,
        name: str,
        values: dict[tuple[str, str], Any],
        changed: list[str],
        check: Callable[[Any], str | None] | None = None,
    ) -> Any:
        body = callback_body(self.ctx.shell(name), values, changed, self.ctx.nav_ids)
        return self.call(f"cb {name}", "POST", "/_dash-update-component", body, check)

    def visit(self, v: Visit) -> None:
        path, callbacks = PAGE_CALLBACKS[v.page]
        search = f"?{v.query}" if v.query else ""
        self.call("page", "GET", path + search)
        self.call("layout", "GET", "/_dash-layout")
        self.call("dependencies", "GET", "/_dash-dependencies")
        self.post_callback(
            "pages",
            {("_pages_location", "pathname"): path, ("_pages_location", "search"): search},
            ["_pages_location.pathname", "_pages_location.search"],
        )

        def messages_shown(resp: Any) -> str | None:
            if resp.status_code != 200:
                return "HTTP 204 for a bad URL: no message shown"
            msgs = resp.json()["response"].get(ids.FILTER_MESSAGES, {}).get("children")
            return None if msgs else "a bad URL value was not reported under the filters"

        resp = self.post_callback(
            "filters",
            {
                (ids.URL, "search"): search,
                (ids.F_SOURCE, "value"): "police",
                (ids.F_RESET, "n_clicks"): 0,
            },
            [f"{ids.URL}.search"],
            check=messages_shown if v.bad else None,
        )
        query = v.query
        if resp is not None and resp.status_code == 200 and b'"response"' in resp.content[:64]:
            got = resp.json()["response"].get(ids.FILTERS, {})
            query = got.get("data", query) if isinstance(got, dict) else query
        params = urllib.parse.parse_qs(query)
        self.post_callback("months", {(ids.URL, "pathname"): path}, [f"{ids.URL}.pathname"])
        self.post_callback("nav", {(ids.FILTERS, "data"): query}, [f"{ids.FILTERS}.data"])
        self.post_callback(
            "wards",
            {(ids.F_DISTRICT, "value"): params.get("district", [])},
            [f"{ids.F_DISTRICT}.value"],
        )
        self.post_callback(
            "groups",
            {(ids.F_DEFINITION, "value"): params.get("definition", ["home_office"])[0]},
            [f"{ids.F_DEFINITION}.value"],
        )
        for page in callbacks:
            target, body = self.ctx.payloads.request(
                Item(page, query, level=v.level, measure=v.measure, choice=v.choice)
            )
            resp = self.call(f"cb {page}", "POST", target.removeprefix(self.ctx.url), body)
            if page in ("where_map", "where_hotspots") and resp is not None and resp.ok:
                for raw in GEOJSON_URL.findall(resp.content):
                    url = json.loads(raw)
                    if url not in self.geojson_seen or self.rng.random() < 0.15:
                        self.geojson_seen.add(url)
                        self.call("geojson", "GET", url)

    def run(self, wards: dict[str, list[str]], factors: list[str]) -> None:
        try:
            while True:
                v = random_visit(self.rng, wards, factors)
                self.visits.append(v)
                self.visit(v)
        except Stop:
            pass
        finally:
            self.session.close()


# ---- the headline probe and the load -----------------------------------------------------------


@dataclass
class Probe:
    """The overview's headline (default filters) every ``interval`` s, while ``running``."""

    ctx: Context
    rec: Recorder
    interval: float = 0.5
    seen: list[tuple[float, float, int | None]] = field(default_factory=list)  # start, end, n
    stop: threading.Event = field(default_factory=threading.Event)

    def ask(self, session: Any) -> int | None:
        import requests

        target, body = self.ctx.payloads.request(Item("overview", ""))
        t0 = time.perf_counter()
        problem, status, value = None, None, None
        try:
            r = session.post(target, data=body, headers=HEADERS, timeout=self.ctx.timeout)
            status = r.status_code
            if status != 200:
                problem = f"HTTP {status}: {r.text[:300]}"
            else:
                value = headline_number(r.json())
        except (requests.RequestException, ValueError, KeyError) as exc:
            problem = f"{type(exc).__name__}: {str(exc)[:300]}"
        t1 = time.perf_counter()
        error = (
            None
            if problem is None
            else {
                "kind": "probe headline",
                "method": "POST",
                "path": "/_dash-update-component",
                "status": status,
                "problem": problem,
                "at_s": round(t0 - self.rec.origin, 2),
                "seconds": round(t1 - t0, 3),
                "client": "probe",
            }
        )
        self.rec.add(
            Sample("probe headline", t0 - self.rec.origin, t1 - t0, problem is None, status), error
        )
        if problem is None:
            self.seen.append((t0 - self.rec.origin, t1 - self.rec.origin, value))
        return value

    def run(self) -> None:
        import requests

        with requests.Session() as s:
            while not self.stop.is_set():
                self.ask(s)
                self.stop.wait(self.interval)


def police_total(warehouse: Path) -> tuple[int, str | None, int]:
    """What the headline should say (police, all months, serious violence, as a fresh reader
    counts it), the last police month held and that month's police rows."""
    from dashboard.filters import parse_filters
    from dashboard.queries.counts import count_table
    from svcore.config import read_settings
    from svcore.warehouse import connect_reader

    con = connect_reader(warehouse)
    try:
        f = parse_filters("", read_settings(warehouse).definition)
        total = int(count_table(con, f, [])["count"].iloc[0])
        last, rows = con.sql(
            "SELECT strftime(max(period), '%Y-%m'), count(*) FILTER (WHERE period = "
            "(SELECT max(period) FROM events WHERE source = 'police')) FROM events "
            "WHERE source = 'police'"
        ).fetchall()[0]
    finally:
        con.close()
    return total, last, int(rows)


def synthetic_month(warehouse: Path, workdir: Path, seed: int) -> tuple[Path, str, int]:
    """A force extract for the month after the last police month held, as big as that month."""
    _, last, rows = police_total(warehouse)
    month = (pd.Period(last or "2025-12", "M") + 1) if last else pd.Period("2026-01", "M")
    rng = np.random.default_rng(seed)
    lsoas, weights = lsoa_weights(warehouse, rng)
    out = workdir / "soak-load-input"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"force_extract_{month}.csv"
    n = write_police_csv(
        path,
        pd.period_range(month, periods=1, freq="M"),
        np.array([max(rows, 1000)]),
        lsoas,
        weights,
        rng,
        ref_prefix=f"SOAK{month}-",
    )
    return path, str(month), n


@dataclass
class LoadRun:
    """``svdash load police FILE`` in a subprocess, started ``delay`` s into the soak."""

    warehouse: Path
    file: Path
    delay: float
    origin: float
    key_file: Path | None
    result: dict = field(default_factory=dict)
    thread: threading.Thread | None = None

    def start(self) -> None:
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self) -> None:
        time.sleep(max(0.0, self.origin + self.delay - time.perf_counter()))
        env = dict(os.environ)
        if self.key_file is not None:
            env["SVDASH_KEY_FILE"] = str(self.key_file)
        cmd = [
            sys.executable,
            "-m",
            "svdash.cli",
            "load",
            "police",
            str(self.file),
            "--warehouse",
            str(self.warehouse),
            "--json",
        ]
        t0 = time.perf_counter()
        self.result["started_at_s"] = t0 - self.origin
        try:
            p = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
            self.result.update(returncode=p.returncode, stderr=p.stderr[-2000:])
            try:
                self.result["report"] = json.loads(p.stdout)["files"][0]
            except (ValueError, KeyError, IndexError):
                self.result["stdout"] = p.stdout[-2000:]
        except subprocess.TimeoutExpired:
            self.result.update(returncode=None, stderr="timed out after 1800 s")
        self.result["finished_at_s"] = time.perf_counter() - self.origin
        self.result["seconds"] = time.perf_counter() - t0
        self.result["command"] = " ".join(cmd)

    def join(self) -> None:
        if self.thread is not None:
            self.thread.join()


def judge_headline(
    seen: list[tuple[float, float, int | None]],
    before: int,
    after: int,
    load: dict,
    final: list[int | None],
) -> dict:
    """Old total until the load publishes, then the new total; nothing else, never back."""
    values = [v for _, _, v in seen]
    runs: list[int | None] = []
    for v in values:
        if not runs or runs[-1] != v:
            runs.append(v)
    start = load.get("started_at_s", float("inf"))
    pre = {v for _, end, v in seen if end < start}
    strange = sorted({v for v in values + final if v not in (before, after)}, key=str)
    first_new = next((s for s, _, v in seen if v == after and after != before), None)
    problems = []
    if load.get("returncode") != 0 or (load.get("report") or {}).get("status") != "loaded":
        problems.append("the load did not load the file")
    if after == before:
        problems.append("the load did not change the headline")
    if pre - {before}:
        problems.append(f"before the load the headline was {sorted(pre, key=str)}, not {before}")
    if strange:
        problems.append(f"values that are neither the old nor the new total: {strange}")
    if runs not in ([before], [before, after], [after]):
        problems.append(f"the headline went {' -> '.join(map(str, runs))}")
    if not final or any(v != after for v in final):
        problems.append(f"after the load the headline is {final}, not {after}")
    return {
        "old_total": before,
        "new_total": after,
        "probes": len(seen),
        "sequence": runs,
        "values_seen": {str(k): values.count(k) for k in dict.fromkeys(values)},
        "final_probes": final,
        "first_new_at_s": first_new,
        "new_visible_after_load_start_s": (first_new - start)
        if first_new is not None and start != float("inf")
        else None,
        "consistent": not problems,
        "problems": problems,
    }


# ---- summary and report ------------------------------------------------------------------------


def stats(times: list[float]) -> dict:
    if not times:
        return {
            "n": 0,
            "p50_ms": None,
            "p95_ms": None,
            "p99_ms": None,
            "mean_ms": None,
            "max_ms": None,
        }
    a = np.array(times) * 1000
    p50, p95, p99 = np.percentile(a, [50, 95, 99])
    return {
        "n": len(a),
        "p50_ms": float(p50),
        "p95_ms": float(p95),
        "p99_ms": float(p99),
        "mean_ms": float(a.mean()),
        "max_ms": float(a.max()),
    }


def summarise(samples: list[Sample], wall: float) -> dict:
    kinds = {}
    for kind in (*KINDS, *sorted({s.kind for s in samples} - set(KINDS))):
        mine = [s for s in samples if s.kind == kind]
        if mine:
            kinds[kind] = {
                **stats([s.seconds for s in mine if s.ok]),
                "requests": len(mine),
                "errors": sum(not s.ok for s in mine),
            }
    overall = {
        **stats([s.seconds for s in samples if s.ok]),
        "requests": len(samples),
        "errors": sum(not s.ok for s in samples),
    }
    return {
        "kinds": kinds,
        "overall": overall,
        "wall_seconds": wall,
        "requests_per_second": len(samples) / wall if wall else None,
        "statuses": {
            str(k): sum(1 for s in samples if s.status == k)
            for k in sorted({s.status for s in samples}, key=str)
        },
    }


def phases(samples: list[Sample], load: dict, wall: float) -> dict:
    """Overall latency before, during and after the load (by when each request started)."""
    a, b = load.get("started_at_s", wall), load.get("finished_at_s", wall)
    out = {}
    for name, lo, hi in (("before_load", 0.0, a), ("during_load", a, b), ("after_load", b, wall)):
        mine = [s for s in samples if lo <= s.start < hi]
        out[name] = {
            **stats([s.seconds for s in mine if s.ok]),
            "requests": len(mine),
            "errors": sum(not s.ok for s in mine),
            "from_s": lo,
            "to_s": hi,
        }
    return out


def server_log_problems(log: Path | None, offset: int = 0) -> dict | None:
    """What in the server's log looks like trouble: tracebacks (whole, the first few, and a
    count of their final lines), errors, warnings and worker timeouts."""
    if log is None or not log.exists():
        return None
    lines = log.read_bytes()[offset:].decode("utf-8", "replace").splitlines()
    tracebacks: list[list[str]] = []
    other: list[str] = []
    i = 0
    while i < len(lines):
        if lines[i].startswith("Traceback"):
            j = i + 1
            while j < len(lines) and (
                lines[j][:1] in (" ", "\t", "")
                or lines[j].startswith(("Traceback", "During handling", "The above exception"))
            ):
                j += 1
            tracebacks.append(lines[i : j + 1])
            i = j + 1
            continue
        if LOG_PROBLEM.search(lines[i]):
            other.append(lines[i])
        i += 1
    finals: dict[str, int] = {}
    for tb in tracebacks:
        finals[tb[-1][:300]] = finals.get(tb[-1][:300], 0) + 1
    return {
        "path": str(log),
        "lines": len(lines),
        "tracebacks": len(tracebacks),
        "exceptions": finals,
        "other_problem_lines": len(other),
        "other": other[:30],
        "first_tracebacks": [tb[:60] for tb in tracebacks[:3]],
    }


def print_report(result: dict, console: Any) -> None:
    from rich.table import Table

    cfg, s = result["config"], result["soak"]
    t = Table(
        title=f"soak · {cfg['clients']} clients · {cfg['seconds']:.0f} s · "
        f"{result['server']['description']}",
        title_justify="left",
    )
    t.add_column("request kind")
    for col in ("requests", "errors", "p50 ms", "p95 ms", "p99 ms", "max ms"):
        t.add_column(col, justify="right")
    for kind, k in s["kinds"].items():
        t.add_row(
            kind,
            f"{k['requests']:,}",
            str(k["errors"]),
            fmt_ms(k["p50_ms"]),
            fmt_ms(k["p95_ms"]),
            fmt_ms(k["p99_ms"]),
            fmt_ms(k["max_ms"]),
        )
    o = s["overall"]
    t.add_section()
    t.add_row(
        "all requests",
        f"{o['requests']:,}",
        str(o["errors"]),
        fmt_ms(o["p50_ms"]),
        fmt_ms(o["p95_ms"]),
        fmt_ms(o["p99_ms"]),
        fmt_ms(o["max_ms"]),
    )
    console.print(t)
    mem = result["server"].get("memory")
    console.print(
        f"{o['requests']:,} requests in {s['wall_seconds']:.1f} s = "
        f"{s['requests_per_second']:.1f}/s from {cfg['clients']} clients "
        f"({s['visits']:,} page visits, {s['bad_url_visits']} with a bad URL); "
        f"errors: {result['errors']['total']} (warm-up {result['warmup']['overall']['errors']}"
        f"{', probe ' + str(result['load_during']['probe_errors']) if result.get('load_during') else ''})",
        highlight=False,
    )
    if mem:
        console.print(
            f"server memory (process tree): RSS {mem['rss_mb_after_warmup']:,.0f} MB "
            f"after warm-up, peak {mem['rss_mb_peak_during_soak']:,.0f} MB during the "
            f"soak; PSS peak {mem['pss_mb_peak_during_soak']:,.0f} MB",
            highlight=False,
        )
    log = result["server"].get("log_problems")
    if log:
        console.print(
            f"server log {log['path']}: {log['tracebacks']} tracebacks, "
            f"{log['other_problem_lines']} other error or warning lines",
            highlight=False,
            markup=False,
        )
        for line, n in list(log["exceptions"].items())[:10]:
            console.print(f"  {n} x {line}", highlight=False, markup=False)
        for line in log["other"][:10]:
            console.print(f"  {line[:200]}", highlight=False, markup=False)
    ld = result.get("load_during")
    if ld:
        h, load = ld["headline"], ld["load"]
        rep = load.get("report") or {}
        console.print(
            f"load during the soak: {rep.get('status', 'failed')} {rep.get('rows_loaded', 0):,} "
            f"rows of {ld['month']} from {load.get('started_at_s', 0):.1f} s to "
            f"{load.get('finished_at_s', 0):.1f} s ({load.get('seconds', 0):.1f} s); headline "
            f"{h['old_total']:,} -> {h['new_total']:,}, seen {h['values_seen']} over "
            f"{h['probes']} probes, new total visible "
            f"{h['new_visible_after_load_start_s'] or 0:.1f} s after the load started: "
            + ("consistent" if h["consistent"] else "INCONSISTENT: " + "; ".join(h["problems"])),
            highlight=False,
            markup=False,
        )
        for name, p in ld["phases"].items():
            console.print(
                f"  {name:<12} {p['requests']:>6,} requests, errors {p['errors']}, "
                f"p50 {fmt_ms(p['p50_ms'])} ms, p95 {fmt_ms(p['p95_ms'])} ms, "
                f"p99 {fmt_ms(p['p99_ms'])} ms",
                highlight=False,
            )
    for e in result["errors"]["first"]:
        console.print(
            f"  error at {e['at_s']} s, {e['kind']} {e['method']} {e['path'][:100]}: "
            f"{e['problem'][:200]}",
            highlight=False,
            markup=False,
        )


# ---- warehouse and server ----------------------------------------------------------------------


def demo_warehouse(workdir: Path, say: Callable[[str], None]) -> Path:
    """The cached demo (``svdash demo``, its own key under ``keys/``), built if absent."""
    from svcore.warehouse import CURRENT

    wh, marker = workdir / "soak-demo", workdir / "soak-demo.json"
    key = workdir / "keys" / "soak-demo.key"
    if marker.exists() and (wh / CURRENT).exists():
        say(f"demo warehouse {wh} is cached")
        return wh
    shutil.rmtree(wh, ignore_errors=True)
    key.parent.mkdir(parents=True, exist_ok=True)
    key.unlink(missing_ok=True)
    say(f"building the demo warehouse {wh} (svdash demo, {DEMO_YEARS} years, about a minute)")
    t0 = time.perf_counter()
    cmd = [
        sys.executable,
        "-m",
        "svdash.cli",
        "demo",
        "--seed",
        str(DEMO_SEED),
        "--years",
        str(DEMO_YEARS),
        "--warehouse",
        str(wh),
    ]
    p = subprocess.run(
        cmd,
        cwd=ROOT,
        env={**os.environ, "SVDASH_KEY_FILE": str(key)},
        capture_output=True,
        text=True,
    )
    if p.returncode != 0:
        raise SystemExit(f"svdash demo failed:\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}")
    shutil.rmtree(wh.parent / f"{wh.name}-demo-inputs", ignore_errors=True)
    marker.write_text(
        json.dumps({"command": " ".join(cmd), "build_seconds": time.perf_counter() - t0})
    )
    say(f"built in {time.perf_counter() - t0:.0f} s")
    return wh


@dataclass
class Endpoint:
    """A server this script did not start (``--url``): what ``Payloads`` needs of a Server."""

    kind: str
    url: str
    log: Path | None = None


def sampler_for(url: str) -> MemorySampler | None:
    """Memory of the process tree serving ``url``, when it listens on this machine: the
    listening process, or the gunicorn master above it (whose workers hold the socket)."""
    import psutil

    parsed = urllib.parse.urlsplit(url)
    if parsed.hostname not in ("127.0.0.1", "localhost") or parsed.port is None:
        return None
    try:
        pids = sorted(
            {
                c.pid
                for c in psutil.net_connections("tcp")
                if c.status == psutil.CONN_LISTEN
                and c.laddr
                and c.laddr.port == parsed.port
                and c.pid
            }
        )
        if not pids:
            return None
        proc = psutil.Process(pids[0])
        while (parent := proc.parent()) is not None and "gunicorn" in " ".join(parent.cmdline()):
            proc = parent
    except (psutil.AccessDenied, psutil.NoSuchProcess):
        return None
    sampler = MemorySampler(proc.pid)
    sampler.start()
    return sampler


# ---- main --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="The warehouse named by --warehouse is only read, except with --url and\n"
        "--load-during together: then the load goes into --warehouse itself (the\n"
        "warehouse that server serves). Without --url, --load-during serves and loads a\n"
        "copy made by this script, so the warehouse you name is never changed.",
    )
    ap.add_argument("--seconds", type=float, default=60.0, help="how long the clients run")
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument(
        "--warehouse",
        type=Path,
        help="soak this warehouse (read only; default: the demo, built and cached under --workdir)",
    )
    ap.add_argument("--url", help="soak a running server at this address (none is started)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--timeout", type=float, default=60.0, help="per request, seconds")
    ap.add_argument(
        "--load-during",
        metavar="auto|FILE",
        help="while the soak runs, load a police extract (FILE, or 'auto': a "
        "synthetic month after the last held) into a copy of the warehouse "
        "that the server serves (into --warehouse itself only with --url)",
    )
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--keep-errors", type=int, default=10, help="errors kept in full")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/svdash-bench"))
    ap.add_argument("--out", type=Path, help="results file (default bench/results/soak*.json)")
    ap.add_argument("--quick", action="store_true", help="smoke run: 4 clients for 10 s")
    args = ap.parse_args(argv)
    if args.quick:
        args.clients, args.seconds = min(args.clients, 4), min(args.seconds, 10.0)
    if args.url and args.load_during and not args.warehouse:
        ap.error("--url with --load-during needs --warehouse: the warehouse that server serves")
    if args.load_during and args.load_during != "auto" and not Path(args.load_during).is_file():
        ap.error(f"--load-during: no file {args.load_during}")

    import requests
    from rich.console import Console

    console = Console()
    if not console.is_terminal:  # piped to a file: wide enough for the table
        console = Console(width=120)

    def say(msg: str) -> None:
        console.print(f"[dim]{time.strftime('%H:%M:%S')}[/] {msg}", highlight=False)

    args.workdir.mkdir(parents=True, exist_ok=True)
    warehouse: Path | None = args.warehouse.resolve() if args.warehouse else None
    if warehouse is None and not args.url:
        warehouse = demo_warehouse(args.workdir, say)
    source_warehouse = warehouse
    # The cached demo was built with its own key; any other warehouse with the user's.
    demo_dir = (args.workdir / "soak-demo").resolve()
    key_file = (
        args.workdir / "keys" / "soak-demo.key"
        if source_warehouse is not None and source_warehouse.resolve() == demo_dir
        else None
    )
    if args.load_during and not args.url:
        assert warehouse is not None
        copy = args.workdir / "soak-load-warehouse"
        shutil.rmtree(copy, ignore_errors=True)
        say(f"copying {warehouse} to {copy}: the load goes into the copy")
        shutil.copytree(warehouse, copy, symlinks=True)
        warehouse = copy

    code = code_state()  # what the server will run (the working tree may change meanwhile)
    server: Server | None = None
    sampler: MemorySampler | None
    if args.url:
        endpoint: Server | Endpoint = Endpoint("svdash", args.url.rstrip("/"))
        description = f"running server at {args.url}"
        sampler = sampler_for(args.url)
    else:
        assert warehouse is not None
        logdir = args.workdir / "logs"
        logdir.mkdir(parents=True, exist_ok=True)
        say(f"starting gunicorn ({args.workers} workers x {args.threads} threads) on {warehouse}")
        server = start_server("svdash", "gunicorn", warehouse, args.workers, args.threads, logdir)
        endpoint, description, sampler = server, server.description, server.sampler
        say(f"up in {server.startup_seconds:.1f} s; log {server.log}")
    log_offset = server.log.stat().st_size if server is not None else 0
    try:
        url = endpoint.url
        try:
            payloads = Payloads(cast(Server, endpoint))
            deps = requests.get(url + "/_dash-dependencies", timeout=args.timeout).json()
            layout = requests.get(url + "/_dash-layout", timeout=args.timeout).json()
        except (requests.RequestException, ValueError) as exc:
            raise SystemExit(f"no Dash app answering at {url}: {exc}") from None
        ctx = Context(url, payloads, deps, args.timeout, nav_link_ids(layout))
        for name in SHELL_CALLBACKS:
            ctx.shell(name)  # every shell callback is there
        if warehouse is not None:
            wards, factors = reference_choices(warehouse)
        else:
            wards, factors = http_choices(url, deps, payloads, args.timeout)

        load: LoadRun | None = None
        load_info: dict = {}
        before = after = None
        if args.load_during:
            assert warehouse is not None
            before, last, _ = police_total(warehouse)
            if args.load_during == "auto":
                file, month, rows = synthetic_month(warehouse, args.workdir, args.seed)
            else:
                file, month, rows = Path(args.load_during).resolve(), "(from file)", -1
            load_info = {
                "file": str(file),
                "month": month,
                "rows_in_file": rows,
                "last_month_before": last,
                "warehouse_loaded": str(warehouse),
                "in_place": bool(args.url),
            }
            say(
                f"load during the soak: {file} ({rows:,} rows for {month}) into {warehouse}; "
                f"headline now {before:,}"
            )

        # Warm-up and check: one visit per page and a bad URL, one after another.
        warm = Recorder(time.perf_counter(), args.keep_errors)
        client = Client(ctx, warm, -1, None, np.random.default_rng([args.seed, 999]))
        wrng = np.random.default_rng([args.seed, 998])
        for page in PAGE_CALLBACKS:
            v = random_visit(wrng, wards, factors)
            client.visit(
                Visit(
                    page,
                    "" if page == "overview" else v.query,
                    level=v.level,
                    measure=v.measure,
                    choice=v.choice,
                )
            )
        client.visit(Visit("where", BAD_QUERIES[0], bad=True))
        client.session.close()
        warmup = summarise(warm.samples, time.perf_counter() - warm.origin)
        say(f"warm-up: {len(warm.samples)} requests, errors {warm.error_count}")
        if sampler is not None:
            sampler.mark()
        idle = (sampler.last_rss, sampler.last_pss) if sampler is not None else None

        # The soak.
        say(
            f"soak: {args.clients} clients for {args.seconds:.0f} s"
            + (" with a load at 30%" if args.load_during else "")
        )
        origin = time.perf_counter()
        rec = Recorder(origin, args.keep_errors)
        deadline = origin + args.seconds
        clients = [
            Client(ctx, rec, i, deadline, np.random.default_rng([args.seed, i]))
            for i in range(args.clients)
        ]
        threads = [
            threading.Thread(target=c.run, args=(wards, factors), daemon=True) for c in clients
        ]
        probe = Probe(ctx, Recorder(origin, args.keep_errors)) if args.load_during else None
        probe_thread = threading.Thread(target=probe.run, daemon=True) if probe else None
        if args.load_during:
            load = LoadRun(warehouse, file, 0.3 * args.seconds, origin, key_file)
            load.start()
        if probe_thread:
            probe_thread.start()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - origin
        if sampler is not None:
            sampler.sample()
        say(f"soak done: {len(rec.samples):,} requests in {wall:.1f} s, errors {rec.error_count}")

        headline = None
        if load is not None and probe is not None:
            load.join()
            probe.stop.set()
            if probe_thread:
                probe_thread.join()
            assert warehouse is not None
            after, _, _ = police_total(warehouse)
            with requests.Session() as s:
                final = [probe.ask(s) for _ in range(4)]
            headline = judge_headline(probe.seen, before or 0, after, load.result, final)
            say(
                f"load: {load.result.get('report', {}).get('status', 'failed')} in "
                f"{load.result.get('seconds', 0):.1f} s; headline {before:,} -> {after:,}: "
                + ("consistent" if headline["consistent"] else "; ".join(headline["problems"]))
            )
        log_problems = server_log_problems(server.log if server else None, log_offset)
        if server is not None:
            server.sampler.sample()
    finally:
        if server is not None:
            server.stop()
        elif sampler is not None:
            sampler.stop_event.set()

    soak = summarise(rec.samples, wall)
    visits_made = [v for c in clients for v in c.visits]
    soak["visits"] = len(visits_made)
    soak["bad_url_visits"] = sum(v.bad for v in visits_made)
    soak["visits_by_page"] = {p: sum(v.page == p for v in visits_made) for p in PAGE_CALLBACKS}
    probe_errors = probe.rec.error_count if probe else 0
    total_errors = rec.error_count + warm.error_count + probe_errors
    memory = None
    if sampler is not None and idle is not None:
        memory = {
            "rss_mb_after_warmup": idle[0] / MB,
            "pss_mb_after_warmup": idle[1] / MB,
            "rss_mb_peak_during_soak": sampler.window_rss / MB,
            "pss_mb_peak_during_soak": sampler.window_pss / MB,
            "rss_mb_peak_lifetime": sampler.peak_rss / MB,
            "pss_mb_peak_lifetime": sampler.peak_pss / MB,
        }
    result: dict = {
        "config": {
            "clients": args.clients,
            "seconds": args.seconds,
            "timeout": args.timeout,
            "seed": args.seed,
            "workers": None if args.url else args.workers,
            "threads": None if args.url else args.threads,
            "warehouse": str(source_warehouse) if source_warehouse else None,
            "served_warehouse": str(warehouse) if warehouse else None,
            "url": args.url,
            "load_during": args.load_during,
            "quick": args.quick,
        },
        "server": {
            "description": description,
            "memory": memory,
            "log_problems": log_problems,
            "startup_seconds": server.startup_seconds if server else None,
        },
        "soak": soak,
        "warmup": warmup,
        "errors": {
            "total": total_errors,
            "soak": rec.error_count,
            "warmup": warm.error_count,
            "probe": probe_errors,
            "first": (warm.errors + rec.errors + (probe.rec.errors if probe else []))[
                : args.keep_errors
            ],
        },
        "machine": machine(),
        "code": code,
        "finished_at": dt.datetime.now().isoformat(timespec="seconds"),
    }
    if load is not None and probe is not None and headline is not None:
        result["load_during"] = {
            **load_info,
            "load": load.result,
            "headline": headline,
            "probe": summarise(probe.rec.samples, wall)["overall"],
            "probe_errors": probe_errors,
            "phases": phases(rec.samples, load.result, wall),
        }
    print_report(result, console)
    out = args.out or BENCH / "results" / (
        "soak-quick.json"
        if args.quick
        else "soak-load-during.json"
        if args.load_during
        else "soak.json"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=str))
    say(f"results written to {out}")
    failed = total_errors > 0 or (headline is not None and not headline["consistent"])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
