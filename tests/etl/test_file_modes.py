"""Private by default: after demo, load, backup and restore, nothing in a warehouse (or a
backup, or a key) is open to other local users; shared keys are refused with the fix."""

from __future__ import annotations

import os
import shutil
import stat
import tarfile
from pathlib import Path

import pytest
from helpers import feed_rows, write_feed

from etl.backup import backup, restore
from etl.pseudonymise import load_key
from svcore import audit
from svcore.files import SharedKeyError
from svcore.users import add_user


def loose(root: Path) -> list[str]:
    """Every folder not 0700 and file not 0600 under ``root`` (with its mode)."""
    found = []
    for dirpath, _, files in os.walk(root):
        d = Path(dirpath)
        if stat.S_IMODE(d.stat().st_mode) != 0o700:
            found.append(f"{d} {stat.S_IMODE(d.stat().st_mode):o}")
        for name in files:
            mode = stat.S_IMODE((d / name).stat().st_mode)
            if mode != 0o600:
                found.append(f"{d / name} {mode:o}")
    return found


@pytest.fixture
def umask_022():
    """The usual umask, so a file left at the default would show as 0644."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_the_demo_warehouse_is_private(demo_warehouse: Path) -> None:
    assert loose(demo_warehouse) == []


def test_load_backup_and_restore_leave_nothing_readable(
    warehouse: Path, load, tmp_path: Path, umask_022
) -> None:
    # An older warehouse: folders and files as a 022 umask made them.
    for p in [warehouse, *warehouse.rglob("*")]:
        os.chmod(p, 0o755 if p.is_dir() else 0o644)
    csv = write_feed(tmp_path / "police.csv", "police", feed_rows("police", 20))
    (report,) = load(warehouse, "police", csv)
    assert report.status == "loaded"
    add_user(warehouse, "ann", "analyst", "a long test password")
    assert loose(warehouse) == []
    summary = backup(warehouse, tmp_path / "backups")
    tar_path = Path(summary.path)
    assert stat.S_IMODE(tar_path.stat().st_mode) == 0o600
    with tarfile.open(tar_path) as tar:
        assert {m.mode for m in tar.getmembers()} == {0o600}
    restored = tmp_path / "restored"
    restore(tar_path, restored)
    assert loose(restored) == []
    assert audit.verify(restored).ok
    shutil.rmtree(restored / "parts")
    restore(tar_path, restored)  # over an existing warehouse too
    assert loose(restored) == []


def test_a_new_key_is_private_and_a_shared_one_is_refused(tmp_path: Path, umask_022) -> None:
    path = tmp_path / "keys" / "pseudonymisation.key"
    key = load_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert load_key(path).fingerprint == key.fingerprint  # never replaced
    assert [p.name for p in path.parent.iterdir()] == ["pseudonymisation.key"]  # no temp left
    os.chmod(path, 0o640)
    with pytest.raises(SharedKeyError, match=r"chmod 600 .*pseudonymisation.key"):
        load_key(path)


def test_a_shared_session_key_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, umask_022
) -> None:
    from dashboard.auth import SECRET_ENV, secret_key

    monkeypatch.delenv(SECRET_ENV, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    first = secret_key()
    path = tmp_path / "svdash" / "session.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and secret_key() == first
    os.chmod(path, 0o644)
    with pytest.raises(SharedKeyError, match="chmod 600"):
        secret_key()


def test_the_cli_says_how_to_fix_a_shared_key(
    warehouse: Path, tmp_path: Path, key_file: Path, umask_022
) -> None:
    import subprocess
    import sys

    shared = tmp_path / "shared.key"
    shutil.copyfile(key_file if key_file.exists() else load_key(key_file).path, shared)
    os.chmod(shared, 0o644)
    csv = write_feed(tmp_path / "police.csv", "police", feed_rows("police", 3))
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "svdash.cli",
            "load",
            "police",
            str(csv),
            "--warehouse",
            str(warehouse),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "SVDASH_KEY_FILE": str(shared)},
    )
    assert r.returncode == 2 and "chmod 600" in r.stderr and "Traceback" not in r.stderr
