"""--webhook-url: every phase change of a RegionSet is POSTed as JSON to
a receiver (a small HTTP server run by the test), retried after a
failure, queued without ever holding up a reconcile."""
import json
import os
import re
import subprocess
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jsonschema
import pytest
import yaml

from rhone import BINARY, Controller, regionset, wait_for
from conftest import free_port

THREE = regionset("web", "web-app", "registry.fly.io/web:v1", "iad",
                  ["fra", ("nrt", 2)])
QUEUE_MAX = 64
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


class Receiver:
    """An HTTP server that records each POST. mode: "ok" answers 200,
    "fail" 500, "hang" holds the request until release()."""

    def __init__(self, mode="ok", fail_first=0):
        self.mode = mode
        self.fail_first = fail_first
        self.attempts = []          # every POST body, in arrival order
        self.delivered = []         # the bodies answered 200
        self.headers = []
        self.lock = threading.Lock()
        self.released = threading.Event()
        rec = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(n).decode())
                with rec.lock:
                    rec.attempts.append(body)
                    rec.headers.append(dict(self.headers))
                    tries = len(rec.attempts)
                    mode = rec.mode
                if mode == "hang":
                    rec.released.wait(120)
                    mode = "ok"
                code = 500 if mode == "fail" or tries <= rec.fail_first \
                    else 200
                if code == 200:
                    with rec.lock:
                        rec.delivered.append(body)
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       daemon=True)
        self.thread.start()

    def set_mode(self, mode):
        with self.lock:
            self.mode = mode

    def bodies(self):
        with self.lock:
            return list(self.delivered)

    def close(self):
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def make(**kw):
        r = Receiver(**kw)
        made.append(r)
        return r
    yield make
    for r in made:
        r.close()


@pytest.fixture
def ctl(ctl_factory):
    """make(files, hook) -> a controller that posts events to hook."""
    return lambda files, hook: ctl_factory(files, ["--webhook-url", hook])


def metrics(c):
    text = urllib.request.urlopen(c.url + "/metrics").read().decode()
    out = {}
    for line in text.splitlines():
        if line.startswith("rhone_webhook_"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


def delivered(c, result):
    return metrics(c)[f'rhone_webhook_deliveries_total{{result="{result}"}}']


def logged(c):
    """(regionset, from, to, reason) of every phase_changed log line."""
    return [(m["regionset"], m["from"], m["to"], m["reason"])
            for m in (dict(re.findall(r'(\w+)=("[^"]*"|\S+)', line))
                      for line in c.output().splitlines()
                      if "event=phase_changed" in line)]


def told(bodies):
    return [(b["regionset"], b["oldPhase"], b["newPhase"], b["reason"])
            for b in bodies]


def check_schema(bodies):
    """Each body is what specs/status.openapi.yaml says, field for field."""
    with open(os.path.join(ROOT, "specs", "status.openapi.yaml")) as f:
        schema = yaml.safe_load(f)["components"]["schemas"]["PhaseChanged"]
    for b in bodies:
        assert set(b) == set(schema["properties"]) == set(schema["required"])
        jsonschema.validate(b, schema)


def quiet(c):
    return wait_for(lambda: metrics(c)["rhone_webhook_queue_depth"] == 0,
                    timeout=60, what="webhook queue drained")


def test_bodies_for_a_convergence_and_a_failure(sim, ctl, receiver):
    sim.configure(unhealthy_image="broken")
    rx = receiver()
    c = ctl({"web.yaml": THREE}, rx.url + "/hooks/s3cr3t?key=k3y")
    c.wait_phase("web", "Converged")
    first = wait_for(lambda: [b for b in rx.bodies()
                              if b["newPhase"] == "Converged"],
                     what="a Converged notification")[0]
    revision = c.status()["metadata"]["revision"]
    assert first == {
        "type": "PhaseChanged", "regionset": "web", "app": "web-app",
        "oldPhase": "Progressing", "newPhase": "Converged",
        "reason": "Converged", "message": "", "time": first["time"],
        "durationSeconds": first["durationSeconds"],
        "revision": revision, "generation": 1, "observedGeneration": 1}
    assert RFC3339.fullmatch(first["time"])
    assert first["durationSeconds"] >= 0
    hdrs = rx.headers[0]
    assert hdrs["Content-Type"] == "application/json"
    assert hdrs["User-Agent"].startswith("rhone-controller/")

    # a rollout that fails: its region and reason are in the body
    c.write("web.yaml", THREE.replace("web:v1", "web:broken") +
            "  strategy: {type: bluegreen, healthTimeout: 2s}\n")
    c.wait_phase("web", "Degraded")
    bad = wait_for(lambda: [b for b in rx.bodies()
                            if b["newPhase"] == "Degraded"],
                   what="a Degraded notification")[0]
    assert bad["generation"] == 2 and bad["revision"] != revision
    assert re.fullmatch(r"[A-Z][A-Za-z]+", bad["reason"]), bad
    assert re.match(r"(iad|fra|nrt): ", bad["message"]), bad
    assert bad["reason"] not in ("Converged", "ApiError", "InvalidSpec")

    # one POST per phase_changed line, in order, each from the phase the
    # last one went to
    quiet(c)
    bodies = rx.bodies()
    assert told(bodies) == logged(c)
    check_schema(bodies)
    assert bodies[0]["oldPhase"] == "Progressing"
    for a, b in zip(bodies, bodies[1:]):
        assert b["oldPhase"] == a["newPhase"]
    evs = [e for e in c.item("web")["status"]["events"]
           if e["reason"] == "PhaseChanged"]
    assert [e["message"].split(" after")[0] for e in evs] == \
        [f"{b['oldPhase']} -> {b['newPhase']}" for b in bodies][-len(evs):]
    assert delivered(c, "success") == len(bodies)
    assert delivered(c, "failure") == 0 and delivered(c, "dropped") == 0
    # the URL's path and query may be secret: logs show only the host
    log = c.output()
    assert "s3cr3t" not in log and "k3y" not in log
    assert f"event=webhook_enabled url={rx.url}" in log


def test_invalid_and_api_errors_are_phase_changes(sim, ctl, receiver):
    rx = receiver()
    bad = regionset("never", "never-app", "registry.fly.io/n:v1", "qqq")
    c = ctl({"web.yaml": THREE, "never.yaml": bad}, rx.url)
    c.wait_phase("web", "Converged")

    def got(name, phase, after=0):
        return wait_for(lambda: [b for b in rx.bodies()[after:]
                                 if b["regionset"] == name and
                                 b["newPhase"] == phase],
                        what=f"{name} -> {phase}")[0]
    never = got("never", "Invalid")
    assert never["oldPhase"] == "Progressing" and never["app"] == ""
    assert never["reason"] == "InvalidSpec" and "qqq" in never["message"]

    # the Fly API fails: Degraded with the API's error, then back
    n = len(rx.bodies())
    sim.fault(op="list", status=503, count=-1)
    api = got("web", "Degraded", n)
    assert api["reason"] == "ApiError" and api["oldPhase"] == "Converged"
    assert "listing machines of app web-app failed" in api["message"]
    sim.clear_faults()
    back = got("web", "Converged", n)
    assert back["oldPhase"] == "Degraded"

    # a spec that fails validation, then a fixed one
    n = len(rx.bodies())
    c.write("web.yaml", THREE.replace("fra", "xyz"))
    inv = got("web", "Invalid", n)
    assert inv["reason"] == "InvalidSpec" and "xyz" in inv["message"]
    assert inv["app"] == "web-app" and inv["oldPhase"] == "Converged"
    c.write("web.yaml", THREE)
    assert got("web", "Converged", n)["oldPhase"] == "Invalid"

    quiet(c)
    assert told(rx.bodies()) == logged(c)
    check_schema(rx.bodies())
    tos = [t[2] for t in logged(c) if t[0] == "web"]
    assert tos[-4:] == ["Degraded", "Converged", "Invalid", "Converged"]


def test_a_failed_delivery_is_retried(ctl, receiver):
    rx = receiver(fail_first=1)
    c = ctl({"web.yaml": THREE}, rx.url)
    c.wait_phase("web", "Converged")
    wait_for(lambda: rx.bodies(), what="a delivery after the 500")
    quiet(c)
    assert len(rx.attempts) == 2
    assert rx.attempts[0] == rx.attempts[1] == rx.bodies()[0]
    m = metrics(c)
    assert m["rhone_webhook_retries_total"] == 1
    assert delivered(c, "success") == 1 and delivered(c, "failure") == 0
    assert re.search(r"event=webhook_retry url=\S+ try=1 status=500 ",
                     c.output())


def test_a_hanging_receiver_does_not_stop_reconciling(ctl, receiver):
    rx = receiver(mode="hang")
    c = ctl({"web.yaml": THREE}, rx.url)
    c.wait_phase("web", "Converged")
    wait_for(lambda: rx.attempts, what="the first POST")
    # the receiver holds it; the controller scales on regardless
    c.write("web.yaml", THREE.replace("count: 2", "count: 3"))
    wait_for(lambda: c.item("web")["metadata"]["generation"] == 2 and
             c.phase("web") == "Converged", what="scaled and converged")
    regions = {r["region"]: r for r in c.item("web")["status"]["regions"]}
    assert regions["nrt"]["ready"] == 3
    m = metrics(c)
    assert m["rhone_webhook_queue_depth"] >= 1
    assert delivered(c, "success") == 0 and not rx.bodies()
    # a clean stop with a POST still in flight
    assert c.stop() == 0, c.output()


def test_a_full_queue_drops_the_oldest(ctl, receiver):
    n = QUEUE_MAX + 16
    rx = receiver(mode="fail")
    files = {f"s{i:02d}.yaml": regionset(f"s{i:02d}", f"s{i:02d}-app",
                                         "registry.fly.io/x:v1", "qqq")
             for i in range(n)}
    c = ctl(files, rx.url)
    # every set goes Progressing -> Invalid at the first load: one is
    # being delivered, QUEUE_MAX wait, the rest push the oldest out
    wait_for(lambda: delivered(c, "dropped") == n - 1 - QUEUE_MAX,
             what="drops")
    rx.set_mode("ok")
    quiet(c)
    order = logged(c)
    assert len(order) == n and {t[2] for t in order} == {"Invalid"}
    bodies = told(rx.bodies())
    assert bodies == [order[0]] + order[-QUEUE_MAX:]
    assert delivered(c, "success") == QUEUE_MAX + 1
    assert delivered(c, "failure") == 0
    assert metrics(c)["rhone_webhook_retries_total"] >= 1
    assert c.output().count("event=webhook_dropped") == n - 1 - QUEUE_MAX


def test_webhook_url_from_the_environment_and_bad_urls(sim, receiver,
                                                       monkeypatch):
    rx = receiver()
    monkeypatch.setenv("RHONE_WEBHOOK_URL", rx.url)
    c = Controller(sim.url, free_port())
    c.write("web.yaml", THREE)
    c.start()
    try:
        c.wait_phase("web", "Converged")
        body = wait_for(lambda: rx.bodies(), what="a delivery")[0]
        assert body["newPhase"] == "Converged"
    finally:
        assert c.stop() == 0
    for url in ("ftp://example.com/x", "example.com/hook"):
        r = subprocess.run([BINARY, "run", "--source", "/nonexistent",
                            "--webhook-url", url],
                           capture_output=True, text=True, timeout=10)
        assert r.returncode == 2
        assert "--webhook-url must be an http:// or https:// URL" \
            in r.stderr
