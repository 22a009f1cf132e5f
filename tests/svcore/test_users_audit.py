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
        return subprocess.run([sys.executable, "-m", "svdash.cli", *args, "--warehouse", str(tmp_path)],
                              input=stdin, capture_output=True, text=True)

    r = cli("users", "add", "lee", "--role", "duty_holder", "--district", "E08000035",
            "--password-stdin", stdin=PW + "\n")
    assert r.returncode == 0, r.stderr
    listed = json.loads(cli("users", "list", "--json").stdout)
    assert listed == [{"name": "lee", "role": "duty_holder", "districts": ["E08000035"]}]
    assert cli("users", "add", "x", "--role", "analyst", "--password-stdin", stdin="short\n").returncode == 2
    assert cli("users", "remove", "lee").returncode == 0
    assert cli("audit", "verify").returncode == 0
    out = tmp_path / "audit.csv"
    assert cli("audit", "export", "--out", str(out)).returncode == 0
    assert "added lee as duty_holder" in out.read_text()
