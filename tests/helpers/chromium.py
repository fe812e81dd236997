"""Debian's chromium, headless, driven by Selenium through chromedriver: the browser of the
web tests. Free of Django, so a test that runs the central service as its own process (the
end-to-end donation) drives its pages the same way as the Django live-server cases."""

from __future__ import annotations

import os
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

SIZES = {"phone": (390, 844, True), "desktop": (1440, 900, False)}


def browser() -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--lang=fr-FR", "--window-size=1440,900"):
        options.add_argument(arg)
    options.add_experimental_option("prefs", {"intl.accept_languages": "fr-FR,fr"})
    service = Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
    return webdriver.Chrome(options=options, service=service)


def click_and_load(driver: webdriver.Chrome, element: WebElement) -> None:
    """Click, then wait until the page it leads to has replaced this one: reading the next
    page's heading straight away could still find this page's (a stale element under
    load)."""
    page = driver.find_element(By.TAG_NAME, "html")
    element.click()

    def replaced(_driver: object) -> bool:
        # Chromium reports a replaced page's node as stale, or as "does not belong to the
        # document" (a plain WebDriverException): either means the page changed.
        try:
            page.is_enabled()
        except WebDriverException:
            return True
        return False
    WebDriverWait(driver, 15).until(replaced)
    WebDriverWait(driver, 15).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "h1")))


def shoot(driver: webdriver.Chrome, directory: Path, name: str, reload: bool = True) -> None:
    """The page at both sizes, whole (the viewport grown to the page's height); ``reload``
    lays it out again at each size (not for the answer to a POST)."""
    for size, (width, height, mobile) in SIZES.items():
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})
        if reload:
            driver.refresh()
        full = driver.execute_script(
            "return Math.max(document.body.scrollHeight, window.innerHeight)")
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": min(full, 4000), "deviceScaleFactor": 1,
            "mobile": mobile})
        driver.save_screenshot(str(directory / f"{name}-{size}.png"))
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
