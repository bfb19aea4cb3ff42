"""``scribeplugin serve --workers 2``: two uvicorn workers share one index and one store; the
README's curl example answers; metrics add up across workers."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from bench.serve_load import Server

from tests.api.conftest import EXAMPLES
from tests.conftest import SpineIndex, stop, wait_for

pytestmark = pytest.mark.slow


def test_two_workers_share_the_index_the_store_and_the_metrics(spine_index: SpineIndex) -> None:
    settings = spine_index.settings
    log = settings.data_dir / "serve-workers.log"
    server = Server(settings, workers=2, log=log)  # the same launcher the load bench uses
    proc, base = server.proc, server.url
    try:
        # one worker is enough; two loading at once on a busy 2-core machine take a minute or more
        wait_for(f"{base}/healthz", timeout=180, proc=proc, log=log)
        body = (EXAMPLES / "requests" / "l5s1.json").read_bytes()
        deadline = time.monotonic() + 240
        answers: list[httpx.Response] = []
        with httpx.Client(base_url=base, timeout=60) as client:
            while len(answers) < 8 and time.monotonic() < deadline:  # until both workers load
                r = client.post(
                    "/v1/suggest", content=body, headers={"content-type": "application/json"}
                )
                if r.status_code == 503:
                    time.sleep(0.5)
                    continue
                assert r.status_code == 200, r.text
                answers.append(r)
            assert len(answers) == 8
            assert {tuple(c["code"] for c in a.json()["codes"]) for a in answers} == {("M53.87",)}
            for a in answers:  # feedback may reach the other worker: the store is shared
                fb = client.post(
                    "/v1/feedback",
                    json={
                        "request_id": a.json()["request_id"],
                        "target": "code",
                        "target_id": "M53.87",
                        "outcome": "accepted",
                    },
                )
                assert fb.status_code == 201, fb.text

        # 40 requests on fresh connections, 8 at a time, so both workers take some
        def fetch(_: int) -> int:
            return httpx.get(f"{base}/v1/codes/M53.87", timeout=30).status_code

        with ThreadPoolExecutor(8) as pool:
            assert set(pool.map(fetch, range(40))) == {200}
        metrics = httpx.get(f"{base}/metrics", timeout=30).text
        sample = 'scribe_http_requests_total{method="GET",route="/v1/codes/{code}",status="200"}'
        [line] = [line for line in metrics.splitlines() if line.startswith(sample)]
        assert float(line.rsplit(" ", 1)[1]) == 40  # every worker's count, summed
        # each worker loads the shared index in the background; on a busy 2-core machine the
        # second may still be loading after the other has served everything above
        text = log_once(log, "pipeline loaded", times=2, deadline=time.monotonic() + 240)
        assert text.count("pipeline loaded") == 2  # each worker loaded the shared index
        assert text.count("heap frozen") == 2  # and took its heap out of the collector's reach
        assert "lumbosacral junction" not in text  # no transcript text in the server log
    finally:
        stop(proc)
    assert proc.returncode is not None


def log_once(log: Path, marker: str, *, times: int, deadline: float) -> str:
    """The server log once ``marker`` appears ``times`` times, or as it stands at ``deadline``."""
    text = log.read_text(errors="replace")
    while text.count(marker) < times and time.monotonic() < deadline:
        time.sleep(0.5)
        text = log.read_text(errors="replace")
    return text
