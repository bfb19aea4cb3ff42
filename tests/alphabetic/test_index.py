"""The tree: entries, paths, modifiers, the forms a title lists, main terms by title or word."""

from __future__ import annotations

from scribeplugin.alphabetic import AlphabeticIndex, IndexTerm, alternatives, parse_modifiers


def test_parse_modifiers() -> None:
    assert parse_modifiers("(joint) (ligament)") == ("joint", "ligament")
    assert parse_modifiers("(-astasia) (hysterical)") == ("-astasia", "hysterical")
    assert parse_modifiers("") == ()
    assert parse_modifiers("acute") == ("acute",)


def test_alternatives_are_forms_of_one_word_not_qualifiers() -> None:
    assert alternatives("Abnormal, abnormality, abnormalities") == [
        "abnormal",
        "abnormality",
        "abnormalities",
    ]
    assert alternatives("uterus, uterine") == ["uterus", "uterine"]
    assert alternatives("fibular collateral, knee") == ["fibular collateral"]
    assert alternatives("lipomatous, benign") == ["lipomatous"]


# -- the tree -------------------------------------------------------------------------------------


def test_entries_and_paths(sample: AlphabeticIndex) -> None:
    entry = sample.get("Strain > low back")
    assert entry is not None
    assert entry.path == ("Strain", "low back") and entry.level == 1
    assert entry.path_text == "Strain > low back"
    assert entry.ref == "index:Strain > low back"
    assert (entry.code, entry.code_stem, entry.needs_more_characters) == (
        "S39.012",
        "S39.012",
        False,
    )
    knee = sample.get(["Sprain", "knee"])
    assert knee is not None and knee.code == "S83.9-" and knee.code_stem == "S83.9"
    assert knee.needs_more_characters
    sprain = sample.main_term("sprain")
    assert sprain is not None and sprain.modifiers == ("joint", "ligament")
    assert sprain.book_line() == "Sprain (joint) (ligament)"
    assert sample.get("Sciatica > due to displacement of intervertebral disc") is not None
    assert sample.get("Strain > elbow") is None and sample.get("Nothing") is None
    muscle = sample.get("Strain > muscle")
    assert muscle is not None
    assert muscle.book_line() == "muscle (tendon) - see Injury, muscle, by site, strain"
    assert [e.path_text for e in sample.main_terms[0].walk()] == ["Abandonment"]
    walked = [e.name for e in sprain.walk()][:4]
    assert walked == ["Sprain", "ankle", "calcaneofibular ligament", "specified ligament NEC"]
    assert isinstance(sample.main_terms[0], IndexTerm)


def test_main_terms_are_found_by_their_forms(vendored: AlphabeticIndex) -> None:
    lumbago = vendored.main_term("lumbalgia")
    assert lumbago is not None and lumbago.title == "Lumbago, lumbalgia"
    abnormal = vendored.main_term("Abnormal")
    assert abnormal is not None and abnormal.title == "Abnormal, abnormality, abnormalities"
    assert vendored.main_term("no such condition") is None


def test_find_main_terms_by_word(vendored: AlphabeticIndex) -> None:
    assert [t.title for t in vendored.find("strain")] == ["Strain", "Straining, on urination"]
    assert vendored.find("low back strain")[0].title == "Strain"
    assert vendored.find(["lumbar", "radiculopathy"])[0].title == "Radiculopathy"
    assert "Herniation" in [t.title for t in vendored.find("herniated")]
    assert vendored.find("") == [] and vendored.find("zzzz") == []
