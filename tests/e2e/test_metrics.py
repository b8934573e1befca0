"""/metrics and /readyz end to end: the real controller against flysim.

/metrics is parsed by prometheus_client's own exposition-format parser
(Debian's python3-prometheus-client) and its values are checked against
flysim's call counters and the controller's /status.
"""
import json
import os
import time
import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from rhone import regionset, wait_for

THREE = regionset("web", "web-app", "registry.fly.io/web:v1", "iad",
                  ["fra", ("nrt", 2)])


def scrape(c):
    """{family name: family} as parsed from GET /metrics."""
    with urllib.request.urlopen(c.url + "/metrics", timeout=5) as r:
        assert r.status == 200
        assert r.headers["Content-Type"].startswith("text/plain")
        text = r.read().decode()
    return {f.name: f for f in text_string_to_metric_families(text)}


def samples(fams, family, suffix=""):
    """[(labels, value)] of one family's samples named family+suffix."""
    return [(s.labels, s.value) for s in fams[family].samples
            if s.name == family + suffix]


def value(fams, family, suffix="", **labels):
    for got, v in samples(fams, family, suffix):
        if all(got.get(k) == w for k, w in labels.items()):
            return v
    return None


def readyz(c):
    """(HTTP status, JSON body) of GET /readyz."""
    try:
        with urllib.request.urlopen(c.url + "/readyz", timeout=5) as r:
            return r.status, json.loads(r.read().decode())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read().decode())


def settled(c):
    """Scrape until two scrapes a second apart agree and nothing is in
    flight or queued: the counters no longer move."""
    def same():
        a = scrape(c)
        time.sleep(1)
        b = scrape(c)
        quiet = (value(b, "rhone_fly_api_in_flight") == 0 and
                 value(b, "rhone_fly_api_queue_depth") == 0 and
                 value(b, "rhone_workqueue_in_flight") == 0)
        same = (samples(a, "rhone_fly_api_requests", "_total") ==
                samples(b, "rhone_fly_api_requests", "_total"))
        return quiet and same and b
    return wait_for(same, timeout=60, interval=0.1, what="quiet counters")


def test_metrics_parse_and_match_flysim_and_status(sim, ctl_factory):
    c = ctl_factory(files={"web.yaml": THREE},
                    extra_args=["--resync", "1h"])
    item = c.wait_phase("web", "Converged")
    fams = settled(c)
    calls = sim.calls()

    # every API call the controller made, by operation and status code
    seen = 0
    for labels, v in samples(fams, "rhone_fly_api_requests", "_total"):
        op, code = labels["operation"], labels["code"]
        assert code != "error", "no transport errors expected"
        assert calls["ops"][op]["by_status"].get(code, 0) == v, (op, code)
        seen += v
    assert seen == calls["total"]
    assert value(fams, "rhone_fly_api_requests", "_total",
                 operation="create", code="200") == 4
    assert value(fams, "rhone_fly_api_rate_limited", "_total") == \
        sum(o["by_status"].get("429", 0) for o in calls["ops"].values())
    for op in ("list", "create"):
        count = value(fams, "rhone_fly_api_request_duration_seconds",
                      "_count", operation=op)
        assert count == calls["ops"][op]["total"]
        inf = value(fams, "rhone_fly_api_request_duration_seconds",
                    "_bucket", operation=op, le="+Inf")
        assert inf == count

    # per-region gauges agree with /status
    regions = {r["region"]: r for r in item["status"]["regions"]}
    for labels, v in samples(fams, "rhone_region_machines_desired"):
        assert labels["app"] == "web-app" and labels["regionset"] == "web"
        assert regions[labels["region"]]["desired"] == v
    for labels, v in samples(fams, "rhone_region_machines_ready"):
        assert regions[labels["region"]]["ready"] == v
    started = {l["region"]: v for l, v in samples(fams, "rhone_machines")
               if l["state"] == "started"}
    assert started == {"iad": 1, "fra": 1, "nrt": 2}

    assert value(fams, "rhone_regionsets", phase="Converged") == 1
    assert value(fams, "rhone_regionsets", phase="Degraded") == 0
    ok = value(fams, "rhone_reconciles", "_total", result="success")
    err = value(fams, "rhone_reconciles", "_total", result="error")
    assert ok >= 1
    assert value(fams, "rhone_reconcile_duration_seconds", "_count") == \
        ok + err
    assert value(fams, "rhone_workqueue_depth") == 0
    assert value(fams, "rhone_source_loads", "_total",
                 result="success") >= 1
    last = value(fams, "rhone_source_last_success_timestamp_seconds")
    assert abs(last - time.time()) < 3600

    source = samples(fams, "rhone_source_info")
    assert len(source) == 1 and source[0][1] == 1
    assert source[0][0]["revision"] == c.status()["metadata"]["revision"]
    assert source[0][0]["revision"], "a revision once loaded"

    info = samples(fams, "rhone_build_info")
    assert len(info) == 1 and info[0][1] == 1
    for lib in ("version", "libev", "libcurl", "json_c", "libyaml",
                "libmicrohttpd", "libpq"):
        assert info[0][0][lib], lib


def test_histogram_buckets_are_cumulative(sim, ctl_factory):
    c = ctl_factory(files={"web.yaml": THREE})
    c.wait_phase("web", "Converged")
    fams = scrape(c)
    assert fams["rhone_reconcile_duration_seconds"].type == "histogram"
    assert fams["rhone_fly_api_request_duration_seconds"].type == \
        "histogram"
    assert fams["rhone_fly_api_requests"].type == "counter"
    buckets = samples(fams, "rhone_reconcile_duration_seconds", "_bucket")
    values = [v for _, v in buckets]
    assert values == sorted(values)
    assert buckets[-1][0]["le"] == "+Inf"


def test_429_and_retries_are_counted(sim, ctl_factory):
    c = ctl_factory(files={"web.yaml": THREE},
                    extra_args=["--resync", "1h"])
    c.wait_phase("web", "Converged")
    sim.fault(op="list", status=429, count=2,
              body={"error": "rate limited"})
    c.write("web.yaml", THREE.replace("web:v1", "web:v2"))
    c.wait_converged_on("web", "registry.fly.io/web:v2", timeout=90)
    fams = settled(c)
    calls = sim.calls()
    assert value(fams, "rhone_fly_api_requests", "_total",
                 operation="list", code="429") == 2
    assert calls["ops"]["list"]["by_status"]["429"] == 2
    assert value(fams, "rhone_fly_api_rate_limited", "_total") >= 2
    assert value(fams, "rhone_workqueue_retries", "_total") >= 2
    assert value(fams, "rhone_reconciles", "_total", result="error") >= 2


def test_invalid_spec_shows_in_metrics(sim, ctl_factory):
    c = ctl_factory(files={"web.yaml": THREE})
    c.wait_phase("web", "Converged")
    c.write("web.yaml", THREE.replace("fra", "fra1"))
    c.wait_phase("web", "Invalid", timeout=20)
    fams = scrape(c)
    assert value(fams, "rhone_regionsets", phase="Invalid") == 1
    assert value(fams, "rhone_source_errors") >= 1


def test_readyz_waits_for_a_good_load(sim, ctl_factory):
    c = ctl_factory()                    # an empty folder: nothing loaded
    code, body = wait_for(lambda: readyz(c), what="/readyz")
    assert code == 503 and body["ready"] is False
    assert body["reason"] == "NotLoaded", body
    c.write("web.yaml", THREE)
    wait_for(lambda: readyz(c)[0] == 200, timeout=30, what="ready")
    assert readyz(c)[1] == {"ready": True}
    c.wait_phase("web", "Converged")    # stop with no rollout under way


def test_readyz_after_the_source_failed(sim, ctl_factory):
    c = ctl_factory(files={"web.yaml": THREE})
    c.wait_phase("web", "Converged")
    assert readyz(c)[0] == 200
    c.remove("web.yaml")
    wait_for(lambda: readyz(c)[0] == 503, timeout=30, what="not ready")
    code, body = readyz(c)
    assert body["reason"] == "SourceFailed", body
    assert "no RegionSet" in body["message"]
    fams = scrape(c)
    assert value(fams, "rhone_source_loads", "_total",
                 result="failure") >= 1


def test_readyz_during_an_api_outage(sim, ctl_factory):
    c = ctl_factory(files={"web.yaml": THREE})
    c.wait_phase("web", "Converged")
    assert readyz(c)[0] == 200
    # status 0: flysim closes the connection without an answer
    sim.fault(op="list", status=0, count=-1)
    wait_for(lambda: readyz(c)[0] == 503, timeout=30, what="not ready")
    code, body = readyz(c)
    assert body["reason"] == "ApiUnreachable", body
    fams = scrape(c)
    assert value(fams, "rhone_fly_api_requests", "_total",
                 operation="list", code="error") >= 1
    sim.clear_faults()
    wait_for(lambda: readyz(c)[0] == 200, timeout=60, what="ready again")
    assert c.wait_phase("web", "Converged")


def test_readyz_when_flysim_is_stopped(flysim_factory, ctl_factory, sim):
    c = ctl_factory(files={"web.yaml": THREE})
    c.wait_phase("web", "Converged")
    assert sim.stop() == 0
    wait_for(lambda: readyz(c)[0] == 503, timeout=30, what="not ready")
    assert readyz(c)[1]["reason"] == "ApiUnreachable"
    sim.start()   # teardown stops it again and checks its exit


def test_every_metric_is_in_the_readme(sim, ctl_factory):
    root = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    with open(os.path.join(root, "README.md")) as f:
        readme = f.read()
    c = ctl_factory(files={"web.yaml": THREE})
    c.wait_phase("web", "Converged")
    for fam in scrape(c).values():
        name = fam.name + ("_total" if fam.type == "counter" else "")
        assert f"`{name}`" in readme, f"README lacks the metric {name}"
