"""Rollouts through a misbehaving API, end to end: bursts of 429 and 503,
creates that succeed but whose answer is lost, and the storm brake.

The real controller against flysim's fault rules. "No duplicate" is
checked against every machine flysim ever made, destroyed ones included,
so a duplicate created and removed again still fails the test. Deadlines
are generous and no test asserts how long something took.
"""
import time

import pytest

from rhone import (alive, made_with, per_region, region_status, regionset,
                   wait_for)

APP = "web-app"
V1 = "registry.fly.io/web:v1"
V2 = "registry.fly.io/web:v2"
SPEC = regionset("web", APP, V1, "iad", [("fra", 2)])


def statuses(sim, op):
    return sim.calls()["ops"].get(op, {}).get("by_status", {})


def test_burst_of_429_and_503_converges_without_duplicates(sim,
                                                           ctl_factory):
    sim.fault("list", status=503, count=3)
    sim.fault("list", status=429, count=2)
    sim.fault("create", status=429, count=3)
    sim.fault("create", status=503, count=2)
    c = ctl_factory({"web.yaml": SPEC})
    c.wait_phase("web", "Converged", timeout=120)
    assert per_region(alive(sim)) == {"iad": 1, "fra": 2}
    assert len(made_with(sim, V1)) == 3, "a create was repeated"
    assert statuses(sim, "create").get("429", 0) == 3
    assert statuses(sim, "create").get("503", 0) == 2
    assert statuses(sim, "list").get("503", 0) >= 3

    sim.fault("destroy", status=429, count=2)
    sim.fault("destroy", status=503, count=2)
    sim.fault("create", status=503, count=2)
    sim.fault("list", status=429, count=2)
    c.write("web.yaml", SPEC.replace("web:v1", "web:v2"))
    wait_for(lambda: {m["image"] for m in alive(sim)} == {V2} and
             c.phase("web") == "Converged", timeout=180,
             what="the image change converged through the faults")
    assert per_region(alive(sim)) == {"iad": 1, "fra": 2}
    assert len(made_with(sim, V2)) == 3, "a create was repeated"
    assert statuses(sim, "destroy").get("429", 0) == 2
    assert statuses(sim, "destroy").get("503", 0) == 2
    assert sim._admin("GET", "faults") == [] or \
        all(f.get("count", 0) == 0 for f in sim._admin("GET", "faults"))


@pytest.mark.parametrize("answer", [
    {"status": 0},                       # connection closed after create
    {"status": 0, "delay_ms": 1500},     # slow, then the line drops
    {"status": 408},
    {"status": 500},
], ids=["closed", "slow-closed", "408", "500"])
def test_create_that_succeeded_unseen_is_not_repeated(sim, ctl_factory,
                                                      answer):
    sim.fault("create", count=1, after_apply=True, **answer)
    c = ctl_factory({"web.yaml": SPEC})
    c.wait_phase("web", "Converged", timeout=120)
    assert per_region(alive(sim)) == {"iad": 1, "fra": 2}
    made = made_with(sim, V1)
    assert len(made) == 3, f"duplicate machine: {made}"
    assert all(m["state"] == "started" for m in made), made

    # the same on an image change, where the lost answer is a surge
    sim.fault("create", count=1, after_apply=True, **answer)
    c.write("web.yaml", SPEC.replace("web:v1", "web:v2"))
    wait_for(lambda: {m["image"] for m in alive(sim)} == {V2} and
             c.phase("web") == "Converged", timeout=180,
             what="the image change converged")
    assert len(made_with(sim, V2)) == 3, "a create was repeated"
    assert per_region(alive(sim)) == {"iad": 1, "fra": 2}


def test_storm_brake_stops_replacing_until_health_returns(sim,
                                                           ctl_factory):
    spec = regionset("web", APP, V1, "iad", ["fra", "nrt"],
                     strategy="{healthTimeout: 2s, maxUnhealthy: 1}")
    c = ctl_factory({"web.yaml": spec})
    c.wait_phase("web", "Converged", timeout=120)
    old = {m["id"] for m in alive(sim)}
    assert len(old) == 3

    # every v1 machine fails its checks: 3 unhealthy, more than 1, before
    # the change comes (a rollout already under way is another story)
    sim.configure(unhealthy_image="web:v1")
    wait_for(lambda: all(m["checks"][0]["status"] != "passing"
                         for m in alive(sim)), timeout=30,
             what="every v1 machine failing its checks")
    time.sleep(3)                # past healthTimeout: now unhealthy
    c.write("web.yaml", spec.replace("web:v1", "web:v2"))
    braked = wait_for(lambda: (region_status(c, "fra") or {}).get("reason")
                      == "TooManyUnhealthy" and region_status(c, "fra"),
                      timeout=60, what="fra reports TooManyUnhealthy")
    assert "unhealthy" in braked["message"], braked
    assert c.phase("web") == "Degraded"
    time.sleep(3)                # a resync and several polls
    assert {m["id"] for m in alive(sim)} == old, \
        ("replaced under the brake", sim.machines(APP), c.item("web"))
    assert made_with(sim, V2) == [], "a new machine under the brake"
    spec_json = c.item("web")["spec"]["strategy"]
    assert spec_json["maxUnhealthy"] == 1, spec_json

    # health returns: the brake lets go and the rollout finishes
    sim.configure(unhealthy_image=None)
    wait_for(lambda: {m["image"] for m in alive(sim)} == {V2} and
             c.phase("web") == "Converged", timeout=180,
             what="the rollout finished once the brake let go")
    assert len(alive(sim)) == 3
    assert len(made_with(sim, V2)) == 3


def test_status_shows_rollout_settings(sim, ctl_factory):
    spec = regionset("web", APP, V1, "iad", ["fra"],
                     strategy="{type: rolling, maxSurge: 25%, "
                     "maxUnavailable: 1, minReadySeconds: 3, "
                     "progressDeadline: 2m, primaryFirst: false, "
                     "maxParallelRegions: 2, soakTime: 5s, "
                     "maxUnhealthy: 50%}")
    c = ctl_factory({"web.yaml": spec})
    got = wait_for(lambda: c.item("web")["spec"], what="the spec in /status")
    assert got["strategy"] == {
        "type": "rolling", "healthTimeout": got["strategy"]["healthTimeout"],
        "maxSurge": "25%", "maxUnavailable": 1, "minReadySeconds": 3,
        "progressDeadline": "120s", "primaryFirst": False,
        "maxParallelRegions": 2, "soakTime": "5s", "maxUnhealthy": "50%",
    }, got["strategy"]
