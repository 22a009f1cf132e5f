"""The ``svdash`` command line: exit codes, JSON shapes, plain-words errors, exports."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import (
    DISTRICTS,
    GEO_HEADER,
    GEO_ROWS,
    feed_rows,
    write_csv,
    write_feed,
)
from openpyxl import load_workbook
from typer.testing import CliRunner

from etl.contracts import FEEDS
from svdash.cli import app

FILE_KEYS = {
    "path",
    "feed",
    "status",
    "rows_read",
    "rows_loaded",
    "rows_quarantined",
    "rows_out_of_area",
    "errors",
}
STATUS_KEYS = {
    "rows",
    "periods",
    "first_period",
    "last_period",
    "last_load",
    "files_loaded",
    "files_refused",
    "rows_quarantined",
}


@pytest.fixture(autouse=True)
def _wide_console(monkeypatch) -> None:
    """Rich wraps at the console width; a wide one keeps paths on one line for the asserts."""
    monkeypatch.setenv("COLUMNS", "1000")


def svdash(*args: object):
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert "Traceback" not in result.output
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), result.exception
    return result


def police_file(path: Path, n: int = 30, start: int = 1, **overrides: str) -> Path:
    return write_feed(path, "police", feed_rows("police", n, start=start, **overrides))


# ---- load: exit codes and the JSON report ------------------------------------------------


def test_load_exit_0_and_json_shape(warehouse, tmp_path) -> None:
    rows = feed_rows("police", 40) + feed_rows("police", 3, start=100, lsoa_code="E01000009")
    rows[4]["victim_age"] = "200"
    path = write_feed(tmp_path / "jan.csv", "police", rows)
    result = svdash("load", "police", path, "--json", "--warehouse", warehouse)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"files"}
    (f,) = data["files"]
    assert set(f) >= FILE_KEYS
    assert (f["path"], f["feed"], f["status"]) == (str(path), "police", "loaded")
    assert (f["rows_read"], f["rows_loaded"], f["rows_quarantined"], f["rows_out_of_area"]) == (
        43,
        39,
        1,
        3,
    )
    assert f["errors"] == [{"line": 6, "column": "victim_age", "reason": "out of range 0–120: 200"}]
    for e in f["errors"]:
        assert set(e) == {"line", "column", "reason"}


def test_load_refused_exit_1_names_the_file(warehouse, tmp_path) -> None:
    good = police_file(tmp_path / "jan.csv")
    bad = police_file(tmp_path / "feb-broken.csv", start=100, weapon="spoon")
    result = svdash("load", "police", good, bad, "--warehouse", warehouse)
    assert result.exit_code == 1
    assert f"loaded {good}" in result.stdout
    assert f"refused {bad}" in result.stdout
    assert f"{bad}: line 2, column weapon: not one of" in result.stdout

    result = svdash("load", "police", bad, "--json", "--warehouse", warehouse)
    assert result.exit_code == 1
    (f,) = json.loads(result.stdout)["files"]
    assert f["status"] == "refused" and f["path"] == str(bad)
    assert str(bad) in f["message"]
    assert len(f["errors"]) == 30 and all(
        set(e) == {"line", "column", "reason"} for e in f["errors"]
    )


def test_load_unchanged_is_exit_0(warehouse, tmp_path) -> None:
    path = police_file(tmp_path / "jan.csv")
    assert svdash("load", "police", path, "--warehouse", warehouse).exit_code == 0
    result = svdash("load", "police", path, "--json", "--warehouse", warehouse)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["files"][0]["status"] == "unchanged"


def test_load_says_what_it_added_updated_and_removed(warehouse, tmp_path) -> None:
    assert (
        svdash(
            "load", "police", police_file(tmp_path / "jan.csv"), "--warehouse", warehouse
        ).exit_code
        == 0
    )
    supplement = police_file(tmp_path / "supplement.csv", n=5, start=1001)
    result = svdash("load", "police", supplement, "--warehouse", warehouse)
    assert result.exit_code == 0
    assert "merge: added 5, updated 0, removed 0" in result.stdout

    short = police_file(tmp_path / "jan-short.csv", n=20, ho_offence_code="008/01")
    result = svdash("load", "police", short, "--replace", "--json", "--warehouse", warehouse)
    assert result.exit_code == 1
    (f,) = json.loads(result.stdout)["files"]
    assert f["status"] == "refused" and f["mode"] == "replace"
    assert "2024-01: 15 of the 35 rows held" in f["message"] and "--yes" in f["message"]

    result = svdash(
        "load", "police", short, "--replace", "--yes", "--json", "--warehouse", warehouse
    )
    assert result.exit_code == 0
    (f,) = json.loads(result.stdout)["files"]
    assert (f["rows_added"], f["rows_updated"], f["rows_removed"]) == (0, 20, 15)
    assert f["codes_not_in_definition"] == {"008/01": 20}
    text = svdash(
        "load",
        "police",
        police_file(tmp_path / "x.csv", n=2, start=5000, ho_offence_code="008/01"),
        "--warehouse",
        warehouse,
    ).stdout
    assert "codes not in the definition: 008/01 × 2" in text


def bad_file(kind: str, folder: Path) -> Path:
    """A file (or not) of the kinds people really send by mistake."""
    path = folder / {"folder": "folder", "broken-xlsx": "bad.xlsx"}.get(kind, f"{kind}.csv")
    if kind == "folder":
        path.mkdir()
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "header-only":
        write_csv(path, list(feed_rows("police", 1)[0]), [])
    elif kind == "binary":
        path.write_bytes(bytes(range(256)) * 8)
    elif kind == "mojibake":
        path.write_text("crime_ref\nCafÃ©\n", encoding="utf-8")
    elif kind == "wrong-columns":
        path.write_text("name,address\nA,B\n", encoding="utf-8")
    elif kind == "broken-xlsx":
        path.write_bytes(b"PK\x03\x04 not really a workbook")
    return path


BAD_FILES = {
    "missing": "no such file",
    "folder": "is a folder",
    "empty": "the file is empty",
    "header-only": "header but no data rows",
    "binary": "neither UTF-8 nor Windows-1252",
    "mojibake": "double-encoded",
    "wrong-columns": "missing required column(s) crime_ref",
    "broken-xlsx": "not a readable .xlsx workbook",
}


@pytest.mark.parametrize("kind", list(BAD_FILES))
def test_bad_files_are_refused_in_plain_words(warehouse, tmp_path, kind) -> None:
    path, expected = bad_file(kind, tmp_path), BAD_FILES[kind]
    result = svdash("load", "police", path, "--warehouse", warehouse)
    assert result.exit_code == 1, result.output
    assert f"refused {path}" in result.stdout
    assert expected in result.stdout
    result = svdash("load", "police", path, "--json", "--warehouse", warehouse)
    (f,) = json.loads(result.stdout)["files"]
    assert f["status"] == "refused" and expected in f["message"] and str(path) in f["message"]


def test_usage_errors_exit_2(warehouse, tmp_path) -> None:
    path = police_file(tmp_path / "jan.csv")
    result = svdash("load", "burglary", path, "--warehouse", warehouse)
    assert result.exit_code == 2 and "unknown feed 'burglary'" in result.stderr

    nowhere = tmp_path / "no-warehouse"
    result = svdash("load", "police", path, "--warehouse", nowhere)
    assert result.exit_code == 2 and "is not a warehouse" in result.stderr
    assert not nowhere.exists()

    bad_mapping = tmp_path / "bad.toml"
    bad_mapping.write_text("columns = [", encoding="utf-8")
    result = svdash("load", "police", path, "--mapping", bad_mapping, "--warehouse", warehouse)
    assert result.exit_code == 2 and str(bad_mapping) in result.stderr

    result = svdash("load", "police", "--warehouse", warehouse)  # no files
    assert result.exit_code == 2

    result = svdash("status", "--warehouse", nowhere)
    assert result.exit_code == 2 and "no warehouse" in result.stderr

    result = svdash("init", "--districts", "Leeds", "--warehouse", tmp_path / "x")
    assert result.exit_code == 2 and "not a district GSS code" in result.stderr


def test_key_problems_exit_2(warehouse, tmp_path, monkeypatch) -> None:
    path = police_file(tmp_path / "jan.csv")
    monkeypatch.setenv("SVDASH_KEY_FILE", str(warehouse / "inside.key"))
    result = svdash("load", "police", path, "--warehouse", warehouse)
    assert result.exit_code == 2 and "must not live inside the warehouse" in result.stderr

    other = tmp_path / "other.key"
    other.write_bytes(b"x" * 32)
    other.chmod(0o600)  # private, so it is judged as the wrong key (a shared one is refused)
    monkeypatch.setenv("SVDASH_KEY_FILE", str(other))
    result = svdash("load", "police", path, "--warehouse", warehouse)
    assert result.exit_code == 2 and "not the one the warehouse was built with" in result.stderr


def test_no_traceback_from_the_installed_command(warehouse, tmp_path) -> None:
    """The console script itself, in a real process: plain words on stderr, exit 1."""
    missing = tmp_path / "nope.csv"
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from svdash.cli import main; main()",
            "load",
            "police",
            str(missing),
            "--warehouse",
            str(warehouse),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "no such file" in proc.stdout


# ---- status --------------------------------------------------------------------------------


def test_status_json(warehouse, tmp_path) -> None:
    svdash("load", "police", police_file(tmp_path / "jan.csv"), "--warehouse", warehouse)
    svdash(
        "load",
        "police",
        police_file(tmp_path / "bad.csv", start=100, weapon="spoon"),
        "--warehouse",
        warehouse,
    )
    result = svdash("status", "--json", "--warehouse", warehouse)
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert set(data) == {"warehouse", "feeds"}
    assert data["warehouse"] == str(warehouse)
    assert set(data["feeds"]) == set(FEEDS)
    for feed in data["feeds"].values():
        assert set(feed) == STATUS_KEYS
    police = data["feeds"]["police"]
    assert (
        police["rows"],
        police["periods"],
        police["first_period"],
        police["last_period"],
        police["files_loaded"],
        police["files_refused"],
        police["rows_quarantined"],
    ) == (30, 1, "2024-01", "2024-01", 1, 1, 30)
    assert data["feeds"]["geography"]["rows"] == 5
    result = svdash("status", "--warehouse", warehouse)
    assert result.exit_code == 0 and "police" in result.stdout


# ---- export table: suppression and formula neutralisation ---------------------------------

NASTY = {
    "E01000001": "=cmd|' /C calc'!A0",
    "E01000002": "+SUM(A1:A9)",
    "E01000003": "-2+3",
    "E01000004": "@SUM(1)",
}
COUNTS = {"E01000001": 30, "E01000002": 2, "E01000003": 6, "E01000004": 9}


@pytest.fixture
def export_warehouse(make_warehouse, load, tmp_path) -> Path:
    wh = make_warehouse("export", geography=False)
    rows = [(code, NASTY.get(code, name), *rest) for code, name, *rest in GEO_ROWS]
    (geo,) = load(wh, "geography", write_csv(tmp_path / "lookup.csv", GEO_HEADER, rows))
    assert geo.status == "loaded"
    police, start = [], 1
    for lsoa, n in COUNTS.items():
        police += feed_rows("police", n, start=start, lsoa_code=lsoa)  # 8N: violence w/ injury
        start += n
    (r,) = load(wh, "police", write_feed(tmp_path / "police.csv", "police", police))
    assert r.status == "loaded" and r.rows_loaded == sum(COUNTS.values())
    return wh


def expected_cells() -> dict[str, str]:
    # 2 is hidden; the hidden cells must add up to 5 or more, so the next smallest (6) goes too.
    return {"E01000001": "30", "E01000002": "[c]", "E01000003": "[c]", "E01000004": "9"}


def test_export_csv(export_warehouse, tmp_path) -> None:
    out = tmp_path / "by-lsoa.csv"
    result = svdash(
        "export",
        "table",
        "--by",
        "lsoa",
        "--format",
        "csv",
        "--out",
        out,
        "--warehouse",
        export_warehouse,
    )
    assert result.exit_code == 0, result.output
    with open(out, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["lsoa"]: r["count"] for r in rows} == expected_cells()
    names = {r["lsoa"]: r["lsoa_name"] for r in rows}
    assert names == {code: "'" + name for code, name in NASTY.items()}


def test_export_with_who_filters(export_warehouse, tmp_path) -> None:
    """``--who`` takes the address's who parameters: every victim here is a man aged 24."""
    out = tmp_path / "who.csv"

    def cells(who: str) -> dict[str, str]:
        result = svdash(
            "export", "table", "--by", "lsoa", "--who", who, "--out", out,
            "--warehouse", export_warehouse,
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        with open(out, encoding="utf-8", newline="") as fh:
            return {r["lsoa"]: r["count"] for r in csv.DictReader(fh)}

    assert cells("sex=M&age=under25") == expected_cells()
    assert cells("sex=F") == {}
    assert cells("person=suspect&age=under25") == {}  # suspects are 27
    for bad in ("shoe=9", "age=old"):
        result = svdash(
            "export", "table", "--by", "lsoa", "--who", bad, "--out", out,
            "--warehouse", export_warehouse,
        )  # fmt: skip
        assert result.exit_code == 2, (bad, result.output)


def test_export_xlsx(export_warehouse, tmp_path) -> None:
    out = tmp_path / "by-lsoa.xlsx"
    result = svdash(
        "export",
        "table",
        "--by",
        "lsoa",
        "--format",
        "xlsx",
        "--out",
        out,
        "--warehouse",
        export_warehouse,
    )
    assert result.exit_code == 0, result.output
    wb = load_workbook(out)
    assert wb.sheetnames == ["Data", "Notes"]
    data = list(wb["Data"].iter_rows(values_only=True))
    header, body = data[0], data[1:]
    assert header == ("lsoa", "lsoa_name", "count")
    assert {r[0]: str(r[2]) for r in body} == expected_cells()
    assert {r[0]: r[1] for r in body} == {code: "'" + name for code, name in NASTY.items()}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
    notes = dict(wb["Notes"].iter_rows(values_only=True, min_row=2))
    assert "[c]" in notes["Suppression"]
    assert notes["Definition"]


def test_export_usage_errors(export_warehouse, tmp_path) -> None:
    out = tmp_path / "x.csv"
    result = svdash(
        "export",
        "table",
        "--by",
        "lsoa",
        "--format",
        "pdf",
        "--out",
        out,
        "--warehouse",
        export_warehouse,
    )
    assert result.exit_code == 2 and "csv or xlsx" in result.stderr
    result = svdash(
        "export", "table", "--by", "shoe_size", "--out", out, "--warehouse", export_warehouse
    )
    assert result.exit_code == 2 and "unknown dimension" in result.stderr
    result = svdash(
        "export", "table", "--by", "lsoa", "--out", out, "--warehouse", tmp_path / "nowhere"
    )
    assert result.exit_code == 2
    assert not out.exists()


def test_init_then_load_geography(tmp_path) -> None:
    wh = tmp_path / "new"
    result = svdash("init", "--districts", ",".join(DISTRICTS), "--warehouse", wh)
    assert result.exit_code == 0
    lookup = write_csv(tmp_path / "lookup.csv", GEO_HEADER, GEO_ROWS)
    result = svdash("load", "geography", lookup, "--json", "--warehouse", wh)
    assert result.exit_code == 0
    (f,) = json.loads(result.stdout)["files"]
    assert (f["rows_loaded"], f["rows_out_of_area"]) == (5, 2)
    # The same area again is fine; another area is refused.
    assert svdash("init", "--districts", ",".join(DISTRICTS), "--warehouse", wh).exit_code == 0
    result = svdash("init", "--districts", "E08000035", "--warehouse", wh)
    assert result.exit_code == 2 and "already a warehouse" in result.stderr


# ---- command-line conventions: plain text off a terminal, --json listings, no tracebacks ---

BOX = set("┏┓┗┛┃━│─┌┐└┘┡┩╇╋┳┻")


def plain_rows(text: str) -> list[list[str]]:
    """Tab-separated lines, the header first; never a rich table's box drawing."""
    assert not BOX & set(text), text
    return [line.split("\t") for line in text.splitlines()]


def test_listings_are_plain_text_off_a_terminal(export_warehouse) -> None:
    from dashboard.charts.catalogue import CHARTS
    from svcore.users import add_user

    add_user(export_warehouse, "kim", "duty_holder", "a long enough password", ("E08000034",))
    svdash(
        "export",
        "table",
        "--by",
        "district",
        "--out",
        export_warehouse.parent / "t.csv",
        "--warehouse",
        export_warehouse,
    )

    header, *rows = plain_rows(svdash("status", "--warehouse", export_warehouse).stdout)
    assert header[:3] == ["feed", "rows", "periods"]
    assert {r[0]: r[1] for r in rows}["police"] == f"{sum(COUNTS.values()):,}"
    assert all(len(r) == len(header) for r in rows)

    header, *rows = plain_rows(svdash("export", "chart", "--list").stdout)
    assert header == ["Chart", "Page", "Title", "Options"]
    assert [r[0] for r in rows] == list(CHARTS)

    header, *rows = plain_rows(svdash("users", "list", "--warehouse", export_warehouse).stdout)
    assert (header, rows) == (["User", "Role", "Districts"], [["kim", "duty_holder", "E08000034"]])

    header, *rows = plain_rows(svdash("audit", "list", "--warehouse", export_warehouse).stdout)
    assert header[:4] == ["#", "When (UTC)", "User", "Action"]
    assert rows and all(len(r) == len(header) for r in rows)
    assert rows[-1][3] == "export"


def test_every_listing_has_json(export_warehouse) -> None:
    from dashboard.charts.catalogue import CHARTS
    from svcore.users import add_user

    add_user(export_warehouse, "ann", "analyst", "a long enough password")
    svdash(
        "export",
        "table",
        "--by",
        "district",
        "--out",
        export_warehouse.parent / "t.csv",
        "--warehouse",
        export_warehouse,
    )

    charts = json.loads(svdash("export", "chart", "--list", "--json").stdout)
    assert [c["name"] for c in charts] == list(CHARTS)
    for c in charts:
        assert set(c) == {"name", "page", "title", "options"}
        assert all(isinstance(v, list) for v in c["options"].values())

    users = json.loads(svdash("users", "list", "--json", "--warehouse", export_warehouse).stdout)
    assert [(u["name"], u["role"]) for u in users] == [("ann", "analyst")]
    assert "a long enough password" not in json.dumps(users)

    result = svdash("audit", "list", "--json", "--last", "2", "--warehouse", export_warehouse)
    records = json.loads(result.stdout)
    assert len(records) == 2 and records[-1]["action"] == "export"
    assert {"seq", "at", "user", "action", "outcome", "detail", "filters", "file"} <= set(
        records[0]
    )

    status = json.loads(svdash("status", "--json", "--warehouse", export_warehouse).stdout)
    assert status["feeds"]["police"]["rows"] == sum(COUNTS.values())


def test_a_missing_browser_names_the_fix(export_warehouse, tmp_path) -> None:
    """kaleido looks in its download folder, at $BROWSER_PATH, on PATH and at the usual install
    paths (/usr/bin/chromium among them); $BROWSER_PATH naming no executable wins over all, so
    this environment has no browser for kaleido without uninstalling Chromium."""
    env = {
        **os.environ,
        "BROWSER_PATH": str(tmp_path / "no-chromium" / "chromium"),
        "PATH": str(Path(sys.executable).parent),
        "XDG_DATA_HOME": str(tmp_path / "xdg"),
    }

    def run(*args: object) -> subprocess.CompletedProcess:
        return subprocess.run(
            [
                sys.executable,
                "-c",
                "from svdash.cli import main; main()",
                *map(str, args),
                "--warehouse",
                str(export_warehouse),
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
        )

    for fmt in ("png", "svg"):
        out = tmp_path / f"chart.{fmt}"
        proc = run("export", "chart", "how-weapon", "--format", fmt, "--out", out)
        assert proc.returncode == 1, proc.stderr
        assert "Traceback" not in proc.stdout + proc.stderr
        message = " ".join(proc.stderr.split())
        assert f"--format {fmt} needs Chrome or Chromium" in message
        assert "apt-get install chromium" in message and "kaleido_get_chrome" in message
        assert "--format csv|xlsx" in message and "svdash export table" in message
        assert not out.exists()
    proc = run("report", "--year", "2024", "--out", tmp_path / "pack")
    assert proc.returncode == 1 and "Traceback" not in proc.stdout + proc.stderr
    assert "figures (PNG and SVG) needs Chrome or Chromium" in " ".join(proc.stderr.split())
    # What the message says still works, works.
    proc = run("export", "chart", "how-weapon", "--format", "csv", "--out", tmp_path / "w.csv")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "w.csv").read_text(encoding="utf-8").startswith("weapon")


def own_definition(path: Path, title: str) -> Path:
    from importlib import resources

    text = (resources.files("svcore.definitions") / "home_office.toml").read_text("utf-8")
    text = text.replace('name = "home_office"', 'name = "ours"', 1)
    text = text.replace(
        'title = "Home Office Serious Violence Strategy (default)"', f'title = "{title}"', 1
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_definition_file_anywhere(export_warehouse, tmp_path) -> None:
    own = own_definition(tmp_path / "elsewhere" / "our-definition.toml", "Our own definition")
    out = tmp_path / "by-lsoa.xlsx"
    result = svdash(
        "export",
        "table",
        "--by",
        "lsoa",
        "--format",
        "xlsx",
        "--out",
        out,
        "--definition",
        own,
        "--warehouse",
        export_warehouse,
    )
    assert result.exit_code == 0, result.output
    notes = dict(load_workbook(out)["Notes"].iter_rows(values_only=True, min_row=2))
    assert notes["Definition"] == "Our own definition"
    out = tmp_path / "weapons.csv"
    result = svdash(
        "export",
        "chart",
        "how-weapon",
        "--format",
        "csv",
        "--out",
        out,
        "--definition",
        own,
        "--warehouse",
        export_warehouse,
    )
    assert result.exit_code == 0, result.output
    # The report pack's filters take the file too (the pack itself is built in tests/export).
    from dashboard.export.report import _year_filters

    assert _year_filters(2024, str(own), (), "home_office").definition == str(own)


def test_a_definition_that_cannot_be_read_says_why(export_warehouse, tmp_path) -> None:
    (tmp_path / "broken.toml").write_text('name = "x"\n[groups\n', encoding="utf-8")
    (tmp_path / "shape.toml").write_text('name = "x"\ngroups = 3\n', encoding="utf-8")
    cases = {
        tmp_path / "missing.toml": "no such definition file",
        tmp_path: "is a folder",
        tmp_path / "broken.toml": "not valid TOML",
        tmp_path / "shape.toml": "groups must be a table",
        "no_such_name": "not a built-in one",
    }
    out = tmp_path / "x.csv"
    for definition, why in cases.items():
        for args in (
            ("export", "table", "--by", "lsoa"),
            ("export", "chart", "how-weapon", "--format", "csv"),
        ):
            result = svdash(
                *args, "--out", out, "--definition", definition, "--warehouse", export_warehouse
            )
            assert result.exit_code == 2, result.output
            assert "--definition" in result.stderr and why in result.stderr, result.stderr
            assert str(definition) in result.stderr
    assert not out.exists()


def test_report_without_libreoffice_or_with_a_stranger_district_says_why(
    export_warehouse, tmp_path
) -> None:
    """Chromium is found at its usual install path, LibreOffice only on PATH: a PATH holding
    only Python leaves the browser and takes away soffice."""
    env = {**os.environ, "PATH": str(Path(sys.executable).parent)}

    def run(*args: object) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-c", "from svdash.cli import main; main()", *map(str, args)],
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
        )

    base = ("report", "--year", "2024", "--warehouse", export_warehouse)
    proc = run(*base, "--out", tmp_path / "pack")
    message = " ".join(proc.stderr.split())
    assert proc.returncode == 1 and "Traceback" not in proc.stdout + proc.stderr
    assert "apt-get install libreoffice-writer-nogui" in message and "--no-pdf" in message
    assert not (tmp_path / "pack").exists()
    proc = run(*base, "--out", tmp_path / "pack", "--no-pdf", "--district", "E08000099")
    assert proc.returncode == 2 and "not a district of this partnership" in proc.stderr
