"""Leader election on a Postgres advisory lock: real controllers, a real
PostgreSQL server and flysim. One replica leads and reconciles; the others
stand by, make no Fly call, and take over when the leader's session ends.
A leader that loses its lock session stops acting at once."""
import json
import subprocess
import time
import urllib.error
import urllib.request
import uuid

import pytest

from conftest import free_port
from pg import pg_factory, pg_server, pg_url, sql  # noqa: F401 (fixtures)
from rhone import (BINARY, TOKEN, Controller, alive, kill, made_with,
                   per_region, regionset, wait_for)
from test_postgres_source import region_status

V1 = "registry.fly.io/acme-web:v1"
V2 = "registry.fly.io/acme-web:v2"


# -- database rows ---------------------------------------------------------

def add_app(url, fly_app_id, primary, regions, image, counts=None):
    """A pro team's app as the platform writes it, with a deployment."""
    team, app = str(uuid.uuid4()), str(uuid.uuid4())
    sql(url, "INSERT INTO teams (id, name, plan) VALUES (%s, %s, 'pro')",
        (team, "team-" + team[:8]))
    sql(url, "INSERT INTO apps (id, team_id, name, fly_app_id, "
             "primary_region, regions) VALUES (%s, %s, %s, %s, %s, %s)",
        (app, team, fly_app_id + "-name", fly_app_id, primary,
         ",".join(regions)))
    for region, n in (counts or {}).items():
        sql(url, "INSERT INTO app_region_counts (app_id, region, count) "
                 "VALUES (%s, %s, %s)", (app, region, n))
    deploy(url, app, image)
    return app


def deploy(url, app, image):
    sql(url, "INSERT INTO deployments (app_id, image) VALUES (%s, %s)",
        (app, image))


# -- the controllers ---------------------------------------------------------

def get(c, path):
    """(HTTP status, body) of one request to a controller."""
    try:
        with urllib.request.urlopen(c.url + path, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def role(c):
    return c.status()["metadata"]["role"]


def readyz(c):
    code, body = get(c, "/readyz")
    return code, json.loads(body)


def metric(c, name):
    """The value of an unlabelled sample, or the sum of a labelled one's
    samples (0 when it has none)."""
    total = 0.0
    for line in get(c, "/metrics")[1].splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            total += float(line.rsplit(" ", 1)[1])
    return total


def fly_calls(c):
    return metric(c, "rhone_fly_api_requests_total")


def answered(sim):
    """Calls flysim answered, long-running waits left out (a wait sent
    before a fence may still end afterwards)."""
    calls = sim.calls()
    return calls["total"] - calls["ops"]["wait"]["total"]


@pytest.fixture
def sim(flysim_factory):
    s = flysim_factory(["--auto-apps", "--health-delay", "1.5"])
    # A lease a killed leader held would otherwise block its successor
    # for the full 30 s; as if time ran fast.
    s.configure(lease_ttl_max=1.0)
    return s


@pytest.fixture
def ctls(ctl_factory):
    """start(source, *args) -> a started controller with election on."""
    return lambda source, *args: ctl_factory(
        source=source, extra_args=["--resync", "2s", "--leader-elect", *args])


def on_v2_without_duplicates(sim, desired):
    """acme-web runs V2 as desired and no duplicate: one V2 machine per
    desired slot was ever made, none made and then destroyed again."""
    now = alive(sim, "acme-web")
    assert per_region(now) == desired
    assert {m["image"] for m in now} == {V2}
    v2 = made_with(sim, V2, "acme-web")
    assert per_region(v2) == desired, v2
    assert all(m["state"] != "destroyed" for m in v2)


def leader_and_standby(a, b):
    wait_for(lambda: {role(a), role(b)} == {"leader", "standby"},
             timeout=30, what="one leader and one standby")
    return (a, b) if role(a) == "leader" else (b, a)


# -- the tests ---------------------------------------------------------------

def test_one_leads_the_other_stands_by(sim, ctls, db):
    app = add_app(db, "acme-web", "iad", ["iad", "fra"], V1,
                  counts={"fra": 2})
    first = ctls(db)
    wait_for(lambda: role(first) == "leader", timeout=30,
             what="the only replica to lead")
    second = ctls(db)
    lead, standby = leader_and_standby(first, second)
    assert lead is first, "the standby took the lock from a live leader"
    lead.wait_phase("acme-web", "Converged")
    wait_for(lambda: region_status(db, app) == {
        "iad": (1, 1, 1, 1, "Converged"),
        "fra": (2, 2, 2, 2, "Converged")}, timeout=30,
        what="region_status written by the leader")

    # The standby serves region convergence from region_status.
    item = wait_for(lambda: standby.item("acme-web")["status"]["phase"] ==
                    "Converged" and standby.item("acme-web"), timeout=30,
                    what="the standby's view of acme-web")
    assert item["spec"] is None
    assert item["status"]["statusFrom"] == "region_status"
    assert [(r["region"], r["primary"], r["desired"], r["ready"],
             r["phase"]) for r in item["status"]["regions"]] == \
        [("iad", True, 1, 1, "Converged"), ("fra", False, 2, 2, "Converged")]
    meta = standby.status()["metadata"]
    assert meta["role"] == "standby"
    assert meta["statusFrom"] == "region_status"
    assert meta["leader"].endswith(f"/{lead.proc.pid}")
    assert lead.status()["metadata"]["role"] == "leader"
    assert lead.status()["metadata"]["leader"].endswith(f"/{lead.proc.pid}")
    assert get(standby, "/status/nope")[0] == 404

    # Ready, as a standby: it could take over at once.
    assert readyz(standby) == (200, {"ready": True, "role": "standby"})
    assert readyz(lead) == (200, {"ready": True, "role": "leader"})
    assert metric(lead, "rhone_leader") == 1
    assert metric(standby, "rhone_leader") == 0

    # The standby never called the Fly API, through several resyncs.
    time.sleep(3)
    assert fly_calls(lead) > 0
    assert fly_calls(standby) == 0
    assert role(standby) == "standby"
    assert "leader_role_changed" in lead.output()
    assert "to=leader" not in standby.output()


def test_leader_killed_mid_rollout(sim, ctls, db):
    desired = {"iad": 1, "fra": 2, "nrt": 1}
    app = add_app(db, "acme-web", "iad", ["iad", "fra", "nrt"], V1,
                  counts={"fra": 2})
    lead, standby = leader_and_standby(ctls(db), ctls(db))
    lead.wait_phase("acme-web", "Converged", timeout=90)

    deploy(db, app, V2)
    wait_for(lambda: made_with(sim, V2, "acme-web"), timeout=30,
             what="the v2 rollout to start")
    kill(lead)

    wait_for(lambda: role(standby) == "leader", timeout=15,
             what="the standby to take over")
    assert metric(standby, "rhone_leader") == 1
    standby.wait_phase("acme-web", "Converged", timeout=120)
    on_v2_without_duplicates(sim, desired)
    # Every v1 machine is gone.
    assert {m["state"] for m in made_with(sim, V1, "acme-web")} == \
        {"destroyed"}
    wait_for(lambda: region_status(db, app) == {
        "iad": (1, 1, 1, 1, "Converged"), "fra": (2, 2, 2, 2, "Converged"),
        "nrt": (1, 1, 1, 1, "Converged")}, timeout=30,
        what="region_status from the new leader")


def test_postgres_restart_fences_the_leader(flysim_factory, pg_factory):
    """YAML mode, Postgres for the lock only. The database goes away in
    the middle of a rollout: the leader stops calling the Fly API at
    once, stands by, takes the lock again when the database is back and
    converges without a duplicate machine."""
    server = pg_factory()
    lock = server.create_db()
    sim = flysim_factory(["--auto-apps", "--health-delay", "3"])
    sim.configure(lease_ttl_max=1.0)
    desired = {"iad": 1, "fra": 2, "nrt": 1}
    c = Controller(sim.url, free_port(), ["--resync", "1s",
                   "--leader-elect", "--leader-elect-url", lock])
    c.write("web.yaml", regionset("web", "acme-web", V1, "iad",
                                  [("fra", 2), "nrt"]))
    c.start()
    try:
        wait_for(lambda: role(c) == "leader", timeout=30, what="leader")
        c.wait_phase("web", "Converged", timeout=90)
        c.write("web.yaml", regionset("web", "acme-web", V2, "iad",
                                      [("fra", 2), "nrt"]))
        wait_for(lambda: made_with(sim, V2, "acme-web"), timeout=30,
                 what="the v2 rollout to start")
        server.stop()

        wait_for(lambda: role(c) == "standby", timeout=15,
                 what="the leader to fence itself")
        assert metric(c, "rhone_leader") == 0
        code, body = readyz(c)
        assert code == 503 and body["reason"] == "LockUnavailable", body
        assert body["role"] == "standby"
        time.sleep(0.5)      # answers to calls sent before the fence
        calls = answered(sim)
        machines = {(m["id"], m["state"]) for m in
                    sim.machines("acme-web")}
        time.sleep(4)        # several ticks, resyncs and reconnects
        assert answered(sim) == calls, "a fenced leader called the API"
        assert c.phase("web") != "Converged"
        assert "leader_fenced" in c.output()
        still = {(m["id"], m["state"]) for m in sim.machines("acme-web")}
        assert {i for i, _ in still} == {i for i, _ in machines}

        server.start()
        wait_for(lambda: role(c) == "leader", timeout=30,
                 what="the lock taken again")
        c.wait_phase("web", "Converged", timeout=120)
        on_v2_without_duplicates(sim, desired)
        assert metric(c, "rhone_leader_changes_total") == 3
    finally:
        rc = c.stop()
    assert rc == 0, c.output()


def test_yaml_replicas_share_a_lock_only_database(sim, ctls, pg_url):
    first = ctls(None, "--leader-elect-url", pg_url)
    first.write("web.yaml", regionset("web", "acme-web", V1, "iad",
                                      ["fra"]))
    wait_for(lambda: role(first) == "leader", timeout=30, what="leader")
    second = ctls(first.dir, "--leader-elect-url", pg_url)
    lead, standby = leader_and_standby(first, second)
    lead.wait_phase("web", "Converged")

    # A YAML standby shows its own loaded spec and says it stands by.
    status = standby.status()
    assert status["metadata"]["role"] == "standby"
    assert "statusFrom" not in status["metadata"]
    assert [i["spec"]["image"] for i in status["items"]] == [V1]
    assert readyz(standby) == (200, {"ready": True, "role": "standby"})
    assert fly_calls(standby) == 0

    # Another lock name is another election: that replica leads too.
    other = ctls(first.dir, "--leader-elect-url", pg_url,
                 "--leader-elect-name", "other-fleet")
    wait_for(lambda: role(other) == "leader", timeout=30,
             what="the replica of another election to lead")
    other.stop()

    # SIGTERM: the leader's session ends, the standby takes over and
    # rolls out the next change.
    lead.stop()
    wait_for(lambda: role(standby) == "leader", timeout=15,
             what="the standby to take over")
    standby.write("web.yaml", regionset("web", "acme-web", V2, "iad",
                                        ["fra"]))
    standby.wait_converged_on("web", V2, timeout=90)
    assert {m["image"] for m in alive(sim, "acme-web")} == {V2}
    assert per_region(alive(sim, "acme-web")) == {"iad": 1, "fra": 1}


@pytest.mark.parametrize("args, message", [
    (["--leader-elect"], "needs --leader-elect-url"),
    (["--leader-elect-url", "postgres://h/db"], "needs --leader-elect"),
    (["--leader-elect", "--leader-elect-url", "mysql://h/db"],
     "must be a postgres:// URL"),
    (["--leader-elect=maybe"], "is not 1, 0, true or false"),
])
def test_election_options_are_checked(tmp_path, args, message):
    r = subprocess.run([BINARY, "run", "--source", str(tmp_path), *args],
                       env={"FLY_API_TOKEN": TOKEN}, capture_output=True,
                       text=True, timeout=10)
    assert r.returncode == 2
    assert message in r.stderr, r.stderr
