"""``/ui`` in a real browser: Debian's chromium driven by Playwright, against the app on real
uvicorn servers with the real pipeline and store.

What a clinician relies on: the answer on screen belongs to the transcript on screen (an edit, a
file, a new date or a failed request removes it at once and says why); codes come first, then
the prompts that would change them, then the warnings about the codes on screen, with warnings
about codes nobody suggested folded under "Why not X?"; guidance reads as text; clicking a code
or a prompt brings its evidence into view in the transcript panel; every action says what it
does, can be reached and used from the keyboard, and lands in the feedback store; errors read as
clinical sentences with the administrator's details folded away; the page fits 1280, 768 and
390 px. Screenshots go to tests/artifacts/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright import sync_api

from scribeplugin.api.app import create_app
from scribeplugin.pipeline import Pipeline
from scribeplugin.store import Store
from tests.api.conftest import EXAMPLES, KEY_A, KEYS, LiveServer, make_app, read_example
from tests.conftest import CORPUS, SpineIndex, spine_settings

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
NOT_RELEVANT = "Not relevant to this visit"
# Chromium logs every 4xx/5xx answer to fetch() as a console error; the error tests expect them.
HTTP_ERROR_LOG = re.compile(r"^Failed to load resource: the server responded with a status of")

if CHROMIUM is None:  # the one reason to skip: Playwright comes with the dev extras
    pytest.skip(
        "chromium is not installed: apt-get install -y chromium (make test does it)",
        allow_module_level=True,
    )


# -- servers and browser --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def live(spine_index: SpineIndex, spine_pipeline: Pipeline, store: Store) -> Iterator[str]:
    """Development mode, open (no keys)."""
    with LiveServer(make_app(spine_index, spine_pipeline, store)) as server:
        yield server.url


@pytest.fixture(scope="module")
def live_ortho(default_index: Any, embedder: Any, store: Store) -> Iterator[str]:
    """Development mode over the default (musculoskeletal) index: the limbs' codes and cards."""
    pipeline = Pipeline.from_settings(default_index.settings, embedder=embedder)
    with LiveServer(make_app(default_index, pipeline, store)) as server:
        yield server.url


@pytest.fixture(scope="module")
def keyed(spine_index: SpineIndex, spine_pipeline: Pipeline, store: Store) -> Iterator[str]:
    """API keys per tenant, and transcripts limited to 3,000 characters."""
    app = make_app(spine_index, spine_pipeline, store, api_keys=KEYS, max_transcript_chars=3000)
    with LiveServer(app) as server:
        yield server.url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@contextmanager
def open_page(
    browser: Any,
    url: str,
    width: int = 1280,
    height: int = 900,
    http_errors: bool = False,
    aborted: str | None = None,
) -> Iterator[Any]:
    """A fresh page on ``url``; fails on any script error, failed request or console error
    (a CSP violation shows there), except the logged HTTP errors a test asks for and the
    requests to a path it aborts on purpose."""
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    problems: list[str] = []

    def on_console(m: Any) -> None:
        expected = (http_errors and HTTP_ERROR_LOG.match(m.text)) or (
            aborted and m.text == "Failed to load resource: net::ERR_FAILED"
        )
        if m.type == "error" and not expected:
            problems.append(m.text)

    def on_failed(r: Any) -> None:
        if not (aborted and r.url.endswith(aborted)):
            problems.append(f"failed {r.url}")

    page.on("console", on_console)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("requestfailed", on_failed)
    page.goto(f"{url}/ui/")
    try:
        yield page
    finally:
        context.close()
    assert problems == []


def suggest(page: Any, transcript: str | None = None, dos: str | None = None) -> dict[str, Any]:
    """Fill in the transcript (and date), press Suggest codes; the answer, once on screen."""
    if transcript is not None:
        page.fill("#transcript", transcript)
    if dos is not None:
        page.fill("#dos", dos)
    with page.expect_response(lambda r: r.url.endswith("/v1/suggest"), timeout=60_000) as info:
        page.click("#suggest")
    answer: dict[str, Any] = info.value.json()
    assert info.value.ok, answer
    page.wait_for_selector(f"#results[data-request-id='{answer['request_id']}']")
    return answer


def poll(page: Any, predicate: str, arg: Any = None, timeout: float = 5.0) -> None:
    """Wait until ``predicate`` (a JS function) holds in the page. Not ``wait_for_function``:
    its polling evaluates strings, which the page's CSP (no 'unsafe-eval') refuses."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(predicate, arg):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {predicate}")
        page.wait_for_timeout(50)


def fail_suggest(page: Any) -> tuple[int, str]:
    """Press Suggest codes for a request the server refuses: its status and the page's
    status line (the clinician's sentence, without the folded details)."""
    with page.expect_response(lambda r: r.url.endswith("/v1/suggest"), timeout=60_000) as info:
        page.click("#suggest")
    page.wait_for_selector("#status.error")
    return info.value.status, page.locator("#status .status-text").inner_text()


def details_of(page: Any, selector: str) -> str:
    """Open the 'details' disclosure inside ``selector`` and return its text."""
    box = page.locator(f"{selector} details.admin")
    box.locator("summary").click()
    return str(box.inner_text())


def answer_is_gone(page: Any) -> None:
    assert page.locator("#results").is_hidden()
    assert page.locator("#results button").count() == 0
    assert page.locator("#codes li, #prompts li, #warnings li, #highlighted mark").count() == 0


def stored(store: Store, request_id: str) -> list[tuple[Any, ...]]:
    return [
        (r["target_kind"], r["target_id"], r["outcome"], r["override_code"], r["reason"])
        for r in store.feedback_rows(request_id)
        if r["source"] == "ui"
    ]


# -- what is on screen ------------------------------------------------------------------------------


def test_codes_then_prompts_then_warnings_with_guidance_as_text(browser: Any, live: str) -> None:
    transcript = read_example("l5s1_herniation_radiculopathy.txt")
    with open_page(browser, live) as page:
        answer = suggest(page, transcript)
        assert page.title().startswith("scribeplugin")
        codes = [c["code"] for c in answer["codes"]]
        assert codes == ["M51.17"]

        # the transcript as sent, with the code's evidence marked at its offsets
        assert page.locator("#highlighted").inner_text().rstrip("\n") == transcript.rstrip("\n")
        marks = page.locator("#highlighted mark.evidence")
        marked = {marks.nth(i).inner_text() for i in range(marks.count())}
        assert marked == {e["text"] for e in answer["codes"][0]["evidence"]}

        # codes, then prompts, then warnings, top to bottom
        tops = [
            page.locator(sel).bounding_box()["y"]
            for sel in ("#codes-title", "#prompts-title", "#warnings-title", "#why-not")
        ]
        assert tops == sorted(tops)

        # each action says what it does, to a screen reader too
        item = page.locator("[data-testid='code-M51.17']")
        labels = [
            item.locator(f"[data-action='{a}']").get_attribute("aria-label")
            for a in ("accept", "dismiss", "override")
        ]
        assert labels == [
            "Add M51.17 to note",
            "M51.17 not relevant",
            "Use another code instead of M51.17",
        ]
        assert [b.strip() for b in item.locator(".actions button").all_inner_texts()] == [
            "Add to note",
            "Not relevant",
            "Use another code…",
        ]

        # guidance: each citation's own words, its id small beside it
        item.locator("details.guidance summary").click()
        for cite in answer["codes"][0]["citations"]:
            li = item.locator(f"details.guidance li[data-ref='{cite['ref']}']")
            first, *rest = cite["text"].split("\n")
            if cite["ref"].startswith("tabular:"):
                words = first.removeprefix("M51.17 ")  # the tabular title
            else:  # the card item's sentence
                words = re.sub(r"^(Documentation tip|Pitfall|FAQ|Clinical context): ", "", rest[0])
            assert words in li.locator(".gtext").inner_text()
            assert li.locator(".gref").inner_text() == cite["ref"]
        assert item.locator(".gtext").first.is_visible()

        # warnings: those about M51.17 on screen with actions; the others fold under "Why not"
        on_screen = [w for w in answer["warnings"] if "M51.17" in w["codes"]]
        elsewhere = [w for w in answer["warnings"] if "M51.17" not in w["codes"]]
        assert on_screen and elsewhere  # this visit has both kinds
        shown = page.locator("#warnings li.item")
        assert [shown.nth(i).get_attribute("data-testid") for i in range(shown.count())] == [
            f"warning-{w['rule']}" for w in on_screen
        ]
        assert shown.first.locator("[data-action='accept']").inner_text() == "Agree"
        folded = page.locator("#why-not details.why-not")
        summaries = page.locator("#why-not details.why-not > summary").all_inner_texts()
        assert summaries == [
            f"Why not {' or '.join(codes)}?"
            for codes in dict.fromkeys(tuple(w["codes"]) for w in elsewhere)
        ]
        assert folded.locator("button[data-action]").count() == 0
        assert not folded.first.locator(".why-item").first.is_visible()  # folded until asked
        folded.first.locator("> summary").click()
        assert folded.first.locator(".why-item").first.is_visible()
        assert sorted(
            folded.locator(".why-item").evaluate_all("ns => ns.map(n => n.dataset.rule)")
        ) == sorted(w["rule"] for w in elsewhere)

        text = page.locator("#results").inner_text()
        assert "[object" not in text and "null" not in text and "undefined" not in text
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "ui-l5s1-1280-whynot-open.png"), full_page=True)


def test_prompts_that_change_a_code_come_before_those_that_support_it(
    browser: Any, live: str
) -> None:
    with open_page(browser, live) as page:
        answer = suggest(page, read_example("vague_back.txt"))
        tiers = page.locator("#prompts .prompt-tier")
        assert [tiers.nth(i).get_attribute("data-tier") for i in range(tiers.count())] == [
            "change",
            "support",
        ]
        order = ["chief_complaint", "hpi", "ros", "exam", "imaging", "assessment", "plan"]
        severity = {p["id"]: p["severity"] for p in answer["prompts"]}
        for i in range(tiers.count()):
            items = tiers.nth(i).locator("li.prompt-item")
            sections = items.evaluate_all("ns => ns.map(n => n.dataset.section)")
            assert sections == sorted(sections, key=order.index)
            ids = items.evaluate_all("ns => ns.map(n => n.dataset.promptIds)")
            want = "info" if i else "warning"
            assert all(severity[pid] == want for group in ids for pid in group.split())
        # a prompt's text, its note section and its code are on it
        first = answer["prompts"][0]
        item = page.locator(f"[data-testid='prompt-{first['id']}']")
        assert first["text"] in item.inner_text()
        assert item.locator(".section-label").inner_text().lower() == "assessment"
        assert item.locator("button.code-chip").inner_text() == "M54.9"


SECOND = "m54-9-onset-and-duration"  # a second prompt of vague_back.txt's M54.9, made alike


def test_a_prompts_evidence_options_and_duplicates(browser: Any, live: str, store: Store) -> None:
    """Two prompts that ask the same thing of the same code (as an LLM draft repeating a rule's
    query in its own words can send): the real answer for vague_back.txt is given, in flight,
    the same axis, options and quote on two of its prompts (the rules drafter itself merges
    queries on one axis before they leave the server, so two prompts it did send are made
    alike), and the page must show the quote, offer the options, merge the two, and record an
    answer to both in the store, once each, even when the network drops the second on the
    first try. Everything else (server, pipeline, feedback, store) is real."""
    transcript = read_example("vague_back.txt")
    quote = "It kind of moves around"
    start = transcript.index(quote)  # in code points, as the server counts
    evidence = {
        "text": quote,
        "start": start,
        "end": start + len(quote),
        "speaker": "patient",
        "assertion": "present",
    }
    options = ["Neck", "Mid back", "Low back", "Other", "Clinically undetermined"]

    def enrich(route: Any) -> None:
        answer = route.fetch().json()
        for p in answer["prompts"]:
            if p["id"] in ("missing-level-or-region", SECOND):
                p.update(axis="site", options=options, evidence=[evidence])
        route.fulfill(json=answer)

    dropped: list[str] = []

    def drop_once(route: Any) -> None:
        target = json.loads(route.request.post_data)["target_id"]
        if target == SECOND and not dropped:
            dropped.append(target)
            route.abort()
        else:
            route.continue_()

    with open_page(browser, live, width=1280, height=720, aborted="/v1/feedback") as page:
        page.route("**/v1/suggest", enrich)
        page.route("**/v1/feedback", drop_once)
        answer = suggest(page, transcript)
        region = [p for p in answer["prompts"] if p.get("axis") == "site"]
        assert len(region) == 2, f"vague_back.txt no longer gets {SECOND}"
        merged = page.locator(f"[data-prompt-ids='missing-level-or-region {SECOND}']")
        assert merged.count() == 1
        assert page.locator("#prompts li.prompt-item").count() == len(answer["prompts"]) - 1
        # its own quote, underlined in the transcript and brought into view on a click
        assert merged.locator(".quotes").inner_text().count(quote) == 1
        mark = page.locator("#highlighted mark.quote")
        assert mark.inner_text() == quote
        merged.locator(".prompt-text").click()
        poll(page, IN_VIEW, "#highlighted mark.quote")
        assert "flash" in (mark.get_attribute("class") or "")
        # the options are the clinician's answers
        buttons = merged.locator(".actions button")
        assert buttons.all_inner_texts() == [*options, "Not relevant"]
        low_back = merged.get_by_role("button", name=re.compile("^Answer “Low back”"))
        low_back.click()
        problem = merged.locator(".inline-error")
        problem.get_by_text("could not be reached").wait_for()
        assert problem.inner_text().startswith(
            "Your choice was not saved: the coding service could not be reached."
        )
        low_back.click()  # again: the first prompt's answer is not stored twice
        merged.locator("[data-testid='decided']").wait_for()
        assert "Answered: Low back" in merged.inner_text()
    assert stored(store, answer["request_id"]) == [
        ("prompt", "missing-level-or-region", "accepted", None, "Answer: Low back"),
        ("prompt", SECOND, "accepted", None, "Answer: Low back"),
    ]


# -- the answer belongs to the transcript on screen -------------------------------------------------


def test_an_edit_a_file_or_a_new_date_removes_the_answer_at_once(browser: Any, live: str) -> None:
    transcript = read_example("injection.txt")
    with open_page(browser, live) as page:
        suggest(page, transcript)
        assert page.locator("#codes [data-action='accept']").count() == 1
        page.focus("#transcript")
        page.keyboard.press("End")
        page.keyboard.type(" Also my neck.")
        answer_is_gone(page)
        status = page.locator("#status").inner_text()
        assert "edited" in status and "removed" in status

        # an answer that arrives after the text changed is dropped, not shown
        page.fill("#transcript", transcript)
        with page.expect_response(lambda r: r.url.endswith("/v1/suggest")) as info:
            page.evaluate(
                """() => {
                    document.getElementById('suggest').click();
                    const t = document.getElementById('transcript');
                    t.value += '\\nDoctor: One more thing about your neck.';
                    t.dispatchEvent(new Event('input', {bubbles: true}));
                }"""
            )
        assert info.value.ok and info.value.json()["codes"]
        page.wait_for_timeout(500)  # ample for the page to (wrongly) render it
        answer_is_gone(page)
        assert "edited" in page.locator("#status").inner_text()
        assert not page.locator("#suggest").is_disabled()

        # loading a file
        suggest(page, transcript)
        page.set_input_files("#file", str(EXAMPLES / "transcripts" / "vague_back.txt"))
        page.locator("#results").wait_for(state="hidden")
        answer_is_gone(page)
        status = page.locator("#status").inner_text()
        assert "vague_back.txt" in status and "removed" in status

        # a new date of service
        suggest(page, transcript)
        page.fill("#dos", "2026-03-02")
        answer_is_gone(page)
        assert "date of service changed" in page.locator("#status").inner_text()

        # the sample visit
        suggest(page, transcript)
        page.click("#sample")
        page.locator("#results").wait_for(state="hidden")
        answer_is_gone(page)
        status = page.locator("#status").inner_text()
        assert "Sample visit loaded" in status and "removed" in status


def test_a_refused_request_removes_the_answer_and_says_why(browser: Any, keyed: str) -> None:
    transcript = read_example("injection.txt")
    with open_page(browser, keyed, http_errors=True) as page:
        # no key: the clinician is asked for one; no answer appears
        page.fill("#transcript", transcript)
        status, said = fail_suggest(page)
        assert status == 401
        assert said.startswith("The coding service needs your clinic's API key")
        answer_is_gone(page)

        page.fill("#apikey", KEY_A)
        answer = suggest(page)
        assert answer["codes"]
        # the same transcript, but the key is now wrong: the answer goes at once, and says so
        page.fill("#apikey", "sk_scribe_not-a-key")
        status, said = fail_suggest(page)
        assert status == 401
        assert said.startswith("The API key entered was not accepted")
        assert "suggestions shown before were removed" in said
        answer_is_gone(page)
        details = details_of(page, "#status")
        assert "HTTP 401" in details and "Request " in details
        assert "HTTP" not in said and "401" not in said

        # over-long: a clinical sentence; the setting that limits it is for the administrator
        page.fill("#apikey", KEY_A)
        page.fill("#transcript", transcript * 3)
        status, said = fail_suggest(page)
        assert status == 413
        assert "longer than the coding service accepts" in said
        assert "SCRIBE_" not in said and "characters" not in said
        assert "SCRIBE_MAX_TRANSCRIPT_CHARS" in details_of(page, "#status")
        answer_is_gone(page)

        # binary text
        page.fill("#transcript", "Doctor: hello\u0001")
        status, said = fail_suggest(page)
        assert status == 422 and "characters that are not text" in said
        assert "control character U+0001" in details_of(page, "#status")

        # empty: said before anything is sent
        page.fill("#transcript", "   ")
        page.click("#suggest")
        assert "The transcript is empty" in page.locator("#status").inner_text()


def test_server_failures_read_as_plain_sentences(
    browser: Any,
    spine_index: SpineIndex,
    spine_pipeline: Pipeline,
    store: Store,
    tmp_path: Path,
) -> None:
    """A 504 (a deadline no request can meet) and a 503 (a server without its index), for
    real; the clinician reads a sentence, the administrator finds the command in details."""
    transcript = read_example("injection.txt")
    too_slow = make_app(spine_index, spine_pipeline, store, request_timeout_s=0.001)
    with LiveServer(too_slow) as server, open_page(browser, server.url, http_errors=True) as page:
        page.fill("#transcript", transcript)
        status, said = fail_suggest(page)
        assert status == 504
        assert said.startswith("The coding service took too long on this transcript")
        assert "SCRIBE_REQUEST_TIMEOUT_S" in details_of(page, "#status")
        answer_is_gone(page)

    no_index = create_app(spine_settings(tmp_path / "var", CORPUS))
    with LiveServer(no_index) as server, open_page(browser, server.url, http_errors=True) as page:
        page.fill("#transcript", transcript)
        status, said = fail_suggest(page)
        assert status == 503
        assert said.startswith("Code suggestions are not available at the moment")
        assert "index" not in said and "scribeplugin" not in said
        details = details_of(page, "#status")
        assert "HTTP 503 (index_not_ready)" in details and "index build" in details
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "ui-503-details-open.png"))


# -- evidence into view -----------------------------------------------------------------------------

# The element is inside its scroll container's visible box, and inside the window.
IN_VIEW = """sel => {
    const m = document.querySelector(sel), pre = document.getElementById('highlighted');
    const a = m.getBoundingClientRect(), b = pre.getBoundingClientRect();
    return a.top >= b.top - 1 && a.bottom <= b.bottom + 1
        && a.top >= 0 && a.bottom <= window.innerHeight;
}"""


@pytest.mark.parametrize("width,height", [(1280, 720), (768, 1024)])
def test_a_click_on_a_code_brings_its_evidence_into_view(
    browser: Any, live: str, width: int, height: int
) -> None:
    # small talk before the visit puts the evidence far below the panel's fold
    chat = "".join(
        f"Doctor: How was the drive in, part {i}?\nPatient: Fine, some traffic on the bridge.\n"
        for i in range(30)
    )
    transcript = chat + read_example("l5s1_herniation_radiculopathy.txt")
    with open_page(browser, live, width=width, height=height) as page:
        answer = suggest(page, transcript)
        evidence = answer["codes"][0]["evidence"]
        code = answer["codes"][0]["code"]
        first = f"#highlighted mark[data-start='{min(e['start'] for e in evidence)}']"
        last = f"#highlighted mark[data-start='{evidence[-1]['start']}']"  # its last quote
        assert not page.evaluate(IN_VIEW, first), "the evidence is in view before any click"

        page.locator(f"[data-testid='code-{code}'] [data-action='show-evidence']").click()
        poll(page, IN_VIEW, first)
        assert "flash" in (page.locator(first).get_attribute("class") or "")
        page.wait_for_timeout(700)  # the smooth scroll ends where it should, not just passes by
        assert page.evaluate(IN_VIEW, first)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"ui-evidence-{width}.png"))

        # one quote of the code: scroll back to the top, then ask for it
        page.evaluate("document.getElementById('highlighted').scrollTop = 0")
        page.locator(f"[data-testid='code-{code}'] .quote-link").last.click()
        poll(page, IN_VIEW, last)


def test_a_click_on_a_prompt_brings_its_own_quote_into_view(browser: Any, live: str) -> None:
    chat = "".join(f"Doctor: Small talk {i}.\nPatient: Yes, fine.\n" for i in range(40))
    with open_page(browser, live, width=1280, height=720) as page:
        answer = suggest(page, chat + read_example("injection.txt"))
        prompt = next(p for p in answer["prompts"] if p["code"] == "M54.42" and p["evidence"])
        mark = f"#highlighted mark[data-start='{prompt['evidence'][0]['start']}']"
        assert not page.evaluate(IN_VIEW, mark)
        page.locator(f"[data-testid='prompt-{prompt['id']}'] .prompt-text").click()
        poll(page, IN_VIEW, mark)


# -- feedback -------------------------------------------------------------------------------------


def test_every_action_is_stored_as_feedback(browser: Any, live: str, store: Store) -> None:
    with open_page(browser, live, http_errors=True) as page:
        first = suggest(page, read_example("injection.txt"))
        code = page.locator("[data-testid='code-M54.42']")
        code.get_by_role("button", name="Add M54.42 to note").click()
        assert code.locator("[data-testid='decided']").inner_text() == "Added to note ✓"
        prompts = page.locator("#prompts li.prompt-item")
        will, dismissed = prompts.nth(0), prompts.nth(1)
        will.get_by_role("button", name=re.compile("^Will document")).click()
        will.locator("[data-testid='decided']").wait_for()
        dismissed.get_by_role("button", name=re.compile("^Not relevant")).click()
        dismissed.locator("[data-testid='decided']").wait_for()
        ids = [prompts.nth(i).get_attribute("data-prompt-ids") for i in (0, 1)]
        assert stored(store, first["request_id"]) == [
            ("code", "M54.42", "accepted", None, None),
            ("prompt", ids[0], "accepted", None, None),
            ("prompt", ids[1], "dismissed", None, NOT_RELEVANT),
        ]

        # another code: a code that does not exist is refused in clinical words, then a real one
        second = suggest(page, read_example("l5s1_herniation_radiculopathy.txt"))
        item = page.locator("[data-testid='code-M51.17']")
        item.get_by_role("button", name="Use another code instead of M51.17").click()
        assert page.evaluate(PLACEHOLDER_FITS, "[data-testid='code-M51.17'] .code-input")
        page.keyboard.type("m51.99")
        page.keyboard.press("Enter")
        problem = item.locator(".inline-error")
        problem.get_by_text("is not a code").wait_for()
        assert "“M51.99” is not a code in the ICD-10-CM code set in use." in problem.inner_text()
        assert "Nearest codes: M51.9" in problem.inner_text()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "ui-override-refused-1280.png"))
        item.get_by_label("Code to use instead of M51.17").fill("M51.16")
        item.get_by_label("Why (optional)").fill("level is L4-L5 on the MRI")
        item.get_by_role("button", name="Use this code").click()
        assert item.locator("[data-testid='decided']").inner_text() == "Replaced by M51.16 ✓"
        warning = page.locator("#warnings li.item").first
        warning.get_by_role(
            "button", name=re.compile("^Agree with the warning about M51.17")
        ).click()
        warning.locator("[data-testid='decided']").wait_for()
        rule = (warning.get_attribute("data-testid") or "").removeprefix("warning-")
        assert stored(store, second["request_id"]) == [  # the refused code left no row
            ("code", "M51.17", "overridden", "M51.16", "level is L4-L5 on the MRI"),
            ("warning", rule, "accepted", None, None),
        ]


def test_the_actions_work_from_the_keyboard(browser: Any, live: str, store: Store) -> None:
    with open_page(browser, live) as page:
        page.fill("#transcript", read_example("injection.txt"))
        with page.expect_response(lambda r: r.url.endswith("/v1/suggest")) as info:
            page.press("#transcript", "Control+Enter")  # suggest without leaving the text
        answer = info.value.json()
        page.wait_for_selector("[data-testid='code-M54.42']")
        page.focus("#suggest")
        seen: list[str] = []
        for _ in range(80):  # Tab through the page, in order, until the code's first action
            page.keyboard.press("Tab")
            seen.append(
                page.evaluate(
                    "() => { const a = document.activeElement;"
                    " return a.id || a.getAttribute('aria-label') || a.textContent.trim(); }"
                )
            )
            if seen[-1] == "Add M54.42 to note":
                break
        assert seen[-1] == "Add M54.42 to note", seen
        assert seen.index("highlighted") < seen.index(
            "Show the evidence for M54.42 in the transcript"
        )
        outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
        assert outline not in ("", "none"), "no visible focus on the action"
        page.keyboard.press("Enter")
        page.locator("[data-testid='code-M54.42'] [data-testid='decided']").wait_for()

        # on to the first prompt's "Not relevant", pressed with Space
        first_prompt = page.locator("#prompts li.prompt-item").first.get_attribute(
            "data-prompt-ids"
        )
        for _ in range(40):
            page.keyboard.press("Tab")
            label = page.evaluate("() => document.activeElement.getAttribute('aria-label') || ''")
            if label.startswith("Not relevant: "):
                break
        assert page.evaluate("() => document.activeElement.closest('li').dataset.testid") == (
            f"prompt-{first_prompt}"
        )
        page.keyboard.press("Space")
        page.locator(f"[data-testid='prompt-{first_prompt}'] [data-testid='decided']").wait_for()
    assert stored(store, answer["request_id"]) == [
        ("code", "M54.42", "accepted", None, None),
        ("prompt", first_prompt, "dismissed", None, NOT_RELEVANT),
    ]


# -- inputs, notices, layout ------------------------------------------------------------------------


def test_a_segments_file_and_a_notice_in_clinical_words(browser: Any, live: str) -> None:
    """A .json file of segments: the page shows and highlights the text the offsets index; the
    date-of-service notice speaks of the visit, its settings are in details."""
    with open_page(browser, live) as page:
        page.set_input_files("#file", str(EXAMPLES / "transcripts" / "segments.json"))
        poll(page, "() => document.getElementById('transcript').value.length > 0")
        answer = suggest(page, dos="2026-11-24")
        quotes = {e["text"] for c in answer["codes"] for e in c["evidence"]}
        marks = page.locator("#highlighted mark.evidence")
        shown = {marks.nth(i).inner_text() for i in range(marks.count())}
        assert quotes and quotes <= shown
        notice = page.locator("[data-testid='notice']")
        said = notice.locator("span").first.inner_text()
        assert "This visit (2026-11-24) falls in FY2027" in said
        assert "SCRIBE_" not in said and "index" not in said
        assert "SCRIBE_CODE_LIST_PATH" in details_of(page, "[data-testid='notice']")


def test_text_is_never_read_as_html(browser: Any, live: str) -> None:
    transcript = (
        read_example("injection.txt") + 'Patient: <img src=x onerror="window.hacked=1"> <b>ok</b>\n'
    )
    with open_page(browser, live) as page:
        suggest(page, transcript)
        assert page.locator("#results img, #results b").count() == 0
        assert "<b>ok</b>" in page.locator("#highlighted").inner_text()
        assert page.evaluate("() => window.hacked") is None
    js = httpx.get(f"{live}/ui/app.js").text
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write"):
        assert sink not in js


PLACEHOLDER_FITS = """sel => {
    const i = document.querySelector(sel), s = getComputedStyle(i);
    const ctx = document.createElement('canvas').getContext('2d');
    ctx.font = s.font;
    const room = i.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
    return ctx.measureText(i.placeholder).width <= room;
}"""


@pytest.mark.parametrize("width", [1280, 768, 390])
def test_the_page_fits_the_width(browser: Any, live: str, width: int) -> None:
    with open_page(browser, live, width=width, height=900) as page:
        assert page.evaluate(PLACEHOLDER_FITS, "#apikey"), "the API key's placeholder is cut off"
        suggest(page, read_example("l5s1_herniation_radiculopathy.txt"))
        page.locator("#why-not summary").first.click()
        page.locator("[data-testid^='code-'] details.guidance summary").first.click()
        overflow = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert overflow[0] <= overflow[1], f"horizontal overflow at {width} px: {overflow}"
        buttons = page.locator("#results button:visible")
        for i in range(buttons.count()):
            box = buttons.nth(i).bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= width, buttons.nth(i).inner_text()


SAMPLES = [
    "l5s1_herniation_radiculopathy.txt",
    "vague_back.txt",
    "injection.txt",
    "possible_herniation.txt",
    "stenosis_claudication.txt",
]


def test_screenshots_for_a_person_to_look_at(browser: Any, live: str) -> None:
    """Full-page screenshots of sample visits at 1280 and 768 px (and one at 390 px), kept in
    tests/artifacts/. They are for looking at; the checks are the tests above."""
    ARTIFACTS.mkdir(exist_ok=True)
    for width in (1280, 768):
        with open_page(browser, live, width=width, height=900) as page:
            for name in SAMPLES:
                suggest(page, read_example(name), dos="2026-11-24")
                stem = name.removesuffix(".txt")
                page.screenshot(path=str(ARTIFACTS / f"ui-{stem}-{width}.png"), full_page=True)
    with open_page(browser, live, width=390, height=844) as page:
        suggest(page, read_example("vague_back.txt"))
        page.screenshot(path=str(ARTIFACTS / "ui-vague_back-390.png"), full_page=True)
    names = sorted(p.name for p in ARTIFACTS.glob("ui-*-*.png"))
    assert len(names) >= 2 * len(SAMPLES) + 1, names


def test_the_page_loads_nothing_from_elsewhere(live: str) -> None:
    html = httpx.get(f"{live}/ui/").text
    assert "http://" not in html and "https://" not in html
    r = httpx.get(f"{live}/ui/app.js")
    assert r.status_code == 200 and "fetch(" in r.text
    assert "http://" not in r.text and "https://" not in r.text
    assert "default-src 'self'" in r.headers["content-security-policy"]


def test_a_knee_visit_reads_as_a_spine_visit_does(browser: Any, live_ortho: str) -> None:
    """The orthopedic families on the note view: a first visit for a left knee MCL sprain comes
    out as S83.412A, its evidence marked (the sprain, the ligament, the side, the knee) and
    cited by the tabular entry and the Alphabetic Index entry; screenshots at 1280 and 768 px
    in tests/artifacts/ for a person to look at."""
    transcript = read_example("ortho/knee_mcl_sprain.txt")
    ARTIFACTS.mkdir(exist_ok=True)
    for width in (1280, 768):
        with open_page(browser, live_ortho, width=width, height=900) as page:
            answer = suggest(page, transcript)
            assert [(c["code"], c["status"]) for c in answer["codes"]] == [
                ("S83.412A", "suggested")
            ]
            code = answer["codes"][0]
            quotes = {e["text"] for e in code["evidence"]}
            assert {"sprain", "medial collateral ligament", "left", "knee"} <= quotes
            refs = {c["ref"] for c in code["citations"]}
            assert {"tabular:S83.412", "index:Sprain > knee > collateral ligament > medial"} <= refs
            item = page.locator("[data-testid='code-S83.412A']")
            assert "Sprain of medial collateral ligament of left knee" in item.inner_text()
            marks = page.locator("#highlighted mark.evidence")
            assert {marks.nth(i).inner_text() for i in range(marks.count())} >= quotes
            page.screenshot(path=str(ARTIFACTS / f"ui-knee_mcl_sprain-{width}.png"), full_page=True)
