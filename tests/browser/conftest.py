"""Fixtures for the browser tests: headless Chromium (Debian's chromium and chromium-driver, via
Selenium), a demo database, the page server against a scripted Rasa stand-in, and the real
stack (action server, Rasa server with a trained model, page server).

Screenshots go to var/test-artifacts/browser/; a failing test leaves one named after it.
Chromium missing is a failure, not a skip: `scripts/install-browser.sh` installs it.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.cli.serve import free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "var" / "test-artifacts" / "browser"
JWT_SECRET = "browser-tests-secret-4f1c2b8e9d7a6b5c4d3e2f1a0b9c8d7e"
CHROMIUM_FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
]
WINDOW = (1280, 900)
WAIT_SECONDS = 15  # the page server and the stand-in answer at once
LIVE_WAIT_SECONDS = 90  # the real assistant's first answer loads the model's graph

sys.path.insert(0, str(Path(__file__).resolve().parent))


def wait_for_url(url: str, seconds: float, process=None) -> None:
    if not wait_for(url, seconds, [process] if process is not None else []):
        raise RuntimeError(f"{url} did not answer within {seconds:.0f}s (or its server exited)")


# ------------------------------------------------------------------------------------- Chromium


def chromium_binaries() -> tuple[str, str]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not chromium or not driver:
        pytest.fail("Chromium and chromedriver are needed for the browser tests but "
                    f"{'chromium' if not chromium else 'chromedriver'} is not on PATH: "
                    "run scripts/install-browser.sh (apt-get install chromium chromium-driver)", pytrace=False)
    return chromium, driver


def make_driver(profile_dir: Path, accept_language: str = "en-US,en"):
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.fail("selenium is not installed: pip install -e '.[test]'", pytrace=False)
    chromium, chromedriver = chromium_binaries()
    options = Options()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile_dir}")
    options.add_argument(f"--window-size={WINDOW[0]},{WINDOW[1]}")
    options.add_argument(f"--lang={accept_language.split(',')[0]}")
    options.add_experimental_option("prefs", {"intl.accept_languages": accept_language})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=chromedriver))
    driver.set_page_load_timeout(30)
    return driver


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session", autouse=True)
def _fresh_failure_screenshots():
    """Screenshots of failures are about this run only."""
    for stale in ARTIFACTS.glob("FAILED-*.png"):
        stale.unlink()


@pytest.fixture(scope="session")
def driver(tmp_path_factory):
    chromium_binaries()
    browser = make_driver(tmp_path_factory.mktemp("chromium-profile"))
    yield browser
    browser.quit()


@pytest.fixture(scope="session")
def driver_pt(tmp_path_factory):
    """A second browser whose language is Brazilian Portuguese."""
    chromium_binaries()
    browser = make_driver(tmp_path_factory.mktemp("chromium-profile-pt"), "pt-BR,pt")
    yield browser
    browser.quit()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        for name in ("driver", "driver_pt"):
            browser = item.funcargs.get(name)
            if browser is not None:
                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                try:
                    browser.save_screenshot(str(ARTIFACTS / f"FAILED-{item.name}-{name}.png"))
                except Exception:  # the browser itself may be what broke
                    pass


# ------------------------------------------------------------------------------------- database


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory) -> str:
    """A temporary SQLite database at the current schema with the demo data (data/demo/)."""
    from rules.db.load import load_demo
    from rules.db.migrate import upgrade
    from rules.db.session import make_engine

    url = f"sqlite:///{tmp_path_factory.mktemp('browser-db') / 'partnerbot.db'}"
    engine = make_engine(url)
    upgrade(engine)
    load_demo(engine)
    engine.dispose()
    return url


def serve_in_thread(rasa_url: str, database_url: str):
    """The page server in this process (its own database and JWT secret; the environment is left alone)."""
    from bot.portal.server import PortalConfig, make_server

    config = PortalConfig(rasa_url=rasa_url, log_requests=False, rasa_timeout=10,
                          database_url=database_url, jwt_secret=JWT_SECRET)
    server = make_server("127.0.0.1", 0, config)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server


# ------------------------------------------------------------------------- page server + stand-in


@pytest.fixture(scope="session")
def stub_stack(demo_database):
    """The page server (in this process) in front of the scripted Rasa stand-in."""
    from stub_rasa import StubRasa

    with StubRasa() as rasa:
        server = serve_in_thread(rasa.url, demo_database)
        yield SimpleNamespace(url=f"http://127.0.0.1:{server.server_address[1]}/", rasa=rasa)
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def dead_rasa_stack(demo_database):
    """The page server pointing at a port where nothing listens."""
    server = serve_in_thread(f"http://127.0.0.1:{free_port()}", demo_database)
    yield SimpleNamespace(url=f"http://127.0.0.1:{server.server_address[1]}/")
    server.shutdown()
    server.server_close()


# --------------------------------------------------------------------------------- the real stack


@pytest.fixture(scope="session")
def live_stack(demo_database, tmp_path_factory):
    """Action server, Rasa server (trained model from bot.build.train) and page server, on free ports.

    bot.build.train() trains only when the model's inputs changed since the last training (minutes);
    PARTNERBOT_BROWSER_MODEL=path/to/model.tar.gz uses that model instead.
    """
    from unittest import mock

    from bot.cli.serve import _env, start_servers, stop

    args = SimpleNamespace(host="127.0.0.1", port=free_port(), action_host="127.0.0.1", action_port=free_port(),
                           start_timeout=300)
    overrides = {"PARTNERBOT_DATABASE_URL": demo_database, "PARTNERBOT_JWT_SECRET": JWT_SECRET,
                 "RASA_TELEMETRY_ENABLED": "false"}
    with mock.patch.dict(os.environ, overrides):
        env = _env(args)
    env.pop("PARTNERBOT_JWT_SECRET_FILE", None)
    logs = tmp_path_factory.mktemp("live-stack-logs")
    model = os.environ.get("PARTNERBOT_BROWSER_MODEL")
    try:
        if model:  # iterating on the widget: a model already trained, even if the data moved on since
            with mock.patch("bot.build.train", return_value=Path(model)):
                processes = start_servers(args, env)
        else:
            processes = start_servers(args, env)
    except SystemExit as exc:  # an ordinary error, so the session reports it once for every live test
        raise RuntimeError(f"the assistant did not start: {exc}") from None
    portal_port = free_port()
    with (logs / "portal.log").open("w") as portal_log:
        portal = subprocess.Popen(
            [sys.executable, "-m", "bot.portal", "--port", str(portal_port), "--rasa-url", f"http://127.0.0.1:{args.port}"],
            cwd=ROOT, env=env, stdout=portal_log, stderr=subprocess.STDOUT)
    processes.append(portal)
    try:
        wait_for_url(f"http://127.0.0.1:{portal_port}/healthz", 30, portal)
        yield SimpleNamespace(url=f"http://127.0.0.1:{portal_port}/", rasa_port=args.port)
    finally:
        stop(processes)


# ----------------------------------------------------------------------------------- page helpers


class Widget:
    """The chat widget on a loaded page, in the words of the tests."""

    def __init__(self, driver, base_url: str, wait_seconds: float = WAIT_SECONDS):
        self.driver = driver
        self.base_url = base_url
        self.wait_seconds = wait_seconds

    def wait(self, condition, seconds: float | None = None, message: str = ""):
        from selenium.webdriver.support.ui import WebDriverWait

        return WebDriverWait(self.driver, seconds or self.wait_seconds).until(condition, message)

    def open(self, fresh: bool = True) -> "Widget":
        self.driver.get(self.base_url)
        if fresh:
            self.driver.execute_script("localStorage.clear(); sessionStorage.clear();")
            self.driver.get(self.base_url)
        self.wait_ready()
        return self

    def reload(self) -> "Widget":
        self.driver.refresh()
        self.wait_ready()
        return self

    def wait_ready(self) -> None:
        self.wait(lambda d: self.element("body").get_attribute("data-ready") == "true",
                  message="the widget did not start")

    def element(self, css: str):
        return self.driver.find_element("css selector", css)

    def elements(self, css: str):
        return self.driver.find_elements("css selector", css)

    def bubbles(self, role: str) -> list:
        """The text of every bubble of `role` (user or bot), welcome excluded."""
        return [e.text for e in self.elements(f"#messages .message--{role}:not(.message--welcome) .bubble")]

    def bot_count(self) -> int:
        return len(self.bubbles("bot"))

    def type_and_send(self, text: str) -> None:
        from selenium.webdriver.common.keys import Keys

        box = self.element("#message-input")
        box.click()
        box.send_keys(text)
        box.send_keys(Keys.ENTER)

    def ask(self, text: str, answers: int = 1, seconds: float | None = None) -> list:
        """Send `text` and wait for at least `answers` new bot bubbles; returns the new ones."""
        before = self.bot_count()
        users_before = len(self.bubbles("user"))
        self.type_and_send(text)
        self.wait(lambda d: len(self.bubbles("user")) > users_before, message="the message was not shown")
        self.wait(lambda d: self.bot_count() >= before + answers and self.element("#typing").get_attribute("hidden") is not None,
                  seconds, message=f"no answer to {text!r}")
        return self.bubbles("bot")[before:]

    def sign_in(self, partner_id: str) -> None:
        box = self.element("#partner-id")
        box.clear()
        box.send_keys(partner_id)
        self.element("#signin-button").click()

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path

    def severe_console_errors(self) -> list:
        """Console errors other than the expected HTTP error answers of the page server."""
        return [entry for entry in self.driver.get_log("browser")
                if entry["level"] == "SEVERE" and "Failed to load resource" not in entry["message"]]


@pytest.fixture
def stub_widget(driver, stub_stack):
    stub_stack.rasa.requests.clear()
    widget = Widget(driver, stub_stack.url).open()
    widget.requests = stub_stack.rasa.requests  # what the stand-in received, oldest first
    return widget


@pytest.fixture
def live_widget(driver, live_stack):
    return Widget(driver, live_stack.url, LIVE_WAIT_SECONDS)
