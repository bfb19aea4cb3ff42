"""``/ui`` in a real browser: Debian's chromium driven by Playwright, against the app on a real
uvicorn server. Paste a transcript, see the evidence highlighted and the prompts by note section,
accept a code and dismiss a prompt, and find both in the feedback store. A screenshot is saved in
tests/artifacts/ (gitignored)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from scribeplugin.pipeline import Pipeline
from scribeplugin.store import Store
from tests.api.conftest import EXAMPLES, LiveServer, make_app, read_example
from tests.conftest import SpineIndex

pytestmark = pytest.mark.slow

ARTIFACTS = Path(__file__).parents[1] / "artifacts"
CHROMIUM = shutil.which("chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
if CHROMIUM is None:
    pytest.skip(
        "chromium is not installed: apt-get install -y chromium (make test does it)",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def live(spine_index: SpineIndex, spine_pipeline: Pipeline, store: Store) -> Iterator[str]:
    with LiveServer(make_app(spine_index, spine_pipeline, store)) as server:
        yield server.url


@pytest.fixture(scope="module")
def page(live: str) -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        pg = context.new_page()
        pg.problems = []  # console errors and failed requests (a CSP violation shows here)
        pg.on("console", lambda m: m.type == "error" and pg.problems.append(m.text))
        pg.on("pageerror", lambda e: pg.problems.append(str(e)))
        pg.on("requestfailed", lambda r: pg.problems.append(f"failed {r.url}"))
        yield pg
        browser.close()


def test_the_note_view_shows_evidence_prompts_and_records_feedback(
    page: Any, live: str, store: Store
) -> None:
    transcript = read_example("injection.txt")
    page.goto(f"{live}/ui")  # redirects to /ui/
    assert page.title().startswith("scribeplugin")
    page.fill("#transcript", transcript)
    page.click("#suggest")
    page.wait_for_selector("[data-testid^='code-']", timeout=60_000)

    # codes, and their evidence highlighted at the right places of the transcript
    code_item = page.locator("[data-testid='code-M54.42']")
    assert code_item.count() == 1
    marks = page.locator("#highlighted mark.evidence")
    assert marks.count() >= 2
    marked = [marks.nth(i).inner_text() for i in range(marks.count())]
    assert "sciatica" in marked and "low back pain" in marked
    assert all(
        "M54.42" in (marks.nth(i).get_attribute("data-codes") or "") for i in range(marks.count())
    )
    assert page.locator("#highlighted").inner_text() == transcript.rstrip("\n") or page.locator(
        "#highlighted"
    ).inner_text().rstrip("\n") == transcript.rstrip("\n")

    # prompts grouped by note section, in note order; warnings
    sections = page.locator("#prompts .note-section")
    names = [sections.nth(i).get_attribute("data-section") for i in range(sections.count())]
    assert {"exam", "imaging"} <= set(names)
    order = ["chief_complaint", "hpi", "ros", "exam", "imaging", "assessment", "plan"]
    assert names == sorted(names, key=order.index)
    assert page.locator("#prompts h3").first.inner_text()
    assert page.locator("#warnings li.item").count() >= 1
    results = page.locator("#results").inner_text()
    assert "tabular:M54.42" in results
    assert "[object" not in results and "null" not in results and "undefined" not in results

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "ui-suggestions.png"), full_page=True)

    # accept the code: the row lands in the store
    request_id = page.locator("#engine").inner_text().rsplit("request ", 1)[1].strip()
    code_item.locator("button[data-action='accept']").click()
    page.wait_for_selector("[data-testid='code-M54.42'] [data-testid='decided']")
    assert "Accepted" in code_item.locator("[data-testid='decided']").inner_text()
    rows = store.feedback_rows(request_id)
    assert [(r["target_kind"], r["target_id"], r["outcome"], r["source"]) for r in rows] == [
        ("code", "M54.42", "accepted", "ui")
    ]

    # dismiss a prompt with a reason
    prompt = page.locator("#prompts li.item").first
    prompt_id = (prompt.get_attribute("data-testid") or "").removeprefix("prompt-")
    prompt.locator("button[data-action='dismiss']").click()
    prompt.locator("select").select_option(label="Already documented")
    prompt.locator("input[aria-label='Comment']").fill("in the plan")
    prompt.locator("button[data-action='send']").click()
    prompt.locator("[data-testid='decided']").wait_for()
    row = store.feedback_rows(request_id)[-1]
    assert (row["target_kind"], row["target_id"], row["outcome"]) == (
        "prompt",
        prompt_id,
        "dismissed",
    )
    assert row["reason"] == "Already documented: in the plan"

    page.screenshot(path=str(ARTIFACTS / "ui-feedback.png"), full_page=True)
    assert page.problems == []


def test_a_segments_file_is_highlighted_on_the_joined_lines(page: Any, live: str) -> None:
    """A .json file of segments: the page shows and highlights the text the offsets index."""
    page.goto(f"{live}/ui/")
    page.set_input_files("#file", str(EXAMPLES / "transcripts" / "segments.json"))
    page.wait_for_function("document.getElementById('transcript').value.length > 0")
    page.fill("#dos", "2026-11-24")
    page.click("#suggest")
    page.wait_for_selector("[data-testid^='code-']", timeout=60_000)
    quotes = page.locator("#codes .quotes a")
    expected = {quotes.nth(i).inner_text().strip("\u201c\u201d") for i in range(quotes.count())}
    marks = page.locator("#highlighted mark.evidence")
    shown = {marks.nth(i).inner_text() for i in range(marks.count())}
    assert expected and expected <= shown
    assert "FY2027" in page.locator("[data-testid='notice']").inner_text()


def test_errors_are_shown(page: Any, live: str) -> None:
    page.goto(f"{live}/ui/")
    page.fill("#transcript", "   ")
    page.click("#suggest")
    assert "Paste or load" in page.locator("#status").inner_text()
    page.fill("#transcript", "Doctor: hello\u0001")
    page.click("#suggest")
    page.wait_for_selector("#status.error")
    assert "control character" in page.locator("#status").inner_text()


def test_the_page_loads_nothing_from_elsewhere(live: str) -> None:
    html = httpx.get(f"{live}/ui/").text
    assert "http://" not in html and "https://" not in html
    r = httpx.get(f"{live}/ui/app.js")
    assert r.status_code == 200 and "fetch(" in r.text
    assert "default-src 'self'" in r.headers["content-security-policy"]
