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

# The first output of each page's callback identifies it in /_dash-dependencies.
FIRST_OUTPUT = {
    "overview": ids.OVERVIEW_HEADLINE,
    "where_map": ids.WHERE_MAP,
    "where_hotspots": ids.WHERE_HOTSPOTS,
    "where_gap": ids.WHERE_GAP,
    "when": ids.WHEN_HEATMAP,
    "how": ids.HOW_GROUP,
    "who": ids.WHO_VICTIMS,
    "factors": ids.FACTORS_CHOICE,
    "quality": ids.QUALITY_COVERAGE,
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
        module = "bench.harness" if kind == "svdash" else "bench.baseline"
        cmd.append(f"{module}:{kind}_wsgi({str(warehouse)!r})")
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
        self.callbacks: dict[str, dict] = {}
        if server.kind == "svdash":
            deps = requests.get(server.url + "/_dash-dependencies", timeout=60).json()
            for page, first in FIRST_OUTPUT.items():
                for cb in deps:
                    outputs = self.outputs_of(cb["output"])
                    if outputs and outputs[0]["id"] == first:
                        self.callbacks[page] = {**cb, "outputs": outputs}
                        break
                else:
                    raise SystemExit(f"no callback for the {page} page in /_dash-dependencies")

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
        if self.server.kind == "pandas":
            body = {
                "query": item.query,
                "level": item.level,
                "measure": item.measure,
                "choice": item.choice,
            }
            return f"{self.server.url}/page/{item.page}", json.dumps(body).encode()
        cb = self.callbacks[item.page]
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

        body = {
            "output": cb["output"],
            "outputs": cb["outputs"],
            "inputs": filled(cb["inputs"]),
            "changedPropIds": [f"{ids.FILTERS}.data"],
            "state": filled(cb.get("state", [])),
        }
        return f"{self.server.url}/_dash-update-component", json.dumps(body).encode()

    def ordered_outputs(self, item: Item, payload: dict) -> list:
        """The response's outputs as a list in the callback's order (as the baseline sends)."""
        if self.server.kind == "pandas":
            return payload["response"]
        resp = payload["response"]
        return [
            resp.get(o["id"], {}).get(o["property"]) for o in self.callbacks[item.page]["outputs"]
        ]


HEADERS = {"Content-Type": "application/json"}


def verify(payloads: Payloads, items: list[Item]) -> dict[str, dict]:
    """One request per page, in turn: must be 200 and JSON with a response; returns per page
    the size, time and the string outputs (chart descriptions) to compare across servers."""
    import requests

    out = {}
    with requests.Session() as s:
        for item in items:
            url, body = payloads.request(item)
            t0 = time.perf_counter()
            r = s.post(url, data=body, headers=HEADERS, timeout=900)
            seconds = time.perf_counter() - t0
            if r.status_code != 200:
                raise SystemExit(
                    f"{payloads.server.kind} {item.page}: HTTP {r.status_code}\n"
                    f"{r.text[:2000]}\n(see {payloads.server.log})"
                )
            payload = r.json()
            if "response" not in payload:
                raise SystemExit(
                    f"{payloads.server.kind} {item.page}: no response in {r.text[:500]}"
                )
            values = payloads.ordered_outputs(item, payload)
            if any(v is None for v in values):
                raise SystemExit(f"{payloads.server.kind} {item.page}: missing outputs")
            out[item.page] = {
                "bytes": len(r.content),
                "seconds": seconds,
                "texts": [v for v in values if isinstance(v, str)],
            }
    return out


def drive(
    payloads: Payloads, plan: list[Item], clients: int, time_limit: float | None
) -> tuple[list[tuple[str, float, bool]], float, int]:
    """``clients`` threads, each with its own session, pull the next item until none is left.

    Returns (page, seconds, ok) per request, the wall time and how many were not sent because
    the time limit was reached.
    """
    import requests

    bodies = [payloads.request(item) for item in plan]
    lock = threading.Lock()
    cursor = iter(range(len(plan)))
    start = time.perf_counter()

    def client() -> list[tuple[str, float, bool]]:
        done = []
        with requests.Session() as s:
            while True:
                with lock:
                    i = next(cursor, None)
                if i is None or (time_limit and time.perf_counter() - start > time_limit):
                    return done
                url, body = bodies[i]
                t0 = time.perf_counter()
                try:
                    r = s.post(url, data=body, headers=HEADERS, timeout=900)
                    ok = r.status_code == 200 and b'"response"' in r.content[:64]
                except requests.RequestException:
                    ok = False
                done.append((plan[i].page, time.perf_counter() - t0, ok))

    with ThreadPoolExecutor(max_workers=clients) as pool:
        futures = [pool.submit(client) for _ in range(clients)]
        results = [r for fut in futures for r in fut.result()]
    wall = time.perf_counter() - start
    return results, wall, len(plan) - len(results)


def summarise(results: list[tuple[str, float, bool]], wall: float) -> dict:
    def stats(times: list[float]) -> dict:
        if not times:
            return {"n": 0, "p50_ms": None, "p95_ms": None, "mean_ms": None, "max_ms": None}
        a = np.array(times) * 1000
        return {
            "n": len(a),
            "p50_ms": float(np.percentile(a, 50)),
            "p95_ms": float(np.percentile(a, 95)),
            "mean_ms": float(a.mean()),
            "max_ms": float(a.max()),
        }

    pages = {p: stats([t for page, t, ok in results if page == p and ok]) for p in PAGES}
    errors = {p: sum(1 for page, _, ok in results if page == p and not ok) for p in PAGES}
    for p in PAGES:
        pages[p]["errors"] = errors[p]
    overall = stats([t for _, t, ok in results if ok])
    overall["errors"] = sum(errors.values())
    return {
        "pages": pages,
        "overall": overall,
        "wall_seconds": wall,
        "requests_per_second": len(results) / wall if wall else None,
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
