"""The dashboard at / in a real browser: headless Chromium (Debian's
chromium and chromium-driver) against the controller and flysim.

The fleet (dashboard_scene.py) has regions in all three phases. The
tests check that the map markers and the tables show what /status says,
that the marker colors are really painted (pixels of a screenshot), that
a phase change shows up without a reload, and that the region selector
writes YAML the controller accepts (YAML mode) or posts to the region
API with the user's token (Postgres mode).
"""
import datetime
import io
import json
import os
import subprocess
import tempfile
import time
import urllib.request

import pytest
import yaml

from dashboard_scene import (EXPECTED, MISSING, SETS, SIM_ARGS, browser,
                             settled)
from pg import pg_server, pg_url, sql  # noqa: F401 (fixtures)
from rhone import BINARY, http_json, wait_for

pytestmark = pytest.mark.skipif(MISSING is not None, reason=MISSING or "")

# The phase colors of dashboard.css / dashboard.js.
PHASE_RGB = {"Converged": (0x16, 0xa3, 0x4a),
             "Progressing": (0xf5, 0x9e, 0x0b),
             "Degraded": (0xdc, 0x26, 0x26)}

MARKERS_JS = """
return Array.from(document.querySelectorAll('#markers .marker')).map(
  function (m) {
    var b = m.getBoundingClientRect(), d = m.dataset;
    var top = document.elementFromPoint(b.left + b.width / 2,
                                        b.top + b.height / 2);
    return {set: d.set, region: d.region, phase: d.phase,
            desired: +d.desired, ready: +d.ready, updated: +d.updated,
            fill: m.getAttribute('fill'), cx: +m.getAttribute('cx'),
            cy: +m.getAttribute('cy'), x: b.left + b.width / 2,
            y: b.top + b.height / 2, size: b.width, on_top: top === m};
  });
"""

TABLES_JS = """
function num(tr, c) { return parseInt(tr.querySelector(c).textContent); }
return Array.from(document.querySelectorAll('#sets section.set')).map(
  function (s) {
    return {
      name: s.dataset.set, phase: s.dataset.phase,
      rows: Array.from(s.querySelectorAll('tbody tr[data-region]')).map(
        function (tr) {
          return {region: tr.dataset.region, phase: tr.dataset.phase,
                  desired: num(tr, '.c-desired'),
                  current: num(tr, '.c-current'),
                  ready: num(tr, '.c-ready'),
                  updated: num(tr, '.c-updated'),
                  primary: !!tr.querySelector('.c-region .tag')};
        }),
      conds: Array.from(s.querySelectorAll('.cond')).map(function (c) {
        return [c.dataset.type, c.dataset.status]; }),
      events: Array.from(s.querySelectorAll('.events li .ev-msg')).map(
        function (e) { return e.textContent; })
    };
  });
"""


@pytest.fixture
def sim(flysim_factory):
    return flysim_factory(SIM_ARGS)


@pytest.fixture
def fleet(ctl_factory):
    c = ctl_factory(files=SETS)
    settled(c)
    return c


@pytest.fixture
def driver():
    d = browser()
    yield d
    # Answers such as a 401 are logged as "network"; script errors not.
    errors = [e for e in d.get_log("browser")
              if e["level"] == "SEVERE" and e.get("source") != "network"]
    d.quit()
    assert not errors, f"errors in the browser console: {errors}"


def open_page(driver, ctl, markers):
    """Load / and wait until the page shows `markers` markers."""
    driver.get(ctl.url + "/")
    wait_for(lambda: len(driver.execute_script(MARKERS_JS)) == markers,
             timeout=20, what=f"{markers} markers on the page")


def catalog(ctl):
    return {r["code"]: r for r in http_json(ctl.url + "/catalog.json")
            ["regions"]}


def status_markers(status):
    return {(it["metadata"]["name"], r["region"]):
            (r["phase"], r["desired"], r["ready"], r["updated"])
            for it in status["items"] for r in it["status"]["regions"]}


def page_markers(driver):
    return {(m["set"], m["region"]):
            (m["phase"], m["desired"], m["ready"], m["updated"])
            for m in driver.execute_script(MARKERS_JS)}


def status_tables(status):
    out = []
    for it in status["items"]:
        s = it["status"]
        out.append({
            "name": it["metadata"]["name"], "phase": s["phase"],
            "rows": [{k: r[k] for k in ("region", "phase", "desired",
                                        "current", "ready", "updated",
                                        "primary")} for r in s["regions"]],
            "conds": [[c["type"], c["status"]] for c in s["conditions"]],
            "events": [e["message"] for e in s["events"]][::-1][:10],
        })
    return out


def screenshot(driver):
    from PIL import Image
    img = Image.open(io.BytesIO(driver.get_screenshot_as_png()))
    return img.convert("RGB")


def near(rgb, want, tol=12):
    return all(abs(a - b) <= tol for a, b in zip(rgb, want))


def test_page_is_self_contained(fleet):
    with urllib.request.urlopen(fleet.url + "/", timeout=5) as r:
        body = r.read().decode()
        csp = r.headers["Content-Security-Policy"]
        assert r.headers["Content-Type"].startswith("text/html")
    assert "default-src 'none'" in csp and "connect-src 'self'" in csp
    # Nothing is loaded from elsewhere: no src/href to another origin.
    for needle in ("http://", "https://", "src=", "href=", "@import"):
        assert needle not in body.replace("http://www.w3.org/2000/svg", ""), \
            needle
    cat = catalog(fleet)
    assert len(cat) == 28
    assert cat["fra"]["continent"] == "Europe"
    assert (cat["syd"]["latitude"], cat["syd"]["longitude"]) == \
        (-33.9399, 151.1753)
    assert http_json(fleet.url + "/status")["metadata"]["sourceKind"] == \
        "yaml"


def test_markers_and_tables_match_status(fleet, driver):
    open_page(driver, fleet, len(EXPECTED))
    # api's syd retries now and then (Progressing for a moment): compare
    # when the page has caught up and syd is back to Degraded.
    def agree():
        st, page = fleet.status(), page_markers(driver)
        return status_markers(st) == page and \
            {k: v[0] for k, v in page.items()} == EXPECTED and st
    wait_for(agree, timeout=30, what="markers equal to /status")
    markers = driver.execute_script(MARKERS_JS)
    cat = catalog(fleet)
    for m in markers:
        assert m["fill"] == "#%02x%02x%02x" % PHASE_RGB[m["phase"]], m
        r = cat[m["region"]]
        x, y = r["longitude"] + 180, 90 - r["latitude"]
        shared = m["region"] == "iad"     # web and canary sit on a ring
        dist = ((m["cx"] - x) ** 2 + (m["cy"] - y) ** 2) ** 0.5
        assert dist == pytest.approx(2.1 if shared else 0, abs=0.02), m

    def tables_agree():
        page = driver.execute_script(TABLES_JS)
        ok = status_tables(fleet.status()) == page and \
            [t["phase"] for t in page] == ["Degraded", "Progressing",
                                          "Converged"]
        return ok and {t["name"]: t for t in page}
    tables = wait_for(tables_agree, timeout=30,
                      what="tables equal to /status")
    assert list(tables) == ["api", "canary", "web"]
    syd = [r for r in tables["api"]["rows"] if r["region"] == "syd"][0]
    assert (syd["phase"], syd["desired"], syd["ready"]) == ("Degraded", 1, 0)
    nrt = [r for r in tables["web"]["rows"] if r["region"] == "nrt"][0]
    assert (nrt["desired"], nrt["ready"], nrt["updated"]) == (2, 2, 2)
    assert [r["primary"] for r in tables["web"]["rows"]] == \
        [True, False, False]
    assert ["Ready", "True"] in tables["web"]["conds"]
    assert ["Degraded", "True"] in tables["api"]["conds"]
    assert any("created 2 machines in nrt" in e
               for e in tables["web"]["events"])


def stable_shot(driver):
    """Markers and a screenshot taken while the map showed EXPECTED
    (the same markers read before and after the screenshot)."""
    def shot():
        before = driver.execute_script(MARKERS_JS)
        img = screenshot(driver)
        after = driver.execute_script(MARKERS_JS)
        phases = {(m["set"], m["region"]): m["phase"] for m in after}
        return before == after and phases == EXPECTED and (after, img)
    return wait_for(shot, timeout=30, what="a screenshot of the fleet")


def test_screenshot_shows_phase_colors(fleet, driver):
    open_page(driver, fleet, len(EXPECTED))
    markers, img = stable_shot(driver)
    checked = set()
    for m in markers:
        if not m["on_top"]:
            continue
        px = img.getpixel((int(m["x"]), int(m["y"])))
        assert near(px, PHASE_RGB[m["phase"]]), (m, px)
        checked.add(m["phase"])
    assert checked == {"Converged", "Progressing", "Degraded"}
    assert sum(m["on_top"] for m in markers) >= 6
    # The middle of the Pacific has no marker and none of their colors.
    x, y = driver.execute_script("""
        var s = document.getElementById('map'), p = s.createSVGPoint();
        p.x = -140 + 180; p.y = 90 - 0;
        p = p.matrixTransform(s.getScreenCTM());
        return [p.x, p.y];""")
    ocean = img.getpixel((int(x), int(y)))
    assert not any(near(ocean, c, 40) for c in PHASE_RGB.values()), ocean


def test_phase_change_shows_without_reload(sim, fleet, driver):
    open_page(driver, fleet, len(EXPECTED))
    marker = """return Array.from(document.querySelectorAll(
        '#markers .marker')).filter(function (m) {
        return m.dataset.set === 'api' && m.dataset.region === 'syd';
        })[0].dataset.phase;"""
    wait_for(lambda: driver.execute_script(marker) == "Degraded",
             timeout=20, what="syd Degraded on the map")
    driver.execute_script("window.__sameDocument = 'yes';")
    sim.configure(capacity_regions={"syd": None})
    fleet.wait_phase("api", "Converged", timeout=90)
    wait_for(lambda: driver.execute_script(marker) == "Converged",
             timeout=20, what="syd Converged on the map")
    assert driver.execute_script("return window.__sameDocument") == "yes"
    row = driver.execute_script("""return document.querySelector(
        'section.set[data-set="api"] tr[data-region="syd"]').dataset.phase""")
    badge = driver.execute_script("""return document.querySelector(
        'section.set[data-set="api"] .phase-badge').dataset.phase""")
    assert (row, badge) == ("Converged", "Converged")
    m = [m for m in driver.execute_script(MARKERS_JS)
         if (m["set"], m["region"]) == ("api", "syd")][0]
    assert near(screenshot(driver).getpixel((int(m["x"]), int(m["y"]))),
                PHASE_RGB["Converged"])


def validate(text):
    with tempfile.NamedTemporaryFile("w", suffix=".yaml",
                                     delete=False) as f:
        f.write(text)
    try:
        return subprocess.run([BINARY, "validate", f.name],
                              capture_output=True, text=True, timeout=30)
    finally:
        os.unlink(f.name)


def loaded_at(ctl):
    """When the controller last read its source, in seconds."""
    t = ctl.status()["metadata"]["lastLoadTime"]
    return datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def rewrite_keeps_revision(ctl, filename, text):
    """Write filename again; once the controller has read it, the
    revision (a hash of the specs in force) must be the one before."""
    rev = ctl.status()["metadata"]["revision"]
    written = time.time()
    ctl.write(filename, text)
    wait_for(lambda: loaded_at(ctl) >= written + 1, timeout=30,
             what="the controller to read the new file")
    assert ctl.status()["metadata"]["revision"] == rev


def click_region(driver, code):
    driver.execute_script("""document.querySelector(
        '#sel-continents input[value="' + arguments[0] + '"]').click();""",
                          code)


def selector_yaml(driver):
    return driver.execute_script(
        "return document.getElementById('sel-yaml').textContent")


def choose(driver, select_id, value):
    from selenium.webdriver.support.ui import Select
    from selenium.webdriver.common.by import By
    Select(driver.find_element(By.ID, select_id)).select_by_value(value)


def continent_counts(driver):
    return driver.execute_script("""
        var o = {};
        document.querySelectorAll('#sel-continents fieldset').forEach(
          function (f) {
            o[f.dataset.continent] = f.querySelector('.ct-count')
              .textContent; });
        return o;""")


def test_selector_writes_yaml_the_controller_takes(sim, fleet, driver):
    open_page(driver, fleet, len(EXPECTED))
    assert driver.execute_script(
        "return document.body.dataset.mode") == "yaml"
    choose(driver, "sel-base", "web")
    unchanged = selector_yaml(driver)
    assert validate(unchanged).returncode == 0

    # The spec written back unchanged is the same spec: the revision (a
    # hash of the specs in force) and the generation stay as they were.
    rewrite_keeps_revision(fleet, "web.yaml", unchanged)
    item = fleet.item("web")
    assert item["metadata"]["generation"] == 1
    assert [e["reason"] for e in item["status"]["events"]].count(
        "SpecChanged") == 1

    # Two more regions: the YAML validates, keeps nrt's count, and the
    # controller adds machines there without replacing the others.
    click_region(driver, "gru")
    click_region(driver, "ams")
    counts = continent_counts(driver)
    assert counts["South America"] == "1 / 4"
    assert counts["Europe"] == "2 / 7"          # fra and ams
    assert counts["North America"] == "1 / 9"   # iad, the primary
    text = selector_yaml(driver)
    r = validate(text)
    assert r.returncode == 0 and "1 RegionSet valid" in r.stdout, \
        r.stdout + r.stderr
    doc = yaml.safe_load(text)
    assert doc["metadata"]["name"] == "web"
    assert doc["spec"]["primaryRegion"] == "iad"
    assert doc["spec"]["regions"] == ["fra", {"code": "nrt", "count": 2},
                                      "gru", "ams"]
    before = {m["id"] for m in sim.machines(app="web-app")
              if m["state"] == "started"}
    fleet.write("web.yaml", text)
    item = wait_for(lambda: (lambda it: it["metadata"]["generation"] == 2
                             and it["status"]["phase"] == "Converged"
                             and it)(fleet.item("web")),
                    timeout=90, what="web converged on generation 2")
    assert {r["region"] for r in item["status"]["regions"]} == \
        {"iad", "fra", "nrt", "gru", "ams"}
    after = {m["id"] for m in sim.machines(app="web-app")
             if m["state"] == "started"}
    assert before < after and len(after) == 6


RICH = """\
apiVersion: rhone.dev/v1
kind: RegionSet
metadata:
  name: rich
  labels: {team: web}
spec:
  app: rich-app
  image: "registry.fly.io/rich:2024.1"
  primaryRegion: ams
  primaryCount: 2
  regions:
    - {code: cdg, count: 3}
    - waw
  guest: {cpuKind: shared, cpus: 2, memoryMB: 512}
  services:
    - protocol: tcp
      internalPort: 9000
      autostop: suspend
      autostart: true
      minMachinesRunning: 1
      ports:
        - {port: 443, handlers: [tls, http]}
      concurrency: {type: requests, softLimit: 20, hardLimit: 25}
  checks:
    alive: {type: tcp, port: 9000, interval: 20s, timeout: 2s}
    web:
      type: http
      port: 9000
      path: /up
      method: HEAD
      gracePeriod: 30s
  env:
    PORT: "9000"
    FEATURE_X: "true"
    GREETING: "hello: world # not a comment"
  strategy:
    type: rolling
    maxSurge: 25%
    maxUnavailable: 1
    maxParallelRegions: 1
    soakTime: 1m
    maxUnhealthy: 50%
"""


def test_selector_keeps_every_field(ctl_factory, driver):
    c = ctl_factory(files={"rich.yaml": RICH})
    c.wait_phase("rich", "Converged", timeout=90)
    open_page(driver, c, 3)
    choose(driver, "sel-base", "rich")
    text = selector_yaml(driver)
    r = validate(text)
    assert r.returncode == 0, r.stdout + text
    doc = yaml.safe_load(text)["spec"]
    assert doc["env"] == {"PORT": "9000", "FEATURE_X": "true",
                          "GREETING": "hello: world # not a comment"}
    assert doc["checks"]["web"]["method"] == "HEAD"
    assert doc["checks"]["web"]["gracePeriod"] == "30s"
    assert "path" not in doc["checks"]["alive"]
    assert doc["services"][0]["autostop"] == "suspend"
    assert doc["regions"] == [{"code": "cdg", "count": 3}, "waw"]
    assert doc["primaryCount"] == 2
    rewrite_keeps_revision(c, "rich.yaml", text)
    assert c.item("rich")["metadata"]["generation"] == 1


def test_selector_new_regionset(fleet, driver):
    from selenium.webdriver.common.by import By
    open_page(driver, fleet, len(EXPECTED))
    choose(driver, "sel-base", "")
    for field, value in (("sel-name", "shop"), ("sel-app", "shop-app"),
                         ("sel-image", "registry.fly.io/shop:v3")):
        box = driver.find_element(By.ID, field)
        box.clear()
        box.send_keys(value)
    choose(driver, "sel-primary", "fra")
    click_region(driver, "waw")
    click_region(driver, "fra")        # the primary: disabled, no effect
    text = selector_yaml(driver)
    r = validate(text)
    assert r.returncode == 0, r.stdout + r.stderr
    assert yaml.safe_load(text) == {
        "apiVersion": "rhone.dev/v1", "kind": "RegionSet",
        "metadata": {"name": "shop"},
        "spec": {"app": "shop-app", "image": "registry.fly.io/shop:v3",
                 "primaryRegion": "fra", "regions": ["waw"]}}
    summary = driver.find_element(By.ID, "sel-summary").text
    assert summary == "2 regions: fra (primary), waw"


def test_copy_button_copies_the_yaml(fleet, driver):
    from selenium.webdriver.common.by import By
    open_page(driver, fleet, len(EXPECTED))
    driver.execute_cdp_cmd("Browser.grantPermissions", {
        "origin": fleet.url,
        "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]})
    choose(driver, "sel-base", "api")
    driver.find_element(By.ID, "sel-copy").click()
    wait_for(lambda: driver.find_element(By.ID, "sel-copy-status").text,
             timeout=10, what="a copy status")
    assert driver.find_element(By.ID, "sel-copy-status").text == \
        "Copied to the clipboard."
    got = driver.execute_async_script("""
        var done = arguments[arguments.length - 1];
        navigator.clipboard.readText().then(done, function (e) {
          done('error: ' + e); });""")
    assert got == selector_yaml(driver)
    assert "primaryRegion: lhr" in got


def migrate(url):
    r = subprocess.run([BINARY, "migrate", "--source", url],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr


SHOP = "00000000-0000-4000-8000-0000000000b1"
OTHER = "00000000-0000-4000-8000-0000000000b2"


def seed_db(url):
    migrate(url)
    team = "00000000-0000-4000-8000-0000000000a1"
    sql(url, "INSERT INTO teams (id, name, plan) VALUES (%s, 'dash', 'pro')",
        (team,))
    for app, fly, primary, regions in ((SHOP, "shop-app", "fra", "fra,waw"),
                                       (OTHER, "other-app", "iad", "iad")):
        sql(url, "INSERT INTO apps (id, team_id, name, fly_app_id, "
                 "primary_region, regions) VALUES (%s, %s, %s, %s, %s, %s)",
            (app, team, fly, fly, primary, regions))
        sql(url, "INSERT INTO deployments (app_id, image, created_at) "
                 "VALUES (%s, %s, now())", (app, f"registry.fly.io/{fly}:v1"))
    r = subprocess.run([BINARY, "token", "create", "--source", url,
                        "--team", "dash", "--role", "admin", "--name", "ui"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def save_status(driver):
    from selenium.webdriver.common.by import By
    return wait_for(lambda: (lambda t: t != "Saving\u2026" and t)(
        driver.find_element(By.ID, "sel-save-status").text),
        timeout=20, what="the save result")


def fill(driver, field, value):
    from selenium.webdriver.common.by import By
    box = driver.find_element(By.ID, field)
    box.clear()
    box.send_keys(value)


def test_db_mode_saves_through_the_region_api(ctl_factory, pg_url, driver):
    from selenium.webdriver.common.by import By
    token = seed_db(pg_url)
    c = ctl_factory(source=pg_url)
    c.wait_phase("shop-app", "Converged", timeout=90)
    c.wait_phase("other-app", "Converged", timeout=90)
    assert c.status()["metadata"]["sourceKind"] == "postgres"
    open_page(driver, c, 3)
    assert driver.execute_script(
        "return document.body.dataset.mode") == "postgres"
    assert not driver.find_element(By.ID, "sel-yaml").is_displayed()
    assert not driver.find_element(By.ID, "sel-name").is_displayed()
    assert driver.find_element(By.ID, "sel-token").is_displayed()
    choose(driver, "sel-base", "shop-app")

    # Record what the page sends and what it gets back.
    driver.execute_script("""
        window.__calls = [];
        var real = window.fetch;
        window.fetch = function (url, init) {
          if (url.indexOf('/apps/') !== 0) return real(url, init);
          var rec = {url: url, method: init.method, headers: init.headers,
                     body: init.body || null};
          window.__calls.push(rec);
          return real(url, init).then(function (r) {
            rec.status = r.status; return r; });
        };""")
    calls = lambda: driver.execute_script("return window.__calls")  # noqa

    click_region(driver, "ams")
    click_region(driver, "waw")          # off: the app had fra and waw
    driver.find_element(By.ID, "sel-save").click()
    assert save_status(driver) == \
        "Enter the app's platform id (apps.id, a UUID)."
    fill(driver, "sel-appid", SHOP)
    driver.find_element(By.ID, "sel-save").click()
    assert save_status(driver) == "Enter an API token first."
    assert calls() == []

    # A made-up token: the API's 401 is shown, nothing is posted.
    fill(driver, "sel-token", "rhone_not_a_real_token")
    driver.find_element(By.ID, "sel-save").click()
    assert save_status(driver).startswith("Not saved (HTTP 401)")
    assert [(x["method"], x["status"]) for x in calls()] == [("GET", 401)]

    # The id of another app: refused before any POST.
    driver.execute_script("window.__calls.length = 0")
    fill(driver, "sel-token", token)
    fill(driver, "sel-appid", OTHER)
    driver.find_element(By.ID, "sel-save").click()
    assert save_status(driver) == \
        f"Not saved: {OTHER} is the app other-app, not shop-app."
    assert [x["method"] for x in calls()] == ["GET"]

    # The right id and token: saved, and the controller rolls it out.
    driver.execute_script("window.__calls.length = 0")
    fill(driver, "sel-appid", SHOP)
    driver.find_element(By.ID, "sel-save").click()
    assert save_status(driver) == (
        "Saved: shop-app runs in fra, ams. The controller rolls it out "
        "when it reads the database.")
    get, post = calls()
    assert (get["method"], get["status"]) == ("GET", 200)
    assert (post["method"], post["status"]) == ("POST", 200)
    assert post["url"] == f"/apps/{SHOP}/regions"
    assert post["headers"]["Authorization"] == f"Bearer {token}"
    assert json.loads(post["body"]) == {"primary_region": "fra",
                                        "additional_regions": ["ams"]}
    assert sql(pg_url, "SELECT primary_region, regions FROM apps "
                       "WHERE id = %s", (SHOP,)) == [("fra", "fra,ams")]
    wait_for(lambda: [r["code"] for r in
                      c.item("shop-app")["spec"]["regions"]] == ["ams"],
             timeout=30, what="the controller to read the new regions")
    wait_for(lambda: ("shop-app", "ams") in page_markers(driver),
             timeout=30, what="an ams marker on the map")
    # The token stays in the page: nothing stored, no cookie.
    assert driver.execute_script(
        "return localStorage.length + sessionStorage.length") == 0
    assert driver.execute_script("return document.cookie") == ""
