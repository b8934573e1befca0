"""`rhone-controller plan`: what would be done now against the live API,
per action kind, with exit codes 0 (nothing), 2 (changes), 1 (error),
and never a mutating call."""
import os
import subprocess
import tempfile

import pytest

from rhone import ALIVE, BINARY, TOKEN, kill, regionset, wait_for

THREE = regionset("web", "web-app", "registry.fly.io/web:v1", "iad",
                  ["fra", ("nrt", 2)])


@pytest.fixture
def sim(flysim_factory):
    # plan sends one list per app and does not retry a 429: with the
    # controller and several plans in a row the app's burst would run out
    s = flysim_factory(["--auto-apps", "--health-delay", "0.5"])
    s.configure(rate_limit=False)
    return s


def plan(sim_url, spec):
    """Run plan on a folder holding `spec`; (exit code, stdout lines)."""
    d = tempfile.mkdtemp(prefix="rhone-plan-")
    with open(os.path.join(d, "web.yaml"), "w") as f:
        f.write(spec)
    env = dict(os.environ, FLY_API_TOKEN=TOKEN)
    r = subprocess.run([BINARY, "plan", "--source", d, "--fly-api-url",
                        sim_url], capture_output=True, text=True, env=env,
                       timeout=60)
    assert TOKEN not in r.stdout + r.stderr
    return r.returncode, r.stdout.splitlines()


def actions(lines):
    """[(region, op, reason)] of the action lines."""
    return sorted(tuple(l.split()[:3]) for l in lines if l.startswith("  "))


def converge(ctl_factory, spec):
    c = ctl_factory({"web.yaml": spec})
    c.wait_phase("web", "Converged")
    assert c.stop() == 0
    return c


def test_missing_machines_are_creates(sim):
    rc, out = plan(sim.url, THREE)
    assert rc == 2, out
    assert actions(out) == [("fra", "create", "missing"),
                            ("iad", "create", "missing"),
                            ("nrt", "create", "missing"),
                            ("nrt", "create", "missing")]
    assert out[0] == "RegionSet web (app web-app): 4 changes"
    assert sim.calls()["mutating"] == 0
    assert sim.machines() == []


def test_converged_is_exit_0_and_changes_are_exit_2(sim, ctl_factory):
    converge(ctl_factory, THREE)
    sim.reset_calls()
    rc, out = plan(sim.url, THREE)
    assert rc == 0, out
    assert out[0] == "RegionSet web (app web-app): no changes"
    rc, out = plan(sim.url, regionset("web", "web-app",
                                      "registry.fly.io/web:v1", "iad",
                                      [("nrt", 1)]))
    assert rc == 2, out
    assert actions(out) == [("fra", "destroy", "region-removed"),
                            ("nrt", "destroy", "scale-down")]
    rc, out = plan(sim.url, THREE.replace("web:v1", "web:v2"))
    assert rc == 2, out
    # the planner paces a rollout (region by region, a few at a time):
    # only what would start now is shown
    assert actions(out)
    assert {a[1:] for a in actions(out)} == {("create", "replace")}
    calls = sim.calls()
    assert calls["mutating"] == 0
    assert calls["total"] == calls["ops"]["list"]["total"] == 3


def test_outdated_machine_is_a_destroy(sim, ctl_factory):
    one = regionset("web", "web-app", "registry.fly.io/web:v1", "iad")
    converge(ctl_factory, one)
    old = [m for m in sim.machines() if m["state"] in ALIVE][0]
    config = sim.get(f"/v1/apps/web-app/machines/{old['id']}").json()
    converge(ctl_factory, one.replace("web:v1", "web:v2"))
    r = sim.post("/v1/apps/web-app/machines",
                 {"region": "iad", "config": config["config"]})
    assert r.status_code == 200, r.text
    sim.wait_state(r.json()["id"], "started")
    rc, out = plan(sim.url, one.replace("web:v1", "web:v2"))
    assert rc == 2, out
    assert actions(out) == [("iad", "destroy", "outdated")]
    assert r.json()["id"] in out[1]


def test_unhealthy_new_machine_is_a_rollback(sim, ctl_factory):
    sim.configure(unhealthy_image="broken")
    spec = regionset("web", "web-app", "registry.fly.io/web:v1", "iad",
                     strategy="{type: bluegreen, healthTimeout: 2s}")
    c = converge(ctl_factory, spec)
    broken = spec.replace("web:v1", "web:broken")
    c2 = ctl_factory({"web.yaml": broken})
    wait_for(lambda: any("broken" in m["image"] and m["state"] == "started"
                         for m in sim.machines()), what="a broken machine")
    kill(c2)
    assert c.proc.poll() is not None

    def rolled_back():
        rc, out = plan(sim.url, broken)
        return ("iad", "destroy", "rollback") in actions(out) and (rc, out)
    rc, out = wait_for(rolled_back, timeout=30, interval=0.5,
                       what="a rollback in the plan")
    assert rc == 2


def test_errors_are_exit_1(sim, tmp_path):
    rc, out = plan("http://127.0.0.1:1", THREE)
    assert rc == 1
    assert "error: listing machines of app web-app failed" in out[0]
    rc, out = plan(sim.url, THREE.replace("fra", "fra1"))
    assert rc == 1
    env = dict(os.environ, FLY_API_TOKEN=TOKEN)
    r = subprocess.run([BINARY, "plan"], capture_output=True, text=True,
                       env=env)
    assert r.returncode == 1 and "--source" in r.stderr
    r = subprocess.run([BINARY, "plan", "--help"], capture_output=True,
                       text=True)
    assert r.returncode == 0
    assert r.stdout.startswith("usage: rhone-controller plan [--source]")
    assert "--fly-api-url" in r.stdout and "--listen" not in r.stdout
    assert sim.calls()["mutating"] == 0


def test_the_source_may_be_an_argument(sim, tmp_path):
    (tmp_path / "web.yaml").write_text(THREE)
    env = dict(os.environ, FLY_API_TOKEN=TOKEN)
    r = subprocess.run([BINARY, "plan", str(tmp_path), "--fly-api-url",
                        sim.url], capture_output=True, text=True, env=env,
                       timeout=60)
    assert r.returncode == 2, r.stderr
    assert r.stdout.splitlines() == plan(sim.url, THREE)[1]
    r = subprocess.run([BINARY, "plan", str(tmp_path), "--source",
                        str(tmp_path), "--fly-api-url", sim.url],
                       capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 1 and "once" in r.stderr
    r = subprocess.run([BINARY, "plan", str(tmp_path), str(tmp_path)],
                       capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 1 and "unexpected argument" in r.stderr
    assert sim.calls()["mutating"] == 0
