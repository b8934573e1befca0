"""Fidelity tests for flysim, the Fly Machines API emulator.

Each test starts its own flysim (see conftest.py) and checks one
behaviour against the shapes of the real API. Waits poll with generous
deadlines; no test asserts how long anything took.
"""

import re
import threading
import time

import pytest
import requests

from conftest import wait_until

ULID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
REQUEST_ID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}-[a-z]{3}$")
MACHINE_ID = re.compile(r"^[0-9a-f]{14}$")
NAME = re.compile(r"^[a-z]+-[a-z]+-[0-9]{1,4}$")
NONCE = re.compile(r"^[0-9a-f]{12}$")

CHECKED = {
    "image": "registry.fly.io/web:v1",
    "checks": {"health": {"type": "http", "port": 8080, "path": "/health",
                          "interval": "10s", "timeout": "5s"}},
    "services": [{"protocol": "tcp", "internal_port": 8080,
                  "ports": [{"port": 80, "handlers": ["http"]}],
                  "checks": [{"type": "tcp", "interval": "15s"}]}],
}


def checked_config(image="registry.fly.io/web:v1"):
    return dict(CHECKED, image=image)


def mpath(app, mid, tail=""):
    return f"/v1/apps/{app}/machines/{mid}{tail}"


def make(sim, app="web", **fields):
    r = sim.create(app, **fields)
    assert r.status_code == 200, r.text
    return r.json()


def started(sim, app="web", **fields):
    m = make(sim, app, **fields)
    sim.wait_state(m["id"], "started")
    return m


# -- transport --------------------------------------------------------------

def test_every_response_carries_a_request_id(flysim):
    answers = [
        flysim.get("/v1/platform/regions", token=False),
        flysim.get("/v1/apps/web/machines"),
        flysim.get("/v1/apps/web/machines/00000000000000"),
        flysim.get("/v1/apps/web/machines", token=False),
        flysim.get("/v1/nowhere"),
    ]
    assert [r.status_code for r in answers] == [200, 200, 404, 401, 404]
    ids = [r.headers["fly-request-id"] for r in answers]
    assert all(REQUEST_ID.match(i) for i in ids), ids
    assert len(set(ids)) == len(ids)
    assert all(r.headers["content-type"].startswith("application/json")
               for r in answers)


def test_regions_need_no_token(flysim):
    r = flysim.get("/v1/platform/regions", token=False)
    assert r.status_code == 200
    body = r.json()
    assert body["nearest"] == "iad"
    codes = [x["code"] for x in body["regions"]]
    assert len(codes) == 28 and len(set(codes)) == 28
    fra = next(x for x in body["regions"] if x["code"] == "fra")
    assert fra["name"] == "Frankfurt"
    assert fra["latitude"] == pytest.approx(50.0379)
    assert fra["longitude"] == pytest.approx(8.5622)
    assert set(fra) >= {"gateway_available", "requires_paid_plan",
                        "deprecated", "geo_region"}


def test_token_is_checked_when_given(flysim_factory):
    sim = flysim_factory(["--auto-apps", "--token", "s3cret-value"])
    assert sim.get("/v1/apps/web/machines", token=False).status_code == 401
    bad = sim.get("/v1/apps/web/machines", token="wrong")
    assert bad.status_code == 401
    assert bad.json()["error"] == "Authenticate: token validation error"
    ok = sim.get("/v1/apps/web/machines", token="s3cret-value")
    assert ok.status_code == 200
    flyv1 = sim.get("/v1/apps/web/machines",
                    headers={"Authorization": "FlyV1 s3cret-value"})
    assert flyv1.status_code == 200
    assert "s3cret-value" not in sim.log()


def test_any_token_is_accepted_by_default(flysim):
    r = flysim.get("/v1/apps/web/machines",
                   headers={"Authorization": "FlyV1 fm2_anything,fm2_x"})
    assert r.status_code == 200
    assert flysim.get("/v1/apps/web/machines",
                      headers={"Authorization": "Bearer "}).status_code == 401


def test_unknown_route_is_404(flysim):
    r = flysim.get("/v1/apps/web/volcanoes")
    assert r.status_code == 404
    assert "error" in r.json()


def test_malformed_json_is_400(flysim):
    r = flysim.post("/v1/apps/web/machines", data="{\"config\": {",
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert r.json()["status"] == "unknown"
    assert flysim.machines() == []


def test_oversized_body_is_413(flysim):
    huge = "{\"config\": {\"image\": \"" + "x" * (1024 * 1024) + "\"}}"
    r = flysim.post("/v1/apps/web/machines", data=huge,
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert flysim.machines() == []


def test_unknown_fields_are_ignored(flysim):
    m = make(flysim, config={"image": "x/y:1", "shiny_new_field": [1]},
             some_future_option=True)
    assert m["config"]["shiny_new_field"] == [1]


# -- apps ---------------------------------------------------------------------

def test_unknown_app_is_404(flysim_factory):
    sim = flysim_factory(["--apps", "known"])
    r = sim.get("/v1/apps/unknown/machines")
    assert r.status_code == 404
    assert r.json()["error"] == "app not found"
    assert sim.get("/v1/apps/known/machines").json() == []


def test_app_create_and_get(flysim_factory):
    sim = flysim_factory([])
    r = sim.post("/v1/apps", {"name": "fresh", "org_slug": "personal"})
    assert r.status_code == 201
    assert "id" in r.json()
    again = sim.post("/v1/apps", {"name": "fresh", "org_slug": "personal"})
    assert again.status_code == 422
    assert again.json()["status"] == "name_taken"
    app = sim.get("/v1/apps/fresh").json()
    assert app["name"] == "fresh"
    assert app["organization"]["slug"] == "personal"
    sim.create_app("viaadmin")
    assert sim.get("/v1/apps/viaadmin/machines").status_code == 200


# -- create and the state machine -------------------------------------------

def test_create_boots_and_checks_pass(flysim):
    flysim.configure(health_delay=30)
    r = flysim.create("web", config=checked_config(), region="fra")
    assert r.status_code == 200
    m = r.json()
    assert MACHINE_ID.match(m["id"]) and NAME.match(m["name"])
    assert m["state"] == "created" and m["region"] == "fra"
    assert ULID.match(m["version"]) and m["instance_id"] == m["version"]
    assert m["private_ip"].startswith("fdaa:")
    assert [e["type"] for e in m["events"]] == ["launch"]
    assert m["events"][0]["status"] == "created"
    assert m["config"]["image"] == "registry.fly.io/web:v1"
    assert m["image_ref"]["registry"] == "registry.fly.io"
    assert m["image_ref"]["repository"] == "web"
    assert m["image_ref"]["tag"] == "v1"
    assert m["host_status"] == "ok" and m["cordoned"] is False
    assert m["created_at"].endswith("Z")
    flysim.wait_state(m["id"], "started")
    got = flysim.get(mpath("web", m["id"])).json()
    assert got["events"][0]["type"] == "start"
    assert got["events"][0]["source"] == "flyd"
    names = {c["name"]: c["status"] for c in got["checks"]}
    assert names == {"health": "critical",
                     "servicecheck-00-tcp-8080": "critical"}
    flysim.configure(health_delay=0)
    wait_until(lambda: all(c["status"] == "passing"
                           for c in flysim.machine(m["id"])["checks"]),
               what="checks passing")
    got = flysim.get(mpath("web", m["id"])).json()
    assert {c["status"] for c in got["checks"]} == {"passing"}


def test_create_requires_an_image(flysim):
    r = flysim.post("/v1/apps/web/machines", {"config": {"env": {}}})
    assert r.status_code == 400
    assert "image" in r.json()["error"]


def test_create_rejects_unknown_region(flysim):
    r = flysim.create("web", region="xyz")
    assert r.status_code == 400
    assert flysim.create("web").json()["region"] == "iad"


def test_create_with_a_region_list_falls_back(flysim):
    flysim.configure(capacity_regions={"fra": 0})
    m = make(flysim, region="fra,ams")
    assert m["region"] == "ams"


def test_skip_launch_stays_created(flysim):
    m = make(flysim, skip_launch=True)
    r = flysim.get(mpath("web", m["id"], "/wait"),
                   params={"state": "started", "timeout": 1})
    assert r.status_code == 408
    assert flysim.machine(m["id"])["state"] == "created"


def test_duplicate_name_is_409(flysim):
    make(flysim, name="only-one")
    r = flysim.create("web", name="only-one")
    assert r.status_code == 409
    assert r.json()["error"].startswith(
        "already_exists: unique machine name violation")


def test_skip_service_registration_cordons(flysim):
    m = make(flysim, skip_service_registration=True)
    assert m["cordoned"] is True
    mid = m["id"]
    assert flysim.post(mpath("web", mid, "/uncordon")).json() == {"ok": True}
    assert flysim.machine(mid)["cordoned"] is False
    flysim.post(mpath("web", mid, "/cordon"))
    assert flysim.get(mpath("web", mid)).json()["cordoned"] is True


def test_seed_makes_ids_repeatable(flysim_factory):
    a = flysim_factory(["--auto-apps", "--seed", "7"])
    b = flysim_factory(["--auto-apps", "--seed", "7"])
    ma, mb = make(a), make(b)
    assert (ma["id"], ma["name"]) == (mb["id"], mb["name"])


# -- list ---------------------------------------------------------------------

@pytest.fixture
def fleet(flysim):
    """Four machines: iad x2 (one stopped later), fra, one destroyed."""
    flysim.configure(rate_limit=False)
    a = make(flysim, region="iad", config={
        "image": "x/y:1", "metadata": {"role": "web", "tier": "a"}})
    b = make(flysim, region="iad", skip_launch=True, config={
        "image": "x/y:1", "metadata": {"role": "web", "tier": "b"}})
    c = make(flysim, region="fra", config={
        "image": "x/y:1", "metadata": {"role": "db"}})
    d = make(flysim, region="fra", skip_launch=True)
    assert flysim.delete(mpath("web", d["id"])).status_code == 200
    flysim.wait_state(d["id"], "destroyed")
    flysim.wait_state(a["id"], "started")
    flysim.wait_state(c["id"], "started")
    return {"a": a["id"], "b": b["id"], "c": c["id"], "d": d["id"]}


def listed(sim, **params):
    r = sim.get("/v1/apps/web/machines", params=params)
    assert r.status_code == 200, r.text
    return [m["id"] for m in r.json()]


def test_list_excludes_destroyed_unless_asked(flysim, fleet):
    assert set(listed(flysim)) == {fleet["a"], fleet["b"], fleet["c"]}
    everything = listed(flysim, include_deleted="true")
    assert fleet["d"] in everything and len(everything) == 4


def test_list_filters_by_region(flysim, fleet):
    assert set(listed(flysim, region="iad")) == {fleet["a"], fleet["b"]}
    assert listed(flysim, region="fra") == [fleet["c"]]


def test_list_filters_by_state(flysim, fleet):
    assert listed(flysim, state="created") == [fleet["b"]]
    both = listed(flysim, state="created,started")
    assert set(both) == {fleet["a"], fleet["b"], fleet["c"]}


def test_list_filters_by_metadata(flysim, fleet):
    assert set(listed(flysim, **{"metadata.role": "web"})) == \
        {fleet["a"], fleet["b"]}
    assert listed(flysim, **{"metadata.role": "web",
                             "metadata.tier": "b"}) == [fleet["b"]]
    assert listed(flysim, **{"metadata.role": "nope"}) == []


def test_list_summary_omits_details(flysim, fleet):
    r = flysim.get("/v1/apps/web/machines", params={"summary": "true"})
    for m in r.json():
        assert "config" not in m and "events" not in m
        assert "checks" not in m and "host_status" not in m
        assert {"id", "name", "state", "region"} <= set(m)


def test_list_pages_with_a_cursor(flysim, fleet):
    r = flysim.get("/v1/apps/web/machines", params={"limit": 2})
    first = [m["id"] for m in r.json()]
    assert len(first) == 2
    cursor = r.headers["fly-next-cursor"]
    r2 = flysim.get("/v1/apps/web/machines",
                    params={"limit": 2, "cursor": cursor})
    second = [m["id"] for m in r2.json()]
    assert "fly-next-cursor" not in r2.headers
    assert set(first + second) == {fleet["a"], fleet["b"], fleet["c"]}


# -- update -------------------------------------------------------------------

def test_update_makes_a_new_version_and_guards_stale_ones(flysim):
    m = started(flysim, config=checked_config())
    old = m["version"]
    r = flysim.post(mpath("web", m["id"]),
                    {"config": checked_config("registry.fly.io/web:v2"),
                     "current_version": old})
    assert r.status_code == 200, r.text
    new = r.json()
    assert new["version"] != old and ULID.match(new["version"])
    assert new["instance_id"] == new["version"]
    assert new["state"] == "replacing"
    assert new["config"]["image"].endswith(":v2")
    assert {c["status"] for c in new["checks"]} == {"critical"}
    flysim.wait_state(m["id"], "started")
    stale = flysim.post(mpath("web", m["id"]),
                        {"config": checked_config(), "current_version": old})
    assert stale.status_code == 409


def test_update_replaces_the_whole_config(flysim):
    m = make(flysim, config={"image": "a/b:1", "env": {"A": "1"},
                             "metadata": {"k": "v"}})
    r = flysim.post(mpath("web", m["id"]), {"config": {"image": "a/b:2"}})
    assert r.status_code == 200
    assert r.json()["config"] == {"image": "a/b:2"}


def test_update_cannot_move_a_machine(flysim):
    m = make(flysim, region="fra")
    r = flysim.post(mpath("web", m["id"]),
                    {"config": {"image": "a/b:2"}, "region": "iad"})
    assert r.status_code == 400
    assert flysim.machine(m["id"])["image"] != "a/b:2"


def test_update_with_skip_launch_leaves_it_stopped(flysim):
    m = started(flysim)
    r = flysim.post(mpath("web", m["id"]),
                    {"config": {"image": "a/b:2"}, "skip_launch": True})
    assert r.status_code == 200
    flysim.wait_state(m["id"], "stopped")


# -- start, stop, suspend, restart -------------------------------------------

def test_stop_then_start(flysim):
    m = started(flysim)
    mid = m["id"]
    r = flysim.post(mpath("web", mid, "/stop"),
                    {"signal": "SIGTERM", "timeout": "10s"})
    assert r.status_code == 200 and r.json() == {"ok": True}
    flysim.wait_state(mid, "stopped")
    got = flysim.get(mpath("web", mid)).json()
    assert got["events"][0]["type"] == "exit"
    assert got["events"][0]["status"] == "stopped"
    r = flysim.post(mpath("web", mid, "/start"))
    assert r.json() == {"previous_state": "stopped", "migrated": False,
                        "new_host": ""}
    flysim.wait_state(mid, "started")


def test_starting_a_started_machine(flysim):
    m = started(flysim)
    r = flysim.post(mpath("web", m["id"], "/start"))
    assert r.status_code == 412
    flysim.configure(start_started_ok=True)
    r = flysim.post(mpath("web", m["id"], "/start"))
    assert r.status_code == 200
    assert r.json()["previous_state"] == "started"


def test_suspend_and_restart(flysim):
    m = started(flysim)
    mid = m["id"]
    assert flysim.post(mpath("web", mid, "/restart")).status_code == 200
    assert flysim.machine(mid)["state"] == "restarting"
    flysim.wait_state(mid, "started")
    assert flysim.post(mpath("web", mid, "/suspend")).status_code == 200
    flysim.wait_state(mid, "suspended")
    assert flysim.post(mpath("web", mid, "/restart")).status_code == 412


def test_events_are_newest_first(flysim):
    m = started(flysim)
    flysim.post(mpath("web", m["id"], "/stop"))
    flysim.wait_state(m["id"], "stopped")
    events = flysim.get(mpath("web", m["id"], "/events")).json()
    assert [e["type"] for e in events] == ["exit", "stop", "start", "launch"]
    stamps = [e["timestamp"] for e in events]
    assert stamps == sorted(stamps, reverse=True)
    assert {e["source"] for e in events} == {"user", "flyd"}
    assert all(ULID.match(e["id"]) for e in events)


# -- destroy ------------------------------------------------------------------

def test_destroying_a_running_machine_needs_force(flysim):
    m = started(flysim)
    r = flysim.delete(mpath("web", m["id"]))
    assert r.status_code == 412
    assert r.json()["error"] == \
        "unable to destroy machine, not currently stopped"
    assert flysim.machine(m["id"])["state"] == "started"
    r = flysim.delete(mpath("web", m["id"]), params={"force": "true"})
    assert r.status_code == 200 and r.json() == {"ok": True}
    flysim.wait_state(m["id"], "destroyed")
    got = flysim.get(mpath("web", m["id"]))
    assert got.status_code == 200 and got.json()["state"] == "destroyed"
    assert flysim.get("/v1/apps/web/machines").json() == []


def test_kill_is_accepted_like_force(flysim):
    m = started(flysim)
    assert flysim.delete(mpath("web", m["id"]),
                         params={"kill": "true"}).status_code == 200
    flysim.wait_state(m["id"], "destroyed")
    gone = flysim.delete(mpath("web", m["id"]), params={"kill": "true"})
    assert gone.status_code == 404


def test_destroy_without_stop_can_be_allowed(flysim):
    flysim.configure(destroy_requires_stop=False)
    m = started(flysim)
    assert flysim.delete(mpath("web", m["id"])).status_code == 200


def test_stopped_machine_destroys_without_force(flysim):
    m = make(flysim, skip_launch=True)
    assert flysim.delete(mpath("web", m["id"])).status_code == 200
    assert flysim.machine(m["id"])["state"] in ("destroying", "destroyed")


# -- wait ---------------------------------------------------------------------

def test_wait_returns_once_the_state_is_reached(flysim):
    m = make(flysim)
    r = flysim.get(mpath("web", m["id"], "/wait"),
                   params={"state": "started", "timeout": 30})
    assert r.status_code == 200
    assert r.json()["ok"] is True
    assert flysim.machine(m["id"])["state"] == "started"


def test_wait_accepts_several_states_and_settled(flysim):
    m = make(flysim, skip_launch=True)
    r = flysim.get(mpath("web", m["id"], "/wait"),
                   params={"state": "stopped,created", "timeout": 5})
    assert r.status_code == 200
    r = flysim.get(mpath("web", m["id"], "/wait"),
                   params={"state": "settled", "timeout": 5})
    assert r.status_code == 200


def test_wait_times_out_with_408(flysim):
    m = make(flysim, skip_launch=True)
    r = flysim.get(mpath("web", m["id"], "/wait"),
                   params={"state": "started", "timeout": 1})
    assert r.status_code == 408
    assert r.json()["error"] == \
        "deadline_exceeded: timeout waiting for machine to be started"


def test_wait_rejects_bad_timeouts(flysim):
    m = make(flysim)
    for bad in ("0", "61", "soon"):
        r = flysim.get(mpath("web", m["id"], "/wait"),
                       params={"state": "started", "timeout": bad})
        assert r.status_code == 400, bad
        assert "invalid_argument" in r.json()["error"]


def test_a_long_wait_does_not_block_other_requests(flysim):
    m = make(flysim, skip_launch=True)
    result = {}

    def long_wait():
        result["r"] = flysim.get(mpath("web", m["id"], "/wait"),
                                 params={"state": "stopped", "timeout": 20})

    waiter = threading.Thread(target=long_wait)
    waiter.start()
    time.sleep(0.3)  # let the wait reach flysim; not a timing assertion
    listing = flysim.get("/v1/apps/web/machines", timeout=10)
    assert listing.status_code == 200
    assert "r" not in result, "the wait answered before the list"
    flysim.post(mpath("web", m["id"], "/start"))
    flysim.wait_state(m["id"], "started")
    flysim.post(mpath("web", m["id"], "/stop"))
    waiter.join(timeout=30)
    assert result["r"].status_code == 200


# -- leases -------------------------------------------------------------------

def test_lease_acquire_refresh_conflict_release(flysim):
    m = make(flysim)
    lp = mpath("web", m["id"], "/lease")
    r = flysim.post(lp, {"ttl": 30, "description": "deploy"})
    assert r.status_code == 201
    body = r.json()
    assert body["status"] == "success"
    nonce = body["data"]["nonce"]
    assert NONCE.match(nonce)
    assert body["data"]["version"] == m["version"]
    assert isinstance(body["data"]["expires_at"], int)
    again = flysim.post(lp, params={"ttl": 60},
                        headers={"fly-machine-lease-nonce": nonce})
    assert again.status_code == 201
    assert again.json()["data"]["nonce"] == nonce
    clash = flysim.post(lp, {"ttl": 30})
    assert clash.status_code == 409
    assert clash.json()["status"] == "error"
    assert clash.json()["code"] == "invalid"
    assert "lease currently held by" in clash.json()["message"]
    assert flysim.get(lp).json()["data"]["owner"]
    assert flysim.delete(lp).status_code == 400
    done = flysim.delete(lp, headers={"fly-machine-lease-nonce": nonce})
    assert done.status_code == 200
    assert done.json() == {"status": "success", "data": {"ok": True}}
    assert flysim.get(lp).status_code == 404


def test_leased_machine_refuses_mutations_without_the_nonce(flysim):
    m = started(flysim)
    lp = mpath("web", m["id"], "/lease")
    nonce = flysim.post(lp, {"ttl": 30}).json()["data"]["nonce"]
    r = flysim.post(mpath("web", m["id"], "/stop"))
    assert r.status_code == 409
    assert r.json()["error"].startswith(
        f"aborted: machine ID {m['id']} lease currently held by")
    assert flysim.machine(m["id"])["state"] == "started"
    md = flysim.post(mpath("web", m["id"], "/metadata/k"), {"value": "v"})
    assert md.status_code == 204, "metadata writes are not lease-gated"
    ok = flysim.post(mpath("web", m["id"], "/stop"),
                     headers={"fly-machine-lease-nonce": nonce})
    assert ok.status_code == 200


def test_create_with_lease_ttl_returns_a_nonce(flysim):
    m = make(flysim, lease_ttl=30)
    assert NONCE.match(m["nonce"])
    r = flysim.post(mpath("web", m["id"]), {"config": {"image": "a/b:2"}})
    assert r.status_code == 409
    r = flysim.post(mpath("web", m["id"]), {"config": {"image": "a/b:2"}},
                    headers={"fly-machine-lease-nonce": m["nonce"]})
    assert r.status_code == 200


def test_planted_lease_belongs_to_someone_else(flysim):
    m = started(flysim)
    flysim.plant_lease("web", m["id"], owner="alice@example.com", ttl=60)
    r = flysim.delete(mpath("web", m["id"]), params={"force": "true"})
    assert r.status_code == 409
    assert "alice@example.com" in r.json()["error"]
    clash = flysim.post(mpath("web", m["id"], "/lease"), {"ttl": 10})
    assert clash.status_code == 409
    assert flysim.machine(m["id"])["lease"]["owner"] == "alice@example.com"


def test_leases_expire(flysim):
    m = make(flysim)
    lp = mpath("web", m["id"], "/lease")
    assert flysim.post(lp, {"ttl": 1}).status_code == 201
    wait_until(lambda: flysim.machine(m["id"])["lease"] is None,
               what="lease expiry")
    assert flysim.get(lp).status_code == 404
    assert flysim.post(lp, {"ttl": 30}).status_code == 201


# -- metadata -----------------------------------------------------------------

def test_metadata_endpoints(flysim):
    flysim.configure(rate_limit=False)
    m = make(flysim, config={"image": "a/b:1", "metadata": {"keep": "1"}})
    base = mpath("web", m["id"], "/metadata")
    assert flysim.get(base).json() == {"keep": "1"}
    assert flysim.post(base + "/owner", {"value": "rhone"}).status_code == 204
    assert flysim.get(base + "/owner").json() == {"value": "rhone"}
    r = flysim.patch(base, {"metadata": {"keep": None, "new": "x"}})
    assert r.status_code == 204
    assert flysim.get(base).json() == {"owner": "rhone", "new": "x"}
    assert flysim.delete(base + "/owner").status_code == 204
    assert flysim.get(base + "/owner").status_code == 404
    got = flysim.get(mpath("web", m["id"])).json()
    assert got["config"]["metadata"] == {"new": "x"}


# -- capacity, rate limits, health --------------------------------------------

def test_a_full_region_refuses_creates(flysim_factory):
    sim = flysim_factory(["--auto-apps", "--capacity-region", "fra=1"])
    make(sim, region="fra")
    r = sim.create("web", region="fra")
    assert r.status_code == 422
    assert r.json() == {"error": "could not find a candidate host",
                        "status": "insufficient_capacity"}
    sim.configure(capacity_regions={"fra": 2})
    assert sim.create("web", region="fra").status_code == 200


def test_create_burst_is_rate_limited(flysim):
    codes = []
    for _ in range(10):
        codes.append(flysim.create("burst", skip_launch=True).status_code)
        if codes[-1] == 429:
            break
    assert codes[:3] == [200, 200, 200]
    assert codes[-1] == 429, codes
    r = flysim.create("burst", skip_launch=True)
    if r.status_code == 429:
        assert r.json() == {"error": "rate limit exceeded",
                            "status": "unknown"}
    assert flysim.create("other", skip_launch=True).status_code == 200
    assert flysim.calls()["ops"]["create"]["by_status"]["429"] >= 1


def test_get_allows_a_burst_of_ten(flysim):
    m = make(flysim, skip_launch=True)
    codes = [flysim.get(mpath("web", m["id"])).status_code
             for _ in range(10)]
    assert codes == [200] * 10
    more = [flysim.get(mpath("web", m["id"])).status_code
            for _ in range(20)]
    assert 429 in more


def test_rate_limits_can_be_turned_off(flysim_factory):
    sim = flysim_factory(["--auto-apps", "--no-rate-limit"])
    codes = {sim.create("web", skip_launch=True).status_code
             for _ in range(8)}
    assert codes == {200}


def test_unhealthy_image_stays_critical(flysim_factory):
    sim = flysim_factory(["--auto-apps", "--health-delay", "0",
                          "--unhealthy-image", "broken"])
    good = started(sim, config=checked_config("registry.fly.io/web:ok"))
    bad = started(sim, config=checked_config("registry.fly.io/web:broken"))
    wait_until(lambda: {c["status"] for c in sim.machine(good["id"])[
        "checks"]} == {"passing"}, what="healthy checks passing")
    got = sim.get(mpath("web", bad["id"])).json()
    assert got["state"] == "started"
    assert {c["status"] for c in got["checks"]} == {"critical"}


def test_machine_without_checks_has_none(flysim):
    m = started(flysim)
    got = flysim.get(mpath("web", m["id"])).json()
    assert not got.get("checks")


# -- faults -------------------------------------------------------------------

def test_fault_answers_the_next_requests(flysim):
    flysim.fault("create", status=503, count=2)
    assert flysim.create("web").status_code == 503
    assert flysim.create("web").status_code == 503
    assert flysim.create("web").status_code == 200
    assert len(flysim.machines()) == 1


def test_fault_filters_by_region(flysim):
    flysim.configure(rate_limit=False)
    flysim.fault("create", status=500, region="fra")
    assert flysim.create("web", region="iad").status_code == 200
    assert flysim.create("web", region="fra").status_code == 500
    assert flysim.create("web", region="fra").status_code == 200


def test_fault_after_apply_creates_anyway(flysim):
    flysim.fault("create", status=504, after_apply=True,
                 body={"error": "upstream timeout"})
    r = flysim.create("web", config={"image": "a/b:1",
                                     "metadata": {"launch": "L1"}})
    assert r.status_code == 504
    assert r.json() == {"error": "upstream timeout"}
    found = flysim.get("/v1/apps/web/machines",
                       params={"metadata.launch": "L1"}).json()
    assert len(found) == 1


def test_fault_with_status_zero_drops_the_connection(flysim):
    flysim.fault("list", status=0, delay_ms=50)
    with pytest.raises(requests.ConnectionError):
        flysim.get("/v1/apps/web/machines")
    assert flysim.get("/v1/apps/web/machines").status_code == 200


def test_fault_rules_are_listed_and_cleared(flysim):
    flysim.fault("get", status=500, count=5)
    assert len(requests.get(flysim.url + "/_sim/faults").json()) == 1
    flysim.clear_faults()
    assert requests.get(flysim.url + "/_sim/faults").json() == []
    bad = requests.post(flysim.url + "/_sim/faults", json={"op": "nope"})
    assert bad.status_code == 400


# -- admin: calls, machines, timeline, config ---------------------------------

def test_calls_count_ops_statuses_and_mutations(flysim):
    m = make(flysim, skip_launch=True)
    flysim.get(mpath("web", m["id"]))
    flysim.get(mpath("web", "00000000000000"))
    flysim.post(mpath("web", m["id"], "/metadata/a"), {"value": "1"})
    calls = flysim.calls()
    assert calls["total"] == 4
    assert calls["mutating"] == 2
    assert calls["ops"]["get"] == {"total": 2,
                                   "by_status": {"200": 1, "404": 1}}
    assert calls["ops"]["create"]["by_status"] == {"200": 1}
    flysim.reset_calls()
    assert flysim.calls()["total"] == 0


def test_admin_machines_lists_everything(flysim):
    m = make(flysim, region="fra", skip_launch=True,
             config={"image": "a/b:1", "metadata": {"x": "y"}})
    flysim.delete(mpath("web", m["id"]))
    flysim.wait_state(m["id"], "destroyed")
    row = flysim.machines()[0]
    assert row["app"] == "web" and row["region"] == "fra"
    assert row["image"] == "a/b:1" and row["metadata"] == {"x": "y"}
    assert row["version"] == m["version"] and row["lease"] is None
    assert set(row) >= {"id", "name", "state", "checks", "cordoned",
                        "created_at"}


def test_timeline_tracks_ready_and_alive(flysim):
    flysim.configure(health_delay=0)
    a = started(flysim, region="ams", config=checked_config())
    b = started(flysim, region="ams", config=checked_config())
    wait_until(lambda: any(p["ready"] == 2 for p in flysim.timeline("web")),
               what="two ready machines")
    flysim.delete(mpath("web", a["id"]), params={"force": "true"})
    flysim.wait_state(a["id"], "destroyed")
    points = [p for p in flysim.timeline("web") if p["region"] == "ams"]
    alive = [p["alive"] for p in points]
    steps = [n for i, n in enumerate(alive) if i == 0 or alive[i - 1] != n]
    assert steps == [1, 2, 1]
    assert max(p["ready"] for p in points) == 2
    assert points[-1]["alive"] == 1 and points[-1]["ready"] == 1
    times = [p["t"] for p in points]
    assert times == sorted(times)
    assert b["id"] != a["id"]


def test_config_round_trips_and_rejects_unknown_keys(flysim):
    cfg = flysim.configure(boot_delay=0.05, capacity=7,
                           unhealthy_image="bad", token=None)
    assert cfg["boot_delay"] == pytest.approx(0.05)
    assert cfg["capacity"] == 7 and cfg["unhealthy_image"] == "bad"
    assert flysim.config()["destroy_requires_stop"] is True
    r = requests.post(flysim.url + "/_sim/config", json={"bogus": 1})
    assert r.status_code == 400
    r = requests.post(flysim.url + "/_sim/config",
                      json={"capacity": 3, "boot_delay": -1})
    assert r.status_code == 400
    assert flysim.config()["capacity"] == 7, "nothing applied on error"


def test_token_can_be_set_at_runtime(flysim):
    flysim.configure(token="later")
    assert flysim.get("/v1/apps/web/machines").status_code == 401
    assert flysim.get("/v1/apps/web/machines",
                      token="later").status_code == 200
    assert flysim.config()["token"] != "later"
