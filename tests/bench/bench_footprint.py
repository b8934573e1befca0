#!/usr/bin/python3
"""bench_footprint.py - the controller's memory and reaction time against
DESIGN.md's budget. Not a test: it prints key=value lines and asserts
nothing.

    /usr/bin/python3 tests/bench/bench_footprint.py [BUILD] [--sets N]
                                                    [--machines M]

memory:   N RegionSets (default 1,000) of M machines each (default 10, one
          per region: the primary and M-1 others) converged against
          flysim with the default resync (30 s), then left past the next
          resync and its burst of lists; the controller's resident memory
          is read from /proc: VmRSS (all of it), RssAnon (its own heap and
          stacks) and RssFile (shared libraries and the binary, mapped
          from files other processes share), and VmHWM (the peak, which
          the creates of the first convergence set).
reaction: a converged set's file is rewritten with one more machine; the
          time from the rename to the controller's first Fly API call for
          that app (read from its debug log, same clock) is reported, over
          several edits.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
from bench_rollout import catalog, free_port, get, wait_up  # noqa: E402
from rhone import regionset  # noqa: E402


def proc_status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "RssAnon", "RssFile", "VmHWM"):
                out[key] = int(value.split()[0])
    return out


def write_set(folder, i, regions, machines, extra=0):
    others = [(r, 2) if k == 0 and extra else r
              for k, r in enumerate(regions[1:machines])]
    text = regionset(f"set{i}", f"foot-app-{i}", "registry.fly.io/foot:v1",
                     regions[0], others)
    path = os.path.join(folder, f"set{i}.yaml")
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)
    return time.time()


def all_converged(ctl, n):
    items = get(ctl + "/status")["items"]
    return len(items) == n and all(
        it.get("status", {}).get("phase") == "Converged" for it in items)


def wait_converged(ctl, n, limit=900):
    t0 = time.monotonic()
    while not all_converged(ctl, n):
        if time.monotonic() - t0 > limit:
            sys.exit("bench_footprint: no convergence within the limit")
        time.sleep(0.5)
    return time.monotonic() - t0


def start(build, folder, level, resync, log):
    sim_port, ctl_port = free_port(), free_port()
    sim_url = f"http://127.0.0.1:{sim_port}"
    ctl = f"http://127.0.0.1:{ctl_port}"
    env = dict(os.environ, FLY_API_TOKEN="bench-token")
    sim = subprocess.Popen(
        [os.path.join(build, "flysim"), "--listen", f"127.0.0.1:{sim_port}",
         "--auto-apps"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_up(sim_url + "/_sim/config", "flysim", sim)
    ctl_proc = subprocess.Popen(
        [os.path.join(build, "rhone-controller"), "run", "--source", folder,
         "--fly-api-url", sim_url, "--listen", f"127.0.0.1:{ctl_port}",
         "--log-level", level, "--resync", resync],
        env=env, stdout=subprocess.DEVNULL, stderr=log)
    wait_up(ctl + "/healthz", "rhone-controller", ctl_proc)
    return sim, ctl_proc, ctl


def stop(*procs):
    for p in procs:
        p.terminate()
        p.wait()


def memory(build, nsets, machines, regions):
    folder = tempfile.mkdtemp(prefix="rhone-foot-")
    try:
        for i in range(nsets):
            write_set(folder, i, regions, machines)
        sim, ctl_proc, ctl = start(build, folder, "warn", "30s",
                                   subprocess.DEVNULL)
        try:
            took = wait_converged(ctl, nsets)
            time.sleep(45)              # past the next resync
            st = proc_status(ctl_proc.pid)
        finally:
            stop(ctl_proc, sim)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"bench=footprint scenario=memory sets={nsets} "
          f"machines={nsets * machines} converge_seconds={took:.1f} "
          f"vm_rss_kib={st['VmRSS']} rss_anon_kib={st['RssAnon']} "
          f"rss_file_kib={st['RssFile']} vm_hwm_kib={st['VmHWM']}")


def log_times(path, app):
    """When the controller's Fly API calls for app left, from its log."""
    times = []
    with open(path) as f:
        for line in f:
            if "event=fly_request" not in line or app not in line:
                continue
            # The line is written when the answer is in: the call left
            # `elapsed` seconds before.
            m = re.match(r"ts=(\S+)", line)
            ts = datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%fZ")
            took = re.search(r" elapsed=([0-9.]+)", line)
            times.append(ts.replace(tzinfo=timezone.utc).timestamp() -
                         (float(took.group(1)) if took else 0))
    return times


def reaction(build, regions, edits=10):
    folder = tempfile.mkdtemp(prefix="rhone-foot-")
    logdir = tempfile.mkdtemp(prefix="rhone-foot-log-")
    path = os.path.join(logdir, "controller.log")
    waits = []
    try:
        for i in range(10):
            write_set(folder, i, regions, 3)
        with open(path, "w") as log:
            sim, ctl_proc, ctl = start(build, folder, "debug", "1h", log)
            try:
                wait_converged(ctl, 10)
                for k in range(edits):
                    app = f"foot-app-{k}"
                    before = len(log_times(path, app))
                    t0 = write_set(folder, k, regions, 3, extra=1)
                    deadline = time.time() + 10
                    while time.time() < deadline:
                        calls = log_times(path, app)
                        if len(calls) > before:
                            waits.append(calls[before] - t0)
                            break
                        time.sleep(0.02)
                    wait_converged(ctl, 10)
            finally:
                stop(ctl_proc, sim)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(logdir, ignore_errors=True)
    waits.sort()
    ms = [w * 1000 for w in waits]
    print(f"bench=footprint scenario=reaction source=yaml edits={len(ms)} "
          f"median_ms={ms[len(ms) // 2]:.0f} max_ms={ms[-1]:.0f} "
          f"min_ms={ms[0]:.0f}")


def main():
    args = sys.argv[1:]
    opts = {"--sets": 1000, "--machines": 10}
    for name in opts:
        if name in args:
            i = args.index(name)
            opts[name] = int(args[i + 1])
            del args[i:i + 2]
    build = args[0] if args else "build"
    regions = catalog()
    reaction(build, regions)
    memory(build, opts["--sets"], opts["--machines"], regions)


if __name__ == "__main__":
    main()
