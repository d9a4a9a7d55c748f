"""The report page in a real browser: Debian's headless Chromium driven by Selenium.

The page renders with its plot, logs no console error, runs no script planted in a
notebook output, and its region links land on the partner region. A screenshot is kept
under pytest's tmp dir (its path is printed; ``pytest -s`` shows it).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from reviewbot.report.html import ReportPage, render_html
from tests.reviewbot.report.page_samples import PLANTED, full_page

webdriver = pytest.importorskip("selenium.webdriver")
CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER),
                                reason="chromium and chromium-driver: run dev/install-test-deps")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1400,1000"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def open_page(driver, tmp_path: Path, page: str, name: str = "report.html") -> None:
    path = tmp_path / name
    path.write_text(page, encoding="utf-8")
    driver.get_log("browser")  # forget what earlier pages logged
    driver.get(path.as_uri())


def severe(driver) -> list[dict]:
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def test_the_page_renders_with_its_plot_and_no_console_error(browser, tmp_path: Path) -> None:
    open_page(browser, tmp_path, render_html([full_page()]))
    assert browser.title == "reviewbot report"
    plot = browser.find_element("css selector", "img.plot")
    assert browser.execute_script("return arguments[0].naturalWidth", plot) > 200
    rows = browser.find_elements("css selector", "table.claims tr.claim")
    assert [row.text.split()[0] for row in rows] == ["acc", "loss", "adam-beats-sgd", "f1"]
    assert severe(browser) == []
    shot = tmp_path / "report-page.png"
    browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000
    print(f"screenshot of the report page: {shot}")


def test_a_script_planted_in_a_notebook_output_does_not_run(browser, tmp_path: Path) -> None:
    open_page(browser, tmp_path, render_html([full_page()]))
    assert browser.execute_script("return document.body.dataset.pwned") is None
    assert "plot" in browser.find_element("css selector", ".notebook").text
    link = browser.find_element("xpath", "//div[@class='notebook']//a[text()='click']")
    link.click()  # the javascript: link was stripped: clicking does nothing
    assert browser.execute_script("return document.body.dataset.pwned") is None
    assert browser.title == "reviewbot report"


def test_the_csp_stops_a_script_even_if_the_sanitizer_missed_it(browser, tmp_path: Path) -> None:
    unsanitized = ReportPage(full_page().review, notebooks=(("raw.ipynb", PLANTED),))
    open_page(browser, tmp_path, render_html([unsanitized]), "unsanitized.html")
    assert browser.execute_script("return document.body.dataset.pwned") is None
    assert browser.title == "reviewbot report"
    assert any("Content Security Policy" in entry["message"] for entry in severe(browser))


def test_region_links_land_on_the_partner_region(browser, tmp_path: Path) -> None:
    open_page(browser, tmp_path, render_html([full_page()]))
    for source, target in (("r0-m0-q1", "r0-m0-s1"), ("r0-m0-s1", "r0-m0-q1")):
        browser.find_element("id", source).click()
        assert browser.execute_script("return location.hash") == f"#{target}"
        visible = browser.execute_script(
            "const el = document.getElementById(arguments[0]);"
            "const pane = el.closest('.pair > div').getBoundingClientRect();"
            "const box = el.getBoundingClientRect();"
            "return box.top >= pane.top - 1 && box.bottom <= pane.bottom + 1 &&"
            " box.top >= 0 && box.bottom <= window.innerHeight;", target)
        assert visible, f"#{target} is not in view after following #{source}"
    summary = browser.find_element("css selector", "table.similar a")
    summary.click()
    assert browser.execute_script("return location.hash") == "#r0-m0"
