"""What the benchmarks share: the two servers (the real app and the pandas baseline, under
gunicorn or the development servers) with their memory sampled, seeded request plans over the
pages and filters, Dash callback payloads, and the HTTP clients that drive them."""

from __future__ import annotations

import json
import os
import platform
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from bench import ROOT
from bench.baseline import IMD_DOMAINS, PAGES
from dashboard import ids

# The views each unit of work opens (a baseline page endpoint answers all of them at once;
# the app answers each view's own callback, generated from the catalogue, which the browser
# sends together). Each view's callback is found in /_dash-dependencies by its first output,
# the view's name (the factors dropdown's options come first, as the page fills them).
UNIT_VIEWS = {
    "overview": ("overview-headline", "overview-trend", "overview-sources", "overview-feeds"),
    "where_map": ("where-map", "where-top"),
    "where_hotspots": ("where-hotspots", "where-hotspot-table"),
    "where_gap": ("where-gap", "where-gap-table"),
    "when": ("when-heatmap", "when-nte", "when-monthly", "when-seasonality", "when-police-ae"),
    "how": (
        "how-offence-group",
        "how-weapon",
        "how-location",
        "how-domestic-abuse",
        "how-relationship",
    ),
    "who": (
        "who-victims",
        "who-suspects",
        "who-ethnicity",
        "who-probation-risk",
        "who-probation-offence",
        "who-youth-age",
        "who-youth-repeat",
    ),
    "factors": (ids.FACTORS_CHOICE, "factors-scatter", "factors-ranked", "factors-deciles"),
    "quality": (
        "quality-coverage",
        "quality-completeness",
        "quality-timeliness",
        "quality-reasons",
        "quality-history",
        "quality-codes",
    ),
}
DISTRICTS = ("E08000032", "E08000033", "E08000034", "E08000035", "E08000036")
GROUPS = ("knife_sharp", "robbery", "violence_with_injury", "homicide")


def svdash_wsgi(warehouse: str):
    """The real app's Flask server, for gunicorn."""
    from dashboard.analysis.hotspots import warm_up
    from dashboard.app import create_app

    server = create_app(Path(warehouse)).server
    warm_up()  # as dashboard.wsgi does
    return server


def pandas_wsgi(warehouse: str):
    """The plain-pandas baseline's Flask app, for gunicorn (``bench.baseline.pandas_wsgi``)."""
    from bench.baseline import pandas_wsgi as baseline_wsgi

    return baseline_wsgi(warehouse)


# ---- servers, memory, load --------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MemorySampler(threading.Thread):
    """Peak RSS and PSS of a process tree (the server and its workers), sampled in the
    background; ``mark()`` starts a new window so the timed run has its own peak."""

    def __init__(self, pid: int, interval: float = 0.5) -> None:
        super().__init__(daemon=True)
        import psutil

        self.root = psutil.Process(pid)
        self.interval = interval
        self.stop_event = threading.Event()
        self.peak_rss = self.peak_pss = 0
        self.window_rss = self.window_pss = 0
        self.last_rss = self.last_pss = 0

    def sample(self) -> None:
        import psutil

        rss = pss = 0
        try:
            procs = [self.root, *self.root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return
        for p in procs:
            try:
                info = p.memory_full_info()
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            rss += info.rss
            pss += getattr(info, "pss", info.rss)
        self.last_rss, self.last_pss = rss, pss
        self.peak_rss, self.peak_pss = max(self.peak_rss, rss), max(self.peak_pss, pss)
        self.window_rss, self.window_pss = max(self.window_rss, rss), max(self.window_pss, pss)

    def mark(self) -> None:
        self.sample()
        self.window_rss, self.window_pss = self.last_rss, self.last_pss

    def run(self) -> None:
        while not self.stop_event.wait(self.interval):
            self.sample()


@dataclass
class Server:
    kind: str
    url: str
    proc: subprocess.Popen
    log: Path
    startup_seconds: float
    description: str
    sampler: MemorySampler

    def stop(self) -> None:
        self.sampler.stop_event.set()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=30)


def start_server(
    kind: str, how: str, warehouse: Path, workers: int, threads: int, logdir: Path
) -> Server:
    import requests

    port = free_port()
    env = {
        **os.environ,
        "SVDASH_WAREHOUSE": str(warehouse),
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    if how == "gunicorn":
        cmd = [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--worker-class",
            "gthread",
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "900",
            "--graceful-timeout",
            "10",
            "--backlog",
            "256",
            "--log-level",
            "warning",
            "--chdir",
            str(ROOT),
        ]
        if kind == "pandas":
            cmd.append("--preload")  # load the frame once; workers share its pages
        cmd.append(f"bench.harness:{kind}_wsgi({str(warehouse)!r})")
        description = f"gunicorn gthread, {workers} workers x {threads} threads" + (
            ", --preload" if kind == "pandas" else ""
        )
    elif kind == "svdash":
        cmd = [sys.executable, "-m", "svdash.cli", "serve", "--port", str(port), "--no-demo"]
        description = "svdash serve (Dash/Flask development server, threaded, 1 process)"
    else:
        cmd = [sys.executable, "-m", "bench.baseline", str(warehouse), "--port", str(port)]
        description = "Flask development server, threaded, 1 process"
    log = logdir / f"server-{kind}-{port}.log"
    t0 = time.perf_counter()
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
    sampler = MemorySampler(proc.pid)
    sampler.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 1800
    while True:
        try:
            if requests.get(url + "/", timeout=5).status_code == 200:
                break
        except requests.RequestException:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            sampler.stop_event.set()
            if proc.poll() is None:
                proc.kill()
            raise SystemExit(f"the {kind} server did not start:\n{log.read_text()[-4000:]}")
        time.sleep(0.3)
    return Server(kind, url, proc, log, time.perf_counter() - t0, description, sampler)


@dataclass(frozen=True)
class Item:
    page: str
    query: str
    level: str = "auto"
    measure: str = "rate"
    choice: str = "imd:imd"


def random_query(rng: np.random.Generator, wards: dict[str, list[str]]) -> str:
    pairs: list[tuple[str, str]] = []
    u = rng.random()
    districts = (
        [str(rng.choice(DISTRICTS))]
        if u < 0.5
        else [str(d) for d in rng.choice(DISTRICTS, 2, replace=False)]
        if u < 0.6
        else []
    )
    pairs += [("district", d) for d in districts]
    if districts and wards.get(districts[0]) and rng.random() < 0.15:
        pairs.append(("ward", str(rng.choice(wards[districts[0]]))))
    u = rng.random()
    year = int(rng.integers(2021, 2026))
    if u < 0.2:
        pass  # every month held
    elif u < 0.55:
        pairs += [("from", f"{year}-01"), ("to", f"{year}-12")]
    elif u < 0.8:
        q = int(rng.integers(0, 4))
        pairs += [("from", f"{year}-{3 * q + 1:02d}"), ("to", f"{year}-{3 * q + 3:02d}")]
    else:  # the 12 months to a month
        end = pd.Period("2022-12", "M") + int(rng.integers(0, 37))
        pairs += [("from", str(end - 11)), ("to", str(end))]
    if rng.random() < 0.5:
        pairs.append(("group", str(rng.choice(GROUPS))))
    if rng.random() < 0.25:
        pairs.append(("source", "health"))
    return urllib.parse.urlencode(pairs)


def make_plan(
    seed: int, per_page: int, wards: dict[str, list[str]], factors: list[str]
) -> list[Item]:
    """``per_page`` requests for every page with seeded filters, shuffled into one stream."""
    rng = np.random.default_rng(seed)
    plan = []
    for page in PAGES:
        for _ in range(per_page):
            q = random_query(rng, wards)
            if page == "where_map":
                level = str(rng.choice(["auto"] * 5 + ["district", "ward", "lsoa"]))
                plan.append(
                    Item(page, q, level=level, measure=str(rng.choice(["rate", "rate", "count"])))
                )
            elif page == "where_gap":
                plan.append(Item(page, q, level=str(rng.choice(["auto"] * 3 + ["district"]))))
            elif page == "factors":
                plan.append(Item(page, q, choice=str(rng.choice(factors))))
            else:
                plan.append(Item(page, q))
    order = rng.permutation(len(plan))
    return [plan[i] for i in order]


def reference_choices(warehouse: Path) -> tuple[dict[str, list[str]], list[str]]:
    """Wards per district and the factor choices (IMD domains and loaded indicators)."""
    from svcore.warehouse import connect_reader

    con = connect_reader(warehouse)
    try:
        rows = con.sql(
            "SELECT DISTINCT district_code, ward_code FROM geography ORDER BY 1, 2"
        ).fetchall()
        codes = [
            r[0]
            for r in con.sql("SELECT DISTINCT indicator_code FROM indicators ORDER BY 1").fetchall()
        ]
    finally:
        con.close()
    wards: dict[str, list[str]] = {}
    for district, ward in rows:
        wards.setdefault(district, []).append(ward)
    return wards, [f"imd:{k}" for k in IMD_DOMAINS] + [f"ind:{c}" for c in codes]


class Payloads:
    """Request bodies for one server: Dash's ``/_dash-update-component`` or the baseline's."""

    def __init__(self, server: Server) -> None:
        import requests

        self.server = server
        self.callbacks: dict[str, list[dict]] = {}
        if server.kind == "svdash":
            deps = requests.get(server.url + "/_dash-dependencies", timeout=60).json()
            by_first = {}
            for cb in deps:
                outputs = self.outputs_of(cb["output"])
                if outputs and (ids.FILTERS, "data") in {
                    (i["id"], i["property"]) for i in cb["inputs"]
                }:
                    by_first.setdefault(outputs[0]["id"], {**cb, "outputs": outputs})
            for page, views in UNIT_VIEWS.items():
                missing = [v for v in views if v not in by_first]
                if missing:
                    raise SystemExit(f"no callback for {missing} in /_dash-dependencies")
                self.callbacks[page] = [by_first[v] for v in views]

    @staticmethod
    def outputs_of(output: str) -> list[dict]:
        """``..a.figure...b.children..`` (or ``a.figure``) -> [{id, property}, ...]."""
        text = output[2:-2] if output.startswith("..") else output
        out = []
        for part in text.split("..."):
            cid, _, prop = part.rpartition(".")
            if cid.startswith("{"):
                return []  # pattern-matching ids belong to other callbacks
            out.append({"id": cid, "property": prop})
        return out

    def request(self, item: Item) -> tuple[str, bytes]:
        """The unit's first request (the baseline's only one)."""
        return self.requests(item)[0]

    def requests(self, item: Item) -> list[tuple[str, bytes]]:
        """Every request the unit of work sends at once: the baseline's page endpoint, or
        each view's callback of the app."""
        if self.server.kind == "pandas":
            body = {
                "query": item.query,
                "level": item.level,
                "measure": item.measure,
                "choice": item.choice,
            }
            return [(f"{self.server.url}/page/{item.page}", json.dumps(body).encode())]
        values = {
            (ids.FILTERS, "data"): item.query,
            (ids.WHERE_LEVEL, "value"): item.level,
            (ids.WHERE_MEASURE, "value"): item.measure,
            (ids.FACTORS_CHOICE, "value"): item.choice,
        }

        def filled(deps: list[dict]) -> list[dict]:
            return [
                {
                    "id": d["id"],
                    "property": d["property"],
                    "value": values.get((d["id"], d["property"])),
                }
                for d in deps
            ]

        out = []
        for cb in self.callbacks[item.page]:
            outputs = cb["outputs"]
            body = {
                "output": cb["output"],
                "outputs": outputs if len(outputs) > 1 else outputs[0],
                "inputs": filled(cb["inputs"]),
                "changedPropIds": [f"{ids.FILTERS}.data"],
                "state": filled(cb.get("state", [])),
            }
            out.append((f"{self.server.url}/_dash-update-component", json.dumps(body).encode()))
        return out

    def ordered_outputs(self, item: Item, payloads: list[dict]) -> list:
        """The responses' outputs as one list in the unit's order (as the baseline sends)."""
        if self.server.kind == "pandas":
            return payloads[0]["response"]
        values = []
        for cb, payload in zip(self.callbacks[item.page], payloads, strict=True):
            resp = payload["response"]
            values += [resp.get(o["id"], {}).get(o["property"]) for o in cb["outputs"]]
        return values


def post_all(
    sessions: list, pool: ThreadPoolExecutor, requests_: list[tuple[str, bytes]], timeout: float
) -> list:
    """Send a unit's requests at once, each on its own connection (as a browser does);
    returns the responses (or the exceptions raised), in order."""

    def one(i: int):
        url, body = requests_[i]
        try:
            return sessions[i].post(url, data=body, headers=HEADERS, timeout=timeout)
        except Exception as exc:  # noqa: BLE001 - reported as a failed request
            return exc

    return list(pool.map(one, range(len(requests_))))


def answered(r: object) -> bool:
    return (
        not isinstance(r, Exception)
        and r.status_code == 200  # type: ignore[union-attr]
        and b'"response"' in r.content[:64]  # type: ignore[union-attr]
    )


WIDEST = max(len(v) for v in UNIT_VIEWS.values())


HEADERS = {"Content-Type": "application/json"}


def verify(payloads: Payloads, items: list[Item]) -> dict[str, dict]:
    """One unit at a time (its requests at once): each must be 200 and JSON with a response;
    returns per unit the size, time and the string outputs (chart descriptions) to compare
    across servers."""
    import requests

    out = {}
    sessions = [requests.Session() for _ in range(WIDEST)]
    with ThreadPoolExecutor(max_workers=WIDEST) as pool:
        for item in items:
            reqs = payloads.requests(item)
            t0 = time.perf_counter()
            responses = post_all(sessions, pool, reqs, timeout=900)
            seconds = time.perf_counter() - t0
            for r in responses:
                if isinstance(r, Exception) or r.status_code != 200:
                    detail = (
                        r if isinstance(r, Exception) else f"HTTP {r.status_code}\n{r.text[:2000]}"
                    )
                    raise SystemExit(
                        f"{payloads.server.kind} {item.page}: {detail}\n(see {payloads.server.log})"
                    )
            bodies = [r.json() for r in responses]
            if any("response" not in b for b in bodies):
                raise SystemExit(f"{payloads.server.kind} {item.page}: no response")
            values = payloads.ordered_outputs(item, bodies)
            if any(v is None for v in values):
                raise SystemExit(f"{payloads.server.kind} {item.page}: missing outputs")
            out[item.page] = {
                "bytes": sum(len(r.content) for r in responses),
                "seconds": seconds,
                "texts": [v for v in values if isinstance(v, str)],
            }
    for sess in sessions:
        sess.close()
    return out


def drive(
    payloads: Payloads, plan: list[Item], clients: int, time_limit: float | None
) -> tuple[list[tuple[str, float, bool]], float, int]:
    """``clients`` threads, each with its own sessions, pull the next unit until none is left
    and send its requests at once (a unit's time is until its slowest answer).

    Returns (unit, seconds, ok) per unit, the wall time and how many were not sent because
    the time limit was reached.
    """
    import requests

    bodies = [payloads.requests(item) for item in plan]
    lock = threading.Lock()
    cursor = iter(range(len(plan)))
    start = time.perf_counter()

    def client() -> list[tuple[str, float, bool]]:
        done = []
        sessions = [requests.Session() for _ in range(WIDEST)]
        with ThreadPoolExecutor(max_workers=WIDEST) as pool:
            while True:
                with lock:
                    i = next(cursor, None)
                if i is None or (time_limit and time.perf_counter() - start > time_limit):
                    break
                t0 = time.perf_counter()
                responses = post_all(sessions, pool, bodies[i], timeout=900)
                ok = all(answered(r) for r in responses)
                done.append((plan[i].page, time.perf_counter() - t0, ok))
        for sess in sessions:
            sess.close()
        return done

    with ThreadPoolExecutor(max_workers=clients) as pool:
        futures = [pool.submit(client) for _ in range(clients)]
        results = [r for fut in futures for r in fut.result()]
    wall = time.perf_counter() - start
    return results, wall, len(plan) - len(results)


def latency_stats(times: list[float]) -> dict:
    """n, p50, p95, p99, mean and max in milliseconds of ``times`` (seconds)."""
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
    return {
        "n": len(a),
        "p50_ms": float(np.percentile(a, 50)),
        "p95_ms": float(np.percentile(a, 95)),
        "p99_ms": float(np.percentile(a, 99)),
        "mean_ms": float(a.mean()),
        "max_ms": float(a.max()),
    }


def summarise(results: list[tuple[str, float, bool]], wall: float) -> dict:
    pages = {p: latency_stats([t for page, t, ok in results if page == p and ok]) for p in PAGES}
    errors = {p: sum(1 for page, _, ok in results if page == p and not ok) for p in PAGES}
    for p in PAGES:
        pages[p]["errors"] = errors[p]
    overall = latency_stats([t for _, t, ok in results if ok])
    overall["errors"] = sum(errors.values())
    return {
        "pages": pages,
        "overall": overall,
        "wall_seconds": wall,
        "requests_per_second": len(results) / wall if wall else None,
    }


# ---- open loop: analysts opening pages and reading them -------------------------------------

# The pages an analyst opens, and the page callbacks a browser fires at once on opening each
# (the shell's callbacks, which the baseline has no counterpart for, are left out: bench/soak.py
# drives those).
BROWSER_PAGES: dict[str, tuple[str, ...]] = {
    "overview": ("overview",),
    "where": ("where_map", "where_hotspots", "where_gap"),
    "when": ("when",),
    "how": ("how",),
    "who": ("who",),
    "factors": ("factors",),
    "quality": ("quality",),
}


def page_open(
    rng: np.random.Generator, wards: dict[str, list[str]], factors: list[str]
) -> tuple[str, list[Item]]:
    """A page and its callbacks as the browser sends them on opening it with random filters:
    one filter set for all of them, the where page's controls at their defaults (level
    ``auto``, measure ``rate``), a factor the analyst picked on the factors page."""
    page = str(rng.choice(list(BROWSER_PAGES)))
    query = random_query(rng, wards)
    choice = str(rng.choice(factors)) if page == "factors" else "imd:imd"
    return page, [Item(cb, query, choice=choice) for cb in BROWSER_PAGES[page]]


@dataclass
class Interaction:
    """One page opened by one analyst: from sending its callbacks until the slowest answered."""

    analyst: int
    page: str
    started: float  # seconds after the run started
    seconds: float
    ok: bool  # every callback answered 200 with a response
    callbacks: list[tuple[str, float, bool]]  # (callback, seconds, ok)
    query: str
    errors: list[str]  # what each failed callback got: status and the body's start, or the error
    retries: int = 0  # callbacks sent again after the connection was reset before an answer


class CpuMeter:
    """CPU seconds used between ``start()`` and ``stop()``: this process's own threads (the
    client), a process tree (the server and its workers), and the whole machine."""

    def __init__(self, server_pid: int | None = None) -> None:
        import psutil

        self.me = psutil.Process()
        self.server = psutil.Process(server_pid) if server_pid else None
        self._seen: dict[int, float] = {}

    def _tree(self) -> float:
        import psutil

        if self.server is None:
            return 0.0
        try:
            procs = [self.server, *self.server.children(recursive=True)]
        except psutil.NoSuchProcess:
            procs = []
        for p in procs:
            try:
                t = p.cpu_times()
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            self._seen[p.pid] = t.user + t.system  # a worker that exits keeps its last count
        return sum(self._seen.values())

    def _read(self) -> tuple[float, float, float, float]:
        import psutil

        mine = self.me.cpu_times()
        machine = psutil.cpu_times()
        busy = sum(machine) - machine.idle - getattr(machine, "iowait", 0.0)
        return time.perf_counter(), mine.user + mine.system, self._tree(), busy

    def start(self) -> None:
        self._t0 = self._read()
        self._load0 = os.getloadavg()

    def stop(self) -> dict:
        t1 = self._read()
        wall, client, server, busy = (b - a for a, b in zip(self._t0, t1, strict=True))
        cores = os.cpu_count() or 1
        return {
            "wall_seconds": wall,
            "cores": cores,
            "client_cpu_seconds": client,
            "client_cpu_share": client / wall / cores,  # of the whole machine
            "server_cpu_seconds": server,
            "server_cpu_share": server / wall / cores,
            "machine_busy_share": busy / wall / cores,  # everything, other users' work too
            "others_cpu_share": max(0.0, busy - client - server) / wall / cores,
            "loadavg_start": self._load0[0],
            "loadavg_end": os.getloadavg()[0],
        }


def open_loop(
    payloads: Payloads,
    analysts: int,
    think: float,
    duration: float,
    seed: int,
    wards: dict[str, list[str]],
    factors: list[str],
    timeout: float = 900,
) -> tuple[list[Interaction], float]:
    """``analysts`` threads, each an analyst with their own sessions and seeded stream: think
    (exponential, mean ``think`` seconds; the first think staggers the starts), open a page
    (all of its callbacks at once, each on its own connection as a browser does), wait for its
    slowest answer, think again. No page is opened after ``duration`` seconds; those open then
    are waited for. An analyst's pages, filters and thinking times depend only on the seed and
    the analyst's number, so every server gets the same sequence.

    Returns every interaction and the wall time until the last one answered.
    """
    import requests

    start = time.perf_counter()
    widest = max(len(cbs) for cbs in BROWSER_PAGES.values())
    per_unit = WIDEST
    lock = threading.Lock()
    done: list[Interaction] = []

    def post(
        sessions: list, pool: ThreadPoolExecutor, item: Item, t0: float
    ) -> tuple[str, float, bool, str, int]:
        """One unit of the page (its requests at once): (unit, seconds since the page was
        opened, ok, what went wrong, retries). A connection the server closed while it sat
        idle (gunicorn drops keep-alive connections after 2 s, and analysts think for longer)
        is retried once, as browsers do for a reused connection that fails before any answer;
        retries are counted."""
        reqs = payloads.requests(item)
        responses = post_all(sessions, pool, reqs, timeout)
        retries = 0
        for i, r in enumerate(responses):
            if isinstance(r, requests.ConnectionError):
                retries += 1
                responses[i] = post_all(sessions[i : i + 1], pool, reqs[i : i + 1], timeout)[0]
        whys = []
        for r in responses:
            if isinstance(r, Exception):
                whys.append(f"{type(r).__name__}: {str(r)[:200]}")
            elif not answered(r):
                whys.append(f"HTTP {r.status_code}: {r.text[:200]}")
        return item.page, time.perf_counter() - t0, not whys, "; ".join(whys), retries

    def analyst(a: int) -> None:
        rng = np.random.default_rng([seed, a])
        sessions = [[requests.Session() for _ in range(per_unit)] for _ in range(widest)]
        units = ThreadPoolExecutor(max_workers=widest)
        with ThreadPoolExecutor(max_workers=widest * per_unit) as pool:
            pause = rng.exponential(think)
            while True:
                wake = time.perf_counter() + pause
                if wake - start > duration:
                    break
                time.sleep(max(0.0, wake - time.perf_counter()))
                page, items = page_open(rng, wards, factors)
                t0 = time.perf_counter()
                futures = [
                    units.submit(post, sessions[i], pool, item, t0) for i, item in enumerate(items)
                ]
                calls = [f.result() for f in futures]
                interaction = Interaction(
                    analyst=a,
                    page=page,
                    started=t0 - start,
                    seconds=max(c[1] for c in calls),
                    ok=all(c[2] for c in calls),
                    callbacks=[c[:3] for c in calls],
                    query=items[0].query,
                    errors=[f"{c[0]}: {c[3]}" for c in calls if not c[2]],
                    retries=sum(c[4] for c in calls),
                )
                with lock:
                    done.append(interaction)
                pause = rng.exponential(think)
        units.shutdown()
        for row in sessions:
            for sess in row:
                sess.close()

    threads = [threading.Thread(target=analyst, args=(a,), daemon=True) for a in range(analysts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(done, key=lambda x: x.started), time.perf_counter() - start


def summarise_open_loop(interactions: list[Interaction], wall: float, duration: float) -> dict:
    """Interaction latencies overall and per page (of those whose every callback answered),
    per callback, errors, and the pace achieved."""
    good = [x for x in interactions if x.ok]
    pages = {}
    for page in BROWSER_PAGES:
        of_page = [x for x in interactions if x.page == page]
        pages[page] = {
            **latency_stats([x.seconds for x in of_page if x.ok]),
            "errors": sum(1 for x in of_page if not x.ok),
        }
    calls = [c for x in interactions for c in x.callbacks]
    callbacks = {
        cb: {
            **latency_stats([t for name, t, ok in calls if name == cb and ok]),
            "errors": sum(1 for name, _, ok in calls if name == cb and not ok),
        }
        for cbs in BROWSER_PAGES.values()
        for cb in cbs
    }
    overall = {
        **latency_stats([x.seconds for x in good]),
        "errors": len(interactions) - len(good),
        "callback_errors": sum(1 for c in calls if not c[2]),
        "callbacks": len(calls),
        "callbacks_retried": sum(x.retries for x in interactions),
    }
    return {
        "interactions": overall,
        "pages": pages,
        "callbacks": callbacks,
        "wall_seconds": wall,
        "interactions_per_minute": 60 * len(interactions) / duration if duration else None,
        "distinct_page_opens": len({(x.page, x.query) for x in interactions}),
        "first_errors": [
            {"page": x.page, "query": x.query, "started_s": x.started, "errors": x.errors}
            for x in interactions
            if not x.ok
        ][:10],
    }


def fmt_ms(v: float | None) -> str:
    return "–" if v is None else f"{v:,.0f}"


def code_state() -> dict:
    """The commit measured, and whether the app's code had uncommitted changes."""

    def git(*cmd: str) -> str:
        try:
            return subprocess.run(
                ["git", *cmd], cwd=ROOT, capture_output=True, text=True, timeout=30
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    dirty = git("status", "--porcelain", "--", "dashboard", "svcore", "etl", "svdash")
    return {"commit": git("rev-parse", "HEAD"), "uncommitted": dirty.splitlines()}


def machine() -> dict:
    import dash
    import duckdb
    import plotly
    import psutil

    return {
        "cpus": os.cpu_count(),
        "memory_gb": psutil.virtual_memory().total / 1024**3,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "dash": dash.__version__,
        "duckdb": duckdb.__version__,
        "pandas": pd.__version__,
        "plotly": plotly.__version__,
    }
