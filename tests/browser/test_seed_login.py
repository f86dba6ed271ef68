"""The seed's Step 6 in a real browser: Debian's Chromium, headless, driven by chromedriver.

Against the sandbox with real Hydra v2.3.0, its gateway, login app and upstream page:

1. open the gateway, log in as foo@bar.com / foobar, allow access, see the upstream page;
2. rotate the client secret in the desired state, apply, and log in again;
3. paste a wrong client_secret into the APISIX route by hand: the login fails in the browser,
   and ``reconcile verify`` names the route and the step.

Every step leaves a screenshot under ``test-artifacts/browser/`` (gitignored; CI keeps it).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.sandbox.realhydra import repo_root
from reconciler.sandbox.runner import Sandbox
from tests.browser_env import CHROMEDRIVER, CHROMIUM
from tests.verify.seed import ROUTE, World

pytestmark = [pytest.mark.browser, pytest.mark.real_hydra]

ARTIFACTS = repo_root() / "test-artifacts" / "browser"
USER, PASSWORD = "foo@bar.com", "foobar"
UPSTREAM_TITLE = "Hello from the upstream"
WAIT = 30


@pytest.fixture
def world(tmp_path: Path, hydra_binary: Path) -> Iterator[World]:
    with Sandbox(real_hydra=True, gateway=True) as box:
        world = World.make(box, tmp_path, box.gateway_url)
        upstream = box.upstream_url.removeprefix("http://")
        for path in world.desired.glob("*.yaml"):
            text = path.read_text().replace("http://127.0.0.1:9080", box.gateway_url)
            path.write_text(text.replace("127.0.0.1:8081", upstream))
        assert world.run("apply", "--auto-approve").code == 0
        yield world


@pytest.fixture
def browser(request: pytest.FixtureRequest) -> Iterator[Browser]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1000,700", "--no-first-run", "--password-store=basic"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(WAIT)
    folder = ARTIFACTS / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    try:
        yield Browser(driver, folder)
    finally:
        driver.quit()


class Browser:
    """A thin layer over the driver: numbered screenshots and the seed's login steps."""

    def __init__(self, driver: object, folder: Path) -> None:
        self.driver = driver
        self.folder = folder
        self.shots = 0

    def shot(self, name: str) -> Path:
        self.shots += 1
        path = self.folder / f"{self.shots:02d}-{name}.png"
        self.driver.save_screenshot(str(path))  # type: ignore[attr-defined]
        return path

    def wait_for(self, css: str) -> object:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ec
        from selenium.webdriver.support.ui import WebDriverWait

        return WebDriverWait(self.driver, WAIT).until(ec.presence_of_element_located((By.CSS_SELECTOR, css)))

    def login(self, url: str, step: str) -> str:
        """Open ``url``, log in, allow access; the final page's title (screenshots on the way)."""
        from selenium.webdriver.common.by import By

        d = self.driver
        d.delete_all_cookies()  # type: ignore[attr-defined]
        d.get(url)  # type: ignore[attr-defined]
        self.wait_for("input#email").send_keys(USER)  # type: ignore[attr-defined]
        d.find_element(By.CSS_SELECTOR, "input#password").send_keys(PASSWORD)  # type: ignore[attr-defined]
        self.shot(f"{step}-login-page")
        d.find_element(By.CSS_SELECTOR, "input#accept").click()  # type: ignore[attr-defined]
        button = self.wait_for("input#accept[value='Allow access']")
        self.shot(f"{step}-consent-page")
        button.click()  # type: ignore[attr-defined]
        self.wait_for("body h1, body")
        self.shot(f"{step}-after-login")
        return str(d.title)  # type: ignore[attr-defined]

    def page_text(self) -> str:
        from selenium.webdriver.common.by import By

        return str(self.driver.find_element(By.TAG_NAME, "body").text)  # type: ignore[attr-defined]


def test_seed_login_in_a_browser(world: World, browser: Browser) -> None:
    gateway = world.gateway_url
    assert gateway is not None

    # 1. Step 6 of the seed: the upstream page after logging in.
    assert browser.login(gateway + "/", "1") == UPSTREAM_TITLE, browser.page_text()

    # 2. Rotate the secret in the desired state, apply, log in again.
    world.env["PHOTO_BACKUP_CLIENT_SECRET"] = "rotated-in-git-secret-2"
    applied = world.run("apply", "--auto-approve")
    assert applied.code == 0 and "secret rotated" in applied.output, applied.output
    assert browser.login(gateway + "/", "2") == UPSTREAM_TITLE, browser.page_text()

    # 3. A wrong secret pasted into the route by hand: the login breaks, and verify says where.
    world.paste_route_secret_by_hand("pasted-by-hand-secret-3")
    title = browser.login(gateway + "/", "3")
    assert title != UPSTREAM_TITLE
    assert UPSTREAM_TITLE not in browser.page_text()
    ran = world.run("verify", "--gateway-url", gateway, "--output", "json")
    assert ran.code == 1
    failed = {(c["address"], c["check"]): c for c in json.loads(ran.output)["checks"] if c["status"] == "fail"}
    assert failed[(f"route.{ROUTE}", "login_flow")]["step"] == "callback"
    assert failed[(f"route.{ROUTE}", "openid_connect")]["step"] == "token"
    assert world.leaks("rotated-in-git-secret-2", "pasted-by-hand-secret-3") == []
    assert len(list(browser.folder.glob("*.png"))) == 9
