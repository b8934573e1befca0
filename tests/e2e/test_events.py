"""status.events end to end: each RegionSet's recent transitions, in
/status and one log line each."""
import os
import re
import urllib.request

import yaml

from rhone import regionset, wait_for

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
THREE = regionset("web", "web-app", "registry.fly.io/web:v1", "iad",
                  ["fra", ("nrt", 2)])
EVENTS_MAX = 20


def events(c, name="web"):
    return c.item(name)["status"]["events"]


def find(evs, reason, region=None):
    return [e for e in evs if e["reason"] == reason and
            (region is None or e["region"] == region)]


def test_creates_are_events_and_log_lines(ctl_factory):
    c = ctl_factory({"web.yaml": THREE})
    c.wait_phase("web", "Converged")
    evs = wait_for(lambda: find(events(c), "PhaseChanged") and events(c),
                   what="events")
    # one event per region per round; under load a region's creates may
    # be spread over rounds, so count the machines the messages name
    for region, n in (("iad", 1), ("fra", 1), ("nrt", 2)):
        created = [re.fullmatch(r"created (\d) machines? in (\w+) "
                                r"\(missing\)", e["message"])
                   for e in find(evs, "MachinesCreated", region)]
        assert created and all(created), evs
        assert {m.group(2) for m in created} == {region}
        assert sum(int(m.group(1)) for m in created) == n, evs
    assert find(evs, "SpecChanged")[0]["region"] == ""
    assert any("-> Converged" in e["message"]
               for e in find(evs, "PhaseChanged"))
    for e in evs:
        assert e["time"].endswith("Z") and "T" in e["time"]
    assert [e["time"] for e in evs] == sorted(e["time"] for e in evs)
    log = c.output()
    lines = [l for l in log.splitlines() if "regionset_event" in l]
    assert len(lines) == len(evs)
    assert any("region=nrt" in l and re.search(r"machines? in nrt", l)
               for l in lines), lines


def test_rollback_is_an_event(sim, ctl_factory):
    sim.configure(unhealthy_image="broken")
    spec = regionset("web", "web-app", "registry.fly.io/web:v1", "iad",
                     ["fra"], strategy="{type: bluegreen, healthTimeout: 3s}")
    c = ctl_factory({"web.yaml": spec})
    c.wait_phase("web", "Converged")
    c.write("web.yaml", spec.replace("web:v1", "web:broken"))
    c.wait_phase("web", "Degraded", timeout=60)
    rolled = wait_for(lambda: find(events(c), "RolledBack"), timeout=30,
                      what="a rollback event")
    msg = rolled[0]["message"]
    region = rolled[0]["region"]
    assert region in ("iad", "fra")
    assert msg.startswith(f"rollback in {region}: checks not passing "
                          "after 3s"), msg
    assert "rollback in" in c.output()

    def cleaned_up():
        gone = all(m["state"] == "destroyed" for m in sim.machines()
                   if "broken" in m["image"])
        text = urllib.request.urlopen(c.url + "/metrics").read().decode()
        return gone and "\nrhone_fly_api_in_flight 0\n" in text and \
            "\nrhone_fly_api_queue_depth 0\n" in text
    # stop with no action under way
    wait_for(cleaned_up, timeout=60, what="failed machines destroyed")


def test_only_the_last_events_are_kept(ctl_factory):
    c = ctl_factory({"web.yaml": THREE})
    c.wait_phase("web", "Converged")
    for i in range(EVENTS_MAX + 2):
        bad = THREE.replace("fra", f"zz{i}")
        c.write("web.yaml", bad)
        wait_for(lambda: f"zz{i}" in c.item("web")["status"]["lastError"],
                 timeout=20, what=f"invalid edit {i}")
    evs = events(c)
    assert len(evs) == EVENTS_MAX
    invalid = find(evs, "InvalidSpec")
    assert f"zz{EVENTS_MAX + 1}" in invalid[-1]["message"]
    assert not any("zz0\"" in e["message"] for e in evs)


def test_openapi_describes_events():
    with open(os.path.join(ROOT, "specs", "status.openapi.yaml")) as f:
        api = yaml.safe_load(f)
    schemas = api["components"]["schemas"]
    props = schemas["Status"]["properties"]
    assert "events" in props
    event = schemas["Event"]["properties"]
    assert set(event) == {"time", "region", "reason", "message"}
    assert "/readyz" in api["paths"] and "/metrics" in api["paths"]
