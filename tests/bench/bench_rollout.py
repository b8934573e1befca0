#!/usr/bin/python3
"""bench_rollout.py - how close a rollout comes to the bound Fly's rate
limits set. Not a test: it prints key=value lines and asserts nothing.

    /usr/bin/python3 tests/bench/bench_rollout.py [BUILD] [--apps N]

Starts flysim (default latency model, rate limits on) and the controller,
then, for N apps at once (default 1), each a RegionSet in all 28 regions
with one machine each:

  fresh:  from an empty app to Converged;
  change: an image change across every region, to Converged.

The bound comes from the same model: creates share one app-scoped bucket
(1/s, burst 3), so the last of 28 creates is sent 25 s after the first;
each machine then takes create + boot + health delays. A change goes in
two waves (the primary alone, then the rest), and each wave also stops
and destroys its old machines (per-machine buckets, in parallel). The
controller looks again every --poll (1 s), so each wave may add up to one
poll interval; the bound leaves that out, the ratio includes it.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
from rhone import regionset  # noqa: E402

DELAYS = {"create": 0.1, "boot": 0.3, "stop": 0.2, "destroy": 0.2,
          "health": 1.0}
RATE, BURST = 1.0, 3


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read().decode())


def wait_up(url, what, proc):
    for _ in range(300):
        if proc.poll() is not None:
            sys.exit(f"bench_rollout: {what} exited")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"bench_rollout: {what} did not start")


def catalog():
    """Every region code of specs/regions.csv, the primary (iad) first."""
    with open(os.path.join(HERE, "..", "..", "specs", "regions.csv")) as f:
        codes = [line.split(",")[0] for line in f][1:]
    return sorted(codes, key=lambda c: c != "iad")


def write_sets(folder, napps, regions, tag):
    for i in range(napps):
        text = regionset(f"bench{i}", f"bench-app-{i}",
                         f"registry.fly.io/bench:{tag}", regions[0],
                         regions[1:])
        path = os.path.join(folder, f"bench{i}.yaml")
        with open(path + ".tmp", "w") as f:
            f.write(text)
        os.replace(path + ".tmp", path)


DONE = {}


def converged_item(it, gen):
    return it.get("status", {}).get("phase") == "Converged" and \
        it["metadata"]["generation"] == gen and \
        it["status"]["observedGeneration"] == gen


def timed(ctl, napps, gen, limit=900):
    """Seconds until every set converged on generation gen; also when
    each did (first seen so), as DONE[gen] sorted, to tell a slow whole
    from a few stragglers."""
    t0 = time.monotonic()
    seen = {}
    while len(seen) < napps:
        if time.monotonic() - t0 > limit:
            sys.exit("bench_rollout: no convergence within the limit")
        # /status of 100 sets is half a megabyte: asking too often
        # would measure the asking. 0.2 s adds at most that much.
        time.sleep(0.2)
        now = time.monotonic() - t0
        for it in get(ctl + "/status")["items"]:
            if it["metadata"]["name"] not in seen and \
                    converged_item(it, gen):
                seen[it["metadata"]["name"]] = now
    DONE[gen] = sorted(seen.values())
    return DONE[gen][-1]


def bounds(n):
    pace = max(0, n - BURST) / RATE
    up = DELAYS["create"] + DELAYS["boot"] + DELAYS["health"]
    down = DELAYS["stop"] + DELAYS["destroy"]
    fresh = pace + up
    change = (up + down) + (max(0, n - 1 - BURST) / RATE + up + down)
    return fresh, change


def main():
    args = sys.argv[1:]
    napps = 1
    if "--apps" in args:
        i = args.index("--apps")
        napps = int(args[i + 1])
        del args[i:i + 2]
    build = args[0] if args else "build"
    regions = catalog()
    sim_port, ctl_port = free_port(), free_port()
    sim_url = f"http://127.0.0.1:{sim_port}"
    ctl = f"http://127.0.0.1:{ctl_port}"
    folder = tempfile.mkdtemp(prefix="rhone-bench-")
    env = dict(os.environ, FLY_API_TOKEN="bench-token")
    procs = []
    try:
        procs.append(subprocess.Popen(
            [os.path.join(build, "flysim"), "--listen",
             f"127.0.0.1:{sim_port}", "--auto-apps"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_up(sim_url + "/_sim/config", "flysim", procs[0])
        write_sets(folder, napps, regions, "v1")
        procs.append(subprocess.Popen(
            [os.path.join(build, "rhone-controller"), "run", "--source",
             folder, "--fly-api-url", sim_url, "--listen",
             f"127.0.0.1:{ctl_port}", "--log-level", "warn"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_up(ctl + "/healthz", "rhone-controller", procs[1])
        fresh = timed(ctl, napps, 1)
        write_sets(folder, napps, regions, "v2")
        change = timed(ctl, napps, 2)
        calls = get(sim_url + "/_sim/calls")
    finally:
        usage = []
        for p in reversed(procs):
            p.terminate()
            _, _, ru = os.wait4(p.pid, 0)
            p.returncode = 0
            usage.append(ru)
        shutil.rmtree(folder, ignore_errors=True)
    by_op = {name: op["by_status"].get("429", 0)
             for name, op in calls["ops"].items()
             if op["by_status"].get("429", 0)}
    n429 = sum(by_op.values())
    # Every answer that was not a success, by operation and status: a
    # retry (a lease still held, a wait that timed out) costs time.
    other = {f"{name}_{code}": n for name, op in calls["ops"].items()
             for code, n in op["by_status"].items()
             if not code.startswith("2") and code != "429"}
    bf, bc = bounds(len(regions))
    for name, secs, bound, gen in (("fresh", fresh, bf, 1),
                                   ("change", change, bc, 2)):
        done = DONE[gen]
        print(f"bench=rollout apps={napps} regions={len(regions)} "
              f"scenario={name} seconds={secs:.1f} bound={bound:.1f} "
              f"ratio={secs / bound:.2f} first_set={done[0]:.1f} "
              f"median_set={done[len(done) // 2]:.1f}")
    print(f"bench=rollout apps={napps} calls={calls['total']} "
          f"status_429={n429} " +
          " ".join(f"status_429_{k}={v}" for k, v in sorted(by_op.items())))
    print(f"bench=rollout apps={napps} not_ok=" +
          (",".join(f"{k}:{v}" for k, v in sorted(other.items())) or "0"))
    # usage[0] is the controller's (stopped first), usage[1] flysim's.
    for name, ru in zip(("controller", "flysim"), usage):
        print(f"bench=rollout apps={napps} process={name} "
              f"cpu_seconds={ru.ru_utime + ru.ru_stime:.1f} "
              f"max_rss_kib={ru.ru_maxrss}")


if __name__ == "__main__":
    main()
