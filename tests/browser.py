"""The browser-test harness: Debian's chromium via Playwright, a loopback-only page, axe-core.

One place for what every browser test needs: launching ``/usr/bin/chromium`` (never a
downloaded browser), serving an app on a free loopback port, a browser context that aborts
and records every request leaving the allowed origins and records console errors, the
axe-core audit (vendored from npm in ``tests/vendor/axe-core``) and screenshots kept as
artefacts. The ``browser`` fixture (session scope) lives in ``tests/conftest.py``.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
#: axe-core impacts a page must not have.
BLOCKING = ("serious", "critical")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port in a thread; yield its base URL."""
    import uvicorn

    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def launch() -> Iterator[Any]:
    """Debian's chromium, headless, for the browser tests (skip or, in CI, fail without it)."""
    if not Path(CHROMIUM).exists():
        message = "Debian's chromium is required for the browser tests (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)  # .ci/run installs it, so CI never skips these
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()


def axe_violations(page: Any, impacts: tuple[str, ...] = BLOCKING) -> list[tuple]:
    """Run axe-core on ``page``; its violations of ``impacts`` as (id, impact, first targets)."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        (v["id"], v["impact"], [" ".join(n["target"]) for n in v["nodes"]][:3])
        for v in result["violations"]
        if v["impact"] in impacts
    ]


def screenshot(page: Any, folder: Path, name: str, full_page: bool = True) -> Path:
    """Keep a screenshot of ``page`` as ``folder/name.png`` (an artefact to look at)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


class Session:
    """A browser context that records console errors and the requests leaving ``allowed``.

    Parameters
    ----------
    browser
        The Playwright browser (the ``browser`` fixture).
    base
        The served app's base URL; requests to it are let through, all others aborted and
        kept in ``outside`` (``allowed`` replaces it, e.g. ``("file://", "data:")``).
    width, height
        The viewport.
    allowed
        URL prefixes let through; by default ``(base,)``.
    folder
        Where ``check`` keeps its screenshots.
    **options
        Further ``browser.new_context`` options (headers, geolocation, offline, ...).
    """

    def __init__(
        self,
        browser: Any,
        base: str = "",
        width: int = 1200,
        height: int = 900,
        allowed: tuple[str, ...] | None = None,
        folder: Path = ARTIFACTS,
        **options: Any,
    ) -> None:
        self.base = base
        self.folder = folder
        self.allowed = allowed or (base,)
        assert all(self.allowed), "a Session needs a base URL or the prefixes it allows"
        self.context = browser.new_context(
            viewport={"width": width, "height": height}, accept_downloads=True, **options
        )
        #: Console errors and uncaught exceptions; ``page_errors``: the exceptions alone.
        self.errors: list[str] = []
        self.page_errors: list[str] = []
        self.outside: list[str] = []
        self.context.route("**/*", self._guard)
        self.page = self.new_page()

    def new_page(self) -> Any:
        """A new page of this context whose console errors are recorded in ``errors``."""
        page = self.context.new_page()
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", self._page_error)
        return page

    def _page_error(self, error: Any) -> None:
        self.errors.append(str(error))
        self.page_errors.append(str(error))

    def _guard(self, route: Any) -> None:
        if route.request.url.startswith(self.allowed):
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def open(self, path: str) -> Any:
        """Go to ``base + path`` until the network is idle; it must answer 200."""
        response = self.page.goto(self.base + path, wait_until="networkidle")
        assert response is not None and response.status == 200, (path, response and response.status)
        return self.page

    def sign_in(self, username: str, password: str) -> None:
        """Sign in through the form; the workplace's start page follows."""
        self.page.goto(self.base + "/logga-in")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", password)
        self.page.click("button[type=submit]")
        self.page.wait_for_url(re.compile(r".*/arbetsyta$"))

    def assert_clean(self, name: str = "") -> None:
        """No console error and no request off the allowed origins so far."""
        assert not self.errors, (name, self.errors)
        assert not self.outside, (name, self.outside)

    def check(self, name: str) -> None:
        """Screenshot, axe-core (no serious or critical violation), no errors, no outside."""
        screenshot(self.page, self.folder, name)
        bad = axe_violations(self.page)
        assert not bad, (name, bad)
        self.assert_clean(name)

    def download(self, link_text: str, tmp: Path) -> Path:
        """Click the link ``link_text`` and save what it downloads in ``tmp``."""
        with self.page.expect_download() as info:
            self.page.click(f"a:has-text('{link_text}')")
        path = tmp / info.value.suggested_filename
        info.value.save_as(path)
        return path

    def close(self) -> None:
        """Close the context (its pages with it)."""
        self.context.close()
