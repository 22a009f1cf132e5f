"""Scale-out, proven small: two app instances (separate processes, different ports) on one
warehouse, with a real Redis (Debian's ``redis-server``, started and stopped here) as the shared
cache and sign-in counter store, as ``docs/SCALING.md`` describes.

- Through a load of a month, both instances keep answering, and every answer is the state
  before the load or after it; once any answer (from either instance) shows the new state, no
  request started after it (on either instance) shows the old one.
- A result computed through one instance is served to the other from Redis: the second
  instance's request reads only keys that are already there (Redis counts no miss) and writes
  none.
- Failed sign-ins on one instance count toward the limit on the other.
- A session opened on one instance works on the other, and signing out on the other ends it
  everywhere (the secret key is shared; the session epoch lives in the warehouse's users.json).
- Both instances append to the warehouse's one audit chain, and it stays unbroken.
"""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
import requests
from helpers import (
    TEST_PASSWORD,
    callback,
    dependencies,
    feed_rows,
    from_loopback,
    reader_rows,
    redis_server,
    sign_in_form,
    start_server,
    write_feed,
)

from svcore import audit
from svcore.config import read_settings, write_settings
from svcore.users import add_user

pytestmark = pytest.mark.slow

HEADLINE = "overview-headline.children"
QUERIES = ("", "district=E08000035", "source=all")


@dataclass
class Cluster:
    warehouse: Path
    root: Path
    urls: tuple[str, str]
    redis: redis.Redis
    logs: tuple[subprocess.Popen, subprocess.Popen]


@pytest.fixture(scope="module")
def cluster(demo_warehouse: Path, tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("scale-out")
    wh = Path(shutil.copytree(demo_warehouse, root / "warehouse"))
    write_settings(wh, read_settings(wh).with_(demo=False))
    for name in ("ann", "bob", "cat"):
        add_user(wh, name, "analyst", TEST_PASSWORD, ())
    with redis_server(root / "redis") as redis_url:
        shared = {"SVDASH_CACHE": redis_url, "SVDASH_SECRET_KEY": secrets.token_hex(32)}
        # Each instance has its own config folder: nothing is shared through this host's files
        # but the warehouse; the cache, the counters and the session key come from outside.
        envs = [{**shared, "XDG_CONFIG_HOME": str(root / f"config-{i}")} for i in (1, 2)]
        with ThreadPoolExecutor(2) as pool:
            started = list(pool.map(lambda env: start_server(wh, env=env), envs))
        client = redis.Redis.from_url(redis_url)
        try:
            yield Cluster(
                wh,
                root,
                (started[0][1], started[1][1]),
                client,
                (started[0][0], started[1][0]),
            )
        finally:
            client.close()
            for proc, _ in started:
                proc.terminate()
            for proc, _ in started:
                proc.wait(timeout=20)


def signed_in(url: str, name: str = "ann", address: str | None = None) -> requests.Session:
    s = from_loopback(address) if address else requests.Session()
    r = sign_in_form(s, url, name)
    assert r.status_code == 302, (r.status_code, r.text[:300])
    return s


def headline(s: requests.Session, url: str, deps: list[dict], q: str) -> str:
    r = callback(s, url, deps, HEADLINE, q)
    assert r.status_code == 200, (url, q, r.status_code, r.text[:300])
    return json.dumps(r.json()["response"]["overview-headline"], sort_keys=True)


def month_file(wh: Path, folder: Path, rows: int = 5000) -> Path:
    """A police file for the month after the last one held, on the area's own LSOAs."""
    ((last,),) = reader_rows(wh, "SELECT max(offence_date) FROM police")
    year, month = divmod(last.month, 12)
    ym = f"{last.year + year}-{month + 1:02d}"
    lsoas = [r[0] for r in reader_rows(wh, "SELECT lsoa_code FROM geography ORDER BY 1")]
    made = feed_rows("police", rows, offence_date=f"{ym}-14", recorded_date=f"{ym}-15")
    for i, row in enumerate(made):
        row["crime_ref"] = f"SCALEQX{i:08d}"
        row["lsoa_code"] = lsoas[i % len(lsoas)]
    return write_feed(folder / f"police-{ym}.csv", "police", made)


def test_both_instances_answer_old_then_new_through_a_load(cluster: Cluster) -> None:
    urls = cluster.urls
    sessions = [signed_in(u) for u in urls]
    deps = dependencies(sessions[0], urls[0])
    before = {q: headline(sessions[0], urls[0], deps, q) for q in QUERIES}
    assert {q: headline(sessions[1], urls[1], deps, q) for q in QUERIES} == before
    file = month_file(cluster.warehouse, cluster.root)

    # (instance, client, started, finished, query, status, answer)
    seen: list[tuple[int, int, float, float, str, int, str]] = []
    stop = threading.Event()

    def client(instance: int, k: int) -> None:
        url = urls[instance]
        s = signed_in(url)
        n = 0
        while not stop.is_set():
            q = QUERIES[(k + n) % len(QUERIES)]
            n += 1
            t0 = time.monotonic()
            r = callback(s, url, deps, HEADLINE, q)
            text = (
                json.dumps(r.json()["response"]["overview-headline"], sort_keys=True)
                if r.status_code == 200
                else r.text[:300]
            )
            seen.append((instance, k, t0, time.monotonic(), q, r.status_code, text))

    threads = [threading.Thread(target=client, args=(i, k)) for i in (0, 1) for k in (0, 1)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    load_start = time.monotonic()
    loader = subprocess.run(
        [sys.executable, "-m", "svdash.cli", "load", "police", str(file)]
        + ["--warehouse", str(cluster.warehouse)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    load_end = time.monotonic()
    time.sleep(1.5)
    stop.set()
    for t in threads:
        t.join(timeout=120)
    assert loader.returncode == 0, loader.stderr

    after = {q: headline(sessions[1], urls[1], deps, q) for q in QUERIES}
    assert all(after[q] != before[q] for q in QUERIES)  # the month changed every figure
    assert {q: headline(sessions[0], urls[0], deps, q) for q in QUERIES} == after
    errors = [x for x in seen if x[5] != 200]
    assert not errors, errors[:3]
    mixed = [x for x in seen if x[6] not in (before[x[4]], after[x[4]])]
    assert not mixed, mixed[:2]
    for i in (0, 1):
        during = [x for x in seen if x[0] == i and load_start <= x[2] and x[3] <= load_end]
        assert len(during) >= 3, (i, len(during))  # each instance answered while it loaded
    # Old, then new, and never back: on each instance, and across the two (both read the one
    # CURRENT pointer), no request started after a new answer came back gets an old one.
    new = sorted(x[3] for x in seen if x[6] == after[x[4]])
    assert new, "no answer showed the load"
    first_new = new[0]
    stale = [x for x in seen if x[6] == before[x[4]] and x[2] > first_new]
    assert not stale, stale[:2]
    settled = [x for x in seen if x[2] > load_end]
    assert {x[0] for x in settled} == {0, 1}
    assert all(x[6] == after[x[4]] for x in settled)
    for proc in cluster.logs:
        assert proc.poll() is None
    counts = [sum(1 for x in seen if x[0] == i) for i in (0, 1)]
    print(
        f"\n{counts} answers from the two instances, a {load_end - load_start:.1f} s load; "
        f"first new answer {first_new - load_start:+.1f} s after it started; 0 errors, "
        "0 mixed, 0 old after new"
    )


def test_a_result_computed_by_one_instance_is_served_by_the_other(cluster: Cluster) -> None:
    one, two = cluster.urls
    s1, s2 = signed_in(one), signed_in(two)
    deps = dependencies(s1, one)
    r = cluster.redis
    q = "district=E08000033&from=2021-04&to=2021-09&group=robbery"  # asked nowhere else

    def state() -> tuple[int, int, set[bytes]]:
        stats = r.info("stats")
        keys = set(r.scan_iter(match="svdash-results:*", count=1000))
        return stats["keyspace_hits"], stats["keyspace_misses"], keys

    hits0, misses0, keys0 = state()
    first = headline(s1, one, deps, q)
    hits1, misses1, keys1 = state()
    built = keys1 - keys0
    assert built and misses1 > misses0  # instance 1 computed it and stored the results
    second = headline(s2, two, deps, q)
    hits2, misses2, keys2 = state()
    assert second == first
    # Instance 2 found everything it asked for and wrote nothing: served from Redis (the
    # view's whole output, which instance 1 stored beside the query results it came from).
    assert misses2 == misses1, (misses1, misses2)
    assert hits2 > hits1, (hits1, hits2)
    assert keys2 == keys1
    assert any(b"svdash:catalog" in k for k in built)


def test_failed_sign_ins_on_one_instance_count_on_the_other(cluster: Cluster) -> None:
    one, two = cluster.urls
    address = "127.0.0.77"  # the guesser's own address: nothing else in this module uses it
    a1, a2 = from_loopback(address), from_loopback(address)
    for _ in range(4):
        assert sign_in_form(a1, one, "cat", "not the password").status_code == 401
    assert sign_in_form(a2, two, "cat", "not the password").status_code == 401  # the fifth
    locked = sign_in_form(a2, two, "cat")  # even the right password now waits, on both
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    assert sign_in_form(a1, one, "cat").status_code == 429
    assert list(cluster.redis.scan_iter(match="svdash-signins:*"))
    # The account's owner, elsewhere, is not locked out (nothing is counted per name alone).
    assert sign_in_form(from_loopback("127.0.0.78"), two, "cat").status_code == 302


def layout_csrf(s: requests.Session, url: str) -> str:
    """The sign-out form's token, from the page layout the browser renders."""
    stack = [s.get(f"{url}/_dash-layout").json()]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            props = node.get("props")
            if isinstance(props, dict) and props.get("name") == "csrf_token":
                return props["value"]
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    raise AssertionError("no sign-out token in the layout")


def test_a_session_is_good_on_both_instances_and_ends_on_both(cluster: Cluster) -> None:
    one, two = cluster.urls
    s = signed_in(one, "bob")
    deps = dependencies(s, one)
    assert callback(s, two, deps, HEADLINE, "").status_code == 200  # the same cookie, on two
    copied = requests.Session()
    copied.cookies.set("svdash_session", s.cookies.get("svdash_session"))
    assert callback(copied, one, deps, HEADLINE, "").status_code == 200
    out = s.post(f"{two}/logout", data={"csrf_token": layout_csrf(s, two)}, allow_redirects=False)
    assert out.status_code == 302
    for url in (one, two):  # signed out on two: the copied cookie is dead on one as well
        assert callback(copied, url, deps, HEADLINE, "").status_code == 401


def test_both_instances_append_to_one_unbroken_audit_chain(cluster: Cluster) -> None:
    one, two = cluster.urls
    time.sleep(2.5)  # each server writes its queued records every 2 s
    start = audit.verify(cluster.warehouse)
    assert start.ok, start.message
    for url in (one, two):
        s = signed_in(url)
        deps = dependencies(s, url)
        for q in QUERIES:
            headline(s, url, deps, q)
    time.sleep(2.5)
    end = audit.verify(cluster.warehouse)
    assert end.ok, end.message  # two processes appended to one hash chain, under its lock
    views = [e for e in audit.entries(cluster.warehouse) if e["seq"] > start.records]
    assert sum(1 for e in views if e["action"] == "view") >= 2 * len(QUERIES)
