"""A real PostgreSQL server for e2e tests, started by the tests themselves.

initdb runs into a temporary folder and the server listens on a free port
of 127.0.0.1 with its socket in that folder. PostgreSQL refuses to run as
root, so under root (as in CI) both run as an unprivileged user
(RHONE_PG_USER, default ``nobody``) that owns the folder.

Fixtures: ``pg_server`` (one server per test session), ``pg_url`` (a fresh
database on it for each test) and ``pg_factory`` (servers of a test's own,
for tests that stop and restart PostgreSQL).
"""
import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time

import psycopg2
import pytest

from conftest import free_port

START_DEADLINE = 60.0


def pg_bindir():
    """Debian keeps the server binaries out of PATH; take the newest."""
    found = glob.glob("/usr/lib/postgresql/*/bin/initdb")
    if not found:
        path = shutil.which("initdb")
        if path is None:
            raise RuntimeError("PostgreSQL server binaries not found")
        return os.path.dirname(path)
    found.sort(key=lambda p: int(p.split("/")[4]))
    return os.path.dirname(found[-1])


class Postgres:
    """One PostgreSQL server in a temporary folder."""

    def __init__(self):
        self.bindir = pg_bindir()
        self.root = tempfile.mkdtemp(prefix="rhone-pg-")
        self.data = os.path.join(self.root, "data")
        self.log_path = os.path.join(self.root, "server.log")
        self.port = None
        self.proc = None
        self.user = None
        self._dbs = 0
        if os.geteuid() == 0:
            self.user = pwd.getpwnam(os.environ.get("RHONE_PG_USER",
                                                    "nobody"))
            os.chown(self.root, self.user.pw_uid, self.user.pw_gid)
        self._run([os.path.join(self.bindir, "initdb"), "-D", self.data,
                   "-U", "postgres", "-A", "trust", "-E", "UTF8",
                   "--locale=C", "--no-sync"])

    def _as_user(self):
        if self.user is None:
            return {}
        return {"user": self.user.pw_uid, "group": self.user.pw_gid,
                "extra_groups": []}

    def _run(self, cmd):
        with open(self.log_path, "a") as log:
            subprocess.run(cmd, check=True, stdin=subprocess.DEVNULL,
                           stdout=log, stderr=subprocess.STDOUT,
                           cwd=self.root, env=self._env(),
                           **self._as_user())

    def _env(self):
        return {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "TZ": "UTC"}

    # -- process ---------------------------------------------------------

    def start(self):
        """Start (again, on the same port once it has one)."""
        if self.port is None:
            self.port = free_port()
        log = open(self.log_path, "a")
        self.proc = subprocess.Popen(
            [os.path.join(self.bindir, "postgres"), "-D", self.data,
             "-p", str(self.port), "-k", self.root,
             "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
             "-c", "synchronous_commit=off",
             "-c", "full_page_writes=off"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            cwd=self.root, env=self._env(), **self._as_user())
        log.close()
        deadline = time.monotonic() + START_DEADLINE
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("postgres exited:\n" + self.log())
            try:
                psycopg2.connect(self.url("postgres"),
                                 connect_timeout=2).close()
                return self
            except psycopg2.OperationalError:
                if time.monotonic() > deadline:
                    raise RuntimeError("postgres did not start:\n" +
                                       self.log())
                time.sleep(0.1)

    def stop(self, timeout=30):
        """Fast shutdown: sessions are cut, the server exits cleanly."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        rc = self.proc.returncode
        self.proc = None
        return rc

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    # -- databases -------------------------------------------------------

    def url(self, db):
        return f"postgresql://postgres@127.0.0.1:{self.port}/{db}"

    def create_db(self):
        """A new empty database; returns its URL."""
        self._dbs += 1
        name = f"rhone_{self._dbs}"
        conn = psycopg2.connect(self.url("postgres"))
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE {name}")
        conn.close()
        return self.url(name)


def sql(url, query, args=None):
    """Run one statement in its own transaction; rows if it returns any."""
    conn = psycopg2.connect(url, connect_timeout=10)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(query, args)
            return cur.fetchall() if cur.description else None
    finally:
        conn.close()


@pytest.fixture(scope="session")
def pg_server():
    server = Postgres().start()
    yield server
    server.cleanup()


@pytest.fixture
def pg_url(pg_server):
    return pg_server.create_db()


@pytest.fixture
def pg_factory():
    """start() -> a started Postgres of the test's own; removed after."""
    made = []

    def start():
        server = Postgres()
        made.append(server)
        return server.start()
    yield start
    for server in made:
        server.cleanup()
