"""Start the real rhone-controller binary against a flysim, for e2e tests,
and the small helpers the tests share (plain functions; the fixtures are
in conftest.py)."""
import collections
import json
import os
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

BUILD = os.environ.get("RHONE_BUILD", "build")
BINARY = os.path.join(BUILD, "rhone-controller")
TOKEN = "e2e-secret-token-7f3a9c"
# Every state of a machine that is not (being) destroyed.
ALIVE = {"created", "starting", "started", "stopping", "stopped",
         "suspended", "replacing", "updating"}


def regionset(name, app, image, primary, regions=(), **spec):
    """One RegionSet document as YAML text."""
    lines = [
        "apiVersion: rhone.dev/v1",
        "kind: RegionSet",
        "metadata:",
        f"  name: {name}",
        "spec:",
        f"  app: {app}",
        f"  image: {image}",
        f"  primaryRegion: {primary}",
    ]
    if regions:
        lines.append("  regions:")
        for r in regions:
            if isinstance(r, tuple):
                lines.append(f"    - code: {r[0]}")
                lines.append(f"      count: {r[1]}")
            else:
                lines.append(f"    - {r}")
    for key, value in spec.items():
        lines.append(f"  {key}: {value}")
    return "\n".join(lines) + "\n"


def http_json(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return json.loads(resp.read().decode())


def wait_for(pred, timeout=60, interval=0.2, what="condition"):
    """Poll pred() until it returns a truthy value; fail after timeout."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = pred()
        except (urllib.error.URLError, ConnectionError, OSError,
                KeyError, ValueError) as exc:
            last = exc
        if last and not isinstance(last, Exception):
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


def alive(sim, app="web-app"):
    """The app's machines in flysim that are not destroyed."""
    return [m for m in sim.machines(app) if m["state"] in ALIVE]


def per_region(machines):
    """{region: how many of machines are there}."""
    return dict(collections.Counter(m["region"] for m in machines))


def made_with(sim, image, app="web-app"):
    """Every machine flysim ever made with image, destroyed ones too."""
    return [m for m in sim.machines(app) if m["image"] == image]


def region_status(c, code, name="web"):
    """One region's entry in the RegionSet's /status, or None."""
    for r in c.item(name)["status"]["regions"]:
        if r["region"] == code:
            return r
    return None


def migrate(url):
    """rhone-controller migrate on a Postgres URL; it must succeed."""
    r = subprocess.run([BINARY, "migrate", "--source", url],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr


def kill(c):
    """SIGKILL a controller (ctl_factory then skips its exit status)."""
    c.proc.kill()
    c.proc.wait()
    c.log.close()
    c.killed = True
    assert TOKEN not in c.output(), "token leaked into the log"


class Controller:
    """A running rhone-controller on its own source folder and port."""

    def __init__(self, fly_url, port, extra_args=(), source=None):
        self.dir = source or tempfile.mkdtemp(prefix="rhone-src-")
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.fly_url = fly_url
        self.extra_args = list(extra_args)
        self.log_path = os.path.join(tempfile.mkdtemp(prefix="rhone-log-"),
                                     "controller.log")
        self.proc = None
        self.killed = False

    def write(self, filename, text):
        path = os.path.join(self.dir, filename)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = path + ".tmp~"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, path)
        return path

    def remove(self, filename):
        os.remove(os.path.join(self.dir, filename))

    def start(self):
        env = dict(os.environ, FLY_API_TOKEN=TOKEN)
        args = [BINARY, "run", "--source", self.dir,
                "--fly-api-url", self.fly_url,
                "--listen", f"127.0.0.1:{self.port}",
                "--resync", "2s", "--poll", "0.3s"] + self.extra_args
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(args, env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        wait_for(self.healthy, timeout=10, what="controller /healthz")
        return self

    def healthy(self):
        if self.proc.poll() is not None:
            raise AssertionError("controller exited:\n" + self.output())
        with urllib.request.urlopen(self.url + "/healthz", timeout=2) as r:
            return r.status == 200

    def status(self):
        return http_json(self.url + "/status")

    def item(self, name):
        return http_json(self.url + "/status/" + name)

    def phase(self, name):
        return self.item(name)["status"]["phase"]

    def wait_phase(self, name, phase, timeout=60):
        return wait_for(lambda: self.phase(name) == phase and
                        self.item(name), timeout=timeout,
                        what=f"{name} phase {phase}")

    def wait_converged_on(self, name, image, timeout=60):
        """Converged on a spec with this image: right after a write, the
        old spec may still be in force (and converged)."""
        def done():
            it = self.item(name)
            st = it["status"]
            return (it["spec"] or {}).get("image") == image and \
                st["phase"] == "Converged" and \
                st["observedGeneration"] == it["metadata"]["generation"] \
                and it
        return wait_for(done, timeout=timeout,
                        what=f"{name} converged on {image}")

    def output(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path) as f:
            return f.read()

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("controller did not stop on SIGTERM")
        finally:
            self.log.close()
