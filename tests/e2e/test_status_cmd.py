"""`rhone-controller status`: the table from a running controller's
/status, and --watch with its exit codes (0 converged, 1 failed, 2 usage,
3 timeout, 4 unreachable)."""
import os
import subprocess
import threading

from rhone import BINARY, regionset, wait_for
from conftest import free_port

THREE = regionset("web", "web-app", "registry.fly.io/web:v1", "iad",
                  ["fra", ("nrt", 2)])
API = regionset("api", "api-app", "registry.fly.io/api:v1", "ams", ["sin"])
SET_HEAD = ["NAME", "APP", "PHASE", "READY", "UPDATED", "REGIONS",
            "GENERATION", "MESSAGE"]
REGION_HEAD = ["REGION", "PRIMARY", "PHASE", "DESIRED", "READY", "UPDATED",
               "OUTDATED", "REASON", "MESSAGE"]


def status(*args, server=None, env=None, timeout=180):
    cmd = [BINARY, "status", *args]
    if server is not None:
        cmd += ["--server", server]
    return subprocess.run(cmd, capture_output=True, text=True,
                          timeout=timeout,
                          env=dict(os.environ, **(env or {})))


def table(lines):
    """Rows of a table printed with columns 3 spaces apart."""
    return [[cell.strip() for cell in line.split("   ") if cell.strip()]
            for line in lines]


def sums(item):
    regs = item["status"]["regions"]
    return (sum(r["ready"] for r in regs), sum(r["desired"] for r in regs),
            sum(r["updated"] for r in regs),
            sum(r["phase"] == "Converged" for r in regs), len(regs))


def test_table_lists_every_set(ctl_factory):
    c = ctl_factory({"web.yaml": THREE, "api.yaml": API})
    c.wait_phase("web", "Converged")
    c.wait_phase("api", "Converged")
    r = status(server=c.url)
    assert r.returncode == 0, r.stderr
    rows = table(r.stdout.splitlines())
    assert rows[0] == SET_HEAD
    by_name = {row[0]: row for row in rows[1:]}
    assert sorted(by_name) == ["api", "web"]
    for item in c.status()["items"]:
        name = item["metadata"]["name"]
        ready, desired, updated, conv, nreg = sums(item)
        assert by_name[name] == [
            name, item["spec"]["app"], "Converged", f"{ready}/{desired}",
            str(updated), f"{conv}/{nreg}",
            "{}/{}".format(item["status"]["observedGeneration"],
                           item["metadata"]["generation"])]
    assert by_name["web"][3] == "4/4" and by_name["api"][5] == "2/2"


def test_named_set_shows_its_regions_and_events(ctl_factory):
    c = ctl_factory({"web.yaml": THREE})
    item = c.wait_phase("web", "Converged")
    # the server from the environment, with a trailing slash
    r = status("web", env={"RHONE_SERVER": c.url + "/"})
    assert r.returncode == 0, r.stderr
    blocks = r.stdout.split("\n\n")
    head = table(blocks[0].splitlines())
    assert head[0] == SET_HEAD and head[1][:4] == ["web", "web-app",
                                                   "Converged", "4/4"]
    regions = table(blocks[1].splitlines())
    assert regions[0] == REGION_HEAD
    want = [[g["region"], "yes" if g["primary"] else "no", g["phase"],
             str(g["desired"]), str(g["ready"]), str(g["updated"]),
             str(g["outdated"]), g["reason"]]
            for g in item["status"]["regions"]]
    assert regions[1:] == want
    assert [row[0] for row in regions[1:]] == ["iad", "fra", "nrt"]
    assert regions[3][3] == "2"
    events = table(blocks[2].splitlines())
    assert events[0] == ["TIME", "REGION", "REASON", "MESSAGE"]
    assert any(e[2] == "PhaseChanged" and "-> Converged" in e[3]
               for e in events[1:]), events


def test_unknown_set_is_exit_1(ctl_factory):
    c = ctl_factory({"web.yaml": THREE})
    r = status("nosuch", server=c.url)
    assert r.returncode == 1
    assert "no RegionSet named nosuch" in r.stderr
    assert r.stdout == ""


def test_watch_exits_0_when_converged(ctl_factory):
    c = ctl_factory({"web.yaml": THREE, "api.yaml": API})
    r = status("--watch", "--timeout", "120s", server=c.url)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "converged" in r.stderr
    rows = table(r.stdout.splitlines())
    assert rows[0] == SET_HEAD
    last = {}
    for row in rows[1:]:
        last[row[0]] = row
    assert last["web"][2:6] == ["Converged", "4/4", "4", "3/3"]
    assert last["api"][2:6] == ["Converged", "2/2", "2", "2/2"]
    # rows are printed again only when they change
    assert len(rows[1:]) == len({tuple(row) for row in rows[1:]})
    assert c.phase("web") == "Converged" and c.phase("api") == "Converged"


def test_watch_waits_for_a_set_that_is_not_loaded_yet(ctl_factory):
    c = ctl_factory({"api.yaml": API})
    out = {}

    def watch():
        out["r"] = status("web", "--watch", "--timeout=120s", server=c.url)
    t = threading.Thread(target=watch)
    t.start()
    wait_for(lambda: c.phase("api") == "Converged", what="api converged")
    c.write("web.yaml", THREE)
    t.join(timeout=180)
    r = out["r"]
    assert r.returncode == 0, r.stdout + r.stderr
    assert "no RegionSet named web yet; waiting" in r.stderr
    assert "REGION" in r.stdout and c.phase("web") == "Converged"


def test_watch_exits_1_when_degraded(sim, ctl_factory):
    sim.configure(unhealthy_image="broken")
    spec = regionset("web", "web-app", "registry.fly.io/web:broken", "iad",
                     ["fra"], strategy="{type: bluegreen, healthTimeout: 2s}")
    c = ctl_factory({"web.yaml": spec})
    r = status("web", "--watch", "--timeout", "120s", server=c.url)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "failed: web is Degraded" in r.stderr
    assert c.phase("web") == "Degraded"
    # blocks: set table, region table, set table, ...; the last set row
    # is the failure
    blocks = r.stdout.split("\n\n")
    last = table(blocks[-2].splitlines())
    assert last[0] == SET_HEAD and last[1][:3] == ["web", "web-app",
                                                   "Degraded"]
    regions = table(blocks[-1].splitlines())
    assert "Degraded" in [row[2] for row in regions[1:]]


def test_watch_exits_1_when_invalid(ctl_factory):
    c = ctl_factory({"web.yaml": THREE, "new.yaml": API.replace(
        "name: api", "name: new").replace("sin", "xyz")})
    c.wait_phase("web", "Converged")
    c.write("web.yaml", THREE.replace("fra", "abc"))
    wait_for(lambda: c.phase("web") == "Invalid", what="web invalid")
    r = status("web", "--watch", "--timeout", "60s", server=c.url)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "failed: web is Invalid" in r.stderr and "abc" in r.stderr
    row = table(r.stdout.splitlines())[1]
    assert row[:3] == ["web", "web-app", "Invalid"] and "abc" in row[-1]
    # a set that was never valid has no app: the cell is left empty
    r = status("--watch", server=c.url)
    assert r.returncode == 1
    assert "failed: new is Invalid" in r.stderr
    rows = {row[0]: row for row in table(r.stdout.splitlines())[1:]}
    assert rows["new"][1:6] == ["Invalid", "0/0", "0", "0/0", "0/0"]
    assert "xyz" in rows["new"][6]


def test_a_failed_source_is_said_even_without_watch(ctl_factory):
    c = ctl_factory({"web.yaml": THREE})
    c.wait_phase("web", "Converged")
    c.remove("web.yaml")      # an empty folder is an error, not zero sets
    wait_for(lambda: c.status()["metadata"]["sourceFailed"],
             what="the source to fail")
    r = status(server=c.url)
    assert r.returncode == 0, r.stdout + r.stderr
    assert table(r.stdout.splitlines())[1][:3] == ["web", "web-app",
                                                   "Converged"]
    assert r.stderr.startswith("warning: the source failed (sets are "
                               "frozen): ")
    r = status("--watch", server=c.url)
    assert r.returncode == 1
    assert "the source failed" in r.stderr


def test_watch_timeout_is_exit_3(sim, ctl_factory):
    # checks never pass and the health timeout is far away: it stays
    # Progressing
    sim.configure(unhealthy_image="slow")
    spec = regionset("web", "web-app", "registry.fly.io/web:slow", "iad",
                     strategy="{type: bluegreen, healthTimeout: 10m}")
    c = ctl_factory({"web.yaml": spec})
    r = status("web", "--watch", "--timeout", "3s", server=c.url)
    assert r.returncode == 3, r.stdout + r.stderr
    assert "timed out after 3s" in r.stderr
    assert "web is Progressing" in r.stderr
    assert c.phase("web") == "Progressing"


def test_unreachable_controller_is_exit_4():
    url = f"http://127.0.0.1:{free_port()}"
    for args in ((), ("web",), ("--watch",), ("web", "--watch",
                                              "--timeout", "30s")):
        r = status(*args, server=url, timeout=60)
        assert r.returncode == 4, (args, r.stderr)
        assert "cannot reach" in r.stderr and r.stdout == ""


def test_usage_errors_are_exit_2():
    r = status("--listen", "127.0.0.1:1")
    assert r.returncode == 2 and "unknown option --listen for status" \
        in r.stderr
    r = status("--timeout", "soon")
    assert r.returncode == 2 and "bad duration" in r.stderr
    r = status("a", "b")
    assert r.returncode == 2 and "unexpected argument" in r.stderr
    r = subprocess.run([BINARY, "run", "--watch"], capture_output=True,
                       text=True)
    assert r.returncode == 2 and "unknown option --watch for run" in r.stderr
    r = status("--help")
    assert r.returncode == 0 and "rhone-controller status [NAME]" in r.stdout
