"""A real browser (Debian chromium, driven by Playwright) opens report.html offline."""

from __future__ import annotations

import os
import shutil

import pytest

from conftest import run_cli

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
pytestmark = pytest.mark.skipif(os.environ.get("CI") != "true" and not os.path.exists(CHROMIUM),
                                reason="chromium not installed (apt-get install chromium)")


def test_report_opens_offline_shows_verdict_and_errors_and_filters(tmp_path):
    from playwright.sync_api import sync_playwright

    out = tmp_path / "out"
    code, _, output = run_cli("run", "--mock-fault", "wrong-error-codes", "--no-pdf", "--out", str(out))
    assert code == 1, output
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        context = browser.new_context(offline=True)
        page = context.new_page()
        blocked = []
        page.on("request", lambda r: blocked.append(r.url) if not r.url.startswith("file:") else None)
        page.goto((out / "report.html").as_uri())
        assert page.locator("#verdict").is_visible() and page.locator("#verdict").inner_text() == \
            "Resultat: Ikke bestått"
        problems = page.locator(".problem")
        assert problems.count() == 1 and problems.first.is_visible() and "TP-ERR-04" in problems.first.inner_text()
        total = page.locator(".check.item").count()
        page.click("label[for=f-failed]")
        assert page.locator(".check.item:visible").count() == 1 < total
        page.click("label[for=f-all]")
        assert page.locator(".check.item:visible").count() == total
        page.screenshot(path=str(out / "screenshot.png"), full_page=False)
        browser.close()
    assert blocked == []  # nothing was fetched from outside the file
    assert (out / "screenshot.png").stat().st_size > 10_000
