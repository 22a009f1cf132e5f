"""Attacks over real HTTP on a signed-in deployment: nothing leaks, nothing errors with a trace.

A copy of the demo warehouse is switched out of demo mode and given four users; the real server
runs in a subprocess. Callback requests are crafted by hand, as an attacker would.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import requests
from helpers import callback, dependencies, start_server

from svcore import audit
from svcore.config import read_settings, write_settings
from svcore.users import add_user

PW = "a long test password"
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
    root = tmp_path_factory.mktemp("secured")
    wh = Path(shutil.copytree(demo_warehouse, root / "warehouse"))
    write_settings(wh, read_settings(wh).with_(demo=False))
    add_user(wh, "ada", "admin", PW)
    add_user(wh, "ann", "analyst", PW)
    add_user(wh, "kim", "duty_holder", PW, (KIRKLEES,))
    add_user(wh, "vic", "viewer", PW)
    proc, url = start_server(wh, env={"XDG_CONFIG_HOME": str(root / "config")})
    yield wh, url
    proc.terminate()
    proc.wait(timeout=10)


def session_for(url: str, name: str) -> requests.Session:
    s = requests.Session()
    r = s.post(f"{url}/login", data={"username": name, "password": PW, "next": "/"},
               allow_redirects=False)
    assert r.status_code == 302, r.text
    return s


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
    forged = SecureCookieSessionInterface().get_signing_serializer(fake).dumps(
        {"_user_id": "ada", "_fresh": True})
    for cookie in (forged, "garbage", ""):
        s = requests.Session()
        s.cookies.set("svdash_session", cookie)
        assert s.get(f"{url}/_dash-dependencies").status_code == 401
        assert s.get(f"{url}/", allow_redirects=False).status_code == 302


def test_cookies_are_httponly_and_strict(secured) -> None:
    _, url = secured
    r = requests.post(f"{url}/login", data={"username": "ann", "password": PW}, allow_redirects=False)
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie


def test_open_redirects_are_refused(secured) -> None:
    _, url = secured
    for target in ("https://evil.example/", "//evil.example", "/\\evil.example"):
        r = requests.post(f"{url}/login", data={"username": "ann", "password": PW, "next": target},
                          allow_redirects=False)
        assert r.headers["Location"] == "/", target


def test_sign_in_attempts_are_rate_limited_and_audited(secured) -> None:
    wh, url = secured
    add_user(wh, "target", "analyst", PW)
    for _ in range(5):
        r = requests.post(f"{url}/login", data={"username": "target", "password": "wrong password 1"})
        assert r.status_code == 401
    r = requests.post(f"{url}/login", data={"username": "target", "password": PW}, allow_redirects=False)
    assert r.status_code == 429  # even the right password waits now
    actions = [(e["action"], e["user"]) for e in audit.entries(wh)]
    assert ("login_failed", "target") in actions
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
    assert not locations or all(not loc.startswith(LEEDS[:3]) or loc == KIRKLEES for loc in locations)
    r = callback(s, url, deps, "where-map.figure", "")
    locations = [loc for trace in r.json()["response"]["where-map"]["figure"]["data"]
                 for loc in trace.get("locations", [])]
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
