"""The web dashboard in a real browser: headless Chromium (Debian's `chromium` and `chromium-driver`) driven by
Selenium signs in with Slack against the fake Slack's authorize page, opens every page, filters the entries,
downloads the CSV and checks it holds exactly what the page listed. Screenshots go to tests/artifacts/
(git-ignored); with MINDSET_UPDATE_SCREENSHOT=1 the habit health page is also saved as docs/dashboard.png.

Without Chromium or its driver the test is skipped with the reason; in CI (CI set) that is a failure.
"""

from __future__ import annotations

import csv
import os
import random
import shutil
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from storage.db import make_session_factory
from storage.models import ActionItem, CustomerGroup, EntryCustomerGroup
from tests.conftest import IN_CI
from tests.fake_slack import FakeSlack
from tests.test_dashboard import AMBASSADOR, NOW, PRIVATE, PUBLIC, TEAM, Served, _entry, seed, serve_dashboard

WAIT = 30.0  # seconds a navigation or the download may take on a busy machine
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)


def _missing() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not path.exists():
            return f"{path} is missing: apt-get install -y {package}"
    return None


def seed_a_year(session: Session) -> None:
    """A year of entries for the charts to show something (deterministic)."""
    chooser = random.Random(19)
    groups = []
    for name in ("Enterprise", "Public sector", "Startups"):
        group = CustomerGroup(team_id=TEAM, name=name, name_key=name.lower(), created_by=AMBASSADOR, created_at=NOW)
        session.add(group)
        groups.append(group)
    session.flush()
    people = [f"U0P{n:02d}" for n in range(14)]
    words = ["invoice delayed", "onboarding call", "refund slow", "quick fix shipped", "clear answer", "outage"]
    for week in range(52):
        taking_part = chooser.sample(people, max(2, 12 - week // 6 + chooser.randint(-2, 2)))
        for number, author in enumerate(taking_part):
            kind = "proud" if chooser.random() < 0.6 else "sorry"
            entry = _entry(
                session,
                TEAM,
                author,
                chooser.choice([PUBLIC, PUBLIC, PRIVATE]),
                f"{chooser.choice(words)} for a customer, week {week} #{number}",
                kind=kind,
                days_ago=7 * week + chooser.randint(0, 6),
                cause_after=timedelta(days=chooser.randint(0, 9))
                if kind == "sorry" and chooser.random() < 0.7
                else None,
                area=chooser.choice(["products", "operations", "organisation", "people", None]),
            )
            session.add(EntryCustomerGroup(entry_id=entry.id, group_id=chooser.choice(groups).id))
    for number in range(60):
        created = NOW - timedelta(days=chooser.randint(20, 360))
        due = (created + timedelta(days=chooser.randint(7, 60))).date()
        done = due < NOW.date() and chooser.random() < 0.7
        closed = created + timedelta(days=chooser.randint(3, 70)) if done else None
        session.add(
            ActionItem(
                team_id=TEAM,
                title=f"Commitment {number}: {chooser.choice(words)}",
                owner_id=chooser.choice(people),
                created_by=AMBASSADOR,
                created_at=created,
                due_date=due,
                original_due_date=due,
                status="done" if done else chooser.choice(["open", "on_track", "at_risk"]),
                closed_at=min(closed, NOW) if closed else None,
                idempotency_key=f"browser-item-{number}",
            )
        )
    session.commit()


@pytest.fixture
def served(engine: Engine, fake_slack: FakeSlack) -> Iterator[Served]:
    missing = _missing()
    if missing:
        if IN_CI:
            pytest.fail(f"the browser test needs Chromium in CI: {missing}")
        pytest.skip(missing)
    with make_session_factory(engine)() as session:
        seed(session)
        seed_a_year(session)
    yield from serve_dashboard(engine, fake_slack)


def test_a_person_signs_in_opens_every_page_filters_and_downloads_the_csv(
    served: Served, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    downloads = tmp_path / "downloads"
    downloads.mkdir()
    shots = ARTIFACTS / request.node.callspec.id
    shots.mkdir(parents=True, exist_ok=True)
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,1000"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads)})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)

    def arrived(heading: str, url_part: str = "") -> None:
        """Wait for the page a click led to (a click returns before the navigation ends)."""
        WebDriverWait(driver, WAIT).until(
            lambda d: url_part in d.current_url and d.find_element(By.TAG_NAME, "h1").text == heading
        )

    try:
        driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
        served.fake.sign_in_as(AMBASSADOR, name="Ada Ambassador")

        driver.get(f"{served.url}/dashboard")
        assert driver.find_element(By.TAG_NAME, "h1").text == "Sign in"
        driver.save_screenshot(str(shots / "0-sign-in.png"))
        driver.find_element(By.LINK_TEXT, "Sign in with Slack").click()  # to the fake's authorize page and back

        arrived("Habit health")
        assert driver.current_url == f"{served.url}/dashboard/health"
        assert "Ada Ambassador" in driver.find_element(By.CLASS_NAME, "who").text
        assert len(driver.find_elements(By.CSS_SELECTOR, "svg.chart")) == 2
        driver.save_screenshot(str(shots / "1-habit-health.png"))
        if os.environ.get("MINDSET_UPDATE_SCREENSHOT") == "1" and "sqlite" in request.node.callspec.id:
            (ROOT / "docs").mkdir(exist_ok=True)
            shutil.copyfile(shots / "1-habit-health.png", ROOT / "docs" / "dashboard.png")

        for link, heading, shot in (
            ("Customer groups", "Customer groups", "2-customer-groups.png"),
            ("Commitments", "Commitments", "3-commitments.png"),
            ("Entries", "Entries", "4-entries.png"),
        ):
            driver.find_element(By.LINK_TEXT, link).click()
            arrived(heading)
            driver.save_screenshot(str(shots / shot))
        assert "Enterprise" in driver.page_source

        Select(driver.find_element(By.ID, "kind")).select_by_visible_text("Sorry")
        Select(driver.find_element(By.ID, "group")).select_by_visible_text("Enterprise")
        driver.find_element(By.CSS_SELECTOR, "form.filters button").click()
        arrived("Entries", "kind=sorry")
        rows = driver.find_elements(By.CSS_SELECTOR, "table tbody tr")
        assert rows, "the filter found nothing"
        kinds = {row.find_elements(By.TAG_NAME, "td")[0].text for row in rows}
        assert kinds == {"sorry"}
        listed = int(driver.find_element(By.XPATH, "//p[contains(., 'entries match')]").text.split()[0])
        driver.save_screenshot(str(shots / "5-entries-filtered.png"))

        driver.find_element(By.LINK_TEXT, "Download them as CSV").click()
        deadline = time.monotonic() + WAIT
        while not list(downloads.glob("*.csv")) and time.monotonic() < deadline:
            time.sleep(0.1)
        (downloaded,) = downloads.glob("*.csv")
        with downloaded.open(encoding="utf-8") as handle:
            records = list(csv.DictReader(handle))
        assert len(records) == listed
        assert {record["kind"] for record in records} == {"sorry"}
        assert all("Enterprise" in record["customer_groups"] for record in records)

        driver.set_window_size(390, 844)  # a phone
        driver.refresh()
        driver.save_screenshot(str(shots / "6-entries-on-a-phone.png"))
        width = driver.execute_script("return document.documentElement.scrollWidth")
        assert width <= 400, "the page scrolls sideways on a phone (only tables may)"

        driver.find_element(By.XPATH, "//button[text()='Sign out']").click()
        arrived("Sign in")
        driver.get(f"{served.url}/dashboard/entries")
        arrived("Sign in")  # signed out: the pages send you to sign in again
    finally:
        # the last page as the browser had it, to read after a failure
        driver.save_screenshot(str(shots / "last.png"))
        (shots / "last.html").write_text(driver.page_source, encoding="utf-8")
        driver.quit()
