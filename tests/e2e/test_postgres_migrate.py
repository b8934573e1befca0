"""`rhone-controller migrate` against a real PostgreSQL server."""
import csv
import os
import subprocess

from pg import pg_server, pg_url, sql  # noqa: F401 (fixtures)
from rhone import BINARY

HERE = os.path.dirname(os.path.abspath(__file__))
SPECS = os.path.join(HERE, "..", "..", "specs")
TABLES = {"teams", "apps", "regions", "deployments", "app_region_counts",
          "region_status", "rhone_schema_version", "api_tokens"}


def migrate(url, *extra):
    return subprocess.run([BINARY, "migrate", "--source", url, *extra],
                          capture_output=True, text=True, timeout=60)


def migration_files():
    names = sorted(n for n in os.listdir(os.path.join(SPECS, "postgres"))
                   if n.endswith(".sql"))
    return [(int(n[:3]), n) for n in names]


def versions(url):
    return sql(url, "SELECT version, name, applied_at "
                    "FROM rhone_schema_version ORDER BY version")


def test_migrate_from_empty(pg_url):
    r = migrate(pg_url)
    assert r.returncode == 0, r.stderr
    files = migration_files()
    assert [(v, n) for v, n, _ in versions(pg_url)] == files
    for _, name in files:
        assert f"applied {name}" in r.stdout
    tables = {t for (t,) in sql(pg_url, "SELECT tablename FROM pg_tables "
                                        "WHERE schemaname = 'public'")}
    assert TABLES <= tables
    assert sql(pg_url, "SELECT count(*) FROM pg_views "
                       "WHERE viewname = 'rhone_desired'") == [(1,)]


def test_region_catalog_matches_specs(pg_url):
    assert migrate(pg_url).returncode == 0
    with open(os.path.join(SPECS, "regions.csv")) as f:
        want = {r["code"]: r for r in csv.DictReader(f)}
    rows = sql(pg_url, "SELECT code, city, continent, latitude, longitude,"
                       " available FROM regions")
    assert len(rows) == 28 == len(want)
    for code, city, continent, lat, lon, available in rows:
        assert city == want[code]["city"]
        assert continent == want[code]["continent"]
        assert float(lat) == float(want[code]["latitude"])
        assert float(lon) == float(want[code]["longitude"])
        assert available is True


def test_rerun_is_a_noop(pg_url):
    assert migrate(pg_url).returncode == 0
    before = versions(pg_url)
    sql(pg_url, "UPDATE regions SET available = false WHERE code = 'bah'")
    r = migrate(pg_url)
    assert r.returncode == 0, r.stderr
    assert "applied" not in r.stdout.replace("migrations applied", "")
    assert "0 migrations applied" in r.stdout
    assert versions(pg_url) == before
    assert sql(pg_url, "SELECT count(*) FROM regions") == [(28,)]
    assert sql(pg_url, "SELECT available FROM regions "
                       "WHERE code = 'bah'") == [(False,)]


def test_migrates_a_seed_database_in_place(pg_url):
    """The platform's tables as they were before its region migration:
    the columns are added and the rows kept."""
    sql(pg_url, """
        CREATE TABLE teams (id uuid PRIMARY KEY, name text NOT NULL,
                            plan varchar(20) NOT NULL DEFAULT 'free');
        CREATE TABLE apps (id uuid PRIMARY KEY,
                           team_id uuid NOT NULL REFERENCES teams (id),
                           name varchar(63) NOT NULL,
                           fly_app_id varchar(63));
        INSERT INTO teams VALUES
            ('00000000-0000-0000-0000-000000000001', 'acme', 'pro');
        INSERT INTO apps VALUES
            ('00000000-0000-0000-0000-000000000002',
             '00000000-0000-0000-0000-000000000001', 'web', 'acme-web');
    """)
    r = migrate(pg_url)
    assert r.returncode == 0, r.stderr
    assert sql(pg_url, "SELECT name, fly_app_id, primary_region, regions "
                       "FROM apps") == [("web", "acme-web", "iad", "iad")]


def test_failed_migration_leaves_no_trace(pg_url):
    """A migration that fails rolls back whole, and says why."""
    sql(pg_url, "CREATE TABLE regions (code integer PRIMARY KEY)")
    r = migrate(pg_url)
    assert r.returncode == 1
    assert "001_platform.sql" in r.stderr
    assert sql(pg_url, "SELECT count(*) FROM rhone_schema_version") == \
        [(0,)]
    assert sql(pg_url, "SELECT count(*) FROM pg_tables "
                       "WHERE tablename = 'teams'") == [(0,)]


def test_unreachable_database_hides_the_password(pg_server):
    url = (f"postgresql://postgres:hunter2-secret@127.0.0.1:"
           f"{pg_server.port}/no_such_db")
    r = migrate(url)
    assert r.returncode == 1
    assert "no_such_db" in r.stderr
    assert "hunter2-secret" not in r.stdout + r.stderr


def test_migrate_wants_a_postgres_url(tmp_path):
    r = migrate(str(tmp_path))
    assert r.returncode == 2
    assert "postgres://" in r.stderr
