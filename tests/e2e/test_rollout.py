"""Rollouts end to end: leases, machines in every state, capacity.

The real controller against flysim. Deadlines are generous and no test
asserts how long something took: the machine running them is shared.
"""
import subprocess
import time

from rhone import BINARY, alive, per_region, region_status, regionset, wait_for

OWNER = "alice@example.com"


def in_region(sim, code):
    return [m for m in alive(sim) if m["region"] == code]


SPEC = regionset("web", "web-app", "registry.fly.io/web:v1", "iad", ["fra"])


def test_lease_held_by_someone_else_is_respected(sim, ctl_factory):
    c = ctl_factory({"web.yaml": SPEC})
    c.wait_phase("web", "Converged")
    old = in_region(sim, "fra")[0]
    sim.plant_lease("web-app", old["id"], owner=OWNER, ttl=8)
    c.write("web.yaml", SPEC.replace("web:v1", "web:v2"))

    held = wait_for(lambda: (region_status(c, "fra") or {}).get("reason")
                    == "LeaseHeld" and region_status(c, "fra"),
                    timeout=60, what="fra reports LeaseHeld")
    assert OWNER in held["message"], held
    assert old["id"] in held["message"], held
    # the status command says the reason once, under REASON
    r = subprocess.run([BINARY, "status", "web", "--server", c.url],
                       capture_output=True, text=True, timeout=30)
    row = [line for line in r.stdout.splitlines()
           if line.startswith("fra ")]
    assert len(row) == 1 and "LeaseHeld" in row[0], r.stdout
    assert row[0].count("LeaseHeld") == 1 and OWNER in row[0], row[0]
    assert sim.machine(old["id"])["state"] == "started", "lease stolen"
    wait_for(lambda: region_status(c, "iad")["phase"] == "Converged",
             timeout=60, what="iad rolled out beside the held region")
    time.sleep(1)
    m = sim.machine(old["id"])
    assert m["state"] == "started" and m["lease"]["owner"] == OWNER

    c.wait_phase("web", "Converged", timeout=120)
    assert sim.machine(old["id"])["state"] in ("destroyed", "destroying")
    assert {m["image"] for m in alive(sim)} == {"registry.fly.io/web:v2"}
    assert per_region(alive(sim)) == {"iad": 1, "fra": 1}
    ops = sim.calls()["ops"]
    assert ops["lease_acquire"]["by_status"].get("409", 0) >= 1
    assert ops["lease_acquire"]["by_status"].get("201", 0) >= 2
    assert all(m["lease"] is None for m in alive(sim)), \
        "a lease of ours was left behind"


def test_destroys_take_a_lease_first(sim, ctl_factory):
    c = ctl_factory({"web.yaml": SPEC})
    c.wait_phase("web", "Converged")
    sim.reset_calls()
    c.write("web.yaml", regionset("web", "web-app",
                                  "registry.fly.io/web:v1", "iad"))
    wait_for(lambda: "fra" not in per_region(alive(sim)),
             what="fra machine removed")
    c.wait_phase("web", "Converged")
    ops = sim.calls()["ops"]
    # a quick stop leaves most of the lease: no refresh before the destroy
    assert ops["lease_acquire"]["by_status"] == {"201": 1}
    assert ops["destroy"]["by_status"].get("200", 0) == 1
    assert ops["stop"]["by_status"].get("409", 0) == 0
    assert ops["destroy"]["by_status"].get("409", 0) == 0


def test_a_slow_stop_refreshes_the_lease_before_the_destroy(sim,
                                                            ctl_factory):
    c = ctl_factory({"web.yaml": SPEC})
    c.wait_phase("web", "Converged")
    # half the controller's 30 s lease goes by while the machine stops
    sim.configure(stop_delay=16)
    sim.reset_calls()
    c.write("web.yaml", regionset("web", "web-app",
                                  "registry.fly.io/web:v1", "iad"))
    wait_for(lambda: "fra" not in per_region(alive(sim)), timeout=90,
             what="fra machine removed")
    c.wait_phase("web", "Converged")
    ops = sim.calls()["ops"]
    assert ops["lease_acquire"]["by_status"] == {"201": 2}
    assert ops["destroy"]["by_status"] == {"200": 1}


def test_autostopped_machines_stay_stopped(sim, ctl_factory):
    spec = regionset("web", "web-app", "registry.fly.io/web:v1", "iad",
                     [("fra", 2)])
    c = ctl_factory({"web.yaml": spec})
    c.wait_phase("web", "Converged")
    victim = in_region(sim, "fra")[0]["id"]
    r = sim.post(f"/v1/apps/web-app/machines/{victim}/stop", {})
    assert r.status_code == 200
    sim.wait_state(victim, "stopped")
    sim.reset_calls()
    time.sleep(5)               # two resyncs and many polls
    assert sim.machine(victim)["state"] == "stopped"
    assert sim.calls()["mutating"] == 0
    assert c.phase("web") == "Converged"
    fra = region_status(c, "fra")
    assert fra["current"] == 2 and fra["desired"] == 2


def test_outdated_stopped_machine_is_replaced_without_booting(sim,
                                                               ctl_factory):
    c = ctl_factory({"web.yaml": SPEC})
    c.wait_phase("web", "Converged")
    old = in_region(sim, "fra")[0]["id"]
    assert sim.post(f"/v1/apps/web-app/machines/{old}/stop",
                    {}).status_code == 200
    sim.wait_state(old, "stopped")
    c.write("web.yaml", SPEC.replace("web:v1", "web:v2"))
    wait_for(lambda: sim.machine(old)["state"] == "destroyed",
             timeout=90, what="the stopped old machine destroyed")
    c.wait_phase("web", "Converged", timeout=90)
    fra = in_region(sim, "fra")
    assert len(fra) == 1
    assert fra[0]["image"] == "registry.fly.io/web:v2"
    assert fra[0]["state"] == "created", "the replacement was booted"
    iad = in_region(sim, "iad")
    assert [m["state"] for m in iad] == ["started"]
    assert iad[0]["image"] == "registry.fly.io/web:v2"


def test_unreachable_host_is_replaced(sim, ctl_factory):
    c = ctl_factory({"web.yaml": SPEC})
    c.wait_phase("web", "Converged")
    lost = in_region(sim, "fra")[0]["id"]
    sim._admin("POST", "host", json={"app": "web-app", "machine": lost,
                                     "host_status": "unreachable"})
    wait_for(lambda: sim.machine(lost)["state"] == "destroyed",
             timeout=90, what="machine on the lost host destroyed")
    c.wait_phase("web", "Converged", timeout=60)
    fra = in_region(sim, "fra")
    assert len(fra) == 1 and fra[0]["id"] != lost
    assert fra[0]["state"] == "started"


def test_capacity_missing_in_one_region_only(sim, ctl_factory):
    sim.configure(capacity_regions={"fra": 0})
    spec = regionset("web", "web-app", "registry.fly.io/web:v1", "iad",
                     ["fra", "nrt"])
    c = ctl_factory({"web.yaml": spec})
    fra = wait_for(lambda: (region_status(c, "fra") or {}).get("reason")
                   == "InsufficientCapacity" and region_status(c, "fra"),
                   timeout=60, what="fra reports InsufficientCapacity")
    assert fra["phase"] == "Degraded"
    wait_for(lambda: region_status(c, "iad")["phase"] == "Converged" and
             region_status(c, "nrt")["phase"] == "Converged",
             timeout=60, what="the other regions converge")
    assert per_region(alive(sim)) == {"iad": 1, "nrt": 1}
    assert c.phase("web") == "Degraded"
    # Retries (after 5 s, then 10 s) do not make the set look as if it
    # were progressing again: it stays Degraded until a create works.
    seen = set()
    end = time.time() + 12
    while time.time() < end:
        seen.add((c.phase("web"), region_status(c, "fra")["phase"]))
        time.sleep(0.1)
    assert seen == {("Degraded", "Degraded")}
    assert sim.calls()["ops"]["create"]["by_status"].get("422", 0) >= 2
    sim.configure(capacity_regions={"fra": None})
    c.wait_phase("web", "Converged", timeout=120)
    assert per_region(alive(sim)) == {"iad": 1, "fra": 1, "nrt": 1}


def bounds(sim, app, region, t0):
    """(lowest ready, highest alive) from the last point before t0 on."""
    points = [p for p in sim.timeline(app)
              if p["app"] == app and p["region"] == region]
    before = [p for p in points if p["t"] < t0][-1:]
    window = before + [p for p in points if p["t"] >= t0]
    assert window, "the timeline recorded the rollout"
    return (min(p["ready"] for p in window),
            max(p["alive"] for p in window))


def test_surge_and_unavailable_bounds_hold_at_every_instant(sim,
                                                            ctl_factory):
    surge = regionset("surge", "surge-app", "registry.fly.io/web:v1",
                      "iad", primaryCount=3,
                      strategy="{maxSurge: 1, maxUnavailable: 0}")
    unav = regionset("unav", "unav-app", "registry.fly.io/web:v1", "fra",
                     primaryCount=3,
                     strategy="{maxSurge: 0, maxUnavailable: 34%}")
    c = ctl_factory({"surge.yaml": surge, "unav.yaml": unav})
    c.wait_phase("surge", "Converged")
    c.wait_phase("unav", "Converged")
    t0 = time.time()
    c.write("surge.yaml", surge.replace("web:v1", "web:v2"))
    c.write("unav.yaml", unav.replace("web:v1", "web:v2"))
    for name, app in (("surge", "surge-app"), ("unav", "unav-app")):
        wait_for(lambda: {m["image"] for m in alive(sim, app)} ==
                 {"registry.fly.io/web:v2"} and c.phase(name) ==
                 "Converged", timeout=180, what=f"{name} rolled out")
        assert len(alive(sim, app)) == 3
    ready, most = bounds(sim, "surge-app", "iad", t0)
    assert ready >= 3, f"surge set dropped to {ready} ready machines"
    assert most <= 4, f"surge set reached {most} machines"
    ready, most = bounds(sim, "unav-app", "fra", t0)
    assert ready == 2, f"unavailable set went to {ready} ready machines"
    assert most <= 3, f"unavailable set reached {most} machines"


def test_progress_deadline_rolls_back(sim, ctl_factory):
    sim.configure(unhealthy_image="broken")
    spec = regionset("web", "web-app", "registry.fly.io/web:v1", "iad",
                     ["fra"], strategy="{healthTimeout: 1h, "
                     "progressDeadline: 4s}")
    c = ctl_factory({"web.yaml": spec})
    c.wait_phase("web", "Converged")
    old = {m["id"] for m in alive(sim)}
    c.write("web.yaml", spec.replace("web:v1", "web:broken"))

    def stalled():
        conds = {x["type"]: x for x in c.item("web")["status"]["conditions"]}
        p = conds["Progressing"]
        return p["status"] == "False" and \
            p["reason"] == "ProgressDeadlineExceeded" and conds
    conds = wait_for(stalled, timeout=60, what="ProgressDeadlineExceeded")
    assert conds["Degraded"]["status"] == "True"
    wait_for(lambda: {m["id"] for m in alive(sim)} == old, timeout=60,
             what="new machines removed, old ones kept")
    broken = [m for m in sim.machines() if "broken" in m["image"]]
    assert broken, "a new machine was tried"
    assert {m["image"] for m in alive(sim)} == {"registry.fly.io/web:v1"}


def first_created(sim, app, image):
    """Region -> the earliest created_at of a machine with that image."""
    seen = {}
    for m in sim.machines(app):
        if m["image"] == image:
            seen[m["region"]] = min(seen.get(m["region"], m["created_at"]),
                                    m["created_at"])
    return seen


def test_waves_go_primary_first_then_one_region_at_a_time(sim,
                                                          ctl_factory):
    spec = regionset("web", "web-app", "registry.fly.io/web:v1", "iad",
                     ["fra", "nrt"], strategy="{maxParallelRegions: 1, "
                     "soakTime: 2s}")
    c = ctl_factory({"web.yaml": spec})
    c.wait_phase("web", "Converged")
    c.write("web.yaml", spec.replace("web:v1", "web:v2"))
    waiting = wait_for(lambda: (region_status(c, "nrt") or {}).get("reason")
                       == "WaitingForWave" and region_status(c, "nrt"),
                       timeout=60, what="nrt waits for its wave")
    assert "region" in waiting["message"], waiting
    wait_for(lambda: {m["image"] for m in alive(sim)} ==
             {"registry.fly.io/web:v2"} and c.phase("web") == "Converged",
             timeout=180, what="all waves rolled out")
    first = first_created(sim, "web-app", "registry.fly.io/web:v2")
    assert first["iad"] < first["fra"] < first["nrt"], first


def test_failing_wave_stops_later_waves(sim, ctl_factory):
    sim.configure(unhealthy_image="broken")
    spec = regionset("web", "web-app", "registry.fly.io/web:v1", "iad",
                     ["fra", "nrt"], strategy="{healthTimeout: 3s}")
    c = ctl_factory({"web.yaml": spec})
    c.wait_phase("web", "Converged")
    old = {m["id"] for m in alive(sim)}
    c.write("web.yaml", spec.replace("web:v1", "web:broken"))
    halted = wait_for(lambda: (region_status(c, "fra") or {}).get("reason")
                      == "WaveHalted" and region_status(c, "fra"),
                      timeout=60, what="fra halted")
    assert "iad" in halted["message"], halted
    assert "HealthCheckTimeout" in halted["message"] or \
        "RolloutBackoff" in halted["message"], halted
    assert region_status(c, "nrt")["reason"] == "WaveHalted"
    wait_for(lambda: {m["id"] for m in alive(sim)} == old, timeout=60,
             what="broken primary machine rolled back")
    time.sleep(2)
    tried = {m["region"] for m in sim.machines("web-app")
             if "broken" in m["image"]}
    assert tried == {"iad"}, f"later waves started: {tried}"
    assert c.phase("web") == "Degraded"


def test_rolling_updates_machines_in_place(sim, ctl_factory):
    spec = regionset("web", "web-app", "registry.fly.io/web:v1", "iad",
                     primaryCount=3, strategy="{type: rolling}")
    c = ctl_factory({"web.yaml": spec})
    c.wait_phase("web", "Converged")
    ids = {m["id"] for m in alive(sim)}
    t0 = time.time()
    c.write("web.yaml", spec.replace("web:v1", "web:v2"))
    wait_for(lambda: {m["image"] for m in alive(sim)} ==
             {"registry.fly.io/web:v2"} and c.phase("web") == "Converged",
             timeout=120, what="rolled out in place")
    assert {m["id"] for m in alive(sim)} == ids, "machines were replaced"
    ready, most = bounds(sim, "web-app", "iad", t0)
    assert ready >= 2, f"rolling took {3 - ready} machines down at once"
    assert most == 3
    ops = sim.calls()["ops"]
    assert ops["update"]["by_status"].get("200", 0) == 3
    assert ops["create"]["total"] == 3      # the first convergence only


def test_immediate_updates_everything_at_once(sim, ctl_factory):
    spec = regionset("web", "web-app", "registry.fly.io/web:v1", "iad",
                     [("fra", 2)], strategy="{type: immediate}")
    c = ctl_factory({"web.yaml": spec})
    c.wait_phase("web", "Converged")
    ids = {m["id"] for m in alive(sim)}
    c.write("web.yaml", spec.replace("web:v1", "web:v2"))
    wait_for(lambda: {m["image"] for m in alive(sim)} ==
             {"registry.fly.io/web:v2"} and c.phase("web") == "Converged",
             timeout=120, what="updated in place")
    assert {m["id"] for m in alive(sim)} == ids
    assert per_region(alive(sim)) == {"iad": 1, "fra": 2}
