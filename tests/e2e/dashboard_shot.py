#!/usr/bin/python3
"""Take docs/dashboard.png: flysim and the controller with the fleet of
dashboard_scene.py (one region in each phase), the page in headless
Chromium, a tooltip open on api's Sydney marker.

    make dashboard-png         (or: tests/e2e/dashboard_shot.py OUT.png)
"""
import io
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from conftest import Flysim, free_port  # noqa: E402
from dashboard_scene import MISSING, SETS, SIM_ARGS, browser, settled  # noqa
from rhone import Controller, wait_for  # noqa: E402

WIDTH, HEIGHT = 1360, 900


def shoot(out):
    from PIL import Image
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    sim = Flysim(SIM_ARGS).start()
    ctl = Controller(sim.url, free_port())
    driver = None
    try:
        for name, text in SETS.items():
            ctl.write(name, text)
        ctl.start()
        settled(ctl)
        driver = browser(WIDTH, HEIGHT)
        driver.get(ctl.url + "/")
        sel = '.marker[data-set="api"][data-region="syd"][data-phase=' \
              '"Degraded"]'
        marker = wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, sel),
                          timeout=30, what="api's syd marker, Degraded")[0]
        ActionChains(driver).move_to_element(marker).perform()
        wait_for(lambda: driver.find_element(By.ID, "tip").is_displayed(),
                 timeout=5, what="the tooltip")
        png = driver.get_screenshot_as_png()
    finally:
        if driver is not None:
            driver.quit()
        ctl.stop()
        sim.stop()
        sim.close()
    img = Image.open(io.BytesIO(png)).convert("RGB")
    # A palette of 256 colors keeps the file small, text and colors true.
    img = img.quantize(colors=256, method=Image.Quantize.FASTOCTREE)
    img.save(out, optimize=True)
    print(f"{out}: {img.size[0]}x{img.size[1]}, "
          f"{os.path.getsize(out) // 1024} KiB")


if __name__ == "__main__":
    if MISSING:
        sys.exit(f"dashboard_shot: {MISSING}")
    shoot(sys.argv[1] if len(sys.argv) > 1 else "docs/dashboard.png")
