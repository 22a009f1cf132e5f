"""Users (Argon2id hashes, roles, districts) and the chained, append-only audit log."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from svcore import audit
from svcore.users import UserError, add_user, authenticate, load_users, remove_user, reset_password

PW = "correct horse battery"


def test_users_are_hashed_scoped_and_checked(tmp_path: Path) -> None:
    add_user(tmp_path, "kim", "duty_holder", PW, ("e08000034",))
    raw = (tmp_path / "users.json").read_text()
    assert PW not in raw and "$argon2id$" in raw
    assert (tmp_path / "users.json").stat().st_mode & 0o777 == 0o600
    assert load_users(tmp_path)["kim"].districts == ("E08000034",)
    assert authenticate(tmp_path, "kim", PW).role == "duty_holder"
    assert authenticate(tmp_path, "kim", "wrong password!") is None
    assert authenticate(tmp_path, "nobody", PW) is None
    with pytest.raises(UserError, match="at least 12"):
        add_user(tmp_path, "short", "analyst", "abc")
    with pytest.raises(UserError, match="duty holder needs"):
        add_user(tmp_path, "dh", "duty_holder", PW)
    with pytest.raises(UserError, match="role"):
        add_user(tmp_path, "x1", "superuser", PW)
    with pytest.raises(UserError, match="already exists"):
        add_user(tmp_path, "kim", "analyst", PW)
    reset_password(tmp_path, "kim", "another long password")
    assert authenticate(tmp_path, "kim", PW) is None
    remove_user(tmp_path, "kim")
    assert load_users(tmp_path) == {}


def test_audit_is_chained_and_tampering_is_found(tmp_path: Path) -> None:
    for i in range(3):
        audit.record(tmp_path, "export", user="ann", filters=f"district=E0800003{i}", file="x.csv")
    assert audit.verify(tmp_path).ok and audit.verify(tmp_path).records == 3
    path = audit.audit_path(tmp_path)
    lines = path.read_text().splitlines()
    edited = json.loads(lines[1]) | {"user": "someone else"}
    lines[1] = json.dumps(edited)
    path.write_text("\n".join(lines) + "\n")
    verdict = audit.verify(tmp_path)
    assert not verdict.ok and "line 3" in verdict.message
    with pytest.raises(ValueError):
        audit.record(tmp_path, "delete_everything")


def test_audit_csv_is_formula_safe(tmp_path: Path) -> None:
    audit.record(tmp_path, "export", user="=cmd|' /C calc'!A0", file="t.csv")
    text = audit.to_csv(tmp_path)
    assert "'=cmd" in text and "\n=cmd" not in text


def test_users_cli_and_audit_cli(tmp_path: Path) -> None:
    def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "svdash.cli", *args, "--warehouse", str(tmp_path)],
            input=stdin,
            capture_output=True,
            text=True,
        )

    r = cli(
        "users",
        "add",
        "lee",
        "--role",
        "duty_holder",
        "--district",
        "E08000035",
        "--password-stdin",
        stdin=PW + "\n",
    )
    assert r.returncode == 0, r.stderr
    listed = json.loads(cli("users", "list", "--json").stdout)
    assert listed == [{"name": "lee", "role": "duty_holder", "districts": ["E08000035"]}]
    assert (
        cli(
            "users", "add", "x", "--role", "analyst", "--password-stdin", stdin="short\n"
        ).returncode
        == 2
    )
    assert cli("users", "remove", "lee").returncode == 0
    assert cli("audit", "verify").returncode == 0
    out = tmp_path / "audit.csv"
    assert cli("audit", "export", "--out", str(out)).returncode == 0
    assert "added lee as duty_holder" in out.read_text()


# --- issue 12: the head catches truncation; buffered records; OS user; locks; epochs ---


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


def test_cutting_the_last_records_is_detected(tmp_path: Path) -> None:
    for i in range(5):
        audit.record(tmp_path, "export", user="ann", file=f"{i}.csv")
    assert audit.verify(tmp_path).ok
    path = audit.audit_path(tmp_path)
    path.write_text("\n".join(_lines(path)[:3]) + "\n")  # the last two records gone
    verdict = audit.verify(tmp_path)
    assert not verdict.ok and "last 2 were removed" in verdict.message
    # Writing on cannot hide it: the next write keeps the alarm in the head.
    audit.record(tmp_path, "export", user="ann", file="later.csv")
    verdict = audit.verify(tmp_path)
    assert not verdict.ok and "removed" in verdict.message


def test_replacing_the_last_record_or_the_head_is_detected(tmp_path: Path) -> None:
    for i in range(3):
        audit.record(tmp_path, "export", user="ann", file=f"{i}.csv")
    path = audit.audit_path(tmp_path)
    lines = _lines(path)
    lines[-1] = json.dumps(json.loads(lines[-1]) | {"user": "someone else"})
    path.write_text("\n".join(lines) + "\n")
    assert not audit.verify(tmp_path).ok
    fresh = tmp_path / "fresh"
    audit.record(fresh, "export", user="ann")
    audit.head_path(fresh).unlink()
    verdict = audit.verify(fresh)
    assert not verdict.ok and "head" in verdict.message


def test_a_log_from_before_heads_still_verifies(tmp_path: Path) -> None:
    """An older version's log (no head, no host field) is not called damaged."""
    path = audit.audit_path(tmp_path)
    path.parent.mkdir(parents=True)
    prev, lines = audit.GENESIS, []
    for i in range(1, 3):
        line = json.dumps(
            {
                "seq": i,
                "at": "2026-01-01T00:00:00+00:00",
                "user": "ann",
                "role": "",
                "action": "export",
                "detail": "",
                "filters": "",
                "file": "",
                "outcome": "ok",
                "prev": prev,
            }
        )
        lines.append(line)
        prev = audit._digest(line)
    path.write_text("\n".join(lines) + "\n")
    assert audit.verify(tmp_path).ok
    audit.record(tmp_path, "export", user="ann")  # the first new record starts the head
    assert audit.verify(tmp_path).ok and audit.verify(tmp_path).records == 3


def test_buffered_records_are_written_in_batches_and_chained(tmp_path: Path) -> None:
    buf = audit.Buffer(tmp_path, max_records=4, max_seconds=3600)
    for i in range(3):
        buf.add("view", user="ann", role="analyst", detail=f"chart {i}", origin="10.0.0.1")
    assert not audit.audit_path(tmp_path).exists()  # queued, not yet written
    buf.add("view", user="ann", role="analyst", detail="chart 3", origin="10.0.0.1")
    assert len(list(audit.entries(tmp_path))) == 4  # the fourth filled the batch
    buf.add("login", now=True, user="ann", origin="10.0.0.1")
    for name in ("x1", "x2", "ann"):
        buf.failed_sign_in("10.0.0.9", name, "ann" if name == "ann" else None)
    buf.flush(final=True)
    log = list(audit.entries(tmp_path))
    assert [e["seq"] for e in log] == [1, 2, 3, 4, 5, 6]
    summary = log[-1]
    assert summary["action"] == "login_failed" and summary["host"] == "10.0.0.9"
    assert "3 failed sign-ins" in summary["detail"] and "accounts: ann" in summary["detail"]
    assert "x1" not in summary["detail"]
    assert log[0]["host"] == "10.0.0.1" and log[0]["user"] == "ann"
    assert audit.verify(tmp_path).ok


def test_cli_records_name_the_os_user_and_host_without_user_env(tmp_path: Path) -> None:
    import os
    import pwd
    import socket

    env = {k: v for k, v in os.environ.items() if k not in ("USER", "LOGNAME")}
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "svdash.cli",
            "users",
            "add",
            "lee",
            "--role",
            "analyst",
            "--password-stdin",
            "--warehouse",
            str(tmp_path),
        ],
        input=PW + "\n",
        capture_output=True,
        text=True,
        env=env,
    )
    assert r.returncode == 0, r.stderr
    (entry,) = audit.entries(tmp_path)
    assert entry["user"] == pwd.getpwuid(os.geteuid()).pw_name
    assert entry["host"] == socket.gethostname()


def test_audit_verify_cli_fails_on_truncation(tmp_path: Path) -> None:
    for _ in range(3):
        audit.record(tmp_path, "export", user="ann")
    path = audit.audit_path(tmp_path)
    path.write_text("\n".join(_lines(path)[:2]) + "\n")
    r = subprocess.run(
        [sys.executable, "-m", "svdash.cli", "audit", "verify", "--warehouse", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 1 and "removed" in r.stderr


def test_changes_to_users_land_under_the_lock(tmp_path: Path) -> None:
    """Threads adding users at once (each a read-modify-write) lose none of them."""
    import threading

    import svcore.users as users

    fast = users.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    original, users._hasher = users._hasher, fast
    try:
        threads = [
            threading.Thread(target=add_user, args=(tmp_path, f"u{i:02d}", "analyst", PW))
            for i in range(12)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        users._hasher = original
    assert len(load_users(tmp_path)) == 12
    assert (tmp_path / "users.json").stat().st_mode & 0o777 == 0o600
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".users.json.")]


def test_epochs_move_on_with_every_change_that_ends_sessions(tmp_path: Path) -> None:
    from svcore.users import set_role, sign_out_everywhere

    add_user(tmp_path, "kim", "analyst", PW)
    epochs = [load_users(tmp_path)["kim"].epoch]
    reset_password(tmp_path, "kim", "another long password")
    epochs.append(load_users(tmp_path)["kim"].epoch)
    set_role(tmp_path, "kim", "duty_holder", ("e08000034",))
    epochs.append(load_users(tmp_path)["kim"].epoch)
    sign_out_everywhere(tmp_path, "kim")
    epochs.append(load_users(tmp_path)["kim"].epoch)
    assert epochs == sorted(set(epochs)) and len(epochs) == 4
    assert load_users(tmp_path)["kim"].districts == ("E08000034",)
    with pytest.raises(UserError, match="duty holder needs"):
        set_role(tmp_path, "kim", "duty_holder")
