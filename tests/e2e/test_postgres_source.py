"""The Postgres source end to end: a real PostgreSQL server, flysim and
the real controller reading desired state from seed-shaped rows."""
import os
import subprocess
import time
import uuid

import psycopg2

from conftest import free_port
from pg import pg_factory, pg_server, pg_url, sql  # noqa: F401 (fixtures)
from rhone import (BINARY, TOKEN, Controller, alive, migrate, per_region,
                   wait_for)


def add_team(url, plan="pro"):
    team = str(uuid.uuid4())
    sql(url, "INSERT INTO teams (id, name, plan) VALUES (%s, %s, %s)",
        (team, "team-" + team[:8], plan))
    return team


def add_app(url, team, fly_app_id, primary, regions, image=None,
            counts=None):
    """One app the way the platform writes it: regions comma-separated
    with the primary included; a deployment when image is given."""
    app = str(uuid.uuid4())
    sql(url, "INSERT INTO apps (id, team_id, name, fly_app_id, "
             "primary_region, regions) VALUES (%s, %s, %s, %s, %s, %s)",
        (app, team, (fly_app_id or "app") + "-name", fly_app_id, primary,
         ",".join(regions)))
    for region, n in (counts or {}).items():
        sql(url, "INSERT INTO app_region_counts (app_id, region, count) "
                 "VALUES (%s, %s, %s)", (app, region, n))
    if image:
        deploy(url, app, image)
    return app


def deploy(url, app, image, age="0 seconds"):
    sql(url, "INSERT INTO deployments (app_id, image, created_at) "
             "VALUES (%s, %s, now() - %s::interval)", (app, image, age))


def destroys(sim):
    return sim.calls()["ops"]["destroy"]["total"]


def test_seed_rows_converge(sim, ctl_factory, db):
    team = add_team(db)
    web = add_app(db, team, "acme-web", "iad", ["iad", "fra", "nrt"],
                  counts={"nrt": 2})
    deploy(db, web, "registry.fly.io/acme-web:v1", age="1 hour")
    deploy(db, web, "registry.fly.io/acme-web:v2")
    add_app(db, team, "acme-api", "fra", ["fra"],
            image="registry.fly.io/acme-api:v7")
    add_app(db, team, None, "iad", ["iad"], image="not-on-fly:v1")
    add_app(db, team, "acme-new", "iad", ["iad"])       # no deployment
    c = ctl_factory(source=db)

    item = c.wait_phase("acme-web", "Converged")
    c.wait_phase("acme-api", "Converged")
    assert sorted(i["metadata"]["name"] for i in c.status()["items"]) == \
        ["acme-api", "acme-web"]
    assert per_region(alive(sim, "acme-web")) == {"iad": 1, "fra": 1,
                                                 "nrt": 2}
    assert {m["image"] for m in alive(sim, "acme-web")} == \
        {"registry.fly.io/acme-web:v2"}
    assert per_region(alive(sim, "acme-api")) == {"fra": 1}
    spec = item["spec"]
    assert spec["primaryRegion"] == "iad"
    assert spec["regions"] == [{"code": "fra", "count": 1},
                               {"code": "nrt", "count": 2}]
    m = [m for m in alive(sim, "acme-web") if m["region"] == "iad"][0]
    assert m["metadata"]["rhone_regionset"] == "acme-web"


def test_example_rows_converge(sim, ctl_factory, db):
    """examples/postgres/seed.sql, what the README and the demo load."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "..", "..", "examples", "postgres", "seed.sql")
    conn = psycopg2.connect(db)
    conn.autocommit = True
    with open(path) as f, conn.cursor() as cur:
        cur.execute(f.read())
    conn.close()
    c = ctl_factory(source=db)
    c.wait_phase("acme-web", "Converged")
    c.wait_phase("acme-api", "Converged")
    assert per_region(alive(sim, "acme-web")) == {"iad": 1, "fra": 1,
                                                 "nrt": 2}
    assert {m["image"] for m in alive(sim, "acme-web")} == \
        {"registry.fly.io/acme-web:v2"}
    assert per_region(alive(sim, "acme-api")) == {"fra": 1}


def test_notify_change_reaches_flysim(sim, ctl_factory, db):
    """With a resync far away, only the NOTIFY can bring the change."""
    team = add_team(db)
    add_app(db, team, "acme-web", "iad", ["iad", "fra"],
            image="registry.fly.io/acme-web:v1")
    c = ctl_factory(source=db, resync="10m")
    c.wait_phase("acme-web", "Converged")

    sql(db, "UPDATE apps SET regions = 'iad,fra,syd' "
            "WHERE fly_app_id = 'acme-web'")
    wait_for(lambda: per_region(alive(sim, "acme-web")).get("syd") == 1,
             timeout=30, what="a machine in syd")
    c.wait_phase("acme-web", "Converged")
    assert per_region(alive(sim, "acme-web")) == {"iad": 1, "fra": 1,
                                                 "syd": 1}


def test_new_deployment_and_counts_roll_out(sim, ctl_factory, db):
    team = add_team(db)
    app = add_app(db, team, "acme-web", "iad", ["iad", "fra"],
                  image="registry.fly.io/acme-web:v1")
    c = ctl_factory(source=db, resync="10m")
    c.wait_phase("acme-web", "Converged")

    deploy(db, app, "registry.fly.io/acme-web:v2")
    sql(db, "INSERT INTO app_region_counts (app_id, region, count) "
            "VALUES (%s, 'fra', 2)", (app,))
    wait_for(lambda: {m["image"] for m in alive(sim, "acme-web")} ==
             {"registry.fly.io/acme-web:v2"} and
             per_region(alive(sim, "acme-web")) == {"iad": 1, "fra": 2},
             timeout=60, what="v2 in iad x1 and fra x2")
    c.wait_phase("acme-web", "Converged")


def test_bad_row_freezes_only_that_app(sim, ctl_factory, db):
    team = add_team(db)
    add_app(db, team, "acme-web", "iad", ["iad", "fra"],
            image="registry.fly.io/acme-web:v1")
    add_app(db, team, "acme-api", "iad", ["iad"],
            image="registry.fly.io/acme-api:v1")
    c = ctl_factory(source=db)
    c.wait_phase("acme-web", "Converged")
    c.wait_phase("acme-api", "Converged")
    before = {m["id"] for m in alive(sim, "acme-web")}

    sql(db, "UPDATE apps SET regions = 'iad,fra1' "
            "WHERE fly_app_id = 'acme-web'")
    item = c.wait_phase("acme-web", "Invalid")
    assert 'unknown region "fra1"' in item["status"]["lastError"]
    assert 'did you mean "fra"' in item["status"]["lastError"]
    sql(db, "UPDATE apps SET regions = 'iad,syd' "
            "WHERE fly_app_id = 'acme-api'")
    wait_for(lambda: per_region(alive(sim, "acme-api")).get("syd") == 1,
             timeout=30, what="acme-api in syd")
    assert {m["id"] for m in alive(sim, "acme-web")} == before


def test_unmigrated_database_then_migrate(sim, ctl_factory, pg_url):
    c = ctl_factory(source=pg_url)
    meta = wait_for(lambda: c.status()["metadata"]["sourceFailed"] and
                    c.status()["metadata"], what="sourceFailed")
    assert "SourceUnavailable" in meta["lastLoadError"]
    assert "rhone_desired" in meta["lastLoadError"]

    migrate(pg_url)
    team = add_team(pg_url)
    add_app(pg_url, team, "acme-web", "iad", ["iad"],
            image="registry.fly.io/acme-web:v1")
    c.wait_phase("acme-web", "Converged")
    assert c.status()["metadata"]["sourceFailed"] is False


def test_password_is_not_shown(sim, ctl_factory, db):
    secret = "s3cret-pw-4411"
    url = db.replace("postgres@", f"postgres:{secret}@")
    team = add_team(db)
    add_app(db, team, "acme-web", "iad", ["iad"],
            image="registry.fly.io/acme-web:v1")
    c = ctl_factory(source=url)
    c.wait_phase("acme-web", "Converged")
    assert c.status()["metadata"]["source"] == \
        db.replace("postgres@", "postgres:***@")
    assert secret not in c.output()


def wait_unavailable(c):
    def down():
        meta = c.status()["metadata"]
        return meta["sourceFailed"] and \
            "SourceUnavailable" in meta["lastLoadError"] and meta
    return wait_for(down, timeout=30, what="SourceUnavailable")


def test_postgres_outage_mid_rollout(flysim_factory, ctl_factory,
                                     pg_factory):
    """Postgres stops while a new image rolls out: the controller keeps
    its last good state, destroys nothing while it cannot read desired
    state, says so, and converges once the database is back."""
    server = pg_factory()
    db = server.create_db()
    migrate(db)
    sim = flysim_factory(["--auto-apps", "--health-delay", "3"])
    team = add_team(db)
    app = add_app(db, team, "acme-web", "iad", ["iad", "fra", "nrt"],
                  image="registry.fly.io/acme-web:v1")
    c = Controller(sim.url, free_port(), ["--resync", "1s"], source=db)
    c.start()
    try:
        c.wait_phase("acme-web", "Converged", timeout=90)
        deploy(db, app, "registry.fly.io/acme-web:v2")
        wait_for(lambda: any(m["image"].endswith(":v2")
                             for m in alive(sim, "acme-web")),
                 what="the v2 rollout to start")
        server.stop()
        meta = wait_unavailable(c)
        assert "SourceUnavailable" in meta["lastLoadError"]
        gone = destroys(sim)
        machines = {m["id"] for m in alive(sim, "acme-web")}
        # several resyncs and reconnect attempts happen meanwhile
        time.sleep(5)
        assert destroys(sim) == gone
        assert {m["id"] for m in alive(sim, "acme-web")} >= machines
        assert c.status()["metadata"]["sourceFailed"] is True

        server.start()
        wait_for(lambda: not c.status()["metadata"]["sourceFailed"],
                 timeout=60, what="the source back")
        c.wait_phase("acme-web", "Converged", timeout=90)
        now = alive(sim, "acme-web")
        assert per_region(now) == {"iad": 1, "fra": 1, "nrt": 1}
        assert {m["image"] for m in now} == {"registry.fly.io/acme-web:v2"}
        assert "source_unavailable" in c.output()
        assert "source_available" in c.output()
        wait_for(lambda: deployments(db, app)[-1] ==
                 ("registry.fly.io/acme-web:v2", "succeeded",
                  "iad,fra,nrt", True), timeout=30,
                 what="the outcome written after the outage")
    finally:
        rc = c.stop()
    assert rc == 0, c.output()


def region_status(url, app):
    return {r[0]: r[1:] for r in sql(
        url, "SELECT region, desired, current, ready, updated, phase "
             "FROM region_status WHERE app_id = %s", (app,))}


def deployments(url, app):
    return sql(url, "SELECT image, status, regions_deployed, "
                    "finished_at IS NOT NULL FROM deployments "
                    "WHERE app_id = %s ORDER BY created_at", (app,))


def test_status_written_back(sim, ctl_factory, db):
    team = add_team(db)
    app = add_app(db, team, "acme-web", "iad", ["iad", "fra", "nrt"],
                  image="registry.fly.io/acme-web:v1", counts={"nrt": 2})
    c = ctl_factory(source=db)
    c.wait_phase("acme-web", "Converged")
    want = {"iad": (1, 1, 1, 1, "Converged"),
            "fra": (1, 1, 1, 1, "Converged"),
            "nrt": (2, 2, 2, 2, "Converged")}
    wait_for(lambda: region_status(db, app) == want, timeout=30,
             what="region_status rows")
    wait_for(lambda: deployments(db, app) ==
             [("registry.fly.io/acme-web:v1", "succeeded", "iad,fra,nrt",
               True)], timeout=30, what="the deployment's outcome")

    sql(db, "UPDATE apps SET regions = 'iad,fra' WHERE id = %s", (app,))
    deploy(db, app, "registry.fly.io/acme-web:v2")
    c.wait_phase("acme-web", "Converged")
    wait_for(lambda: deployments(db, app)[-1] ==
             ("registry.fly.io/acme-web:v2", "succeeded", "iad,fra", True),
             timeout=60, what="v2 succeeded")
    wait_for(lambda: set(region_status(db, app)) == {"iad", "fra"},
             timeout=30, what="the nrt row removed")
    assert deployments(db, app)[0][1] == "succeeded", "v1 left as it was"


def test_invalid_edit_leaves_the_deployment_alone(sim, ctl_factory, db):
    team = add_team(db)
    app = add_app(db, team, "acme-web", "iad", ["iad"],
                  image="registry.fly.io/acme-web:v1")
    c = ctl_factory(source=db)
    c.wait_phase("acme-web", "Converged")
    wait_for(lambda: deployments(db, app)[0][1] == "succeeded",
             timeout=30, what="succeeded")
    sql(db, "UPDATE apps SET regions = 'iad,xyz' WHERE id = %s", (app,))
    c.wait_phase("acme-web", "Invalid")
    time.sleep(2)            # a few write-back ticks
    assert deployments(db, app)[0][1:3] == ("succeeded", "iad"), \
        (sql(db, "SELECT message FROM deployments"), c.output())


def test_malformed_url_stops_at_start_up(sim):
    url = "postgresql://u:pw-7781@127.0.0.1/db?no_such_option=1"
    r = subprocess.run([BINARY, "run", "--source", url,
                        "--fly-api-url", sim.url,
                        "--listen", f"127.0.0.1:{free_port()}"],
                       env={"FLY_API_TOKEN": TOKEN}, capture_output=True,
                       text=True, timeout=30)
    assert r.returncode != 0
    assert "source_bad_url" in r.stderr
    assert "pw-7781" not in r.stdout + r.stderr


def test_two_apps_on_one_fly_app_are_both_held(sim, ctl_factory, db):
    team = add_team(db)
    add_app(db, team, "acme-web", "iad", ["iad"],
            image="registry.fly.io/acme-web:v1")
    c = ctl_factory(source=db)
    c.wait_phase("acme-web", "Converged")
    add_app(db, team, "acme-web", "fra", ["fra", "syd"],
            image="registry.fly.io/other:v1")
    item = c.wait_phase("acme-web", "Invalid")
    assert "acme-web" in item["status"]["lastError"]
    time.sleep(2)
    assert per_region(alive(sim, "acme-web")) == {"iad": 1}
    assert {m["image"] for m in alive(sim, "acme-web")} == \
        {"registry.fly.io/acme-web:v1"}
