"""Shared fixtures for end-to-end tests: they start the real binaries.

flysim (the Fly Machines API emulator) is started on a free loopback port
by the ``flysim`` fixture, or with extra arguments by ``flysim_factory``.
Every instance is stopped at teardown and must exit cleanly (status 0).

``sim`` is the flysim most controller tests run against (a module may
override it with other arguments); ``ctl_factory`` starts real controllers
against it, and ``db`` is a migrated database for modules that import the
fixtures of pg.py.
"""

import os
import socket
import subprocess
import tempfile
import time

import pytest
import requests

import rhone

BUILD = os.environ.get("RHONE_BUILD", "build")
FLYSIM_BIN = os.path.join(BUILD, "flysim")
TOKEN = "e2e-test-token"
START_DEADLINE = 15.0


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout=15.0, interval=0.02, what="condition"):
    """Poll predicate until it returns something truthy; return that."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(interval)


class Flysim:
    """One flysim process and small helpers for its API and /_sim/."""

    def __init__(self, args=(), token=TOKEN):
        self.args = list(args)
        self.token = token
        self.proc = None
        self.port = None
        self.url = None
        self._log = None

    # -- process ---------------------------------------------------------

    def start(self):
        for _ in range(3):  # the free port may be taken in between
            if self._try_start():
                return self
        raise RuntimeError("flysim did not start:\n" + self.log())

    def _try_start(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        if self._log is None:
            self._log = tempfile.NamedTemporaryFile(
                prefix="flysim-", suffix=".log", delete=False)
        cmd = [FLYSIM_BIN, "--listen", f"127.0.0.1:{self.port}", *self.args]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL,
                                     stderr=self._log)
        deadline = time.monotonic() + START_DEADLINE
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                # an admin call: it is not counted in /_sim/calls
                requests.get(self.url + "/_sim/config", timeout=1)
                return True
            except requests.ConnectionError:
                time.sleep(0.02)
        self.proc.kill()
        self.proc.wait()
        return False

    def stop(self, timeout=10):
        """SIGTERM, then SIGKILL if needed; returns the exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        rc = self.proc.returncode
        self.proc = None
        return rc

    def log(self):
        """Everything flysim wrote to stderr so far."""
        if self._log is None:
            return ""
        with open(self._log.name, encoding="utf-8", errors="replace") as f:
            return f.read()

    def close(self):
        """Drop the log file, unless FLYSIM_KEEP_LOGS is set."""
        if self._log is not None:
            self._log.close()
            if os.environ.get("FLYSIM_KEEP_LOGS"):
                print(f"flysim log kept: {self._log.name}")
            else:
                os.unlink(self._log.name)
            self._log = None

    # -- the Machines API ------------------------------------------------

    def request(self, method, path, token=None, headers=None, timeout=70,
                **kw):
        """A request to flysim; token=False sends no Authorization."""
        hdrs = dict(headers or {})
        tok = self.token if token is None else token
        if tok:
            hdrs.setdefault("Authorization", f"Bearer {tok}")
        return requests.request(method, self.url + path, headers=hdrs,
                                timeout=timeout, **kw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, json=None, **kw):
        """POST; a second positional argument is sent as the JSON body."""
        return self.request("POST", path, json=json, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def patch(self, path, json=None, **kw):
        return self.request("PATCH", path, json=json, **kw)

    def create(self, app, image="registry.fly.io/demo:v1", **fields):
        """Create a machine; returns the response (not checked)."""
        config = fields.pop("config", {})
        config.setdefault("image", image)
        return self.post(f"/v1/apps/{app}/machines",
                         json={"config": config, **fields})

    # -- the /_sim/ admin API --------------------------------------------

    def _admin(self, method, path, **kw):
        r = requests.request(method, self.url + "/_sim/" + path,
                             timeout=30, **kw)
        r.raise_for_status()
        return r.json()

    def calls(self):
        return self._admin("GET", "calls")

    def reset_calls(self):
        return self._admin("POST", "calls/reset")

    def machines(self, app=None):
        params = {"app": app} if app else None
        return self._admin("GET", "machines", params=params)

    def machine(self, machine_id):
        for m in self.machines():
            if m["id"] == machine_id:
                return m
        return None

    def configure(self, **settings):
        return self._admin("POST", "config", json=settings)

    def config(self):
        return self._admin("GET", "config")

    def fault(self, op, status=500, count=1, **rule):
        return self._admin("POST", "faults",
                           json={"op": op, "status": status,
                                 "count": count, **rule})

    def clear_faults(self):
        return self._admin("DELETE", "faults")

    def plant_lease(self, app, machine, owner="someone@example.com",
                    ttl=60):
        return self._admin("POST", "leases",
                           json={"app": app, "machine": machine,
                                 "owner": owner, "ttl": ttl})

    def timeline(self, app=None):
        params = {"app": app} if app else None
        return self._admin("GET", "timeline", params=params)

    def create_app(self, name):
        return self._admin("POST", "apps", json={"name": name})

    def wait_state(self, machine_id, state, timeout=15.0):
        """Poll /_sim/machines (never rate limited) for a state."""
        def reached():
            m = self.machine(machine_id)
            return m if m and m["state"] == state else None
        return wait_until(reached, timeout,
                          what=f"machine {machine_id} to be {state}")


def _stop_checked(sim):
    rc = sim.stop()
    log = sim.log()
    sim.close()
    assert rc == 0, f"flysim exited with {rc}; log tail:\n{log[-3000:]}"


@pytest.fixture
def flysim_factory():
    """start(args) -> a started Flysim; all are stopped at teardown."""
    started = []

    def start(args=(), token=TOKEN):
        sim = Flysim(args, token=token)
        started.append(sim)
        return sim.start()

    yield start
    for sim in started:
        _stop_checked(sim)


@pytest.fixture
def flysim(flysim_factory):
    """A flysim with default timings and limits where any app exists."""
    return flysim_factory(["--auto-apps"])


@pytest.fixture
def sim(flysim_factory):
    """A flysim where any app exists and machines turn healthy 0.5 s
    after they start."""
    return flysim_factory(["--auto-apps", "--health-delay", "0.5"])


@pytest.fixture
def ctl_factory(sim):
    """make(files, extra_args, start, source, resync) -> a controller on a
    free port against ``sim``: files ({name: text}) written to its source
    folder (``source``, a folder or a postgres:// URL, else a new folder),
    "--resync resync" before extra_args when given, started unless
    start=False. At teardown each is stopped; the token must not be in its
    log and it must exit 0, unless it was killed (rhone.kill)."""
    made = []

    def make(files=None, extra_args=(), start=True, source=None,
             resync=None):
        if resync is not None:
            extra_args = ["--resync", resync, *extra_args]
        c = rhone.Controller(sim.url, free_port(), extra_args, source=source)
        for name, text in (files or {}).items():
            c.write(name, text)
        made.append(c)
        return c.start() if start else c
    yield make
    for c in made:
        rc = c.stop()
        assert rhone.TOKEN not in c.output(), "token leaked into the log"
        if not c.killed:
            assert rc == 0, "controller exit %s:\n%s" % (rc, c.output())


@pytest.fixture
def db(pg_url):
    """pg_url's database, migrated (pg_url comes from pg.py, imported by
    the module)."""
    rhone.migrate(pg_url)
    return pg_url
