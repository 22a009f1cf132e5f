"""Security headers on every response, including the demo's.

The Content-Security-Policy allows scripts only from this server plus the exact inline scripts
Dash writes into its page (the renderer's start-up line and any clientside callbacks), by their
SHA-256 (``Dash.csp_hashes``), so an injected ``<script>`` cannot run. Dash serves its bundles
itself (``serve_locally``), plotly's base-map topojson comes from ``assets/``, and nothing is
fetched from elsewhere. Plotly sets element styles from script, so ``style-src`` has to allow
inline styles, and it draws some things through ``blob:`` workers and ``data:`` images.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

import flask

HSTS_SECONDS = 365 * 24 * 3600


def malformed_callback(body: object) -> str | None:
    """Why a callback request's body is not one Dash could have sent, or None. Dash indexes
    these keys without checking, so a forged body would otherwise be a 500."""
    if not isinstance(body, dict):
        return "the request body is not a JSON object"
    if not isinstance(body.get("output"), str):
        return "'output' must be a string"
    if not isinstance(body.get("outputs"), dict | list):
        return "'outputs' must be an object or a list"
    for key in ("inputs", "state", "changedPropIds"):
        if key in body and not isinstance(body[key], list):
            return f"'{key}' must be a list"
    for key in ("inputs", "state"):
        for item in body.get(key) or []:
            items = item if isinstance(item, list) else [item]
            if not all(
                isinstance(i, dict) and "id" in i and isinstance(i.get("property"), str)
                for i in items
            ):
                return f"every item of '{key}' needs an 'id' and a 'property'"
    return None


def install_request_checks(app) -> None:
    """Malformed callback requests get a 400 that says what is wrong, never a 500: a body Dash
    could not have sent, an output no server callback has (clientside ones included), or
    outputs that do not match their callback. Registered after the sign-in guard, so a
    request without a session is refused before its body is even read."""
    from dash.exceptions import CallbackException

    def bad(problem: str) -> flask.Response:
        return flask.Response(
            json.dumps({"message": f"bad callback request: {problem}"}),
            status=400,
            mimetype="application/json",
        )

    @app.server.before_request
    def well_formed() -> flask.Response | None:
        if flask.request.path != "/_dash-update-component" or flask.request.method != "POST":
            return None
        body = flask.request.get_json(silent=True)
        problem = malformed_callback(body)
        if problem:
            return bad(problem)
        spec = app.callback_map.get(body["output"], {})
        if "callback" not in spec:
            return bad("no server callback has that output")
        for key in ("inputs", "state"):
            if len(body.get(key) or []) != len(spec.get(key) or []):
                return bad(f"that callback takes {len(spec.get(key) or [])} {key}")
        return None

    @app.server.errorhandler(CallbackException)
    def mismatch(exc: CallbackException):
        if type(exc) is not CallbackException:  # a subclass is our own bug: stay a 500
            raise exc
        return bad(str(exc))

    @app.server.errorhandler(400)
    def bad_request(exc) -> flask.Response:
        return flask.Response(
            f"Bad request: {getattr(exc, 'description', exc)}", status=400, mimetype="text/plain"
        )


def content_security_policy(script_hashes: Sequence[str]) -> str:
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *script_hashes],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{k} {' '.join(v)}" for k, v in directives.items())


def install_headers(
    server: flask.Flask, script_hashes: Callable[[], Sequence[str]], secure: bool
) -> None:
    """Add the headers to every response the server sends (pages, callbacks, files, errors).

    ``script_hashes`` is asked per response (a few SHA-256s of short strings): Dash adds
    inline scripts of its own when it sets itself up at the first request (``use_pages``
    registers a clientside callback for the page title then), after the app is built."""

    @server.after_request
    def headers(response: flask.Response) -> flask.Response:
        h = response.headers
        h.setdefault("Content-Security-Policy", content_security_policy(script_hashes()))
        h.setdefault("X-Frame-Options", "DENY")  # frame-ancestors for older browsers
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("Referrer-Policy", "same-origin")
        h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        h.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if secure:
            h.setdefault("Strict-Transport-Security", f"max-age={HSTS_SECONDS}")
        if flask.request.path.startswith(("/_dash-update-component", "/login", "/admin")):
            h.setdefault("Cache-Control", "no-store")  # data and sign-in pages stay off disk
        return response
