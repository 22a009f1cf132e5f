"""``svdash``: build, load, inspect and serve a partnership's warehouse.

Every command takes ``--warehouse DIR`` (or ``SVDASH_WAREHOUSE``; default ``data/warehouse``).
Bad input is reported in plain words naming the file, line and column, never as a traceback;
exit codes: 0 done, 1 a file was refused or a check failed, 2 a usage error. Listings are rich
tables on a terminal and tab-separated text otherwise (a header line, then one line a row);
``--json`` prints them as JSON.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from svcore.config import WEST_YORKSHIRE, Settings, read_settings, warehouse_path
from svdash.browser import browser_found, browser_help, missing_browser
from svdash.output import listing, print_json

app = typer.Typer(
    help="Serious-violence partnership data dashboard: warehouse, loads, exports and the app.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
export_app = typer.Typer(help="Export the data behind the charts.", no_args_is_help=True)
app.add_typer(export_app, name="export")
users_app = typer.Typer(
    help="Users who may sign in, their roles and districts.", no_args_is_help=True
)
app.add_typer(users_app, name="users")
audit_app = typer.Typer(help="The audit log of logins, loads and exports.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")

# Not a terminal (a pipe, a file, cron): no hard wrapping at 80 columns.
out = Console(soft_wrap=not sys.stdout.isatty())
err = Console(stderr=True, soft_wrap=not sys.stderr.isatty())

WarehouseOpt = Annotated[
    Path | None,
    typer.Option(
        "--warehouse",
        help="Warehouse folder (default: $SVDASH_WAREHOUSE or data/warehouse).",
        show_default=False,
    ),
]


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print("[bold red]error:[/] ", end="")
    err.print(message, markup=False, highlight=False)
    return typer.Exit(code)


def _progress() -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )


@app.command()
def init(
    districts: Annotated[str, typer.Option(help="District GSS codes, comma-separated.")],
    name: Annotated[
        str, typer.Option(help="The partnership's name.")
    ] = "Violence Reduction Partnership",
    warehouse: WarehouseOpt = None,
) -> None:
    """Create a new, empty warehouse for a partnership area."""
    from etl.load import init_warehouse

    codes = tuple(dict.fromkeys(c.strip().upper() for c in districts.split(",") if c.strip()))
    wh = warehouse_path(warehouse)
    try:
        init_warehouse(wh, Settings(districts=codes, area_name=name))
    except ValueError as exc:
        raise _fail(str(exc), 2) from None
    out.print(f"Warehouse ready at {wh} for {', '.join(codes)}.")
    out.print("Next: load the ONS geography lookup, e.g. `svdash load geography LOOKUP.csv`.")


@app.command()
def demo(
    seed: Annotated[int, typer.Option(help="Seed of the synthetic data.")] = 42,
    years: Annotated[int, typer.Option(help="Years of monthly files.", min=1, max=10)] = 5,
    geography: Annotated[
        Path | None, typer.Option(help="A real ONS LSOA lookup: lay the demo events on real LSOAs.")
    ] = None,
    lsoa_boundaries: Annotated[
        Path | None, typer.Option(help="Real LSOA boundaries (GeoJSON), with --geography.")
    ] = None,
    warehouse: WarehouseOpt = None,
) -> None:
    """Build the demo warehouse: synthetic West Yorkshire partner files through the real ETL."""
    if (geography is None) != (lsoa_boundaries is None):
        raise _fail("--geography and --lsoa-boundaries go together", 2)
    from etl.demo.build import build_demo

    wh = warehouse_path(warehouse)
    with _progress() as progress:
        task = progress.add_task("Building demo warehouse", total=None)

        def step(done: int, total: int, label: str) -> None:
            progress.update(task, completed=done, total=total, description=label)

        summary = build_demo(
            wh,
            seed=seed,
            years=years,
            progress=step,
            geography=geography,
            lsoa_boundaries=lsoa_boundaries,
        )
    out.print(
        f"Demo warehouse at {wh}: {summary['files_loaded']} files loaded, "
        f"{summary['files_unchanged']} already there, {summary['seconds']:.1f} s."
    )


@app.command()
def load(
    feed: Annotated[
        str,
        typer.Argument(
            help="Feed: police, policeuk, policeuk_outcomes, health, probation, youth_justice, indicators, geography, boundaries, population, imd, lsoa_lookup."
        ),
    ],
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="Files to load (CSV, XLSX, .csv.gz, .zip, the police.uk archive; GeoJSON, shapefile, GeoPackage for boundaries)."
        ),
    ],
    mapping: Annotated[Path | None, typer.Option(help="Partner mapping file (TOML).")] = None,
    partner: Annotated[
        str | None,
        typer.Option(help="Who sent the files (records from the same partner merge by reference)."),
    ] = None,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace",
            help="The files are full extracts: replace the periods they cover (police, health, youth_justice merge by reference otherwise).",
        ),
    ] = False,
    yes: Annotated[
        bool,
        typer.Option(
            "--yes",
            help="Go ahead with a replacement that removes more of a period than max_replace_removal.",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    warehouse: WarehouseOpt = None,
) -> None:
    """Validate and load partner files; bad rows are quarantined, bad files refused whole.

    Each file reports the rows it added, updated and removed."""
    import duckdb

    from etl.contracts import FEEDS
    from etl.load import FileReport, LoadStopped, load_files
    from etl.mapping import MappingError

    if feed not in FEEDS:
        raise _fail(f"unknown feed {feed!r}; choose one of {', '.join(FEEDS)}", 2)
    wh = warehouse_path(warehouse)
    try:
        read_settings(wh)
    except FileNotFoundError as exc:
        raise _fail(str(exc), 2) from None
    with _progress() as progress:
        task = progress.add_task(f"Loading {feed}", total=len(paths))

        def tick(path: Path, report: FileReport) -> None:
            progress.advance(task)

        try:
            reports = load_files(
                wh,
                feed,
                paths,
                mapping_path=mapping,
                partner=partner,
                progress=tick,
                replace=replace,
                yes=yes,
            )
        except (MappingError, ValueError, TimeoutError) as exc:
            raise _fail(str(exc), 2) from None
        except LoadStopped as exc:
            raise _fail(str(exc), 1) from None
        except (duckdb.Error, OSError) as exc:
            raise _fail(
                f"the load stopped: {exc}. Files committed before it are kept; once the cause "
                "is fixed run `svdash check --repair`, then the same command again.",
                1,
            ) from None
    if as_json:
        keys = (
            "path",
            "feed",
            "status",
            "rows_read",
            "rows_loaded",
            "rows_quarantined",
            "rows_out_of_area",
            "rows_excluded",
            "errors",
            "message",
            "periods",
            "mode",
            "rows_added",
            "rows_updated",
            "rows_removed",
            "codes_not_in_definition",
        )
        print(json.dumps({"files": [{k: r.as_dict()[k] for k in keys} for r in reports]}, indent=2))
    else:
        for r in reports:
            colour = {"loaded": "green", "unchanged": "blue", "refused": "red"}[r.status]
            out.print(
                f"[{colour}]{r.status}[/] {r.path}: read {r.rows_read:,}, loaded {r.rows_loaded:,}, "
                f"quarantined {r.rows_quarantined:,}, out of area {r.rows_out_of_area:,}"
                + (f", not records {r.rows_excluded:,}" if r.rows_excluded else "")
                + (
                    f"; {r.mode}: added {r.rows_added:,}, updated {r.rows_updated:,}, "
                    f"removed {r.rows_removed:,}"
                    if r.status == "loaded"
                    else ""
                ),
                highlight=False,
            )
            if r.codes_not_in_definition:
                out.print(
                    "  codes not in the definition: "
                    + ", ".join(f"{code} × {n:,}" for code, n in r.codes_not_in_definition.items())
                    + " (add them to the definition, or recode them in the mapping)",
                    highlight=False,
                    markup=False,
                )
            if r.message:
                out.print(f"  {r.message}", highlight=False, markup=False)
            for e in r.errors[:10]:
                where = f"line {e['line']}" if e.get("line") else "file"
                col = f", column {e['column']}" if e.get("column") else ""
                out.print(f"  {r.path}: {where}{col}: {e['reason']}", highlight=False, markup=False)
            if len(r.errors) > 10:
                out.print(f"  ... and {r.rows_quarantined - 10:,} more (see `svdash status`)")
    if any(r.status == "refused" for r in reports):
        raise typer.Exit(1)


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    warehouse: WarehouseOpt = None,
) -> None:
    """What is loaded, per feed: rows, periods, last load, quarantined rows."""
    from etl.load import status as feed_status
    from svcore.warehouse import WarehouseMissing

    wh = warehouse_path(warehouse)
    try:
        data = feed_status(wh)
    except WarehouseMissing as exc:
        raise _fail(str(exc), 2) from None
    if as_json:
        print_json({"warehouse": str(wh), "feeds": data})
        return
    columns = (
        "feed",
        "rows",
        "periods",
        "first",
        "last",
        "last load",
        "files",
        "refused",
        "quarantined",
    )
    listing(
        out,
        columns,
        [
            (
                feed,
                f"{s['rows']:,}",
                s["periods"],
                s["first_period"] or "-",
                s["last_period"] or "-",
                s["last_load"] or "-",
                s["files_loaded"],
                s["files_refused"],
                f"{s['rows_quarantined']:,}",
            )
            for feed, s in data.items()
        ],
        title=f"Warehouse {wh}",
        right=columns[1:],
    )


@app.command()
def check(
    repair: Annotated[
        bool,
        typer.Option(
            "--repair",
            help="Publish committed loads and remove files an interrupted load left (takes the write lock).",
        ),
    ] = False,
    quick: Annotated[
        bool,
        typer.Option(
            "--quick", help="Sizes and Parquet footers only; skip the SHA-256 of every part."
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    warehouse: WarehouseOpt = None,
) -> None:
    """Verify the warehouse: catalog against Parquet files, checksums, rows against load history.

    Exit 0 when readers get whole, correct data (warnings are tidy-ups), 1 when something is
    damaged or missing, 2 when there is no warehouse."""
    from dataclasses import asdict

    from etl.integrity import check as run_check
    from etl.integrity import repair as run_repair

    wh = warehouse_path(warehouse)
    if not wh.is_dir():
        raise _fail(f"no warehouse at {wh}", 2)
    if repair:
        done = run_repair(wh)
        err.print(f"Repair: {done.describe() or 'nothing to repair'}.")
    with _progress() as progress:
        task = progress.add_task("Checking parts", total=None)
        report = run_check(
            wh,
            checksums=not quick,
            progress=lambda i, n: progress.update(task, completed=i, total=n),
        )
    if as_json:
        print(json.dumps({**asdict(report), "ok": report.ok}, indent=2))
    else:
        for p in report.problems:
            colour = "red" if p.level == "error" else "yellow"
            out.print(f"[{colour}]{p.level}[/] {p.where}: ", end="")
            out.print(p.message + (f" ({p.fix})" if p.fix else ""), markup=False, highlight=False)
        verdict = "[green]OK[/]" if report.ok else "[bold red]DAMAGED[/]"
        out.print(
            f"{verdict} {wh}: snapshot {report.snapshot or '-'}, {report.parts_checked:,} parts, "
            f"{report.rows_checked:,} rows, {report.loads_checked:,} loaded files checked"
            + (f", {report.bytes_hashed / 1e6:,.1f} MB hashed" if report.bytes_hashed else "")
            + f"; {sum(p.level == 'error' for p in report.problems)} errors, "
            f"{sum(p.level == 'warning' for p in report.problems)} warnings",
            highlight=False,
        )
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def backup(
    out_path: Annotated[
        Path, typer.Option("--out", help="Backup file (.tar) or a folder for a dated one.")
    ],
    warehouse: WarehouseOpt = None,
) -> None:
    """Write a consistent, checksummed copy of the warehouse (waits for any running load).

    The pseudonymisation key is not included: keep it safe separately."""
    from etl.backup import BackupError
    from etl.backup import backup as run_backup

    wh = warehouse_path(warehouse)
    try:
        with _progress() as progress:
            task = progress.add_task("Backing up", total=None)
            summary = run_backup(
                wh, out_path, progress=lambda i, n: progress.update(task, completed=i, total=n)
            )
    except (BackupError, TimeoutError) as exc:
        raise _fail(str(exc)) from None
    out.print(
        f"Backed up {wh} to {summary.path}: {summary.loads:,} loads, {summary.parts:,} parts, "
        f"{summary.bytes / 1e6:,.1f} MB.",
        highlight=False,
    )


@app.command()
def restore(
    source: Annotated[Path, typer.Argument(help="A backup made by `svdash backup`.")],
    yes: Annotated[
        bool,
        typer.Option("--yes", help="Replace the data of an existing warehouse without asking."),
    ] = False,
    warehouse: WarehouseOpt = None,
) -> None:
    """Check a backup whole, then make it the warehouse's published state.

    An existing warehouse keeps its users and its audit log; dashboards switch at their next
    request."""
    from etl.backup import BackupError
    from etl.backup import restore as run_restore
    from svcore.warehouse import CATALOG

    wh = warehouse_path(warehouse)
    if not source.is_file():
        raise _fail(f"{source}: no such backup file", 2)
    if (wh / CATALOG).exists() and not yes:
        if not sys.stdin.isatty():
            raise _fail(f"{wh} already holds a warehouse; add --yes to replace its data", 2)
        typer.confirm(f"Replace the data in {wh} with {source.name}?", abort=True)
    try:
        summary = run_restore(source, wh)
    except (BackupError, TimeoutError) as exc:
        raise _fail(str(exc)) from None
    out.print(
        f"Restored {summary.loads:,} loads and {summary.parts:,} parts into {wh}; "
        "run `svdash check` to verify.",
        highlight=False,
    )


TierOpt = Annotated[
    str | None,
    typer.Option(
        help="Disclosure tier to publish by: a method (exact, ons_10_5, cell_key) or a tier name "
        "of svdash.toml (analyst, viewer, publication...). Default: exact, as the "
        "warehouse's administrator."
    ),
]


def _tier(settings: Settings, tier: str | None, default: str = "exact") -> str:
    """A method name, or a tier (role or publication) looked up in the settings."""
    from svcore.disclosure import METHODS, TIER_NAMES, tier_for

    if tier is None:
        tier = default
    if tier in METHODS:
        return tier
    if tier in TIER_NAMES:
        return tier_for(settings, tier)
    raise _fail(f"--tier must be one of {', '.join(METHODS + TIER_NAMES)}", 2)


def _cli_viewer():
    """The command line runs as the warehouse's administrator (the OS user who runs it)."""
    import getpass

    from dashboard.auth import Viewer

    return Viewer(getpass.getuser(), "admin")


WhoOpt = Annotated[
    str | None,
    typer.Option(
        "--who",
        help="Who filters and the year reading, as in the address: e.g. "
        "'age=under25&sex=F', 'person=suspect&ethnicity=black', 'year=fy'.",
    ),
]
WHO_KEYS = ("person", "age", "sex", "ethnicity", "year")


DefinitionOpt = Annotated[
    str | None,
    typer.Option(
        help="Serious-violence definition: a built-in name (home_office) or the path of "
        "a definition TOML file (default: the one in svdash.toml)."
    ),
]


def _definition(settings: Settings, definition: str | None) -> str:
    """The definition to use, checked it can be read (a file's path made absolute); exits 2
    saying why when it cannot."""
    from svcore.definitions import DefinitionError, builtin_names, load_definition

    chosen = definition or settings.definition
    if chosen not in builtin_names() and Path(chosen).expanduser().exists():
        chosen = str(Path(chosen).expanduser().resolve())
    try:
        load_definition(chosen)
    except DefinitionError as exc:
        where = (
            "--definition" if definition else "the definition in svdash.toml ([area] definition)"
        )
        raise _fail(f"{where}: {exc}", 2) from None
    return chosen


def _cli_filters(
    settings: Settings, source, district, ward, date_from, date_to, group, definition, who=None
):
    """Export options -> Filters, through the URL parser (one set of rules); bad values exit 2.

    The command line may name any definition file (the URL may not): the one chosen is passed
    as the parser's default, the one definition it accepts besides those built in."""
    from dashboard.filters import parse_filters

    chosen = _definition(settings, definition)
    query: dict[str, list[str]] = {"definition": [chosen]}
    for key, value in (("source", source), ("from", date_from), ("to", date_to), ("group", group)):
        if value:
            query[key] = [value]
    for key, values in (("district", district), ("ward", ward)):
        if values:
            query[key] = list(values)
    if who:
        from urllib.parse import parse_qs

        given = parse_qs(who.lstrip("?"), keep_blank_values=True)
        unknown = [k for k in given if k not in WHO_KEYS]
        if unknown:
            raise _fail(f"--who takes {', '.join(WHO_KEYS)}, not {', '.join(unknown)}", 2)
        query.update(given)
    filters = parse_filters(query, default_definition=chosen)
    if filters.messages:
        raise _fail(" ".join(filters.messages), 2)
    return filters


@export_app.command("table")
def export_table(
    by: Annotated[
        str,
        typer.Option(
            help="Dimensions, comma-separated: source, district, ward, lsoa, month, year, weekday, hour, offence_group, weapon, location_type, sex, age_band, ethnicity."
        ),
    ],
    out_path: Annotated[Path, typer.Option("--out", help="File to write.")],
    fmt: Annotated[str, typer.Option("--format", help="csv or xlsx.")] = "csv",
    source: Annotated[
        str | None, typer.Option(help="police, policeuk, health, probation, youth_justice, or all.")
    ] = None,
    district: Annotated[
        list[str] | None, typer.Option(help="District GSS code (repeatable).")
    ] = None,
    date_from: Annotated[str | None, typer.Option("--from", help="First month, YYYY-MM.")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last month, YYYY-MM.")] = None,
    group: Annotated[str | None, typer.Option(help="Offence group of the definition.")] = None,
    definition: DefinitionOpt = None,
    who: WhoOpt = None,
    tier: TierOpt = None,
    warehouse: WarehouseOpt = None,
) -> None:
    """The count table behind any chart, published by the disclosure tier, as CSV or XLSX."""
    from dashboard.charts.catalogue import published_table
    from dashboard.charts.request import make_request
    from dashboard.data import WarehouseSource
    from dashboard.export.tables import write_table
    from dashboard.queries.counts import UnknownDimension
    from svcore.warehouse import WarehouseMissing

    if fmt not in ("csv", "xlsx"):
        raise _fail("--format must be csv or xlsx", 2)
    wh = warehouse_path(warehouse)
    try:
        settings = read_settings(wh)
        src = WarehouseSource(wh, pinned=True)
        src.connection()
    except (FileNotFoundError, WarehouseMissing) as exc:
        raise _fail(str(exc), 2) from None
    filters = _cli_filters(
        settings, source, district, (), date_from, date_to, group, definition, who
    )
    dims = [d.strip() for d in by.split(",") if d.strip()]
    req = make_request(src, filters, _cli_viewer(), tier=_tier(settings, tier))
    try:
        frame = published_table(req, dims)
    except UnknownDimension as exc:
        raise _fail(str(exc), 2) from None
    d = req.definition
    notes = [
        ("Filters", filters.describe()),
        ("Definition", d.title),
        (
            "Offence group",
            d.group(filters.group).label if filters.group else "All serious violence",
        ),
        ("Suppression", f"{req.rule.note()} ({req.tier} tier)"),
        ("Geography", "Areas are ONS GSS codes; names in the *_name columns."),
    ]
    try:
        write_table(frame, out_path, fmt, notes)
    except OSError as exc:
        raise _fail(f"cannot write {out_path}: {exc.strerror or exc}") from None
    from svcore import audit

    audit.record(
        wh,
        "export",
        detail=f"table by {','.join(dims)} as {fmt}",
        filters=filters.to_query(),
        file=str(out_path),
    )
    err.print(f"Wrote {len(frame):,} rows to {out_path}.")


@export_app.command("chart")
def export_chart_cmd(
    name: Annotated[str | None, typer.Argument(help="Chart name (see --list).")] = None,
    out_path: Annotated[Path | None, typer.Option("--out", help="File to write.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="png, svg, csv or xlsx.")] = "png",
    list_charts: Annotated[bool, typer.Option("--list", help="Name every chart and stop.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="With --list: print JSON.")] = False,
    source: Annotated[
        str | None, typer.Option(help="police, policeuk, health, probation, youth_justice, or all.")
    ] = None,
    district: Annotated[
        list[str] | None, typer.Option(help="District GSS code (repeatable).")
    ] = None,
    ward: Annotated[list[str] | None, typer.Option(help="Ward GSS code (repeatable).")] = None,
    date_from: Annotated[str | None, typer.Option("--from", help="First month, YYYY-MM.")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last month, YYYY-MM.")] = None,
    group: Annotated[str | None, typer.Option(help="Offence group of the definition.")] = None,
    definition: DefinitionOpt = None,
    level: Annotated[
        str | None, typer.Option(help="Map level: auto, district, ward, lsoa.")
    ] = None,
    measure: Annotated[
        str | None, typer.Option(help="Map shading, or the who pyramids: rate or count.")
    ] = None,
    factor: Annotated[
        str | None, typer.Option(help="Factor for factors-scatter, e.g. imd:income.")
    ] = None,
    who: WhoOpt = None,
    reference: Annotated[
        str | None,
        typer.Option(help="Comparator group of the who-rri views: white, asian, black..."),
    ] = None,
    tier: TierOpt = None,
    warehouse: WarehouseOpt = None,
) -> None:
    """Any chart on screen as PNG/SVG (kaleido) or its suppressed data as CSV/XLSX."""
    from dashboard.charts.catalogue import CHARTS

    if list_charts:
        charts = [
            {
                "name": spec.name,
                "page": spec.page,
                "title": spec.title,
                "options": {k: list(v) for k, v in spec.options.items() if k != "embed"},
            }
            for spec in CHARTS.values()
        ]
        if as_json:
            print_json(charts)
            return
        listing(
            out,
            ("Chart", "Page", "Title", "Options"),
            [
                (
                    c["name"],
                    c["page"],
                    c["title"],
                    ", ".join(f"{k}={'|'.join(v) or '...'}" for k, v in c["options"].items()),
                )
                for c in charts
            ],
        )
        return
    if not name or out_path is None:
        raise _fail("give a chart name and --out (or --list)", 2)
    if name not in CHARTS:
        raise _fail(f"unknown chart {name!r}; `svdash export chart --list` names them", 2)
    from dashboard.charts.request import make_request
    from dashboard.data import WarehouseSource
    from dashboard.export.charts import export_chart
    from svcore import audit
    from svcore.warehouse import WarehouseMissing

    wh = warehouse_path(warehouse)
    try:
        settings = read_settings(wh)
        src = WarehouseSource(wh, pinned=True)
        src.connection()
    except (FileNotFoundError, WarehouseMissing) as exc:
        raise _fail(str(exc), 2) from None
    filters = _cli_filters(
        settings, source, district, ward, date_from, date_to, group, definition, who
    )
    if fmt in ("png", "svg") and not browser_found():
        raise _fail(browser_help(f"--format {fmt}"))
    given = (("level", level), ("measure", measure), ("factor", factor), ("reference", reference))
    options = {k: v for k, v in given if v}
    req = make_request(src, filters, _cli_viewer(), tier=_tier(settings, tier))
    try:
        path = export_chart(name, req, fmt, out_path, **options)
    except ValueError as exc:
        raise _fail(str(exc), 2) from None
    except OSError as exc:
        raise _fail(f"cannot write {out_path}: {exc.strerror or exc}") from None
    except RuntimeError as exc:
        if not missing_browser(exc):
            raise
        raise _fail(browser_help(f"--format {fmt}")) from None
    audit.record(
        wh, "export", detail=f"chart {name} as {fmt}", filters=filters.to_query(), file=str(path)
    )
    err.print(f"Wrote {name} to {path}.")


@app.command()
def report(
    year: Annotated[int, typer.Option(help="The year of the assessment.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the pack.")],
    definition: DefinitionOpt = None,
    district: Annotated[
        list[str] | None, typer.Option(help="District GSS code (repeatable; default all).")
    ] = None,
    each_district: Annotated[
        bool,
        typer.Option(
            "--each-district",
            help="Also one pack a district (in OUT/<district code>), from the same run.",
        ),
    ] = False,
    pdf: Annotated[
        bool, typer.Option("--pdf/--no-pdf", help="Make each pack's PDF with LibreOffice.")
    ] = True,
    tier: Annotated[
        str | None,
        typer.Option(help="Disclosure tier (default: publication, as set in svdash.toml)."),
    ] = None,
    warehouse: WarehouseOpt = None,
) -> None:
    """The SNA report pack: Word and PDF, figures as PNG and SVG, the data workbook and a
    manifest; with --each-district, one pack more a district."""
    import time

    from dashboard.export.pdf import INSTALL_HELP, PdfUnavailable, soffice
    from dashboard.export.report import build_reports
    from svcore import audit
    from svcore.warehouse import WarehouseMissing

    wh = warehouse_path(warehouse)
    started = time.perf_counter()
    try:
        settings = read_settings(wh)
    except FileNotFoundError as exc:
        raise _fail(str(exc), 2) from None
    # Any definition file, checked it can be read (a configured one that cannot says why).
    definition = (
        _definition(settings, definition) if definition else (_definition(settings, None) and None)
    )
    method = _tier(settings, tier, default="publication")
    if not browser_found():
        raise _fail(browser_help("The report pack's figures (PNG and SVG)"))
    if pdf and soffice() is None:
        raise _fail(INSTALL_HELP)
    unknown = [d for d in district or () if d not in settings.districts]
    if unknown:
        raise _fail(
            f"--district {', '.join(unknown)}: not a district of this partnership "
            f"({', '.join(settings.districts)})",
            2,
        )
    try:
        with err.status("Building the report pack ...") as status:
            paths = build_reports(
                wh,
                year,
                out_dir,
                definition,
                tuple(district or ()),
                each_district=each_district,
                progress=lambda step: status.update(f"Report pack: {step} ..."),
                tier=method,
                pdf=pdf,
            )
    except (FileNotFoundError, WarehouseMissing, ValueError) as exc:
        raise _fail(str(exc), 2) from None
    except PdfUnavailable as exc:
        raise _fail(str(exc)) from None
    except OSError as exc:
        raise _fail(f"cannot write the pack in {out_dir}: {exc.strerror or exc}") from None
    except RuntimeError as exc:
        if not missing_browser(exc):
            raise
        raise _fail(browser_help("The report pack's figures (PNG and SVG)")) from None
    for path in paths:
        audit.record(wh, "report", detail=f"SNA pack {year}", file=str(path))
    many = len(paths) > 1
    what = ("Word and PDF, " if pdf else "Word, ") + "figures, workbook and manifest"
    err.print(
        f"Wrote {len(paths)} pack{'s' if many else ''} ({what} in each folder) in "
        f"{time.perf_counter() - started:.0f} s:"
        if many
        else f"Wrote the pack ({what}) in {time.perf_counter() - started:.0f} s:"
    )
    for path in paths:
        err.print(f"  {path}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8050,
    demo_if_missing: Annotated[
        bool,
        typer.Option("--demo/--no-demo", help="Build the demo warehouse first if there is none."),
    ] = True,
    debug: Annotated[bool, typer.Option(help="Dash debug mode (development only).")] = False,
    warehouse: WarehouseOpt = None,
) -> None:
    """Serve the dashboard (development server; see README for production)."""
    from svcore.warehouse import CURRENT

    wh = warehouse_path(warehouse)
    if not (wh / CURRENT).exists():
        if not demo_if_missing:
            raise _fail(f"no warehouse at {wh}; run `svdash demo` or `svdash init`", 2)
        err.print(f"No warehouse at {wh}: building the demo warehouse first (about 30 s).")
        demo(seed=42, years=5, geography=None, lsoa_boundaries=None, warehouse=wh)
    from dashboard.app import create_app
    from svcore.config import BoardError
    from svcore.files import SharedKeyError

    try:
        application = create_app(wh)
    except (SharedKeyError, BoardError) as exc:  # said plainly: the fix is in a file
        raise _fail(str(exc), 2) from None
    err.print(f"Serving {wh} at http://{host}:{port}/  (Ctrl+C to stop)")
    application.run(host=host, port=port, debug=debug)


def _password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="User name (letters, digits, . _ @ -).")],
    role: Annotated[str, typer.Option(help="admin, analyst, duty_holder or viewer.")],
    district: Annotated[
        list[str] | None, typer.Option(help="District GSS code a duty holder may see (repeatable).")
    ] = None,
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin", help="Read the password from standard input instead of prompting."
        ),
    ] = False,
    warehouse: WarehouseOpt = None,
) -> None:
    """Add a user (the password is hashed with Argon2id; at least 12 characters)."""
    from svcore import audit
    from svcore.users import UserError, add_user

    wh = warehouse_path(warehouse)
    try:
        user = add_user(wh, name, role, _password(password_stdin), tuple(district or ()))
    except UserError as exc:
        raise _fail(str(exc), 2) from None
    audit.record(wh, "users", detail=f"added {user.name} as {user.role} {','.join(user.districts)}")
    err.print(f"Added {user.name} ({user.role}).")


@users_app.command("list")
def users_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    warehouse: WarehouseOpt = None,
) -> None:
    """List users, roles and districts (never passwords)."""
    from svcore.users import load_users

    users = [u.public() for u in load_users(warehouse_path(warehouse)).values()]
    if as_json:
        print_json(users)
        return
    listing(
        out,
        ("User", "Role", "Districts"),
        [(u["name"], u["role"], ", ".join(u["districts"]) or "all") for u in users],
    )


@users_app.command("remove")
def users_remove(name: str, warehouse: WarehouseOpt = None) -> None:
    """Remove a user; their next request is refused."""
    from svcore import audit
    from svcore.users import UserError, remove_user

    wh = warehouse_path(warehouse)
    try:
        remove_user(wh, name)
    except UserError as exc:
        raise _fail(str(exc), 2) from None
    audit.record(wh, "users", detail=f"removed {name}")
    err.print(f"Removed {name}.")


@users_app.command("signout")
def users_signout(name: str, warehouse: WarehouseOpt = None) -> None:
    """Sign a user out on every device: their open sessions stop working at once."""
    from svcore import audit
    from svcore.users import UserError, sign_out_everywhere

    wh = warehouse_path(warehouse)
    try:
        sign_out_everywhere(wh, name)
    except UserError as exc:
        raise _fail(str(exc), 2) from None
    audit.record(wh, "signout", detail=f"signed {name} out everywhere")
    err.print(f"Signed {name} out of every session.")


@users_app.command("role")
def users_role(
    name: str,
    role: Annotated[str, typer.Option(help="admin, analyst, duty_holder or viewer.")],
    district: Annotated[
        list[str] | None, typer.Option(help="District GSS code a duty holder may see (repeatable).")
    ] = None,
    warehouse: WarehouseOpt = None,
) -> None:
    """Change a user's role (and districts); their open sessions end."""
    from svcore import audit
    from svcore.users import UserError, set_role

    wh = warehouse_path(warehouse)
    try:
        user = set_role(wh, name, role, tuple(district or ()))
    except UserError as exc:
        raise _fail(str(exc), 2) from None
    audit.record(wh, "users", detail=f"made {user.name} {user.role} {','.join(user.districts)}")
    err.print(f"{user.name} is now {user.role}; their sessions have ended.")


@users_app.command("reset")
def users_reset(
    name: str,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the new password from standard input.")
    ] = False,
    warehouse: WarehouseOpt = None,
) -> None:
    """Set a new password for a user; their open sessions end."""
    from svcore import audit
    from svcore.users import UserError, reset_password

    wh = warehouse_path(warehouse)
    try:
        reset_password(wh, name, _password(password_stdin))
    except UserError as exc:
        raise _fail(str(exc), 2) from None
    audit.record(wh, "users", detail=f"reset the password of {name}")
    err.print(f"New password set for {name}.")


@audit_app.command("list")
def audit_list(
    last: Annotated[int, typer.Option(help="How many of the latest records.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    warehouse: WarehouseOpt = None,
) -> None:
    """The latest audit records, newest last."""
    from svcore import audit

    rows = list(audit.entries(warehouse_path(warehouse)))[-last:]
    if as_json:
        print_json(rows)
        return
    keys = ("seq", "at", "user", "action", "outcome", "detail", "filters", "file")
    listing(
        out,
        ("#", "When (UTC)", "User", "Action", "Outcome", "Detail", "Filters", "File"),
        [[e[k] for k in keys] for e in rows],
        right=("#",),
    )


@audit_app.command("export")
def audit_export(
    out_path: Annotated[Path, typer.Option("--out", help="CSV file to write.")],
    warehouse: WarehouseOpt = None,
) -> None:
    """The whole audit log as CSV."""
    from svcore import audit

    wh = warehouse_path(warehouse)
    out_path.write_text(audit.to_csv(wh), encoding="utf-8")
    audit.record(wh, "export", detail="audit log as csv", file=str(out_path))
    err.print(f"Wrote the audit log to {out_path}.")


@audit_app.command("verify")
def audit_verify(warehouse: WarehouseOpt = None) -> None:
    """Check that no audit record was edited or removed (exit 1 if one was)."""
    from svcore import audit

    verdict = audit.verify(warehouse_path(warehouse))
    (out if verdict.ok else err).print(verdict.message)
    if not verdict.ok:
        raise typer.Exit(1)


def main() -> None:  # pragma: no cover - console script shim
    from svcore.warehouse import damage_from

    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        # Exports and the report pack refuse to write figures from a damaged warehouse, and
        # say which file is at fault rather than print a traceback.
        damage = damage_from(exc)
        if damage is None:
            raise
        err.print("[bold red]error:[/] ", end="")
        err.print(str(damage), markup=False, highlight=False)
        sys.exit(1)


__all__ = ["app", "main", "WEST_YORKSHIRE"]


if __name__ == "__main__":
    main()
