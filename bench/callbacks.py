"""Benchmark: every page callback of the dashboard over HTTP, under 20 clients, vs plain pandas.

    python bench/callbacks.py [--events N ...] [--requests-per-page N] [--clients 20]
                              [--server gunicorn|dev] [--workdir DIR] [--only svdash|pandas]
                              [--time-limit S] [--build-only] [--quick]
    python bench/callbacks.py --mode open-loop [--analysts 20] [--think 5] [--duration 120]
                              [--events N ...] [--server ...] [--only ...] [--quick]

For each warehouse size (default 1M and 10M police events):

1. Build the warehouse once (cached under ``--workdir``, default /tmp/svdash-bench): the demo
   (``etl.demo.build.build_demo``, one year: geography, boundaries, population, IMD, indicators
   and every partner feed) through the real ETL, then synthetic police extracts for 2021-01 to
   2025-12 loaded with ``etl.load.load_files`` in files of about 1M rows (each file a block of
   months, so the force's 2021 demo months are replaced and the police feed holds exactly N
   events). Rows are in area, on the warehouse's own LSOAs (weighted by population and
   deprivation, with a few hot spots), with realistic offence, weapon, time and victim mixes.
2. Serve the real app (``dashboard.app.create_app``) over HTTP on 127.0.0.1 and read
   ``/_dash-dependencies`` for the exact payload of each page callback (overview, where: map,
   hotspots, gap; when, how, who, factors, quality). Every payload is checked (200, JSON with
   a ``response``) before anything is timed.
3. Serve a plain-pandas baseline of the same callbacks: a Flask app holding the whole
   ``events`` table in one global DataFrame (per-source row slices of it, derived month, weekday
   and age-band columns computed once at start-up, which favours the baseline), filtering with
   boolean masks and aggregating with ``groupby`` per request, then drawing the same figures
   (the dashboard's own pure ``dashboard.figures`` functions, plotly ``graph_objects``) and
   tables, serialised with plotly's JSON encoder as Dash does. Its chart descriptions (alt
   texts, which carry the numbers) are compared with the app's as a check of equivalence.
4. Drive both with the same seeded, shuffled list of (page, filters) requests from ``--clients``
   concurrent clients (one ``requests.Session`` per thread): districts, wards, periods, offence
   groups and sources vary; 100 requests per page (50 above 2M events, where a request costs
   seconds). Reports p50/p95 per page and overall, requests/s, errors and the
   servers' RSS (psutil, the server process and its children, peak sampled during the run; PSS
   too, since forked workers share pages).

``--mode open-loop`` replaces step 4 with analysts at work: ``--analysts`` threads, each an
analyst with their own sessions and seeded stream, think for an exponential time (mean
``--think`` seconds, the first think staggering the starts), open a page with random filters
(all of the page's callbacks at once, each on its own connection, as the browser does: where
sends map, hotspots and A&E gap together), wait for the slowest answer, and think again, for
``--duration`` seconds per server. Reported: interaction times (until the page's slowest
callback answered) p50/p95/p99 overall and per page, per-callback times, errors (with the first
ten in full), server RSS/PSS, and CPU shares of the machine over the run: the client's own
(this process), the server's (its process tree), everyone else's, and the server's CPU seconds
per page opened (what a page costs, whatever else the machine runs). Results go to
``bench/results/callbacks-open-loop-<events>.json``.

Both servers run the same way: gunicorn, ``gthread`` workers (default 2 workers x 4 threads for
a 2-core machine; the baseline with ``--preload`` so its workers share the loaded frame), or
with ``--server dev`` the development servers (``svdash serve``, Flask threaded). Results go to
``bench/results/callbacks-<events>.json``. No assertions on timings: this is a measurement.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

if not __package__:  # python bench/callbacks.py: make the bench package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import BENCH, MB  # noqa: E402
from bench.baseline import PAGES  # noqa: E402
from bench.harness import (  # noqa: E402
    BROWSER_PAGES,
    CpuMeter,
    Item,
    Payloads,
    Server,
    code_state,
    drive,
    fmt_ms,
    machine,
    make_plan,
    open_loop,
    reference_choices,
    start_server,
    summarise,
    summarise_open_loop,
    verify,
)
from bench.synthetic import build_warehouse  # noqa: E402


@contextmanager
def warmed_server(
    kind: str,
    args: argparse.Namespace,
    warehouse: Path,
    warmup: list[Item],
    checks: list[Item],
    clients: int,
    say: Callable[[str], None],
) -> Iterator[tuple[Server, Payloads, dict]]:
    """A server started, every page checked, warmed up and its memory window marked: yields
    (server, payloads, checked pages); stopped on the way out."""
    logdir = args.workdir / "logs"
    logdir.mkdir(parents=True, exist_ok=True)
    say(f"{kind}: starting ({args.server}) ...")
    server = start_server(kind, args.server, warehouse, args.workers, args.threads, logdir)
    try:
        say(
            f"{kind}: up in {server.startup_seconds:.1f} s ({server.description}); "
            f"RSS {server.sampler.last_rss / MB:,.0f} MB"
        )
        payloads = Payloads(server)
        checked = verify(payloads, checks)
        say(
            f"{kind}: every page answered 200 with a response; first-call times: "
            + ", ".join(
                f"{p} {c['seconds'] * 1000:,.0f} ms/{c['bytes'] / 1024:,.0f} KiB"
                for p, c in checked.items()
            )
        )
        drive(payloads, warmup, clients, None)
        server.sampler.mark()
        yield server, payloads, checked
    finally:
        server.stop()


def server_facts(server: Server, idle: tuple[int, int], checked: dict) -> dict:
    """Memory (idle after warm-up, peak while timed, peak over the server's life), start-up
    time and the verification requests' sizes and times."""
    return {
        "server": server.description,
        "startup_seconds": server.startup_seconds,
        "rss_mb_after_warmup": idle[0] / MB,
        "pss_mb_after_warmup": idle[1] / MB,
        "rss_mb_peak_during_run": server.sampler.window_rss / MB,
        "pss_mb_peak_during_run": server.sampler.window_pss / MB,
        "rss_mb_peak_lifetime": server.sampler.peak_rss / MB,
        "pss_mb_peak_lifetime": server.sampler.peak_pss / MB,
        "verification": {
            p: {k: v for k, v in c.items() if k != "texts"} for p, c in checked.items()
        },
    }


def run_server(
    kind: str,
    args: argparse.Namespace,
    warehouse: Path,
    plan: list[Item],
    warmup: list[Item],
    checks: list[Item],
    say: Callable[[str], None],
) -> dict:
    """Saturation: the shuffled plan pulled by ``--clients`` clients as fast as answers come."""
    with warmed_server(kind, args, warehouse, warmup, checks, args.clients, say) as (
        server,
        payloads,
        checked,
    ):
        idle = server.sampler.last_rss, server.sampler.last_pss
        say(f"{kind}: warmed up; timing {len(plan)} requests from {args.clients} clients ...")
        results, wall, skipped = drive(payloads, plan, args.clients, args.time_limit)
        server.sampler.sample()
        summary = summarise(results, wall)
        summary.update(server_facts(server, idle, checked))
        summary["skipped_for_time_limit"] = skipped
        say(
            f"{kind}: {len(results)} requests in {wall:.0f} s "
            f"({summary['requests_per_second']:.2f}/s), errors {summary['overall']['errors']}, "
            f"peak RSS {summary['rss_mb_peak_during_run']:,.0f} MB"
        )
        return {"summary": summary, "texts": {p: c["texts"] for p, c in checked.items()}}


def run_open_loop(
    kind: str,
    args: argparse.Namespace,
    warehouse: Path,
    warmup: list[Item],
    checks: list[Item],
    choices: tuple[dict[str, list[str]], list[str]],
    say: Callable[[str], None],
) -> dict:
    """Open loop: ``--analysts`` analysts opening pages and reading them for ``--think`` s
    (exponential) for ``--duration`` s; the client's own CPU is measured beside the server's."""
    with warmed_server(kind, args, warehouse, warmup, checks, args.analysts, say) as (
        server,
        payloads,
        checked,
    ):
        idle = server.sampler.last_rss, server.sampler.last_pss
        say(
            f"{kind}: warmed up; {args.analysts} analysts, think {args.think:g} s (mean), "
            f"for {args.duration:g} s ..."
        )
        cpu = CpuMeter(server.proc.pid)
        cpu.start()
        interactions, wall = open_loop(
            payloads, args.analysts, args.think, args.duration, args.seed, *choices
        )
        server.sampler.sample()
        summary = summarise_open_loop(interactions, wall, args.duration)
        summary["cpu"] = cpu.stop()
        opened = len(interactions)
        # CPU per page opened: what a page costs the server, whatever else the machine runs.
        summary["cpu"]["server_cpu_seconds_per_page"] = (
            summary["cpu"]["server_cpu_seconds"] / opened if opened else None
        )
        summary.update(server_facts(server, idle, checked))
        i, c = summary["interactions"], summary["cpu"]
        say(
            f"{kind}: {i['n'] + i['errors']} pages opened in {wall:.0f} s, interaction p50 "
            f"{fmt_ms(i['p50_ms'])} ms, p95 {fmt_ms(i['p95_ms'])} ms, p99 {fmt_ms(i['p99_ms'])} "
            f"ms, errors {i['errors']}; client CPU {100 * c['client_cpu_share']:.1f}% of the "
            f"machine, server {100 * c['server_cpu_share']:.0f}%; peak RSS "
            f"{summary['rss_mb_peak_during_run']:,.0f} MB"
        )
        return {"summary": summary, "texts": {p: c["texts"] for p, c in checked.items()}}


def compare_texts(a: dict[str, list[str]], b: dict[str, list[str]]) -> dict:
    """How many chart descriptions (they carry the numbers) the two servers agree on."""
    same = total = 0
    differ = []
    for page in PAGES:
        for x, y in zip(a.get(page, []), b.get(page, []), strict=False):
            total += 1
            if x == y:
                same += 1
            else:
                differ.append({"page": page, "svdash": x[:300], "pandas": y[:300]})
    return {"same": same, "total": total, "differences": differ}


# ---- report ----------------------------------------------------------------------------------


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a and b else None


def ratios(servers: dict) -> dict:
    """pandas / svdash for p50 and p95, per page and overall (above 1: svdash is faster)."""

    def pick(kind: str, page: str) -> dict:
        x = servers[kind]
        return x["overall"] if page == "overall" else x["pages"][page]

    return {
        page: {
            q: ratio(pick("pandas", page)[f"{q}_ms"], pick("svdash", page)[f"{q}_ms"])
            for q in ("p50", "p95")
        }
        for page in (*PAGES, "overall")
    }


def print_report(result: dict, console) -> None:
    from rich.table import Table

    sv, pd_ = result["servers"]["svdash"], result["servers"]["pandas"]
    cfg = result["config"]
    t = Table(
        title=f"{result['events']:,} police events · {cfg['clients']} clients · "
        f"{cfg['requests_per_page']} requests per page · {sv['server']}",
        title_justify="left",
    )
    t.add_column("page")
    for col in (
        "n",
        "svdash p50 ms",
        "svdash p95 ms",
        "pandas p50 ms",
        "pandas p95 ms",
        "p50 ratio",
        "p95 ratio",
    ):
        t.add_column(col, justify="right")
    rows = [(p, sv["pages"][p], pd_["pages"][p]) for p in PAGES]
    rows.append(("all pages", sv["overall"], pd_["overall"]))
    for name, a, b in rows:
        r50, r95 = ratio(b["p50_ms"], a["p50_ms"]), ratio(b["p95_ms"], a["p95_ms"])
        t.add_row(
            name,
            f"{a['n']}/{b['n']}",
            fmt_ms(a["p50_ms"]),
            fmt_ms(a["p95_ms"]),
            fmt_ms(b["p50_ms"]),
            fmt_ms(b["p95_ms"]),
            "–" if r50 is None else f"{r50:.2f}x",
            "–" if r95 is None else f"{r95:.2f}x",
            end_section=name == PAGES[-1],
        )
    console.print(t)
    s = Table(
        title="servers (ratio = pandas / svdash: above 1 means svdash is faster)",
        title_justify="left",
    )
    for col in (
        "server",
        "req/s",
        "errors",
        "wall s",
        "start s",
        "RSS idle MB",
        "RSS peak MB",
        "PSS peak MB",
    ):
        s.add_column(col, justify="right" if col != "server" else "left")
    for name, x in (("svdash", sv), ("pandas", pd_)):
        s.add_row(
            name,
            f"{x['requests_per_second']:.2f}",
            str(x["overall"]["errors"]),
            f"{x['wall_seconds']:.0f}",
            f"{x['startup_seconds']:.1f}",
            f"{x['rss_mb_after_warmup']:,.0f}",
            f"{x['rss_mb_peak_during_run']:,.0f}",
            f"{x['pss_mb_peak_during_run']:,.0f}",
        )
    console.print(s)
    print_build(result, console)
    agree = result["equivalence"]
    console.print(
        f"baseline check: {agree['same']} of {agree['total']} chart descriptions "
        "identical between svdash and pandas for the verification requests"
    )
    for d in agree["differences"][:5]:
        console.print(
            f"  differs on {d['page']}: svdash {d['svdash'][:140]!r}\n"
            f"{'':>14} pandas {d['pandas'][:140]!r}",
            highlight=False,
            markup=False,
        )


def print_build(result: dict, console) -> None:
    b = result["build"]
    console.print(
        f"warehouse: {b['events_by_source'].get('police', 0):,} police events "
        f"({sum(b['events_by_source'].values()):,} events in all) in {b['police_parts']} police "
        f"parts, {b['size_mb']:,.0f} MB; built in {b['build_seconds']:.0f} s (demo "
        f"{b['demo_seconds']:.0f} s, generate {b['generate_seconds']:.0f} s, load "
        f"{b['load_seconds']:.0f} s){' [cached: not rebuilt this run]' if b['cached'] else ''}"
    )


def open_loop_ratios(servers: dict) -> dict:
    """pandas / svdash for interaction p50, p95 and p99, per page and overall."""

    def pick(kind: str, page: str) -> dict:
        x = servers[kind]
        return x["interactions"] if page == "overall" else x["pages"][page]

    return {
        page: {
            q: ratio(pick("pandas", page)[f"{q}_ms"], pick("svdash", page)[f"{q}_ms"])
            for q in ("p50", "p95", "p99")
        }
        for page in (*BROWSER_PAGES, "overall")
    }


def print_open_loop_report(result: dict, console) -> None:
    from rich.table import Table

    sv, pd_ = result["servers"]["svdash"], result["servers"]["pandas"]
    cfg = result["config"]
    t = Table(
        title=f"{result['events']:,} police events · open loop: {cfg['analysts']} analysts, "
        f"think {cfg['think_seconds']:g} s (exponential mean), {cfg['duration_seconds']:g} s "
        f"each · interaction = page opened until its slowest callback answered · {sv['server']}",
        title_justify="left",
    )
    t.add_column("page")
    for col in ("n", "svdash p50", "p95", "p99", "pandas p50", "p95", "p99", "p50 ratio", "p95 r."):
        t.add_column(col, justify="right")
    rows = [(p, sv["pages"][p], pd_["pages"][p]) for p in BROWSER_PAGES]
    rows.append(("all pages (ms)", sv["interactions"], pd_["interactions"]))
    last = list(BROWSER_PAGES)[-1]
    for name, a, b in rows:
        r50, r95 = ratio(b["p50_ms"], a["p50_ms"]), ratio(b["p95_ms"], a["p95_ms"])
        t.add_row(
            name,
            f"{a['n']}/{b['n']}",
            *(fmt_ms(a[f"{q}_ms"]) for q in ("p50", "p95", "p99")),
            *(fmt_ms(b[f"{q}_ms"]) for q in ("p50", "p95", "p99")),
            "–" if r50 is None else f"{r50:.2f}x",
            "–" if r95 is None else f"{r95:.2f}x",
            end_section=name == last,
        )
    console.print(t)
    s = Table(
        title="servers (ratio = pandas / svdash: above 1 means svdash is faster; CPU as a share "
        "of the whole machine)",
        title_justify="left",
    )
    for col in (
        "server",
        "pages/min",
        "pages failed",
        "RSS idle MB",
        "RSS peak MB",
        "PSS peak MB",
        "client CPU",
        "server CPU",
        "server CPU s/page",
        "others CPU",
        "load avg",
    ):
        s.add_column(col, justify="right" if col != "server" else "left")
    for name, x in (("svdash", sv), ("pandas", pd_)):
        c = x["cpu"]
        s.add_row(
            name,
            f"{x['interactions_per_minute']:.1f}",
            f"{x['interactions']['errors']} ({x['interactions']['callbacks_retried']} retried)",
            f"{x['rss_mb_after_warmup']:,.0f}",
            f"{x['rss_mb_peak_during_run']:,.0f}",
            f"{x['pss_mb_peak_during_run']:,.0f}",
            f"{100 * c['client_cpu_share']:.1f}%",
            f"{100 * c['server_cpu_share']:.0f}%",
            fmt_ms(None)
            if c["server_cpu_seconds_per_page"] is None
            else f"{c['server_cpu_seconds_per_page']:.2f}",
            f"{100 * c['others_cpu_share']:.0f}%",
            f"{c['loadavg_start']:.1f}→{c['loadavg_end']:.1f}",
        )
    console.print(s)
    print_build(result, console)
    agree = result["equivalence"]
    console.print(
        f"baseline check: {agree['same']} of {agree['total']} chart descriptions "
        "identical between svdash and pandas for the verification requests"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--mode",
        choices=("saturation", "open-loop"),
        default="saturation",
        help="saturation: --clients pull a fixed plan as fast as they are answered; "
        "open-loop: --analysts open pages and think between them",
    )
    ap.add_argument(
        "--events",
        type=int,
        action="append",
        help="police events in the warehouse (repeatable; default 1M and 10M)",
    )
    ap.add_argument(
        "--requests-per-page",
        type=int,
        help="saturation: requests per page callback (default 100; 50 above 2M events)",
    )
    ap.add_argument("--clients", type=int, default=20, help="saturation: concurrent clients")
    ap.add_argument("--analysts", type=int, help="open loop: analysts (default 20; --quick 5)")
    ap.add_argument(
        "--think", type=float, default=5.0, help="open loop: mean thinking time, s (exponential)"
    )
    ap.add_argument(
        "--duration", type=float, help="open loop: seconds per server (default 120; --quick 20)"
    )
    ap.add_argument("--server", choices=("gunicorn", "dev"), default="gunicorn")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument(
        "--time-limit",
        type=float,
        default=None,
        help="saturation: stop sending after this many seconds per server (default: none)",
    )
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/svdash-bench"))
    ap.add_argument("--only", choices=("svdash", "pandas"), help="run one server only")
    ap.add_argument("--build-only", action="store_true", help="build (or reuse) the warehouses")
    ap.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 200k events; 5 requests per page, or 5 analysts for 20 s",
    )
    args = ap.parse_args(argv)
    # SIGTERM (or SIGINT, which a background job may have ignored) stops the run cleanly: the
    # servers it started are stopped on the way out, not left running.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    signal.signal(signal.SIGINT, signal.default_int_handler)

    from rich.console import Console
    from rich.markup import escape

    console = Console()
    if not console.is_terminal:  # piped to a file: wide enough for the tables
        console = Console(width=140)

    def say(msg: str) -> None:
        console.print(f"[dim]{time.strftime('%H:%M:%S')}[/] {msg}", highlight=False)

    open_mode = args.mode == "open-loop"
    if args.quick:
        args.events = args.events or [200_000]
        args.requests_per_page = min(args.requests_per_page or 5, 5)
        args.analysts = args.analysts or 5
        args.duration = args.duration or 20.0
    args.analysts = args.analysts or 20
    args.duration = args.duration or 120.0
    events_list = args.events or [1_000_000, 10_000_000]
    args.workdir.mkdir(parents=True, exist_ok=True)
    results_dir = BENCH / "results"
    results_dir.mkdir(exist_ok=True)
    kinds = [args.only] if args.only else ["svdash", "pandas"]
    failed = False
    for events in events_list:
        build = build_warehouse(args.workdir, events, args.seed, say)
        if args.build_only:
            continue
        warehouse = Path(build["warehouse"])
        wards, factors = reference_choices(warehouse)
        per_page = args.requests_per_page or (100 if events <= 2_000_000 else 50)
        plan = make_plan(args.seed, per_page, wards, factors)
        warmup = make_plan(args.seed + 1, 2, wards, factors)
        checks = [next(i for i in plan if i.page == page) for page in PAGES]
        common = {
            "server": args.server,
            "workers": args.workers,
            "threads": args.threads,
            "seed": args.seed,
        }
        if open_mode:
            config = {
                "mode": "open-loop",
                "analysts": args.analysts,
                "think_seconds": args.think,
                "think": "exponential, first think staggers the starts; the clock starts "
                "when the page's slowest callback has answered",
                "duration_seconds": args.duration,
                **common,
                "pages": {k: list(v) for k, v in BROWSER_PAGES.items()},
            }
            # One analyst (``--analysts 1``: each page's callbacks at once, one page at a
            # time) keeps its own results beside the 20 analysts'.
            suffix = "" if args.analysts == 20 else f"-analysts-{args.analysts}"
            out = results_dir / f"callbacks-open-loop-{events}{suffix}.json"
        else:
            config = {
                "clients": args.clients,
                "requests_per_page": per_page,
                "distinct_requests": len(set(plan)),
                "requests": len(plan),
                **common,
                "time_limit": args.time_limit,
                "pages": list(PAGES),
            }
            # One analyst (``--clients 1``) and saturation keep separate results.
            suffix = "" if args.clients == 20 else f"-clients-{args.clients}"
            out = results_dir / f"callbacks-{events}{suffix}.json"
        result = {
            "events": events,
            "build": build,
            "servers": {},
            "texts": {},
            "config": config,
            "machine": machine(),
        }
        if args.only and out.exists():  # keep the other server's run of the same plan
            old = json.loads(out.read_text())
            if old.get("config") == config:
                for kind in old.get("servers", {}):
                    if kind != args.only:
                        result["servers"][kind] = old["servers"][kind]
                        result["texts"][kind] = old.get("texts", {}).get(kind, {})
        for kind in kinds:
            code = code_state()
            try:
                if open_mode:
                    got = run_open_loop(
                        kind, args, warehouse, warmup, checks, (wards, factors), say
                    )
                else:
                    got = run_server(kind, args, warehouse, plan, warmup, checks, say)
            except SystemExit as exc:  # report it, keep what the other server measured
                say(f"[red]{kind} failed:[/] {escape(str(exc))}")
                result["servers"].pop(kind, None)
                result.setdefault("failures", {})[kind] = str(exc)[:4000]
                continue
            result["servers"][kind] = {**got["summary"], "code": code}
            result["texts"][kind] = got["texts"]
            result["finished_at"] = dt.datetime.now().isoformat(timespec="seconds")
            out.write_text(json.dumps(result, indent=2, default=str))
        servers = result["servers"]
        if {"svdash", "pandas"} <= set(servers):
            result["equivalence"] = compare_texts(
                result["texts"]["svdash"], result["texts"]["pandas"]
            )
            if open_mode:
                result["ratios"] = open_loop_ratios(servers)
                print_open_loop_report(result, console)
            else:
                result["ratios"] = ratios(servers)
                print_report(result, console)
        out.write_text(json.dumps(result, indent=2, default=str))
        say(f"results written to {out}")
        failed = failed or bool(result.get("failures"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
