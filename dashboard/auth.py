"""Sign-in, sessions, roles and the rules of who may see what, on the Flask server under Dash.

Flask-Login keeps the session; passwords are checked by ``svcore.users`` (Argon2id). Outside
demo mode every request needs a session: pages redirect to ``/login`` and callback requests get
401, so no data leaves without a signed-in user. Roles narrow what the query layer returns
(``Filters.scope``) and which pages answer; hiding a control is never the only guard.

A session is only as good as the server says on each request, not as its cookie says: the
cookie carries the user's session epoch (``svcore.users``), when it was opened and last used,
and a hash of the browser's User-Agent. Sign-out, ``svdash users signout``/``reset``/``role``
and removal move the epoch on, so a captured cookie dies with them; a session also ends after
``[sessions] idle_minutes`` without a request and ``lifetime_hours`` after sign-in.

Session cookies are HttpOnly and SameSite=Strict, and Secure when served over HTTPS. The sign-in
and sign-out forms carry a CSRF token (Flask-WTF). Failed sign-ins are limited per address and
per (name, address) with a lock that doubles as failures go on; a success clears only its own
(name, address) count, and no count is kept per name alone, so guessing at a name from
elsewhere never locks its owner out.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import os
import secrets
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import flask
from cachelib import BaseCache, SimpleCache
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf

from svcore import audit
from svcore.config import Settings
from svcore.files import refuse_if_shared
from svcore.users import User, UserError, authenticate, load_users, sign_out_everywhere

SECRET_ENV = "SVDASH_SECRET_KEY"
SECURE_ENV = "SVDASH_SECURE_COOKIES"
MAX_FAILURES = 5  # per (user name, address)
MAX_FAILURES_PER_ADDRESS = 20  # an office behind one address holds several people
LOCK_SECONDS = 15 * 60  # the first lock; each further round of failures doubles it
MAX_LOCK_SECONDS = 24 * 3600  # failures are remembered this long, and no lock is longer
SEEN_EVERY = 60  # seconds between refreshes of a session's "last used" time
# Pages each role may open (paths as registered); admin and analyst see everything.
RESTRICTED_PAGES = {
    "/quality": ("admin", "analyst"),
    "/admin/audit": ("admin",),
    "/admin/audit.csv": ("admin",),
}
OPEN_PATHS = ("/login", "/assets/", "/_favicon.ico", "/_dash-component-suites/")
DATA_PATHS = ("/_dash-update-component", "/geojson/")


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


class SignInThrottle:
    """Failed sign-ins per address and per (name, address), kept in the cache backend: with a
    shared one (``SVDASH_CACHE=filesystem:`` or ``redis://``) every worker counts the same
    failures, so more workers do not mean more guesses. Two workers failing at the same
    instant may count once between them; the limit stays within a guess or two.

    A key with ``limit`` failures (within a day) is locked for ``LOCK_SECONDS`` after its last
    failure; each further ``limit`` failures double the lock, up to a day. A success clears only
    its own (name, address) pair: the address's count stands, so an attacker who holds one
    account cannot sign in with it to reset their guesses at others. Nothing is counted per
    name alone, so an attack on a name from elsewhere does not lock its owner out."""

    def __init__(
        self,
        store: BaseCache | None = None,
        limit: int = MAX_FAILURES,
        address_limit: int = MAX_FAILURES_PER_ADDRESS,
        lock_seconds: float = LOCK_SECONDS,
    ) -> None:
        self.limit, self.address_limit, self.lock_seconds = limit, address_limit, lock_seconds
        self.store: BaseCache = store if store is not None else SimpleCache(threshold=10_000)
        self._lock = threading.Lock()

    @staticmethod
    def _keys(name: str, address: str) -> tuple[str, str]:
        """The address's count, then the (name, address) pair's."""
        return f"ip:{address}", f"pair:{name.lower()}|{address}"

    @staticmethod
    def _name(key: str) -> str:
        return "svdash-signin:" + hashlib.sha256(key.encode()).hexdigest()[:40]

    def _recent(self, key: str, now: float) -> list[float]:
        return [t for t in self.store.get(self._name(key)) or [] if now - t <= MAX_LOCK_SECONDS]

    def _limit(self, key: str) -> int:
        return self.address_limit if key.startswith("ip:") else self.limit

    def retry_after(self, name: str, address: str) -> int:
        """Seconds until this name may be tried from this address again (0: now)."""
        now, wait = time.time(), 0.0
        for key in self._keys(name, address):
            times, limit = self._recent(key, now), self._limit(key)
            if len(times) >= limit:
                lock = min(self.lock_seconds * 2 ** (len(times) // limit - 1), MAX_LOCK_SECONDS)
                wait = max(wait, max(times) + lock - now)
        return int(wait + 0.999) if wait > 0 else 0

    def fail(self, name: str, address: str) -> None:
        now = time.time()
        with self._lock:
            for key in self._keys(name, address):
                self.store.set(
                    self._name(key),
                    [*self._recent(key, now)[-500:], now],
                    timeout=MAX_LOCK_SECONDS + 1,
                )

    def succeeded(self, name: str, address: str) -> None:
        self.store.delete(self._name(self._keys(name, address)[1]))


def secret_key() -> str:
    """From ``SVDASH_SECRET_KEY``, else a random key kept (0600) in the user's config folder,
    so sessions survive a restart and every worker of one deployment shares it. A key file
    other users can read is refused: anyone holding it can forge any session."""
    if os.environ.get(SECRET_ENV):
        return os.environ[SECRET_ENV]
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "svdash"
    path = base / "session.key"
    if not path.exists():
        # Several workers may start at once: each writes a whole key to its own file and tries
        # to link it into place; one wins and everyone reads the winner's key.
        base.mkdir(mode=0o700, parents=True, exist_ok=True)
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
    refuse_if_shared(path, "session key")
    return path.read_text().strip()


def current_viewer(demo: bool) -> Viewer | None:
    """The viewer of the current request (None outside a request or when signed out)."""
    if demo:
        return DEMO_VIEWER
    if not flask.has_request_context() or not current_user.is_authenticated:
        return None
    u = current_user.user
    return Viewer(u.name, u.role, u.districts)


def client_address() -> str:
    return flask.request.remote_addr or "unknown"


def _login_page(message: str = "", next_path: str = "/", status: int = 200) -> flask.Response:
    body = f"""<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8"><title>Sign in · Serious violence dashboard</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/assets/style.css"></head>
<body><header class="header"><div class="service-name">Serious violence partnership dashboard</div></header>
<main class="main" id="main"><h1>Sign in</h1>
{f'<p class="filter-message" role="alert">{html.escape(message)}</p>' if message else ""}
<form method="post" action="/login" class="login-form">
<input type="hidden" name="csrf_token" value="{html.escape(generate_csrf(), quote=True)}">
<input type="hidden" name="next" value="{html.escape(next_path, quote=True)}">
<div class="field"><label class="field-label" for="username">User name</label>
<input id="username" name="username" autocomplete="username" required></div>
<div class="field"><label class="field-label" for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required></div>
<button type="submit" class="button-secondary">Sign in</button></form></main></body></html>"""
    return flask.Response(body, status=status, mimetype="text/html")


def safe_next(value: str | None) -> str:
    """A path on this site to go to after sign-in, or ``/``: never an open redirect.

    Judged on what a browser will make of it, not on the raw text: browsers drop tabs and
    newlines from URLs and read ``\\`` as ``/``, so ``/\\t/evil.example`` or ``/\\evil.example``
    would leave the site. Anything but printable ASCII (the guard sends paths percent-encoded,
    so nothing else is needed), a backslash, a scheme or a host is refused, in the text as
    sent and once percent-decoded (``%2F%2F``, ``%09``)."""
    if not isinstance(value, str) or not value or len(value) > 2048:
        return "/"
    for text in (value, urllib.parse.unquote(value)):
        if any(not 0x21 <= ord(c) <= 0x7E for c in text) or "\\" in text:
            return "/"
        if not text.startswith("/") or text.startswith("//"):
            return "/"
        parts = urllib.parse.urlsplit(text)
        if parts.scheme or parts.netloc:
            return "/"
    return value


def _ua_hash() -> str:
    ua = flask.request.headers.get("User-Agent", "")
    return hashlib.sha256(ua.encode("utf-8", "replace")).hexdigest()[:32]


def _session_current(user: User, settings: Settings) -> bool:
    """Whether this request's session still holds: same epoch (not signed out, reset or
    re-roled since), same browser, not idle too long, not older than its lifetime."""
    s, now = flask.session, time.time()
    try:
        epoch, opened, seen = int(s["ep"]), float(s["t0"]), float(s["seen"])
    except (KeyError, TypeError, ValueError):
        return False
    return (
        epoch == user.epoch
        and secrets.compare_digest(str(s.get("ua", "")), _ua_hash())
        and now - seen <= settings.session_idle_minutes * 60
        and now - opened <= settings.session_hours * 3600
    )


def _callback_filters(body: object) -> str:
    """The filter store's query string as the browser sent it (for refusals, where no
    parsed filters exist)."""
    if isinstance(body, dict) and isinstance(body.get("inputs"), list):
        for item in body["inputs"]:
            if isinstance(item, dict) and (item.get("id"), item.get("property")) == (
                "filters",
                "data",
            ):
                value = item.get("value")
                return value if isinstance(value, str) else repr(value)[:200]
    return ""


def install(
    server: flask.Flask,
    warehouse: Path,
    demo: bool,
    secure: bool | None = None,
    store: BaseCache | None = None,
    settings: Callable[[], Settings] | None = None,
) -> None:
    """Wire sign-in, cookies, CSRF, the request guard and the data-response audit onto the
    Flask server. ``settings`` gives the warehouse's settings as they are now (session limits
    and disclosure tiers are read per request, so an edit takes effect without a restart)."""
    from svcore.config import read_settings

    settings_of = settings or (lambda: read_settings(warehouse))
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
        PERMANENT_SESSION_LIFETIME=int(settings_of().session_hours * 3600),
        # A cookie is sent only when the session changes (sign-in, the minute's "last used"):
        # not by every callback, where parallel responses would overwrite each other's.
        SESSION_REFRESH_EACH_REQUEST=False,
        # CSRF is checked where a form posts (sign-in, sign-out), not on Dash's JSON callbacks:
        # those need the SameSite=Strict session cookie, which no other site's page can send.
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=3600,
    )
    csrf = CSRFProtect(server)
    log = audit.buffer(warehouse)

    @server.errorhandler(CSRFError)
    def csrf_failed(exc: CSRFError) -> flask.Response:
        log.add(
            "denied",
            detail=f"{flask.request.path}: {exc.description}",
            outcome="refused",
            origin=client_address(),
        )
        if flask.request.path == "/login":
            return _login_page(
                "The sign-in form had expired or did not come from this site. "
                "Please sign in again.",
                status=400,
            )
        return flask.Response(f"Refused: {exc.description}", status=400, mimetype="text/plain")

    @server.after_request
    def audit_data(response: flask.Response) -> flask.Response:
        """Every response that carries data (a callback's figures and tables, a map file)
        is recorded: who, which chart, with which filters, under which tier, and how it
        ended. 204s (nothing sent) are skipped unless the answer was a refusal."""
        path = flask.request.path
        if not path.startswith(DATA_PATHS):
            return response
        viewer = current_viewer(demo)
        if viewer is None:
            return response  # refused by the guard, counted there
        info = flask.g.get("svdash_audit") or {}
        status = response.status_code
        if status == 204 and not info.get("refused"):
            return response
        outcome = (
            "refused"
            if info.get("refused") or 400 <= status < 500
            else "error"
            if status >= 500
            else "ok"
        )
        if path.startswith("/geojson/"):
            what, page = f"map file {path.removeprefix('/geojson/')}", ""
        else:
            body = flask.request.get_json(silent=True)
            what = str(body.get("output", ""))[:300] if isinstance(body, dict) else ""
            page = info.get("page") or urllib.parse.urlsplit(flask.request.referrer or "").path
        detail = f"{page} {what}".strip() + (f": {info['refused']}" if info.get("refused") else "")
        filters = info.get("filters")
        if filters is None:
            filters = _callback_filters(flask.request.get_json(silent=True))
        try:
            tier = audit.tier(settings_of(), viewer.role)
        except Exception:  # noqa: BLE001 - a record must not fail because a tier cannot be named
            tier = None
        log.add(
            "view",
            user=viewer.name,
            role=viewer.role,
            detail=detail,
            filters=filters,
            outcome=outcome,
            origin=client_address(),
            tier=tier,
        )
        return response

    if demo:
        return
    manager = LoginManager()
    manager.init_app(server)
    manager.session_protection = None  # our own check, per request, in load() below
    throttle = SignInThrottle(store)

    @manager.user_loader
    def load(name: str) -> _SessionUser | None:
        user = load_users(warehouse).get(name)  # a removed user is signed out at once
        if user is None or not _session_current(user, settings_of()):
            flask.session.clear()
            return None
        return _SessionUser(user)

    @server.route("/login", methods=["GET", "POST"])
    def login() -> flask.Response:
        if flask.request.method == "GET":
            return _login_page(next_path=safe_next(flask.request.args.get("next")))
        csrf.protect()
        name = (flask.request.form.get("username") or "")[:64]
        password = (flask.request.form.get("password") or "")[:1024]
        next_path = safe_next(flask.request.form.get("next"))
        address = client_address()
        account = name if name in load_users(warehouse) else None
        wait = throttle.retry_after(name, address)
        if wait:
            log.failed_sign_in(address, name, account, blocked=True)
            minutes = max(1, (wait + 59) // 60)
            page = _login_page(
                f"Too many failed attempts. Wait {minutes} minute"
                f"{'s' if minutes > 1 else ''} and try again.",
                next_path,
                429,
            )
            page.headers["Retry-After"] = str(wait)
            return page
        user = authenticate(warehouse, name, password)
        if user is None:
            throttle.fail(name, address)
            log.failed_sign_in(address, name, account)
            return _login_page("User name or password not recognised.", next_path, status=401)
        throttle.succeeded(name, address)
        flask.session.clear()
        flask.session.permanent = True
        login_user(_SessionUser(user))
        now = time.time()
        flask.session.update(ep=user.epoch, t0=now, seen=now, ua=_ua_hash())
        # The sign-out form's token, in the session from the start: made later, by the page
        # layout, it could be lost to a callback's response racing it with the older cookie.
        generate_csrf()
        log.add(
            "login",
            now=True,
            user=user.name,
            role=user.role,
            detail=f"from {address}",
            origin=address,
        )
        return flask.redirect(next_path)

    @server.route("/logout", methods=["GET"])
    def logout_get() -> flask.Response:
        """Said plainly, rather than falling through to Dash's page for unknown paths."""
        return flask.Response(
            "Sign out with the Sign out button (a POST).",
            status=405,
            headers={"Allow": "POST"},
            mimetype="text/plain",
        )

    @server.route("/logout", methods=["POST"])
    def logout() -> flask.Response:
        """Sign-out ends the user's sessions everywhere (their epoch moves on), so a cookie
        copied before it is worthless after it. POST with the form's CSRF token only: a link
        or an image on another site cannot sign anyone out."""
        csrf.protect()
        if current_user.is_authenticated:
            u = current_user.user
            with contextlib.suppress(UserError):  # removed meanwhile: nothing left to end
                sign_out_everywhere(warehouse, u.name)
            log.add("logout", now=True, user=u.name, role=u.role, origin=client_address())
        logout_user()
        flask.session.clear()
        return flask.redirect("/login")

    @server.route("/admin/audit")
    def audit_page() -> flask.Response:
        """The audit log for administrators (the guard below refuses everyone else)."""
        log.flush(final=True)  # this worker's queued records, so the page is up to date
        entries = list(audit.entries(warehouse))[-500:][::-1]
        verdict = audit.verify(warehouse)
        shown = audit.FIELDS[:-1]
        rows = "".join(
            "<tr>"
            + "".join(f"<td>{html.escape(str(e.get(k, '') or ''))}</td>" for k in shown)
            + "</tr>"
            for e in entries
        )
        head = "".join(f'<th scope="col">{html.escape(k)}</th>' for k in shown)
        body = f"""<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8">
<title>Audit log · Serious violence dashboard</title><link rel="stylesheet" href="/assets/style.css">
</head><body><header class="header"><div class="service-name">Audit log</div>
<nav class="nav" aria-label="Pages"><ul><li><a class="nav-link" href="/">Dashboard</a></li>
<li><a class="nav-link" href="/admin/audit.csv">Download CSV</a></li></ul></nav></header>
<main class="main" id="main"><h1>Audit log</h1><p class="lead">{html.escape(verdict.message)}.
The latest 500 records, newest first.</p><div class="table-wrap" tabindex="0" role="region"
aria-label="Audit log"><table class="table"><caption>Sign-ins, views, loads and exports</caption>
<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div></main></body></html>"""
        return flask.Response(body, mimetype="text/html")

    @server.route("/admin/audit.csv")
    def audit_csv() -> flask.Response:
        viewer = current_viewer(demo=False)
        log.add(
            "export",
            now=True,
            user=viewer.name if viewer else "",
            role="admin",
            detail="audit log as csv",
            file="audit.csv",
            origin=client_address(),
        )
        return flask.Response(
            audit.to_csv(warehouse),
            mimetype="text/csv",
            headers={"Content-Disposition": "attachment; filename=audit.csv"},
        )

    @server.before_request
    def guard() -> flask.Response | None:
        path = flask.request.path
        if path.startswith(OPEN_PATHS):
            return None
        if not current_user.is_authenticated:
            if path.startswith("/_dash") or path.startswith("/geojson"):
                log.failed_sign_in(client_address(), "", None, blocked=True, kind="request")
                return flask.Response(
                    '{"message": "sign in first"}', status=401, mimetype="application/json"
                )
            # The whole path and query, percent-encoded as one value: the filters survive
            # sign-in, and nothing in them can break out of the parameter.
            here = flask.request.full_path.rstrip("?")
            return flask.redirect("/login?next=" + urllib.parse.quote(here, safe=""))
        if time.time() - float(flask.session.get("seen", 0)) > SEEN_EVERY:
            flask.session["seen"] = time.time()
        viewer = current_viewer(demo=False)
        if viewer is not None and not viewer.may_open(path):
            log.add(
                "denied",
                user=viewer.name,
                role=viewer.role,
                detail=path,
                outcome="refused",
                origin=client_address(),
            )
            return flask.Response("This page is not available to your role.", status=403)
        return None
