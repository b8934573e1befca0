"""The region API (DB mode) end to end: a real PostgreSQL server, flysim
and the real controller serving /regions and /apps/{id}/regions[/status]
behind bearer tokens made with `rhone-controller token create`."""
import contextlib
import hashlib
import os
import re
import subprocess
import threading

import jsonschema
import psycopg2
import requests
import yaml

from pg import pg_factory, pg_server, pg_url, sql  # noqa: F401 (fixtures)
from rhone import BINARY, alive, migrate, per_region, wait_for
from test_postgres_source import add_app, add_team

TOKEN_RE = re.compile(r"^rhone_[0-9a-f]{64}$")
SPEC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                    "specs", "region-api.openapi.yaml")


def _json_schema(node):
    """OpenAPI 3.0's nullable as JSON Schema's type list."""
    if isinstance(node, list):
        return [_json_schema(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {k: _json_schema(v) for k, v in node.items() if k != "nullable"}
    if node.get("nullable") and "type" in node:
        out["type"] = [node["type"], "null"]
    return out


def conforms(body, schema_name):
    """Validate an answer against its schema in the OpenAPI file."""
    with open(SPEC) as f:
        spec = yaml.safe_load(f)
    schema = {"allOf": [{"$ref": f"#/components/schemas/{schema_name}"}],
              "components": _json_schema(spec["components"])}
    jsonschema.validate(body, schema)
    return body


def make_token(url, team, role, name="e2e"):
    r = subprocess.run([BINARY, "token", "create", "--source", url,
                        "--team", team, "--role", role, "--name", name],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    token = r.stdout.strip()
    assert TOKEN_RE.match(token), r.stdout
    return token


def api(c, method, path, token=None, body=None, raw=None, headers=None):
    hdrs = dict(headers or {})
    if token is not None:
        hdrs["Authorization"] = f"Bearer {token}"
    return requests.request(method, c.url + path, headers=hdrs, json=body,
                            data=raw, timeout=30)


def app_row(url, app):
    return sql(url, "SELECT primary_region, regions FROM apps "
                    "WHERE id = %s", (app,))[0]


def counts(url, app):
    return dict(sql(url, "SELECT region, count FROM app_region_counts "
                         "WHERE app_id = %s", (app,)))


def snapshot(url):
    """Everything a request could have changed."""
    return {
        "apps": sql(url, "SELECT id, team_id, primary_region, regions, "
                         "fly_app_id FROM apps ORDER BY id"),
        "counts": sql(url, "SELECT app_id, region, count "
                           "FROM app_region_counts ORDER BY 1, 2"),
        "regions": sql(url, "SELECT code, available FROM regions "
                            "ORDER BY code"),
        "tokens": sql(url, "SELECT id, team_id, role, revoked_at "
                           "FROM api_tokens ORDER BY id"),
        "teams": sql(url, "SELECT id, name, plan FROM teams ORDER BY id"),
    }


class World:
    """Two teams, an app each, and tokens of every role."""

    def __init__(self, url, ctl_factory):
        self.url = url
        self.team = add_team(url)
        self.other_team = add_team(url)
        self.app = add_app(url, self.team, "acme-web", "iad",
                           ["iad", "fra"], counts={"fra": 2},
                           image="registry.fly.io/acme-web:v1")
        self.other_app = add_app(url, self.other_team, "rival-web", "lhr",
                                 ["lhr"], image="registry.fly.io/rival:v1")
        team_name = sql(url, "SELECT name FROM teams WHERE id = %s",
                        (self.team,))[0][0]
        self.member = make_token(url, team_name, "member")
        self.admin = make_token(url, self.team, "admin")
        self.owner = make_token(url, self.team, "owner")
        self.other_admin = make_token(url, self.other_team, "admin")
        self.c = ctl_factory(source=url, resync="10m")


def test_catalog_grouped_by_continent_available_only(ctl_factory, db):
    w = World(db, ctl_factory)
    r = api(w.c, "GET", "/regions", w.member)
    assert r.status_code == 200, r.text
    body = conforms(r.json(), "Catalog")
    assert body["count"] == 28
    conts = body["continents"]
    assert sorted(conts) == ["Africa", "Asia", "Europe", "Middle East",
                             "North America", "Oceania", "South America"]
    assert [x["code"] for x in conts["Europe"]] == \
        ["ams", "arn", "cdg", "fra", "lhr", "mad", "waw"]
    fra = [x for x in conts["Europe"] if x["code"] == "fra"][0]
    assert fra == {"code": "fra", "name": "Europe Central",
                   "city": "Frankfurt", "country": "Germany",
                   "continent": "Europe", "latitude": 50.0379,
                   "longitude": 8.5622, "available": True}
    assert sum(len(v) for v in conts.values()) == 28

    sql(db, "UPDATE regions SET available = false "
            "WHERE code IN ('bah', 'waw')")
    body = api(w.c, "GET", "/regions", w.member).json()
    assert body["count"] == 26
    assert "Middle East" not in body["continents"]
    assert "waw" not in [x["code"] for x in body["continents"]["Europe"]]


def test_read_app_regions_and_status(sim, ctl_factory, db):
    w = World(db, ctl_factory)
    w.c.wait_phase("acme-web", "Converged")
    r = api(w.c, "GET", f"/apps/{w.app}/regions", w.member)
    assert r.status_code == 200, r.text
    assert conforms(r.json(), "AppRegions") == {"app_id": w.app, "fly_app_id": "acme-web",
                        "primary_region": "iad",
                        "additional_regions": ["fra"],
                        "regions": ["iad", "fra"]}
    # the id is a UUID: upper case names the same app
    r = api(w.c, "GET", f"/apps/{w.app.upper()}/regions", w.member)
    assert r.status_code == 200 and r.json()["app_id"] == w.app

    st = api(w.c, "GET", f"/apps/{w.app}/regions/status", w.member)
    assert st.status_code == 200, st.text
    st = conforms(st.json(), "AppRegionStatus")
    assert st["source"] == "controller"
    assert [(x["code"], x["city"], x["primary"], x["machine_count"],
             x["state"], x["health"]) for x in st["regions"]] == \
        [("iad", "Ashburn", True, 1, "Converged", "healthy"),
         ("fra", "Frankfurt", False, 2, "Converged", "healthy")]


def test_status_from_the_database_when_not_managed(ctl_factory, db):
    """An app without a Fly app id is not the controller's: its status
    comes from region_status rows (as a standby would serve it)."""
    w = World(db, ctl_factory)
    app = add_app(db, w.team, None, "nrt", ["nrt", "syd"])
    sql(db, "INSERT INTO region_status (app_id, region, desired, current, "
            "ready, phase, message) VALUES (%s, 'nrt', 2, 2, 1, "
            "'Progressing', 'waiting for health checks')", (app,))
    st = api(w.c, "GET", f"/apps/{app}/regions/status", w.owner).json()
    conforms(st, "AppRegionStatus")
    assert st["source"] == "database"
    assert st["fly_app_id"] is None
    assert st["regions"] == [
        {"code": "nrt", "city": "Tokyo", "primary": True, "wanted": True,
         "machine_count": 2, "desired": 2, "ready": 1,
         "state": "Progressing", "health": "degraded",
         "message": "waiting for health checks"},
        {"code": "syd", "city": "Sydney", "primary": False,
         "wanted": True, "machine_count": 0, "desired": 0, "ready": 0,
         "state": "Pending", "health": "unknown", "message": ""}]


def test_every_refusal(ctl_factory, db):
    w = World(db, ctl_factory)
    before = snapshot(db)
    mine = f"/apps/{w.app}/regions"
    theirs = f"/apps/{w.other_app}/regions"
    change = {"primary_region": "fra", "additional_regions": ["nrt"]}

    # 401: no token, a wrong one, another scheme, a revoked one
    for path in ("/regions", mine, mine + "/status"):
        r = api(w.c, "GET", path)
        assert r.status_code == 401, (path, r.text)
        assert r.headers["WWW-Authenticate"].startswith("Bearer")
        assert r.json()["code"] == 401
        assert api(w.c, "GET", path, "rhone_" + "0" * 64).status_code == 401
    assert api(w.c, "POST", mine, body=change).status_code == 401
    assert api(w.c, "POST", mine, "nope", body=change).status_code == 401
    r = api(w.c, "GET", mine, headers={"Authorization": "Basic " + w.admin})
    assert r.status_code == 401
    spare = make_token(db, w.team, "admin", name="spare")
    assert api(w.c, "GET", mine, spare).status_code == 200
    tid = sql(db, "SELECT id FROM api_tokens WHERE name = 'spare'")[0][0]
    r = subprocess.run([BINARY, "token", "revoke", "--source", db, tid],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert api(w.c, "GET", mine, spare).status_code == 401

    # 404: another team's app, one that does not exist, a non-UUID id
    for path in (theirs, theirs + "/status",
                 "/apps/00000000-0000-0000-0000-000000000000/regions",
                 "/apps/acme-web/regions"):
        r = api(w.c, "GET", path, w.owner)
        assert r.status_code == 404, (path, r.text)
        assert r.json() == {"error": "no such app", "code": 404}
    assert api(w.c, "POST", theirs, w.owner, body=change).status_code == 404
    # the other team's admin sees theirs, not ours
    assert api(w.c, "GET", theirs, w.other_admin).status_code == 200
    assert api(w.c, "GET", mine, w.other_admin).status_code == 404
    assert api(w.c, "POST", mine, w.other_admin,
               body=change).status_code == 404

    # 403: a member may read but not change
    assert api(w.c, "GET", mine, w.member).status_code == 200
    r = api(w.c, "POST", mine, w.member, body=change)
    assert r.status_code == 403, r.text
    assert "admin or owner" in r.json()["error"]

    # 405 and 404 for what the API does not have
    assert api(w.c, "DELETE", mine, w.owner).status_code == 405
    assert api(w.c, "POST", "/regions", w.owner,
               body=change).status_code == 405
    assert api(w.c, "POST", mine + "/status", w.owner,
               body=change).status_code == 405
    assert api(w.c, "GET", f"/apps/{w.app}/machines",
               w.owner).status_code == 404
    after = snapshot(db)
    del before["tokens"], after["tokens"]      # the spare was revoked
    assert after == before


def test_bad_bodies_change_nothing(ctl_factory, db):
    w = World(db, ctl_factory)
    mine = f"/apps/{w.app}/regions"
    sql(db, "UPDATE regions SET available = false WHERE code = 'waw'")
    before = snapshot(db)

    r = api(w.c, "POST", mine, w.admin,
            body={"primary_region": "fra",
                  "additional_regions": ["nrt", "xyz", "waw", "fra1"]})
    assert r.status_code == 400, r.text
    err = conforms(r.json(), "BadRegions")
    assert err["unknown"] == ["xyz", "fra1"]
    assert err["unavailable"] == ["waw"]
    assert err["error"] == \
        "unknown or unavailable regions: xyz, waw, fra1"
    r = api(w.c, "POST", mine, w.admin, body={"primary_region": "zzz"})
    assert r.status_code == 400 and r.json()["unknown"] == ["zzz"]

    malformed = [b"", b"{", b"[]", b"null", b'"fra"',
                 b'{"primary_region": 5}',
                 b'{"additional_regions": ["fra"]}',
                 b'{"primary_region": ""}',
                 b'{"primary_region": "fra", "additional_regions": "nrt"}',
                 b'{"primary_region": "fra", "additional_regions": [1]}',
                 b'{"primary_region": "fra", "additional_regions": [null]}',
                 b'{"primary_region": "fra\\u0000"}',
                 b'{"primary_region": "fra"} trailing',
                 b'{"primary_region": "fra",}',
                 b'{"primary_region": "\xff\xfe"}',
                 b'{"primary_region": "fra", "additional_regions": [' +
                 b",".join([b'"nrt"'] * 65) + b"]}"]
    for raw in malformed:
        r = api(w.c, "POST", mine, w.admin, raw=raw,
                headers={"Content-Type": "application/json"})
        assert r.status_code == 400, (raw, r.status_code, r.text)
        assert r.json()["code"] == 400
    r = api(w.c, "POST", mine, w.admin, raw=b" " * 20000)
    assert r.status_code == 413, r.text
    assert snapshot(db) == before


def test_sql_injection_changes_nothing(ctl_factory, db):
    w = World(db, ctl_factory)
    before = snapshot(db)
    mine = f"/apps/{w.app}/regions"
    attacks = ["' OR '1'='1", "x'; DROP TABLE apps; --",
               "fra'); DELETE FROM app_region_counts; --",
               "\\'; UPDATE regions SET available = false; --",
               "$1", "fra,nrt", "iad\"}", "' UNION SELECT id FROM teams --"]

    for a in attacks:
        # the token
        assert api(w.c, "GET", "/regions", a).status_code == 401
        assert api(w.c, "POST", mine, a,
                   body={"primary_region": "fra"}).status_code == 401
        # the path id
        enc = requests.utils.quote(a, safe="")
        r = api(w.c, "GET", f"/apps/{enc}/regions", w.owner)
        assert r.status_code == 404, (a, r.text)
        r = api(w.c, "GET", f"/apps/{w.app}{enc}/regions", w.owner)
        assert r.status_code == 404, (a, r.text)
        # the JSON fields: named back as given, written nowhere
        r = api(w.c, "POST", mine, w.owner, body={"primary_region": a})
        assert r.status_code == 400, (a, r.text)
        assert r.json()["unknown"] == [a]
        r = api(w.c, "POST", mine, w.owner,
                body={"primary_region": "fra", "additional_regions": [a]})
        assert r.status_code == 400, (a, r.text)
        assert r.json()["unknown"] == [a]
    # a header with an injection attempt on top of a good token
    r = api(w.c, "GET", mine, headers={
        "Authorization": f"Bearer {w.owner}' OR '1'='1"})
    assert r.status_code == 401
    assert snapshot(db) == before
    assert api(w.c, "GET", "/regions", w.member).json()["count"] == 28


def test_region_change_reaches_flysim(sim, ctl_factory, db):
    """POST the seed's example; the NOTIFY path (resync is 10 minutes
    away) brings the new regions to flysim; counts kept where the region
    stays, 1 for new ones, gone with their region."""
    w = World(db, ctl_factory)
    w.c.wait_phase("acme-web", "Converged")
    assert per_region(alive(sim, "acme-web")) == {"iad": 1, "fra": 2}

    r = api(w.c, "POST", f"/apps/{w.app}/regions", w.admin,
            body={"primary_region": "fra",
                  "additional_regions": ["nrt", "fra", "syd", "nrt"]})
    assert r.status_code == 200, r.text
    assert r.json() == {"app_id": w.app, "fly_app_id": "acme-web",
                        "primary_region": "fra",
                        "additional_regions": ["nrt", "syd"],
                        "regions": ["fra", "nrt", "syd"]}
    assert app_row(db, w.app) == ("fra", "fra,nrt,syd")
    assert counts(db, w.app) == {"fra": 2, "nrt": 1, "syd": 1}
    assert app_row(db, w.other_app) == ("lhr", "lhr")

    wait_for(lambda: per_region(alive(sim, "acme-web")) ==
             {"fra": 2, "nrt": 1, "syd": 1}, timeout=90,
             what="machines in fra x2, nrt, syd and none in iad")
    w.c.wait_phase("acme-web", "Converged", timeout=90)
    ids = {m["id"] for m in alive(sim, "acme-web")}
    listed = sim.get("/v1/apps/acme-web/machines").json()
    assert {m["config"]["env"]["PRIMARY_REGION"] for m in listed
            if m["id"] in ids} == {"fra"}
    got = api(w.c, "GET", f"/apps/{w.app}/regions", w.member).json()
    assert got["primary_region"] == "fra"
    assert got["additional_regions"] == ["nrt", "syd"]
    st = wait_for(lambda: (lambda s: [x["code"] for x in s["regions"]] ==
                           ["fra", "nrt", "syd"] and s)(
        api(w.c, "GET", f"/apps/{w.app}/regions/status", w.owner).json()),
        timeout=30, what="status without iad")
    assert [(x["code"], x["primary"], x["machine_count"], x["health"])
            for x in st["regions"]] == \
        [("fra", True, 2, "healthy"), ("nrt", False, 1, "healthy"),
         ("syd", False, 1, "healthy")]
    assert "api_regions_changed" in w.c.output()
    assert w.admin not in w.c.output() and w.member not in w.c.output()


def test_token_cli_stores_only_the_hash(db):
    team = add_team(db)
    token = make_token(db, team, "admin", name="ci")
    rows = sql(db, "SELECT token_hash, role, name, team_id::text, "
                   "revoked_at FROM api_tokens")
    assert len(rows) == 1
    assert bytes(rows[0][0]) == hashlib.sha256(token.encode()).digest()
    assert rows[0][1:] == ("admin", "ci", team, None)
    dump = repr(sql(db, "SELECT * FROM api_tokens"))
    assert token not in dump and token[6:] not in dump

    out = subprocess.run([BINARY, "token", "list", "--source", db],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0 and "active" in out.stdout
    assert token not in out.stdout
    bad = subprocess.run([BINARY, "token", "create", "--source", db,
                          "--team", team, "--role", "root"],
                         capture_output=True, text=True, timeout=30)
    assert bad.returncode == 2
    bad = subprocess.run([BINARY, "token", "create", "--source", db,
                          "--team", "no-such-team", "--role", "member"],
                         capture_output=True, text=True, timeout=30)
    assert bad.returncode == 1 and "no team" in bad.stderr
    assert len(sql(db, "SELECT 1 FROM api_tokens")) == 1


@contextlib.contextmanager
def apps_locked(db, call):
    """Run call() in a thread while another session holds the apps table
    locked; the body runs once the call's statement waits for the lock,
    and the thread is joined after the lock is let go."""
    lock = psycopg2.connect(db)
    lock.cursor().execute("LOCK TABLE apps IN ACCESS EXCLUSIVE MODE")
    t = threading.Thread(target=call)
    t.start()
    try:
        wait_for(lambda: sql(db, "SELECT count(*) FROM pg_locks "
                                 "WHERE NOT granted")[0][0] > 0,
                 timeout=10, what="the API's statement to wait")
        yield t
    finally:
        lock.rollback()
        lock.close()
    t.join(timeout=30)


def test_a_slow_database_does_not_stall_the_server(ctl_factory, db):
    """While a table lock holds the API's statement, the loop goes on:
    /healthz and /status answer; the API answers once the lock goes."""
    w = World(db, ctl_factory)
    result = {}

    def call():
        result["r"] = api(w.c, "GET", f"/apps/{w.app}/regions", w.member)
    with apps_locked(db, call) as t:
        assert requests.get(w.c.url + "/healthz", timeout=5).status_code \
            == 200
        assert requests.get(w.c.url + "/status", timeout=5).status_code \
            == 200
        assert t.is_alive()
    assert result["r"].status_code == 200
    assert result["r"].json()["primary_region"] == "iad"


def test_database_down_is_503_and_recovers(sim, ctl_factory, pg_factory):
    server = pg_factory()
    url = server.create_db()
    migrate(url)
    team = add_team(url)
    token = make_token(url, team, "member")
    c = ctl_factory(source=url)
    assert api(c, "GET", "/regions", token).status_code == 200
    server.stop()
    r = api(c, "GET", "/regions", token)
    assert r.status_code == 503, r.text
    assert "database" in r.json()["error"]
    assert requests.get(c.url + "/healthz", timeout=5).status_code == 200
    server.start()
    wait_for(lambda: api(c, "GET", "/regions", token).status_code == 200,
             timeout=30, what="the API back")


def test_stop_while_a_request_waits(ctl_factory, db):
    """SIGTERM with a request suspended on a locked table: the request is
    answered (503) or cut, and the controller exits cleanly."""
    w = World(db, ctl_factory)
    result = {}

    def call():
        try:
            result["r"] = api(w.c, "GET", f"/apps/{w.app}/regions",
                              w.member)
        except requests.ConnectionError as exc:
            result["r"] = exc
    with apps_locked(db, call):
        assert w.c.stop() == 0, w.c.output()
    r = result["r"]
    assert isinstance(r, requests.ConnectionError) or \
        r.status_code == 503, r
