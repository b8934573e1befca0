"""Crash safety: SIGKILL the controller at random moments of rollouts.

Each trial starts a rollout of a new image, kills the controller after a
random delay, starts a new one on the same folder and checks the end
state exactly: the desired count per region, every machine on the new
image and ours (no orphan), and the ready count of each region never
below desired - maxUnavailable (0) since the trial began.

flysim runs with fast timings and caps leases at one second, as if time
ran fast: a lease the killed controller held would otherwise block the
next one for its full 30 s. RHONE_CRASH_TRIALS sets the number of trials
(30 by default), RHONE_CRASH_SEED the random seed. The trials are split
into CHUNKS tests, each with its own flysim and seed (SEED + chunk), so
that pytest-xdist can run them side by side.
"""
import os
import random
import time

import pytest

from rhone import Controller, alive, kill, per_region, regionset, wait_for
from conftest import free_port

TRIALS = int(os.environ.get("RHONE_CRASH_TRIALS", "30"))
CHUNKS = 5
SEED = int(os.environ.get("RHONE_CRASH_SEED", str(int(time.time()))))
FAST = ["--auto-apps", "--create-delay", "0.05", "--boot-delay", "0.1",
        "--stop-delay", "0.1", "--destroy-delay", "0.05",
        "--health-delay", "0.2"]
DESIRED = {"iad": 1, "fra": 2, "nrt": 1}
POLL = ["--poll", "0.1s"]


def spec(image):
    return regionset("web", "web-app", image, "iad", [("fra", 2), "nrt"],
                     strategy="{maxSurge: 100%}")


def end_state_ok(sim, image):
    ms = alive(sim)
    return per_region(ms) == DESIRED and all(
        m["image"] == image and m["state"] == "started" and
        m["metadata"].get("rhone_regionset") == "web" for m in ms)


def lowest_ready(sim, t0):
    lowest = {}
    points = [p for p in sim.timeline("web-app") if p["app"] == "web-app"]
    for region in DESIRED:
        mine = [p for p in points if p["region"] == region]
        window = [p for p in mine if p["t"] < t0][-1:] + \
            [p for p in mine if p["t"] >= t0]
        lowest[region] = min(p["ready"] for p in window)
    return lowest


def start(sim, folder):
    return Controller(sim.url, free_port(), POLL, source=folder).start()


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_sigkill_at_random_moments_of_rollouts(flysim_factory, chunk):
    trials = range(1 + chunk * TRIALS // CHUNKS,
                   1 + (chunk + 1) * TRIALS // CHUNKS)
    seed = SEED + chunk
    sim = flysim_factory(FAST)
    sim.configure(lease_ttl_max=1.0)
    rng = random.Random(seed)
    c = Controller(sim.url, free_port(), POLL)
    c.write("web.yaml", spec("registry.fly.io/web:v0"))
    c.start()
    try:
        c.wait_phase("web", "Converged", timeout=60)
        for k in trials:
            image = f"registry.fly.io/web:v{k}"
            t0 = time.time()
            c.write("web.yaml", spec(image))
            time.sleep(rng.uniform(0.0, 1.5))
            kill(c)
            c = start(sim, c.dir)
            wait_for(lambda: end_state_ok(sim, image) and
                     c.phase("web") == "Converged", timeout=90,
                     what=f"trial {k} (seed {seed}) converged")
            low = lowest_ready(sim, t0)
            assert all(low[r] >= DESIRED[r] for r in DESIRED), \
                f"trial {k} (seed {seed}): ready dropped to {low}"
    finally:
        rc = c.stop()
    assert rc == 0, c.output()
