"""A fleet in every phase for the dashboard, and headless Chromium.

Shared by tests/e2e/test_dashboard.py and tests/e2e/dashboard_shot.py:
three RegionSets on a flysim where Sydney has no capacity (api's syd
region stays Degraded) and images containing "never" never pass their
checks (canary stays Progressing), while web converges.
"""
import os
import shutil

from rhone import regionset, wait_for

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
MISSING = None if CHROMIUM and CHROMEDRIVER else (
    "needs Debian's chromium and chromium-driver (make deps)")

SIM_ARGS = ["--auto-apps", "--health-delay", "0.3",
            "--unhealthy-image", "never", "--capacity-region", "syd=0"]

SETS = {
    "web.yaml": regionset("web", "web-app", "registry.fly.io/web:v1", "iad",
                          ["fra", ("nrt", 2)]),
    "api.yaml": regionset("api", "api-app", "registry.fly.io/api:v1", "lhr",
                          ["syd", "gru"]),
    "canary.yaml": regionset("canary", "canary-app",
                             "registry.fly.io/canary:never", "iad", ["sin"],
                             strategy="{type: bluegreen, "
                                      "healthTimeout: 10m}"),
}

# What each region of each set settles in (the marker colors).
EXPECTED = {
    ("web", "iad"): "Converged", ("web", "fra"): "Converged",
    ("web", "nrt"): "Converged",
    ("api", "lhr"): "Converged", ("api", "syd"): "Degraded",
    ("api", "gru"): "Converged",
    ("canary", "iad"): "Progressing", ("canary", "sin"): "Progressing",
}


def region_phases(status):
    """{(set, region): phase} from a /status list."""
    return {(it["metadata"]["name"], r["region"]): r["phase"]
            for it in status["items"]
            for r in (it["status"].get("regions") or [])}


def settled(ctl):
    """The /status list once every region shows its expected phase and
    the canary's machines exist (so its counts no longer move)."""
    def check():
        st = ctl.status()
        if region_phases(st) != EXPECTED:
            return None
        for it in st["items"]:
            if it["metadata"]["name"] == "canary" and any(
                    r["current"] != r["desired"]
                    for r in it["status"]["regions"]):
                return None
        return st
    return wait_for(check, timeout=90, what="the dashboard fleet to settle")


def browser(width=1400, height=1000):
    """A headless Chromium driven by chromedriver (Debian's packages)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--hide-scrollbars",
                "--force-device-scale-factor=1", "--lang=en-US",
                f"--window-size={width},{height}"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(CHROMEDRIVER, log_path=os.devnull)
    return webdriver.Chrome(service=service, options=opts)
