"""The controller end to end: the real binary against flysim."""
import re
import signal
import subprocess
import time

import requests

from rhone import BINARY, alive, kill, per_region, regionset, wait_for

THREE = regionset("web", "web-app", "registry.fly.io/web:v1", "iad",
                  ["fra", ("nrt", 2)])


def test_initial_create_in_three_regions(sim, ctl_factory):
    c = ctl_factory(files={"web.yaml": THREE})
    item = c.wait_phase("web", "Converged")
    assert per_region(alive(sim, "web-app")) == {"iad": 1, "fra": 1,
                                                "nrt": 2}
    regions = {r["region"]: r for r in item["status"]["regions"]}
    assert regions["iad"]["primary"] is True
    assert regions["nrt"]["desired"] == 2
    assert regions["nrt"]["ready"] == 2
    assert item["status"]["observedGeneration"] == \
        item["metadata"]["generation"] == 1
    m = alive(sim, "web-app")[0]
    assert m["metadata"]["rhone_managed_by"] == "rhone-controller"
    assert m["metadata"]["rhone_regionset"] == "web"
    assert len(m["metadata"]["rhone_config_hash"]) == 16


def test_add_region(sim, ctl_factory):
    c = ctl_factory(files={"web.yaml": THREE})
    c.wait_phase("web", "Converged")
    before = {m["id"] for m in alive(sim, "web-app")}
    c.write("web.yaml", regionset("web", "web-app", "registry.fly.io/web:v1",
                                  "iad", ["fra", ("nrt", 2), "syd"]))
    wait_for(lambda: per_region(alive(sim, "web-app")).get("syd") == 1,
             what="a machine in syd")
    c.wait_phase("web", "Converged")
    after = alive(sim, "web-app")
    assert before <= {m["id"] for m in after}, "existing machines replaced"
    syd = [m for m in after if m["region"] == "syd"][0]
    assert syd["image"] == "registry.fly.io/web:v1"


def test_remove_region(sim, ctl_factory):
    c = ctl_factory(files={"web.yaml": THREE})
    c.wait_phase("web", "Converged")
    c.write("web.yaml", regionset("web", "web-app", "registry.fly.io/web:v1",
                                  "iad", ["fra"]))
    wait_for(lambda: "nrt" not in per_region(alive(sim, "web-app")),
             what="nrt machines gone")
    c.wait_phase("web", "Converged")
    assert per_region(alive(sim, "web-app")) == {"iad": 1, "fra": 1}
    calls = sim.calls()["ops"]
    assert calls["stop"]["total"] >= 2, "machines are stopped before destroy"


def test_image_change_keeps_capacity(sim, ctl_factory):
    c = ctl_factory(files={"web.yaml": THREE})
    c.wait_phase("web", "Converged")
    old = {m["id"] for m in alive(sim, "web-app")}
    t0 = time.time()
    c.write("web.yaml", THREE.replace("web:v1", "web:v2"))
    wait_for(lambda: c.item("web")["metadata"]["generation"] == 2,
             what="generation 2")
    wait_for(lambda: not (old & {m["id"] for m in alive(sim, "web-app")}),
             timeout=90, what="old machines gone")
    c.wait_phase("web", "Converged")
    now = alive(sim, "web-app")
    assert per_region(now) == {"iad": 1, "fra": 1, "nrt": 2}
    assert {m["image"] for m in now} == {"registry.fly.io/web:v2"}
    desired = {"iad": 1, "fra": 1, "nrt": 2}
    lowest = {}
    for point in sim.timeline():
        if point["app"] == "web-app" and point["t"] >= t0:
            r = point["region"]
            lowest[r] = min(lowest.get(r, 99), point["ready"])
    assert lowest, "the timeline recorded the rollout"
    for region, n in lowest.items():
        assert n >= desired[region], \
            f"{region} dropped to {n} ready machines during the rollout"


def test_never_healthy_image_rolls_back(sim, ctl_factory):
    sim.configure(unhealthy_image="broken")
    spec = regionset("web", "web-app", "registry.fly.io/web:v1", "iad",
                     ["fra"], strategy="{type: bluegreen, healthTimeout: 3s}")
    c = ctl_factory(files={"web.yaml": spec})
    c.wait_phase("web", "Converged")
    old = {m["id"] for m in alive(sim, "web-app")}
    c.write("web.yaml", spec.replace("web:v1", "web:broken"))

    def broken():
        return [m for m in sim.machines()
                if m["app"] == "web-app" and "broken" in m["image"]]
    wait_for(broken, timeout=60, what="a new machine tried")
    wait_for(lambda: all(m["state"] in ("destroyed", "destroying")
                         for m in broken()),
             timeout=60, what="failed new machines cleaned up")
    item = c.wait_phase("web", "Degraded", timeout=60)
    assert {m["id"] for m in alive(sim, "web-app")} == old
    assert {m["image"] for m in alive(sim, "web-app")} == \
        {"registry.fly.io/web:v1"}
    conds = {x["type"]: x for x in c.item("web")["status"]["conditions"]}
    assert conds["Degraded"]["status"] == "True"
    assert conds["Ready"]["status"] == "False"
    assert item["status"]["phase"] == "Degraded"


def test_malformed_edit_freezes(sim, ctl_factory):
    c = ctl_factory(files={"web.yaml": THREE})
    c.wait_phase("web", "Converged")
    before = sorted(m["id"] for m in alive(sim, "web-app"))
    sim.reset_calls()
    c.write("web.yaml", THREE.replace("fra", "fra1"))
    item = c.wait_phase("web", "Invalid", timeout=20)
    err = item["status"]["lastError"]
    assert "web.yaml:" in err and "fra1" in err, err
    assert 'did you mean "fra"' in err, err
    time.sleep(3)
    assert sim.calls()["mutating"] == 0
    assert sorted(m["id"] for m in alive(sim, "web-app")) == before
    c.write("web.yaml", "spec: [unclosed\n")
    wait_for(lambda: "web.yaml:" in c.status()["metadata"]["lastLoadError"],
             what="syntax error reported")
    time.sleep(3)
    assert sim.calls()["mutating"] == 0
    assert sorted(m["id"] for m in alive(sim, "web-app")) == before


def test_empty_source_is_an_error(sim, ctl_factory):
    c = ctl_factory(files={"web.yaml": THREE})
    c.wait_phase("web", "Converged")
    sim.reset_calls()
    c.remove("web.yaml")
    wait_for(lambda: c.status()["metadata"]["sourceFailed"],
             what="empty source reported")
    assert "no RegionSet" in c.status()["metadata"]["lastLoadError"]
    time.sleep(3)
    assert sim.calls()["mutating"] == 0
    assert per_region(alive(sim, "web-app")) == {"iad": 1, "fra": 1,
                                                "nrt": 2}


def source_loads(c):
    """Good loads so far, from /metrics: a resync that finds nothing new
    is logged at debug level only."""
    text = requests.get(c.url + "/metrics", timeout=5).text
    m = re.search(r'^rhone_source_loads_total\{result="success"\} (\d+)',
                  text, re.M)
    assert m, "no rhone_source_loads_total in /metrics"
    return int(m.group(1))


def test_steady_state_makes_no_writes(sim, ctl_factory):
    c = ctl_factory(files={"web.yaml": THREE})
    c.wait_phase("web", "Converged")
    time.sleep(1)
    loads_before = source_loads(c)
    sim.reset_calls()
    time.sleep(4.5)       # two resyncs at 2 s
    calls = sim.calls()
    loads = source_loads(c) - loads_before
    assert calls["mutating"] == 0
    assert loads >= 2
    # One list per resync; a round already queued when the counters were
    # reset may add one.
    assert 1 <= calls["ops"]["list"]["total"] <= loads + 1


def test_unmanaged_machines_are_left_alone(sim, ctl_factory):
    r = sim.post("/v1/apps/web-app/machines",
                 {"region": "fra", "config": {"image": "someone/else:1"}})
    assert r.status_code == 200
    foreign = r.json()["id"]
    c = ctl_factory(files={"web.yaml": THREE})
    item = c.wait_phase("web", "Converged")
    assert item["status"]["unmanagedMachines"] == 1
    c.write("web.yaml", regionset("web", "web-app", "registry.fly.io/web:v1",
                                  "iad"))
    wait_for(lambda: "fra" not in [m["region"] for m in alive(sim, "web-app")
                                   if m["id"] != foreign],
             what="managed fra machine removed")
    assert foreign in {m["id"] for m in alive(sim, "web-app")}


def test_sigterm_stops_cleanly_and_sighup_reloads(sim, ctl_factory):
    c = ctl_factory(files={"web.yaml": THREE}, extra_args=["--resync", "1h"])
    c.wait_phase("web", "Converged")
    c.signal(signal.SIGHUP)
    wait_for(lambda: "reload_requested" in c.output(), what="reload log")
    assert c.stop() == 0
    assert "event=stopped" in c.output()


def test_validate_command(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text(THREE)
    r = subprocess.run([BINARY, "validate", str(good)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text(THREE.replace("fra", "frx"))
    r = subprocess.run([BINARY, "validate", str(tmp_path)],
                       capture_output=True, text=True)
    assert r.returncode == 1
    assert f"{bad}:7:" in r.stdout or f"{bad}:" in r.stdout, r.stdout
    assert "frx" in r.stdout


def test_malformed_api_body_is_an_error_not_a_crash(sim, ctl_factory):
    c = ctl_factory(files={"web.yaml": THREE})
    c.wait_phase("web", "Converged")
    sim.fault(op="list", status=200, count=3, body="[{\"id\": 12")
    item = c.wait_phase("web", "Degraded", timeout=20)
    assert "malformed" in item["status"]["lastError"]
    assert c.proc.poll() is None
    c.wait_phase("web", "Converged", timeout=30)
    assert per_region(alive(sim, "web-app")) == {"iad": 1, "fra": 1,
                                                "nrt": 2}


def test_kill9_mid_rollout_converges_without_orphans(sim, ctl_factory):
    c = ctl_factory(files={"web.yaml": THREE})
    c.wait_phase("web", "Converged")
    sim.configure(health_delay=2.0)
    c.write("web.yaml", THREE.replace("web:v1", "web:v2"))
    wait_for(lambda: any(m["image"].endswith(":v2")
                         for m in alive(sim, "web-app")),
             what="first green machine")
    kill(c)
    c2 = ctl_factory(start=False)
    c2.dir = c.dir
    c2.start()
    c2.wait_phase("web", "Converged", timeout=90)
    now = alive(sim, "web-app")
    assert per_region(now) == {"iad": 1, "fra": 1, "nrt": 2}
    assert {m["image"] for m in now} == {"registry.fly.io/web:v2"}


def test_non_yaml_writes_do_not_reload(sim, ctl_factory):
    c = ctl_factory(files={"web.yaml": THREE}, extra_args=["--resync", "1h"])
    c.wait_phase("web", "Converged")
    assert c.item("web") == c.item("web/") or \
        c.item("web/")["metadata"]["name"] == "web"
    loads = c.output().count("event=source_loaded")
    for i in range(5):
        c.write("notes.txt", f"scratch {i}\n")
        time.sleep(0.2)
    time.sleep(1)
    assert c.output().count("event=source_loaded") == loads
    c.write("more.yml", regionset("api", "api-app", "registry.fly.io/a:1",
                                  "fra"))
    wait_for(lambda: c.output().count("event=source_loaded") > loads,
             timeout=10, what="reload after a YAML write")


def test_changes_beside_the_source_do_not_reload(sim, ctl_factory,
                                                tmp_path):
    # The folder holding the source is watched for the source itself
    # being swapped (git-sync); other entries there are someone else's.
    src = tmp_path / "regionsets"
    src.mkdir()
    c = ctl_factory(files={"web.yaml": THREE}, source=str(src),
                    extra_args=["--resync", "1h"])
    c.wait_phase("web", "Converged")
    loads = source_loads(c)
    for i in range(5):
        (tmp_path / f"other-{i}").mkdir()
        (tmp_path / f"other-{i}.yaml").write_text("x: 1\n")
        (tmp_path / f"other-{i}.yaml").rename(tmp_path / f"moved-{i}.yaml")
        time.sleep(0.1)
    time.sleep(1)
    assert source_loads(c) == loads
    # Replacing the source folder itself is noticed.
    new = tmp_path / "regionsets.new"
    new.mkdir()
    (new / "web.yaml").write_text(THREE.replace("iad", "ord"))
    src.rename(tmp_path / "regionsets.old")
    new.rename(src)
    wait_for(lambda: source_loads(c) > loads, timeout=10,
             what="reload after the source folder was replaced")


def test_file_level_yaml_error_is_logged(sim, ctl_factory):
    c = ctl_factory(files={"web.yaml": THREE})
    c.wait_phase("web", "Converged")
    c.write("new.yaml", "x: [\n")
    wait_for(lambda: "event=source_error" in c.output() and
             "new.yaml:" in c.output(), timeout=10,
             what="syntax error logged")
