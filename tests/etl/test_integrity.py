"""``svdash check``, ``backup`` and ``restore`` on small real warehouses damaged on purpose."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import tarfile
from pathlib import Path

import duckdb
import pytest
from helpers import count, feed_rows, reader_rows, write_feed

from etl.backup import BackupError, backup, restore
from etl.integrity import check, repair
from etl.load import load_files
from etl.recovery import unfinished_files
from etl.snapshots import snapshot_parts, snapshots
from svcore import audit
from svcore.users import add_user, load_users
from svcore.warehouse import CATALOG


def loaded(make_warehouse, tmp_path: Path) -> Path:
    wh = make_warehouse()
    jan = write_feed(tmp_path / "jan.csv", "police", feed_rows("police", 40))
    feb = write_feed(
        tmp_path / "feb.csv",
        "police",
        feed_rows("police", 30, start=100, offence_date="2024-02-03", recorded_date="2024-02-04"),
    )
    bad = feed_rows("police", 40, start=200, offence_date="2024-03-03", recorded_date="2024-03-04")
    bad[0]["victim_age"] = "two hundred"
    mar = write_feed(tmp_path / "mar.csv", "police", bad)
    reports = load_files(wh, "police", [jan, feb, mar])
    assert [r.status for r in reports] == ["loaded"] * 3
    return wh


def live_part(wh: Path, table: str = "police") -> Path:
    (rel,) = reader_rows(
        wh,
        "SELECT path FROM parts WHERE table_name = $t AND active ORDER BY path LIMIT 1",
        {"t": table},
    )[0]
    return wh / rel


def errors(report) -> list[tuple[str, str]]:
    return [(p.where, p.message) for p in report.problems if p.level == "error"]


def svdash(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "svdash.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200"},
    )


def test_a_sound_warehouse_checks_clean_with_every_part_hashed(make_warehouse, tmp_path) -> None:
    wh = loaded(make_warehouse, tmp_path)
    report = check(wh)
    assert report.ok and report.problems == []
    assert report.parts_checked >= 4 and report.bytes_hashed > 0
    assert report.rows_checked >= 100 and report.loads_checked == 4  # geography + 3 police
    result = svdash("check", "--warehouse", str(wh))
    assert result.returncode == 0 and "OK" in result.stdout


@pytest.mark.parametrize("damage", ["missing", "flipped", "truncated", "swapped"])
def test_damaged_parts_are_named(make_warehouse, tmp_path, damage: str) -> None:
    wh = loaded(make_warehouse, tmp_path)
    part = live_part(wh)
    rel = part.relative_to(wh).as_posix()
    if damage == "missing":
        part.unlink()
    elif damage == "flipped":
        data = bytearray(part.read_bytes())
        data[len(data) // 2] ^= 0x01
        part.write_bytes(bytes(data))
    elif damage == "truncated":
        part.write_bytes(part.read_bytes()[:-100])
    else:  # another valid part of the same table copied over it
        others = sorted((wh / "parts" / "police").glob("*.parquet"))
        part.write_bytes(next(p for p in others if p != part).read_bytes())
    report = check(wh)
    assert not report.ok
    assert any(where == rel for where, _ in errors(report)), report.problems
    result = svdash("check", "--warehouse", str(wh))
    assert result.returncode == 1 and rel in result.stdout and "DAMAGED" in result.stdout


def test_rows_are_checked_against_the_load_history(make_warehouse, tmp_path) -> None:
    wh = loaded(make_warehouse, tmp_path)
    con = duckdb.connect(str(wh / CATALOG))
    con.execute(
        "UPDATE loads SET rows_loaded = 999 WHERE feed = 'police' AND file_name = 'feb.csv'"
    )
    con.close()
    (problem,) = errors(check(wh))
    assert "feb.csv" in problem[1] and "999" in problem[1] and "30" in problem[1]


def test_leftovers_warn_and_repair_removes_them(make_warehouse, tmp_path) -> None:
    wh = loaded(make_warehouse, tmp_path)
    orphan = wh / "parts" / "police" / "L000099-deadbeef-0000.parquet"
    orphan.write_bytes(live_part(wh).read_bytes())
    (wh / "snapshots" / ".catalog-000099.duckdb.tmp").write_bytes(b"half a copy")
    report = check(wh)
    assert report.ok
    assert {p.where for p in report.problems} == {
        "parts/police/L000099-deadbeef-0000.parquet",
        "snapshots/.catalog-000099.duckdb.tmp",
    }
    done = repair(wh)
    assert len(done.removed) == 2 and not orphan.exists()
    assert check(wh).problems == []
    assert audit.entries(wh).__next__() is not None
    assert any(e["action"] == "repair" for e in audit.entries(wh))


def test_a_broken_audit_chain_is_an_error(make_warehouse, tmp_path) -> None:
    wh = loaded(make_warehouse, tmp_path)
    log = audit.audit_path(wh)
    lines = log.read_text().splitlines(keepends=True)
    log.write_text("".join(lines[1:]))
    assert any(where.startswith("audit") for where, _ in errors(check(wh)))


def test_committed_but_unpublished_loads_are_reported_and_published(
    make_warehouse, tmp_path
) -> None:
    wh = loaded(make_warehouse, tmp_path)
    before = count(wh, "police")
    apr = write_feed(
        tmp_path / "apr.csv",
        "police",
        feed_rows("police", 12, start=300, offence_date="2024-04-04", recorded_date="2024-04-05"),
    )
    killed = subprocess.run(
        [sys.executable, "-m", "svdash.cli", "load", "police", str(apr), "--warehouse", str(wh)],
        env={**os.environ, "SVDASH_CRASH_AT": "before-publish"},
        capture_output=True,
        timeout=120,
    )
    assert killed.returncode == -9
    assert count(wh, "police") == before  # readers still see the published state
    report = check(wh)
    assert report.ok and any("not yet published" in p.message for p in report.problems)
    assert repair(wh).published is not None
    assert count(wh, "police") == before + 12 and check(wh).problems == []


def test_backup_and_restore_round_trip(make_warehouse, tmp_path) -> None:
    wh = loaded(make_warehouse, tmp_path)
    add_user(wh, "ada", "admin", "a long test password")
    police = reader_rows(wh, "SELECT crime_key, offence_date FROM police ORDER BY 1")
    summary = backup(wh, tmp_path / "backups")
    path = Path(summary.path)
    assert path.parent == tmp_path / "backups" and path.suffix == ".tar"
    with tarfile.open(path) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
    assert set(manifest["files"]) >= {CATALOG, "svdash.toml", "users.json", "audit/audit.jsonl"}
    assert not any("key" in name for name in manifest["files"])  # never the pseudonym key

    # Life goes on: a new month, a user removed; then the backup is restored in place.
    apr = write_feed(
        tmp_path / "apr.csv",
        "police",
        feed_rows("police", 12, start=300, offence_date="2024-04-04", recorded_date="2024-04-05"),
    )
    load_files(wh, "police", [apr])
    (wh / "users.json").unlink()
    add_user(wh, "bob", "analyst", "another long password")
    restore(path, wh)
    assert reader_rows(wh, "SELECT crime_key, offence_date FROM police ORDER BY 1") == police
    assert set(load_users(wh)) == {"bob"}  # a live warehouse keeps its own users
    assert [e["action"] for e in audit.entries(wh)][-2:] == ["load", "restore"]
    assert check(wh).ok and audit.verify(wh).ok

    # And into an empty folder, from the command line.
    fresh = tmp_path / "fresh"
    result = svdash("restore", str(path), "--warehouse", str(fresh))
    assert result.returncode == 0, result.stderr
    assert reader_rows(fresh, "SELECT crime_key, offence_date FROM police ORDER BY 1") == police
    assert set(load_users(fresh)) == {"ada"} and check(fresh).problems == []
    # Loading into the restored warehouse goes on where the backup left off.
    assert load_files(fresh, "police", [apr])[0].status == "loaded"
    assert count(fresh, "police") == len(police) + 12


def test_a_damaged_backup_restores_nothing(make_warehouse, tmp_path) -> None:
    wh = loaded(make_warehouse, tmp_path)
    path = Path(backup(wh, tmp_path / "b.tar").path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    bad = tmp_path / "bad.tar"
    bad.write_bytes(bytes(data))
    apr = write_feed(
        tmp_path / "apr.csv",
        "police",
        feed_rows("police", 12, start=300, offence_date="2024-04-04", recorded_date="2024-04-05"),
    )
    load_files(wh, "police", [apr])
    before = reader_rows(wh, "SELECT crime_key FROM police ORDER BY 1")
    with pytest.raises(BackupError, match="checksum|cannot read"):
        restore(bad, wh)
    with pytest.raises(BackupError, match="not an svdash backup|cannot read"):
        restore(write_feed(tmp_path / "x.csv", "police", []), wh)
    assert reader_rows(wh, "SELECT crime_key FROM police ORDER BY 1") == before
    assert not list(wh.glob(".restore-*")) and check(wh).problems == []


def test_a_backup_refuses_to_carry_damage(make_warehouse, tmp_path) -> None:
    wh = loaded(make_warehouse, tmp_path)
    part = live_part(wh)
    data = bytearray(part.read_bytes())
    data[len(data) // 2] ^= 0x01
    part.write_bytes(bytes(data))
    with pytest.raises(BackupError, match=part.name):
        backup(wh, tmp_path / "b.tar")
    assert not (tmp_path / "b.tar").exists() and not list(tmp_path.glob(".b.tar.*"))
    result = svdash("backup", "--warehouse", str(wh), "--out", str(tmp_path / "c.tar"))
    assert result.returncode == 1 and part.name in result.stderr.replace("\n", "")
    assert unfinished_files(wh, snapshot_parts(wh)[0]) == []


def test_check_and_loads_run_side_by_side(make_warehouse, tmp_path) -> None:
    """check copies the catalog under the lock for a moment: a load running meanwhile is
    neither blocked for the whole check nor mistaken for damage, and vice versa."""
    import threading

    wh = loaded(make_warehouse, tmp_path)
    files = [
        write_feed(
            tmp_path / f"m{i}.csv",
            "police",
            feed_rows(
                "police",
                400,
                start=1000 * (i + 1),
                offence_date=f"2024-{i + 4:02d}-05",
                recorded_date=f"2024-{i + 4:02d}-06",
            ),
        )
        for i in range(6)
    ]
    failures: list[BaseException] = []
    reports = []

    def loads() -> None:
        try:
            for f in files:
                load_files(wh, "police", [f])
        except BaseException as exc:  # noqa: BLE001 - surfaced below
            failures.append(exc)

    t = threading.Thread(target=loads)
    t.start()
    while t.is_alive():
        reports.append(check(wh, checksums=False))
    t.join()
    assert not failures, failures
    assert reports and all(r.ok for r in reports), [r.problems for r in reports if not r.ok]
    assert check(wh).problems == []


def test_unreadable_snapshots_do_not_block_the_warehouse(make_warehouse, tmp_path) -> None:
    wh = loaded(make_warehouse, tmp_path)
    snaps = snapshots(wh)
    assert len(snaps) == 3
    snaps[0].write_bytes(os.urandom(8192))  # an old snapshot nobody reads any more
    report = check(wh)
    assert report.ok and any(p.where == f"snapshots/{snaps[0].name}" for p in report.problems)
    apr = write_feed(
        tmp_path / "apr.csv",
        "police",
        feed_rows("police", 12, start=300, offence_date="2024-04-04", recorded_date="2024-04-05"),
    )
    assert load_files(wh, "police", [apr])[0].status == "loaded"  # and the load tidied it
    assert not snaps[0].exists() and check(wh).problems == []

    current = snapshots(wh)[-1]
    with open(current, "r+b") as fh:  # the snapshot readers use: its pages damaged
        fh.seek(4096)
        fh.write(os.urandom(8192))
    assert not check(wh).ok
    repair(wh)  # publishes the catalog afresh
    assert check(wh).problems == [] and count(wh, "police") == 109 + 12  # 40 + 30 + 39 + 12


def test_restore_mends_a_warehouse_whose_catalog_is_damaged(make_warehouse, tmp_path) -> None:
    wh = loaded(make_warehouse, tmp_path)
    police = reader_rows(wh, "SELECT crime_key FROM police ORDER BY 1")
    path = Path(backup(wh, tmp_path / "b.tar").path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # password hashes inside
    (wh / CATALOG).write_bytes(os.urandom(1 << 16))
    assert not check(wh).ok
    result = svdash("restore", str(path), "--yes", "--warehouse", str(wh))
    assert result.returncode == 0, result.stderr
    assert reader_rows(wh, "SELECT crime_key FROM police ORDER BY 1") == police
    assert check(wh).problems == [] and list(wh.glob("catalog.duckdb.damaged-*"))


def test_a_backup_taken_while_the_app_writes_its_log_restores(make_warehouse, tmp_path) -> None:
    import threading

    wh = loaded(make_warehouse, tmp_path)
    add_user(wh, "ada", "admin", "a long test password")
    stop = threading.Event()

    def sign_ins() -> None:
        while not stop.is_set():
            audit.record(wh, "login", user="ada")

    t = threading.Thread(target=sign_ins)
    t.start()
    try:
        paths = [Path(backup(wh, tmp_path / f"b{i}.tar").path) for i in range(3)]
    finally:
        stop.set()
        t.join()
    for i, path in enumerate(paths):
        fresh = tmp_path / f"fresh{i}"
        restore(path, fresh)
        assert check(fresh).problems == [] and audit.verify(fresh).ok
        assert stat.S_IMODE((fresh / "users.json").stat().st_mode) == 0o600


def crafted(tmp_path: Path, wh: Path, name: str, mutate) -> Path:
    """A backup altered on purpose and re-manifested, as an attacker with the file would."""
    src = Path(backup(wh, tmp_path / f"{name}-src.tar").path)
    work = tmp_path / f"{name}-work"
    with tarfile.open(src) as tar:
        tar.extractall(work, filter="data")
    mutate(work)
    manifest = json.loads((work / "manifest.json").read_text())
    files = {}
    for p in sorted(work.rglob("*")):
        rel = p.relative_to(work).as_posix()
        if p.is_file() and rel != "manifest.json":
            import hashlib

            files[rel] = {
                "bytes": p.stat().st_size,
                "sha256": hashlib.sha256(p.read_bytes()).hexdigest(),
            }
    manifest["files"] = files
    (work / "manifest.json").write_text(json.dumps(manifest))
    out = tmp_path / f"{name}.tar"
    with tarfile.open(out, "w") as tar:
        tar.add(work / "manifest.json", arcname="manifest.json")
        for rel in files:
            tar.add(work / rel, arcname=rel)
    return out


def test_restore_refuses_part_paths_that_leave_the_warehouse(make_warehouse, tmp_path) -> None:
    wh = loaded(make_warehouse, tmp_path)
    planted = tmp_path / "deep" / "a" / "b" / "planted.txt"
    planted.parent.mkdir(parents=True)
    planted.write_text("not yours")

    def traverse(work: Path) -> None:
        con = duckdb.connect(str(work / CATALOG))
        con.execute(
            "UPDATE parts SET path = 'parts/police/../../../deep/a/b/planted.txt' "
            "WHERE path = (SELECT min(path) FROM parts WHERE table_name = 'police')"
        )
        con.close()

    bad = crafted(tmp_path, wh, "traverse", traverse)
    target = tmp_path / "target"
    with pytest.raises(BackupError, match="planted.txt"):
        restore(bad, target)
    assert planted.read_text() == "not yours" and not list(target.glob("*.duckdb"))

    truncated = tmp_path / "truncated.tar"
    truncated.write_bytes(Path(backup(wh, tmp_path / "t.tar").path).read_bytes()[:200_000])
    with pytest.raises(BackupError, match="cannot read|not the size|manifest"):
        restore(truncated, tmp_path / "target2")


def test_an_interrupted_restore_leaves_nothing_behind(make_warehouse, tmp_path) -> None:
    wh = loaded(make_warehouse, tmp_path)
    (wh / ".restore-0badc0de" / "parts" / "police").mkdir(parents=True)
    (wh / ".restore-0badc0de" / "users.json").write_text("{}")
    report = check(wh)
    assert report.ok and [p.where for p in report.problems] == [".restore-0badc0de"]
    repair(wh)
    assert not (wh / ".restore-0badc0de").exists() and check(wh).problems == []
