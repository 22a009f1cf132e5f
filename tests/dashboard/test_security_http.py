"""Attacks over real HTTP on a signed-in deployment: nothing leaks, nothing errors with a trace.

A copy of the demo warehouse is switched out of demo mode and given four users; the real server
runs in a subprocess. Callback requests are crafted by hand, as an attacker would.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from helpers import TEST_PASSWORD as PW
from helpers import callback, dependencies, secured_server

from svcore import audit
from svcore.users import add_user

ADMIN_DESK = "127.0.0.250"  # the admin's own address: never used by an "attacker" below
KIRKLEES, LEEDS = "E08000034", "E08000035"
INJECTIONS = (
    "'; DROP TABLE events; --",
    "E08000035' OR '1'='1",
    "<script>alert(1)</script>",
    "../../../../etc/passwd",
    "\x00\x01",
    "=cmd|' /C calc'!A0",
    "A" * 5000,
    "%27%20OR%201%3D1",
)


@pytest.fixture(scope="module")
def secured(demo_warehouse: Path, tmp_path_factory: pytest.TempPathFactory):
    users = [
        ("ada", "admin", ()),
        ("ann", "analyst", ()),
        ("kim", "duty_holder", (KIRKLEES,)),
        ("vic", "viewer", ()),
    ]
    with secured_server(demo_warehouse, tmp_path_factory.mktemp("secured"), users) as served:
        yield served


def csrf_token(s: requests.Session, url: str) -> str:
    """The sign-in form's CSRF token, as a browser would get it (with its session cookie)."""
    page = s.get(f"{url}/login")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def sign_in(
    s: requests.Session, url: str, name: str, password: str = PW, next_path: str = "/"
) -> requests.Response:
    data = {
        "username": name,
        "password": password,
        "next": next_path,
        "csrf_token": csrf_token(s, url),
    }
    return s.post(f"{url}/login", data=data, allow_redirects=False)


def session_for(url: str, name: str, address: str | None = None) -> requests.Session:
    s = from_address(address) if address else requests.Session()
    r = sign_in(s, url, name)
    assert r.status_code == 302, r.text
    return s


class _FromAddress(requests.adapters.HTTPAdapter):
    """Connect from a given loopback address (127.0.0.0/8 is all ours on Linux), so the
    server sees different clients without a proxy in between."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        return super().init_poolmanager(*args, **kwargs)


def from_address(address: str) -> requests.Session:
    s = requests.Session()
    s.mount("http://", _FromAddress(address))
    return s


def flush_server_audit(url: str) -> None:
    """Opening the audit page writes the server's queued records (one server process here)."""
    assert session_for(url, "ada", ADMIN_DESK).get(f"{url}/admin/audit").status_code == 200


def failed_count(entry: dict) -> int:
    found = re.findall(r"(\d+) (?:failed sign-ins|refused by the sign-in limit)", entry["detail"])
    return sum(int(n) for n in found)


def layout_csrf(s: requests.Session, url: str) -> str:
    """The sign-out form's token, from the page layout the browser renders."""

    def walk(node):
        if isinstance(node, dict):
            props = node.get("props") or {}
            if isinstance(props, dict) and props.get("name") == "csrf_token":
                return props["value"]
            for v in node.values():
                if (found := walk(v)) is not None:
                    return found
        if isinstance(node, list):
            for v in node:
                if (found := walk(v)) is not None:
                    return found
        return None

    token = walk(s.get(f"{url}/_dash-layout").json())
    assert token
    return token


def cookie_of(s: requests.Session) -> str:
    return s.cookies.get("svdash_session")


def with_cookie(cookie: str, address: str | None = None, **headers: str) -> requests.Session:
    s = from_address(address) if address else requests.Session()
    s.cookies.set("svdash_session", cookie)
    s.headers.update(headers)
    return s


def works(s: requests.Session, url: str) -> bool:
    r = s.get(f"{url}/_dash-dependencies", allow_redirects=False)
    assert r.status_code in (200, 401), r.status_code
    return r.status_code == 200


def no_trace(r: requests.Response) -> None:
    assert r.status_code in (200, 204), (r.status_code, r.text[:300])
    assert "Traceback" not in r.text and 'File "' not in r.text


def test_no_session_gets_nothing(secured) -> None:
    _, url = secured
    r = requests.get(f"{url}/where?district={LEEDS}", allow_redirects=False)
    assert r.status_code == 302 and r.headers["Location"].startswith("/login")
    for path in ("/_dash-layout", "/_dash-dependencies", "/geojson/lsoa.json"):
        assert requests.get(url + path).status_code == 401
    r = requests.post(f"{url}/_dash-update-component", json={"output": "x.children", "inputs": []})
    assert r.status_code == 401 and "Traceback" not in r.text


def test_a_forged_cookie_is_refused(secured) -> None:
    from flask import Flask
    from flask.sessions import SecureCookieSessionInterface

    _, url = secured
    fake = Flask("forger")
    fake.secret_key = "not the server's key"
    forged = (
        SecureCookieSessionInterface()
        .get_signing_serializer(fake)
        .dumps({"_user_id": "ada", "_fresh": True})
    )
    for cookie in (forged, "garbage", ""):
        s = requests.Session()
        s.cookies.set("svdash_session", cookie)
        assert s.get(f"{url}/_dash-dependencies").status_code == 401
        assert s.get(f"{url}/", allow_redirects=False).status_code == 302


def test_cookies_are_httponly_and_strict(secured) -> None:
    _, url = secured
    r = sign_in(requests.Session(), url, "ann")
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie


def test_open_redirects_are_refused(secured) -> None:
    _, url = secured
    for target in ("https://evil.example/", "//evil.example", "/\\evil.example"):
        r = sign_in(requests.Session(), url, "ann", next_path=target)
        assert r.headers["Location"] == "/", target


def test_sign_in_attempts_are_rate_limited_and_audited(secured) -> None:
    wh, url = secured
    add_user(wh, "target", "analyst", PW)
    s = from_address("127.0.0.21")
    for _ in range(5):
        assert sign_in(s, url, "target", "wrong password 1").status_code == 401
    r = sign_in(s, url, "target")
    assert r.status_code == 429  # even the right password waits now, from this address
    assert int(r.headers["Retry-After"]) > 0
    flush_server_audit(url)
    summaries = [
        e for e in audit.entries(wh) if e["action"] == "login_failed" and e["host"] == "127.0.0.21"
    ]
    assert summaries and all("accounts: target" in e["detail"] for e in summaries)
    assert sum(failed_count(e) for e in summaries) == 6  # 5 wrong + 1 refused by the limit
    assert audit.verify(wh).ok


def test_a_duty_holder_cannot_reach_another_district(secured) -> None:
    _, url = secured
    s = session_for(url, "kim")
    deps = dependencies(s, url)
    r = callback(s, url, deps, "overview-headline.children", f"district={LEEDS}")
    no_trace(r)
    headline = json.dumps(r.json()["response"]["overview-headline"])
    assert '"0"' in headline  # Leeds is outside kim's scope: nothing selected
    r = callback(s, url, deps, "where-map.figure", f"district={LEEDS}")
    no_trace(r)
    fig = r.json()["response"]["where-map"]["figure"]
    locations = [loc for trace in fig["data"] for loc in trace.get("locations", [])]
    assert not locations or all(
        not loc.startswith(LEEDS[:3]) or loc == KIRKLEES for loc in locations
    )
    r = callback(s, url, deps, "where-map.figure", "")
    locations = [
        loc
        for trace in r.json()["response"]["where-map"]["figure"]["data"]
        for loc in trace.get("locations", [])
    ]
    assert locations == [KIRKLEES]  # the district map shows only kim's district


def test_a_viewer_gets_no_quality_page(secured) -> None:
    _, url = secured
    s = session_for(url, "vic")
    assert s.get(f"{url}/quality").status_code == 403
    r = callback(s, url, dependencies(s, url), "quality-coverage.figure", "")
    assert r.status_code == 204  # the callback refuses to answer for this role


@pytest.mark.parametrize("who", ["ann", "kim"])
def test_injection_strings_in_every_filter(secured, who: str) -> None:
    _, url = secured
    s = session_for(url, who)
    deps = dependencies(s, url)
    keys = ("district", "ward", "from", "to", "group", "source", "definition")
    for text in INJECTIONS:
        query = "&".join(f"{k}={requests.utils.quote(text)}" for k in keys)
        r = callback(s, url, deps, "overview-headline.children", query)
        no_trace(r)
        assert "<script>" not in r.text
        r = s.get(f"{url}/where?{query}")
        assert r.status_code == 200
    for weird in (12, ["district=E08000034"], {"a": 1}, None, "x" * 10000):
        no_trace(callback(s, url, deps, "when-heatmap.figure", weird))


def test_numbers_for_own_district_are_served(secured) -> None:
    _, url = secured
    s = session_for(url, "kim")
    r = callback(s, url, dependencies(s, url), "overview-headline.children", f"district={KIRKLEES}")
    no_trace(r)
    text = json.dumps(r.json()["response"]["overview-headline"])
    assert re.search(r'"\d{1,3}(,\d{3})+"', text)  # a real count, e.g. "5,321"
    assert "Partnership-wide" in text


def test_only_admins_read_the_audit_log(secured) -> None:
    _, url = secured
    for who in ("ann", "kim", "vic"):
        assert session_for(url, who).get(f"{url}/admin/audit").status_code == 403
    admin = session_for(url, "ada")
    page = admin.get(f"{url}/admin/audit")
    assert page.status_code == 200 and "chain intact" in page.text and "login" in page.text
    csv_text = admin.get(f"{url}/admin/audit.csv").text
    assert csv_text.startswith("seq,at,user") and "ada" in csv_text


# --- issue 12: redirects, revocable sessions, throttling, audit, headers, malformed input ---

REDIRECTS = (
    "https://evil.example/",
    "https:evil.example",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "\t//evil.example",
    " //evil.example",
    "%2F%2Fevil.example",
    "/%2F/evil.example",
    "/%09/evil.example",
    "/%5Cevil.example",
    "/%0d%0aSet-Cookie:x=1",
    "javascript:alert(1)",
    "/\x00/evil.example",
    "/\u2028/evil.example",
)


@pytest.mark.parametrize("target", REDIRECTS)
def test_no_redirect_leaves_the_site(secured, target: str) -> None:
    """Through the form as sent by the browser (the page's hidden field) and posted raw."""
    _, url = secured
    s = requests.Session()
    page = s.get(f"{url}/login", params={"next": target})
    assert page.status_code == 200
    shown = html.unescape(re.search(r'name="next" value="([^"]*)"', page.text).group(1))
    assert shown == "/"
    r = sign_in(s, url, "ann", next_path=target)
    assert r.status_code == 302 and r.headers["Location"] == "/", (target, r.headers)


def test_the_filters_survive_sign_in(secured) -> None:
    _, url = secured
    path = f"/where?district={KIRKLEES}&from=2024-01&group=knife_sharp"
    s = requests.Session()
    r = s.get(url + path, allow_redirects=False)
    assert r.status_code == 302
    login = r.headers["Location"]
    assert login.startswith("/login?next=%2Fwhere%3Fdistrict%3D")  # one value, encoded whole
    page = s.get(url + login)
    hidden = html.unescape(re.search(r'name="next" value="([^"]*)"', page.text).group(1))
    assert hidden == path
    r = sign_in(s, url, "ann", next_path=hidden)
    assert r.headers["Location"] == path


def test_sign_in_needs_the_forms_csrf_token(secured) -> None:
    _, url = secured
    s = requests.Session()
    s.get(f"{url}/login")
    r = s.post(f"{url}/login", data={"username": "ann", "password": PW}, allow_redirects=False)
    assert r.status_code == 400 and "sign in again" in r.text
    r = s.post(
        f"{url}/login",
        data={"username": "ann", "password": PW, "csrf_token": "forged"},
        allow_redirects=False,
    )
    assert r.status_code == 400


def test_sign_out_is_a_post_and_the_old_cookie_dies(secured) -> None:
    wh, url = secured
    add_user(wh, "lou", "analyst", PW)
    s = session_for(url, "lou")
    captured = cookie_of(s)
    assert works(s, url)
    assert s.get(f"{url}/logout", allow_redirects=False).status_code == 405
    assert s.post(f"{url}/logout", allow_redirects=False).status_code == 400  # no token
    assert works(s, url)
    r = s.post(f"{url}/logout", data={"csrf_token": layout_csrf(s, url)}, allow_redirects=False)
    assert r.status_code == 302 and r.headers["Location"] == "/login"
    assert not works(with_cookie(captured), url)  # the copy taken before sign-out is dead
    assert session_for(url, "lou")  # and lou can sign in again


@pytest.mark.parametrize("change", ["reset", "remove", "role", "signout"])
def test_a_captured_cookie_dies_with_the_account_change(secured, change: str) -> None:
    wh, url = secured
    name = f"cc-{change}"
    add_user(wh, name, "analyst", PW)
    captured = cookie_of(session_for(url, name))
    other = session_for(url, name)  # a second device
    assert works(with_cookie(captured), url)
    args = {
        "reset": ["reset", name, "--password-stdin"],
        "remove": ["remove", name],
        "role": ["role", name, "--role", "viewer"],
        "signout": ["signout", name],
    }[change]
    done = subprocess.run(
        [sys.executable, "-m", "svdash.cli", "users", *args, "--warehouse", str(wh)],
        input="another long password\n",
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert not works(with_cookie(captured), url)
    assert not works(other, url)


def test_a_cookie_from_another_browser_is_refused(secured) -> None:
    _, url = secured
    admin = session_for(url, "ada", ADMIN_DESK)
    stolen = with_cookie(cookie_of(admin), **{"User-Agent": "Mozilla/5.0 (attacker)"})
    r = stolen.get(f"{url}/admin/audit", allow_redirects=False)
    assert r.status_code == 302 and r.headers["Location"].startswith("/login")


def _forge(wh: Path, root: Path, name: str, **fields: float) -> str:
    """A cookie signed with the server's own key (read from its config folder): what the
    server would have issued at another time, to test its clocks without waiting."""
    from flask import Flask
    from flask.sessions import SecureCookieSessionInterface

    from svcore.users import load_users

    app = Flask("clock")
    app.secret_key = (root / "config" / "svdash" / "session.key").read_text().strip()
    ua = requests.utils.default_user_agent()
    now = time.time()
    data = {
        "_user_id": name,
        "_fresh": True,
        "ep": load_users(wh)[name].epoch,
        "t0": now,
        "seen": now,
        "ua": hashlib.sha256(ua.encode()).hexdigest()[:32],
        "_permanent": True,
    }
    return SecureCookieSessionInterface().get_signing_serializer(app).dumps(data | fields)


def test_sessions_end_when_idle_and_when_old(secured) -> None:
    wh, url = secured
    root = wh.parent
    now = time.time()
    assert works(with_cookie(_forge(wh, root, "ann")), url)  # the forge itself is faithful
    assert not works(with_cookie(_forge(wh, root, "ann", seen=now - 31 * 60)), url)  # idle
    assert not works(with_cookie(_forge(wh, root, "ann", t0=now - 9 * 3600)), url)  # too old
    assert not works(with_cookie(_forge(wh, root, "ann", ep=-1)), url)  # an earlier epoch


def test_spraying_from_one_address_meets_the_limit_despite_valid_sign_ins(secured) -> None:
    """57 guesses at other accounts interleaved with 3 sign-ins to an account the attacker
    holds: the address's count is not reset by them, so a 429 comes within 20 failures."""
    wh, url = secured
    add_user(wh, "mallory", "analyst", PW)
    s = from_address("127.0.0.31")
    statuses = []
    for i in range(60):
        if i in (10, 25, 40):
            statuses.append(sign_in(s, url, "mallory").status_code)
        else:
            statuses.append(
                sign_in(
                    s, url, ("ann", "kim", "vic", "ada")[i % 4], f"guess number {i:04d}"
                ).status_code
            )
    guesses = [st for i, st in enumerate(statuses) if i not in (10, 25, 40)]
    assert 429 in guesses
    assert guesses.index(429) <= 20  # at most 20 failures before the first refusal
    assert guesses.count(401) <= 20


def test_the_admin_signs_in_from_a_clean_address_during_an_attack(secured) -> None:
    _, url = secured
    attacker = from_address("127.0.0.41")
    statuses = [
        sign_in(attacker, url, "ada", f"guess {i:04d} for ada").status_code for i in range(8)
    ]
    assert statuses[:5] == [401] * 5 and 429 in statuses
    assert sign_in(attacker, url, "ada").status_code == 429  # that pair is locked
    assert sign_in(from_address("127.0.0.42"), url, "ada").status_code == 302


def test_failed_sign_ins_are_counted_not_logged_one_by_one(secured) -> None:
    wh, url = secured
    before = sum(1 for _ in audit.entries(wh))
    s = from_address("127.0.0.51")
    for i in range(30):
        sign_in(s, url, f"made-up-name-{i}-\u202e", "whatever password")
    flush_server_audit(url)
    mine = [e for e in audit.entries(wh) if e["host"] == "127.0.0.51"]
    assert 1 <= len(mine) <= 2  # one per minute (two if the run crossed a minute)
    assert sum(failed_count(e) for e in mine) == 30
    assert not any("made-up-name" in json.dumps(e) for e in mine)
    assert sum(1 for _ in audit.entries(wh)) - before <= 2 + 4  # + the admin's sign-in etc.
    assert audit.verify(wh).ok


def _page_callbacks(deps: list[dict]) -> list[dict]:
    """Server callbacks fed by the filter store (clientside and pattern-matching ones, the
    URL and the nav links, carry no data)."""
    return [
        d
        for d in deps
        if any((i["id"], i["property"]) == ("filters", "data") for i in d["inputs"])
        and not d.get("clientside_function")
        and "{" not in d["output"]
    ]


def test_every_data_response_is_audited(secured) -> None:
    wh, url = secured
    s = session_for(url, "ann")
    deps = dependencies(s, url)
    query = f"district={KIRKLEES}&from=2024-01"
    answered = []
    for dep in _page_callbacks(deps):
        r = callback(s, url, deps, dep["output"], query)
        no_trace(r)
        if r.status_code == 200:
            answered.append(dep["output"])
    assert len(answered) >= 8  # every page's callbacks (quality: admins and analysts)
    flush_server_audit(url)
    views = [e for e in audit.entries(wh) if e["action"] == "view" and e["user"] == "ann"]
    for output in answered:
        hits = [e for e in views if output[:200] in e["detail"]]
        assert hits, output
        assert KIRKLEES in hits[-1]["filters"]  # the filters as applied
        assert hits[-1]["role"] == "analyst" and "tier" in hits[-1]
        assert hits[-1]["host"] == "127.0.0.1" and hits[-1]["outcome"] == "ok"


def _download_body(deps: list[dict], chart: str, fmt: str, query: str) -> dict:
    """The body Dash sends when a chart's download button is clicked (a pattern-matching
    input), built from the server's own dependency list."""
    dep = next(d for d in deps if d["output"].startswith("download-target.data"))
    wid = {"chart": chart, "fmt": fmt, "type": "chart-download"}
    return {
        "output": dep["output"],
        "outputs": {"id": "download-target", "property": "data"},
        "inputs": [[{"id": wid, "property": "n_clicks", "value": 1}]],
        "changedPropIds": [json.dumps(wid, separators=(",", ":"), sort_keys=True) + ".n_clicks"],
        "state": [
            {"id": "filters", "property": "data", "value": query},
            {"id": "view", "property": "data", "value": None},
        ],
    }


def test_downloads_and_refusals_are_audited(secured) -> None:
    wh, url = secured
    s = session_for(url, "ann")
    query = f"district={KIRKLEES}"
    deps = dependencies(s, url)
    r = s.post(
        f"{url}/_dash-update-component", json=_download_body(deps, "when-heatmap", "csv", query)
    )
    no_trace(r)
    assert r.status_code == 200 and "when-heatmap.csv" in r.text
    r = s.post(
        f"{url}/_dash-update-component", json=_download_body(deps, "no-such-chart", "csv", query)
    )
    assert r.status_code in (200, 204) and "no-such-chart.csv" not in r.text
    vic = session_for(url, "vic")
    assert (
        callback(vic, url, dependencies(vic, url), "quality-coverage.figure", "").status_code == 204
    )
    flush_server_audit(url)
    log = list(audit.entries(wh))
    assert any(
        e["action"] == "export"
        and e["user"] == "ann"
        and e["file"] == "when-heatmap.csv"
        and e["filters"].startswith("district=" + KIRKLEES)
        for e in log
    )
    assert any(
        e["action"] == "view"
        and e["user"] == "ann"
        and e["outcome"] == "refused"
        and "no-such-chart" in e["detail"]
        for e in log
    )
    assert any(
        e["action"] == "view"
        and e["user"] == "vic"
        and e["outcome"] == "refused"
        and "quality" in e["detail"]
        for e in log
    )


def test_malformed_requests_get_400_not_500(secured) -> None:
    _, url = secured
    s = session_for(url, "ann")
    for body in (
        [1, 2],
        {"inputs": []},
        {"output": 5, "outputs": {}},
        {
            "output": "x.children",
            "outputs": {"id": "x", "property": "children"},
            "inputs": "district=E08000034",
        },
        {
            "output": "x.children",
            "outputs": {"id": "x", "property": "children"},
            "inputs": [{"value": 1}],
        },
    ):
        r = s.post(f"{url}/_dash-update-component", json=body)
        assert r.status_code == 400 and "bad callback request" in r.text, (body, r.text)
    for output in ("url-sync.data", '{"path":["ALL"],"type":"nav-link"}.href', "nothing.here"):
        # a clientside callback's output, a pattern-matching one sent flat, an unknown one
        body = {
            "output": output,
            "outputs": {"id": output.rsplit(".", 1)[0], "property": output.rsplit(".", 1)[1]},
            "inputs": [{"id": "filters", "property": "data", "value": ""}],
        }
        r = s.post(f"{url}/_dash-update-component", json=body)
        assert r.status_code == 400 and "bad callback request" in r.text, (output, r.text)
    r = s.post(
        f"{url}/_dash-update-component",
        data=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 400
    deps = dependencies(s, url)
    dep = next(d for d in deps if "factors-scatter.figure" in d["output"])
    for choice in ({"a": 1}, ["imd:imd"], 12, None):
        body = json.loads(json.dumps(_callback_body(dep, "", {"factors-choice": choice})))
        no_trace(s.post(f"{url}/_dash-update-component", json=body))
    r = requests.Session()
    r.get(f"{url}/login")
    resp = sign_in(r, url, "ann", next_path="/where\r\nSet-Cookie: x=1")
    assert resp.status_code == 302 and resp.headers["Location"] == "/"


def _callback_body(dep: dict, query: str, values: dict) -> dict:
    outputs = []
    for part in dep["output"].strip(".").split("..."):
        cid, prop = part.rsplit(".", 1)
        outputs.append({"id": cid, "property": prop})
    inputs = [
        {
            "id": i["id"],
            "property": i["property"],
            "value": query if i["id"] == "filters" else values.get(i["id"]),
        }
        for i in dep["inputs"]
    ]
    return {
        "output": dep["output"],
        "outputs": outputs if len(outputs) > 1 else outputs[0],
        "inputs": inputs,
        "changedPropIds": [f"{dep['inputs'][-1]['id']}.value"],
        "state": [{"id": st["id"], "property": st["property"]} for st in dep.get("state", [])],
    }


HEADERS = (
    "Content-Security-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
)


def test_security_headers_on_every_response(secured) -> None:
    _, url = secured
    anon = requests.Session()
    admin = session_for(url, "ada", ADMIN_DESK)
    deps = dependencies(admin, url)
    responses = [
        anon.get(f"{url}{p}", allow_redirects=False)
        for p in (
            "/login",
            "/",
            "/where",
            "/no-such-page",
            "/assets/style.css",
            "/_dash-dependencies",
        )
    ]
    responses += [
        admin.get(f"{url}{p}")
        for p in (
            "/",
            "/where",
            "/when",
            "/how",
            "/who",
            "/factors",
            "/quality",
            "/admin/audit",
            "/admin/audit.csv",
            "/_dash-layout",
            "/geojson/district.json",
            "/nowhere",
        )
    ]
    responses.append(callback(admin, url, deps, "overview-headline.children", ""))
    responses.append(admin.get(f"{url}/logout"))
    for r in responses:
        for h in HEADERS:
            assert h in r.headers, (r.url, r.status_code, h)
        csp = r.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self' 'sha256-" in csp
        assert "'unsafe-eval'" not in csp and "'unsafe-inline'" not in csp.split("style-src")[0]
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert "Strict-Transport-Security" not in r.headers  # plain HTTP here
    assert all(r.status_code < 500 for r in responses)


def test_hsts_is_sent_when_cookies_are_secure(
    demo_warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Flask's test client on the real app: HTTPS deployments get HSTS and Secure cookies."""
    from dashboard.app import create_app

    monkeypatch.setenv("SVDASH_SECURE_COOKIES", "1")
    app = create_app(demo_warehouse)
    r = app.server.test_client().get("/assets/style.css")
    assert r.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
    assert app.server.config["SESSION_COOKIE_SECURE"] is True
