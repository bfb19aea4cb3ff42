"""The extractor as a component: cheap import, one lazy load, safe under threads, ASR input."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from scribeplugin.extract import findings as findings_module
from scribeplugin.extract.findings import Finding, FindingExtractor
from tests.extract.test_findings import _check


def test_import_is_cheap() -> None:
    code = (
        "import sys, scribeplugin.extract; "
        "assert not {'spacy', 'medspacy', 'torch'} & set(sys.modules), sorted(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_pipeline_loads_once_under_concurrency(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[int] = []

    class SlowPipeline:
        def __init__(self, *knowledge: object) -> None:
            time.sleep(0.05)
            built.append(threading.get_ident())

    monkeypatch.setattr(findings_module, "NlpPipeline", SlowPipeline)
    fx = FindingExtractor()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: fx.warm_up(), range(16)))
    assert len(built) == 1


def test_concurrent_extraction_matches_serial(extractor: FindingExtractor) -> None:
    texts = [
        "Doctor: Any numbness?\nPatient: No.\nDoctor: Leg pain?\nPatient: Yes, on the left.",
        "[doctor] any weakness ? [patient] yeah my right leg gives out .",
        "Lumbar stenosis with neurogenic claudication. Failed PT. MRI L4-5.",
    ] * 4
    serial = [extractor.extract(t) for t in texts]
    with ThreadPoolExecutor(4) as pool:
        parallel = list(pool.map(extractor.extract, texts))
    assert parallel == serial


ASR_CASES: list[tuple[str, list[tuple[str, str, dict[str, Any]]]]] = [
    (
        "[doctor] so um any pain going down the legs [patient] um no not really it 's mostly "
        "my lower back",
        [("leg_pain", "negated", {}), ("region_lumbar", "present", {})],
    ),
    (
        "[doctor] and the numbness , is that in both feet ? [patient] yeah both feet , mostly "
        "at night",
        [("paresthesia", "present", {"laterality": "bilateral"})],
    ),
    (
        "[patient] i do n't have any weakness . but the pain shoots down my left leg and i ca "
        "n't sit for long",
        [
            ("weakness", "negated", {}),
            ("leg_pain", "present", {"laterality": "left"}),
            ("functional_limitation", "present", {}),
        ],
    ),
    (
        "[doctor] your mri shows a disc bulge at l4-5 and some stenosis . no nerve "
        "compression . [patient] okay",
        [
            ("disc_herniation", "present", {"level": "L4-L5", "from_assessment": True}),
            ("spinal_stenosis", "present", {}),
            ("radiculopathy", "negated", {}),
        ],
    ),
    (
        "[doctor] any history of back surgery ? [patient] yes , i had a discectomy ten years ago",
        [("spine_surgery", "historical", {"speaker": "patient"})],
    ),
]


@pytest.mark.parametrize(("text", "expected"), ASR_CASES, ids=[t[:40] for t, _ in ASR_CASES])
def test_asr(extract: Callable[[Any], list[Finding]], text: str, expected: Any) -> None:
    _check(extract(text), expected)


def test_anchored_dispatch_finds_what_one_matcher_finds(extractor: FindingExtractor) -> None:
    """The per-concept dispatch is an optimisation only: same spans as one TargetMatcher."""
    from medspacy.target_matcher import TargetMatcher
    from spacy.util import filter_spans

    from scribeplugin.extract import rules
    from scribeplugin.extract.transcript import parse_transcript
    from scribeplugin.extract.units import split_units
    from tests.extract.test_dialogue import ASR, DIALOGUES
    from tests.extract.test_findings import SENTENCES
    from tests.extract.test_qa_fixes import QA_ROWS

    pipeline = extractor._pipeline
    assert pipeline is not None
    nlp = pipeline.nlp
    single = TargetMatcher(nlp, name="all_rules", result_type=None)
    single.add([r for rs in rules.build_target_rules().values() for r in rs])
    texts = [s for s, _ in SENTENCES] + [d[1] for d in DIALOGUES] + [ASR] + [r[1] for r in QA_ROWS]
    compared = 0
    for text in texts:
        t = parse_transcript(text)
        for u in split_units(t):
            doc = nlp.make_doc(t.text[u.start : u.end])
            pipeline.tag_laterality(doc)
            expected = {(s.start, s.end, s.label_) for s in filter_spans(single(doc))}
            got = {(s.start, s.end, s.label_) for s in pipeline.targets_matcher(doc).ents}
            assert got == expected, t.text
            compared += 1
    assert compared > 200
