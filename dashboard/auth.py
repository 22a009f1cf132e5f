"""Sign-in, roles and the rules of who may see what, on the Flask server under the Dash app.

Flask-Login keeps the session; passwords are checked by ``svcore.users`` (Argon2id). Outside
demo mode every request needs a session: pages redirect to ``/login`` and callback requests get
401, so no data leaves without a signed-in user. Roles narrow what the query layer returns
(``Filters.scope``) and which pages answer; hiding a control is never the only guard.

Session cookies are HttpOnly and SameSite=Strict, and Secure when served over HTTPS. Failed
sign-ins are rate-limited per address and per user name.
"""

from __future__ import annotations

import hashlib
import html
import os
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import flask
from cachelib import BaseCache, SimpleCache
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from svcore import audit
from svcore.users import User, authenticate, load_users

SECRET_ENV = "SVDASH_SECRET_KEY"
SECURE_ENV = "SVDASH_SECURE_COOKIES"
MAX_FAILURES = 5  # per user name
MAX_FAILURES_PER_ADDRESS = 20  # an office behind one address holds several people
WINDOW_SECONDS = 15 * 60
SESSION_HOURS = 8
# Pages each role may open (paths as registered); admin and analyst see everything.
RESTRICTED_PAGES = {
    "/quality": ("admin", "analyst"),
    "/admin/audit": ("admin",),
    "/admin/audit.csv": ("admin",),
}
OPEN_PATHS = ("/login", "/assets/", "/_favicon.ico", "/_dash-component-suites/")


@dataclass(frozen=True)
class Viewer:
    """Who is asking: a signed-in user, or the open demo."""

    name: str
    role: str
    districts: tuple[str, ...] = ()

    @property
    def scope(self) -> tuple[str, ...] | None:
        """Districts this viewer may see in detail; None means every district."""
        return self.districts if self.role == "duty_holder" else None

    def may_open(self, path: str) -> bool:
        allowed = RESTRICTED_PAGES.get(path.rstrip("/") or "/")
        return allowed is None or self.role in allowed


DEMO_VIEWER = Viewer("demo", "analyst")


class _SessionUser(UserMixin):
    def __init__(self, user: User) -> None:
        self.user = user

    def get_id(self) -> str:
        return self.user.name


class FailedSignIns:
    """Failures per key (user name, address) in a sliding window, kept in the cache backend:
    with a shared one (``SVDASH_CACHE=filesystem:`` or ``redis://``) every worker counts the
    same failures, so more workers do not mean more guesses. Two workers failing at the same
    instant may count once between them; the limit stays within a guess or two."""

    def __init__(self, store: BaseCache | None = None, limit: int = MAX_FAILURES,
                 window: float = WINDOW_SECONDS,
                 address_limit: int = MAX_FAILURES_PER_ADDRESS) -> None:
        self.limit, self.window, self.address_limit = limit, window, address_limit
        self.store: BaseCache = store if store is not None else SimpleCache(threshold=10_000)
        self._lock = threading.Lock()

    @staticmethod
    def _name(key: str) -> str:
        return "svdash-signin:" + hashlib.sha256(key.encode()).hexdigest()[:40]

    def _recent(self, key: str, now: float) -> list[float]:
        return [t for t in self.store.get(self._name(key)) or [] if now - t <= self.window]

    def blocked(self, *keys: str) -> bool:
        now = time.time()
        return any(
            len(self._recent(k, now)) >= (self.address_limit if k.startswith("ip:") else self.limit)
            for k in keys
        )

    def fail(self, *keys: str) -> None:
        now = time.time()
        with self._lock:
            for k in keys:
                self.store.set(self._name(k), [*self._recent(k, now), now],
                               timeout=int(self.window) + 1)

    def clear(self, *keys: str) -> None:
        for k in keys:
            self.store.delete(self._name(k))


def secret_key() -> str:
    """From ``SVDASH_SECRET_KEY``, else a random key kept (0600) in the user's config folder,
    so sessions survive a restart and every worker of one deployment shares it."""
    if os.environ.get(SECRET_ENV):
        return os.environ[SECRET_ENV]
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "svdash"
    path = base / "session.key"
    if not path.exists():
        # Several workers may start at once: each writes a whole key to its own file and tries
        # to link it into place; one wins and everyone reads the winner's key.
        base.mkdir(parents=True, exist_ok=True)
        tmp = base / f".session.key.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()


def current_viewer(demo: bool) -> Viewer | None:
    """The viewer of the current request (None outside a request or when signed out)."""
    if demo:
        return DEMO_VIEWER
    if not flask.has_request_context() or not current_user.is_authenticated:
        return None
    u = current_user.user
    return Viewer(u.name, u.role, u.districts)


def _login_page(message: str = "", next_path: str = "/", status: int = 200) -> flask.Response:
    body = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in · Serious violence dashboard</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/assets/style.css"></head>
<body><header class="header"><div class="service-name">Serious violence partnership dashboard</div></header>
<main class="main" id="main"><h1>Sign in</h1>
{f'<p class="filter-message" role="alert">{html.escape(message)}</p>' if message else ''}
<form method="post" action="/login" class="login-form">
<input type="hidden" name="next" value="{html.escape(next_path, quote=True)}">
<div class="field"><label class="field-label" for="username">User name</label>
<input id="username" name="username" autocomplete="username" required></div>
<div class="field"><label class="field-label" for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required></div>
<button type="submit" class="button-secondary">Sign in</button></form></main></body></html>"""
    return flask.Response(body, status=status, mimetype="text/html")


def _safe_next(value: str | None) -> str:
    """Only paths on this site: never an open redirect."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


def install(server: flask.Flask, warehouse: Path, demo: bool, secure: bool | None = None,
            store: BaseCache | None = None) -> None:
    """Wire sign-in, cookies and the request guard onto the Flask server."""
    if secure is None:
        secure = os.environ.get(SECURE_ENV, "") not in ("", "0", "false")
    server.config.update(
        SECRET_KEY=secret_key(),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=secure,
        SESSION_COOKIE_NAME="svdash_session",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Strict",
        REMEMBER_COOKIE_SECURE=secure,
        PERMANENT_SESSION_LIFETIME=SESSION_HOURS * 3600,
    )
    if demo:
        return
    manager = LoginManager()
    manager.init_app(server)
    manager.session_protection = "strong"
    failures = FailedSignIns(store)

    @manager.user_loader
    def load(name: str) -> _SessionUser | None:
        user = load_users(warehouse).get(name)  # a removed user is signed out at once
        return _SessionUser(user) if user else None

    @server.route("/login", methods=["GET", "POST"])
    def login() -> flask.Response:
        if flask.request.method == "GET":
            return _login_page(next_path=_safe_next(flask.request.args.get("next")))
        name = (flask.request.form.get("username") or "")[:64]
        password = (flask.request.form.get("password") or "")[:1024]
        next_path = _safe_next(flask.request.form.get("next"))
        address = flask.request.remote_addr or "unknown"
        keys = (f"ip:{address}", f"user:{name.lower()}")
        if failures.blocked(*keys):
            audit.record(warehouse, "login_failed", user=name, detail=f"rate limited from {address}",
                         outcome="blocked")
            return _login_page("Too many failed attempts. Wait 15 minutes and try again.",
                               next_path, status=429)
        user = authenticate(warehouse, name, password)
        if user is None:
            failures.fail(*keys)
            audit.record(warehouse, "login_failed", user=name, detail=f"from {address}",
                         outcome="refused")
            return _login_page("User name or password not recognised.", next_path, status=401)
        failures.clear(*keys)
        flask.session.clear()
        flask.session.permanent = True
        login_user(_SessionUser(user))
        audit.record(warehouse, "login", user=user.name, role=user.role, detail=f"from {address}")
        return flask.redirect(next_path)

    @server.route("/logout", methods=["POST", "GET"])
    def logout() -> flask.Response:
        if current_user.is_authenticated:
            audit.record(warehouse, "logout", user=current_user.user.name, role=current_user.user.role)
        logout_user()
        flask.session.clear()
        return flask.redirect("/login")

    @server.route("/admin/audit")
    def audit_page() -> flask.Response:
        """The audit log for administrators (the guard below refuses everyone else)."""
        entries = list(audit.entries(warehouse))[-500:][::-1]
        verdict = audit.verify(warehouse)
        rows = "".join(
            "<tr>" + "".join(f"<td>{html.escape(str(e.get(k, '')))}</td>" for k in audit.FIELDS[:-1])
            + "</tr>"
            for e in entries
        )
        head = "".join(f'<th scope="col">{html.escape(k)}</th>' for k in audit.FIELDS[:-1])
        body = f"""<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8">
<title>Audit log · Serious violence dashboard</title><link rel="stylesheet" href="/assets/style.css">
</head><body><header class="header"><div class="service-name">Audit log</div>
<nav class="nav" aria-label="Pages"><ul><li><a class="nav-link" href="/">Dashboard</a></li>
<li><a class="nav-link" href="/admin/audit.csv">Download CSV</a></li></ul></nav></header>
<main class="main" id="main"><h1>Audit log</h1><p class="lead">{html.escape(verdict.message)}.
The latest 500 records, newest first.</p><div class="table-wrap" tabindex="0" role="region"
aria-label="Audit log"><table class="table"><caption>Sign-ins, loads and exports</caption>
<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div></main></body></html>"""
        return flask.Response(body, mimetype="text/html")

    @server.route("/admin/audit.csv")
    def audit_csv() -> flask.Response:
        viewer = current_viewer(demo=False)
        audit.record(warehouse, "export", user=viewer.name if viewer else "", role="admin",
                     detail="audit log as csv", file="audit.csv")
        return flask.Response(audit.to_csv(warehouse), mimetype="text/csv",
                              headers={"Content-Disposition": "attachment; filename=audit.csv"})

    @server.before_request
    def guard() -> flask.Response | None:
        path = flask.request.path
        if path.startswith(OPEN_PATHS):
            return None
        if not current_user.is_authenticated:
            if path.startswith("/_dash") or path.startswith("/geojson"):
                return flask.Response('{"message": "sign in first"}', status=401,
                                      mimetype="application/json")
            return flask.redirect("/login?next=" + flask.request.full_path.rstrip("?"))
        viewer = current_viewer(demo=False)
        if viewer is not None and not viewer.may_open(path):
            audit.record(warehouse, "denied", user=viewer.name, role=viewer.role, detail=path,
                         outcome="refused")
            return flask.Response("This page is not available to your role.", status=403)
        return None
