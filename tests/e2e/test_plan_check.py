"""The plan check end to end: multi-region needs the team's pro plan.

A real PostgreSQL server, flysim and the real controller: an app on
another plan runs in its primary region only and says PlanRequired; a
downgrade leaves the machines of the other regions running, untouched
and reported; an upgrade lets them converge again. And `plan --source
postgres://...` reads the same rows once and prints what is held."""
import os
import subprocess

import pytest

from conftest import free_port
from pg import pg_server, pg_url, sql  # noqa: F401 (fixtures)
from rhone import BINARY, TOKEN, alive, migrate, per_region, wait_for
from test_postgres_source import (add_app, add_team, deploy, deployments,
                                  region_status)

WHY = "multi-region needs the pro plan (team plan: free)"


def regions_of(item):
    return {r["region"]: r for r in item["status"]["regions"]}


def condition(item, kind):
    return [c for c in item["status"]["conditions"]
            if c["type"] == kind][0]


def event_reasons(item):
    return [e["reason"] for e in item["status"]["events"]]


def held_everywhere_but(c, name, primary):
    """The item once every region but the primary says Held."""
    def check():
        item = c.item(name)
        regs = regions_of(item)
        return len(regs) > 1 and all(
            (r["phase"] == "Held") == (code != primary)
            for code, r in regs.items()) and item
    return wait_for(check, timeout=30, what="held regions")


def ids_in(sim, app, regions):
    return {m["id"] for m in alive(sim, app) if m["region"] in regions}


def test_free_team_runs_in_the_primary_only(sim, ctl_factory, db):
    team = add_team(db, plan="free")
    app = add_app(db, team, "acme-web", "iad", ["iad", "fra", "nrt"],
                  image="registry.fly.io/acme-web:v1", counts={"nrt": 2})
    c = ctl_factory(source=db, resync="10m")

    item = c.wait_phase("acme-web", "Converged")
    item = held_everywhere_but(c, "acme-web", "iad")
    assert per_region(alive(sim, "acme-web")) == {"iad": 1}
    assert sim.calls()["ops"]["create"]["total"] == 1
    regs = regions_of(item)
    assert regs["iad"]["phase"] == "Converged"
    for code in ("fra", "nrt"):
        r = regs[code]
        assert (r["desired"], r["current"], r["reason"]) == \
            (0, 0, "PlanRequired")
        assert r["message"] == \
            f"PlanRequired: {WHY}: not deployed here"
    held = condition(item, "RegionsHeld")
    assert (held["status"], held["reason"]) == ("True", "PlanRequired")
    assert held["message"] == f"fra, nrt held: {WHY}"
    assert condition(item, "Ready")["status"] == "True"
    assert "PlanRequired" in event_reasons(item)

    want = {"iad": (1, 1, 1, 1, "Converged"),
            "fra": (0, 0, 0, 0, "Held"),
            "nrt": (0, 0, 0, 0, "Held")}
    wait_for(lambda: region_status(db, app) == want, timeout=30,
             what="region_status rows")
    msg = sql(db, "SELECT message FROM region_status WHERE app_id = %s "
                  "AND region = 'fra'", (app,))[0][0]
    assert WHY in msg
    wait_for(lambda: deployments(db, app) ==
             [("registry.fly.io/acme-web:v1", "succeeded", "iad", True)],
             timeout=30, what="the deployment succeeded in iad")


def test_downgrade_keeps_machines_upgrade_resumes(sim, ctl_factory, db):
    team = add_team(db, plan="pro")
    app = add_app(db, team, "acme-web", "iad", ["iad", "fra", "nrt"],
                  image="registry.fly.io/acme-web:v1", counts={"nrt": 2})
    c = ctl_factory(source=db, resync="10m")
    c.wait_phase("acme-web", "Converged")
    assert per_region(alive(sim, "acme-web")) == {"iad": 1, "fra": 1,
                                                 "nrt": 2}
    kept = ids_in(sim, "acme-web", {"fra", "nrt"})

    # A billing change, through NOTIFY (the resync is far away).
    sql(db, "UPDATE teams SET plan = 'free' WHERE id = %s", (team,))
    item = held_everywhere_but(c, "acme-web", "iad")
    regs = regions_of(item)
    assert (regs["fra"]["current"], regs["fra"]["ready"]) == (1, 1)
    assert regs["fra"]["message"] == \
        f"PlanRequired: {WHY}: 1 machine left as it is"
    assert (regs["nrt"]["desired"], regs["nrt"]["current"]) == (2, 2)
    assert regs["nrt"]["message"] == \
        f"PlanRequired: {WHY}: 2 machines left as they are"
    assert [m["image"] for m in regs["nrt"]["machines"]] == \
        ["registry.fly.io/acme-web:v1"] * 2
    assert item["status"]["phase"] == "Converged"
    assert "PlanRequired" in event_reasons(item)
    wait_for(lambda: region_status(db, app).get("nrt") ==
             (2, 2, 2, 2, "Held"), timeout=30, what="nrt row Held")
    # Its machines still run the deployment: it is still deployed there.
    assert deployments(db, app)[-1][1:3] == ("succeeded", "iad,fra,nrt")

    # A new image rolls out where the plan allows, and only there.
    deploy(db, app, "registry.fly.io/acme-web:v2")
    wait_for(lambda: {m["image"] for m in alive(sim, "acme-web")
                      if m["region"] == "iad"} ==
             {"registry.fly.io/acme-web:v2"}, timeout=60, what="iad on v2")
    c.wait_phase("acme-web", "Converged")
    assert ids_in(sim, "acme-web", {"fra", "nrt"}) == kept
    assert {m["image"] for m in alive(sim, "acme-web")
            if m["region"] != "iad"} == {"registry.fly.io/acme-web:v1"}
    regs = regions_of(c.item("acme-web"))
    assert (regs["fra"]["updated"], regs["fra"]["outdated"]) == (0, 1)
    wait_for(lambda: deployments(db, app)[-1] ==
             ("registry.fly.io/acme-web:v2", "succeeded", "iad", True),
             timeout=30, what="v2 succeeded in iad")

    # Back on pro: the held regions converge like any other.
    sql(db, "UPDATE teams SET plan = 'pro' WHERE id = %s", (team,))
    wait_for(lambda: {m["image"] for m in alive(sim, "acme-web")} ==
             {"registry.fly.io/acme-web:v2"} and
             per_region(alive(sim, "acme-web")) ==
             {"iad": 1, "fra": 1, "nrt": 2}, timeout=90,
             what="fra and nrt on v2")
    item = c.wait_phase("acme-web", "Converged")
    assert {r["phase"] for r in item["status"]["regions"]} == {"Converged"}
    assert condition(item, "RegionsHeld")["status"] == "False"
    assert "RegionsReleased" in event_reasons(item)
    wait_for(lambda: deployments(db, app)[-1] ==
             ("registry.fly.io/acme-web:v2", "succeeded", "iad,fra,nrt",
              True), timeout=30, what="v2 succeeded everywhere")


def run_plan(sim, url):
    env = dict(os.environ, FLY_API_TOKEN=TOKEN)
    r = subprocess.run([BINARY, "plan", "--source", url, "--fly-api-url",
                        sim.url], capture_output=True, text=True, env=env,
                       timeout=60)
    assert TOKEN not in r.stdout + r.stderr
    return r


def blocks(out):
    """{set name: (header, [lines under it])} of plan's output."""
    sets, name = {}, None
    for line in out.splitlines():
        if line.startswith("RegionSet "):
            name = line.split()[1]
            sets[name] = (line, [])
        elif line.startswith("  ") and name:
            sets[name][1].append(line.split(None, 3))
    return sets


@pytest.fixture
def quiet_sim(sim):
    # plan sends one list per app and does not retry a 429
    sim.configure(rate_limit=False)
    return sim


def test_plan_command_reads_postgres(quiet_sim, ctl_factory, db):
    sim = quiet_sim
    free = add_team(db, plan="free")
    pro = add_team(db, plan="pro")
    add_app(db, free, "free-web", "iad", ["iad", "fra"],
            image="registry.fly.io/free-web:v1")
    add_app(db, pro, "pro-web", "ams", ["ams", "nrt"],
            image="registry.fly.io/pro-web:v1")

    r = run_plan(sim, db)
    assert r.returncode == 2, r.stdout + r.stderr
    got = blocks(r.stdout)
    assert got["free-web"][0] == "RegionSet free-web (app free-web): " \
        "1 change, 1 region held (PlanRequired)"
    assert got["free-web"][1] == [
        ["iad", "create", "missing", "desired 1, current 0, ready 0"],
        ["fra", "held", "PlanRequired", f"{WHY}: not deployed here"]]
    assert got["pro-web"][0] == "RegionSet pro-web (app pro-web): 2 changes"
    assert sorted(l[:3] for l in got["pro-web"][1]) == \
        [["ams", "create", "missing"], ["nrt", "create", "missing"]]
    assert r.stdout.splitlines()[-1] == \
        "3 changes pending in 2 RegionSets"
    assert sim.calls()["mutating"] == 0

    # Converged: held regions are no change, so the exit code is 0.
    c = ctl_factory(source=db)
    c.wait_phase("free-web", "Converged")
    c.wait_phase("pro-web", "Converged")
    assert c.stop() == 0
    sim.reset_calls()
    r = run_plan(sim, db)
    assert r.returncode == 0, r.stdout + r.stderr
    got = blocks(r.stdout)
    assert got["free-web"][0] == "RegionSet free-web (app free-web): " \
        "no changes, 1 region held (PlanRequired)"
    assert got["free-web"][1] == [
        ["fra", "held", "PlanRequired", f"{WHY}: not deployed here"]]
    assert got["pro-web"] == ("RegionSet pro-web (app pro-web): "
                              "no changes", [])
    assert sim.calls()["mutating"] == 0


def test_plan_command_database_errors(quiet_sim, pg_url):
    sim = quiet_sim
    # not migrated: the view is missing
    r = run_plan(sim, pg_url)
    assert r.returncode == 1
    assert "cannot read desired state" in r.stderr
    assert "rhone_desired" in r.stderr
    assert sim.calls()["total"] == 0

    # nobody listens there; the password is never shown
    url = f"postgresql://u:pw-9932@127.0.0.1:{free_port()}/x"
    r = run_plan(sim, url)
    assert r.returncode == 1
    assert "cannot read desired state from " \
        "postgresql://u:***@127.0.0.1" in r.stderr
    assert "pw-9932" not in r.stdout + r.stderr

    # a row that cannot be a RegionSet is an error, as a broken file is
    migrate(pg_url)
    team = add_team(pg_url, plan="free")
    add_app(pg_url, team, "bad-web", "iad", ["iad", "xyz"],
            image="registry.fly.io/bad-web:v1")
    r = run_plan(sim, pg_url)
    assert r.returncode == 1
    assert 'unknown region "xyz"' in r.stderr


def test_help_says_source_takes_a_url():
    r = subprocess.run([BINARY, "run", "--help"], capture_output=True,
                       text=True)
    assert r.returncode == 0
    assert "folder of RegionSet YAML files (read recursively), or a " \
        "postgres:// URL" in r.stdout + r.stderr
    r = subprocess.run([BINARY, "plan", "--help"], capture_output=True,
                       text=True)
    assert r.returncode == 0
    assert "plan [--source] DIR|URL" in r.stdout
    assert "postgres:// URL" in r.stdout
