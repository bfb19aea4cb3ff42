"""Look-up as a coder walks the index: subterms, modifiers, connectors, see, by site, see also."""

from __future__ import annotations

from scribeplugin.alphabetic import AlphabeticIndex

# -- look-up --------------------------------------------------------------------------------------


def test_lookup_strain_low_back(sample: AlphabeticIndex) -> None:
    found = sample.lookup("Strain", "low back")
    assert found is not None and found.entry is not None
    assert found.code == "S39.012"
    assert found.entry.path_text == "Strain > low back" and found.trail == "Strain > low back"
    assert [s.via for s in found.route] == ["main term", "subterm"]
    assert found.unmatched == () and not found.redirected
    # case and NEC/NOS do not matter
    again = sample.lookup("STRAIN", "Low Back")
    assert again is not None and again.entry == found.entry
    mental = sample.lookup("strain", "mental")
    assert mental is not None and mental.code == "Z73.3"


def test_lookup_stops_where_the_index_does(sample: AlphabeticIndex) -> None:
    found = sample.lookup("Lumbago", "with sciatica", "acute")
    assert found is not None and found.code == "M54.4-"
    assert found.unmatched == ("acute",)
    bare = sample.lookup("Sprain")
    assert bare is not None and bare.entry is None and bare.reached.path_text == "Sprain"
    assert sample.lookup("Sprang") is None


def test_lookup_matches_nonessential_modifiers_and_words_in_any_order(
    sample: AlphabeticIndex,
) -> None:
    # "intervertebral" is a nonessential modifier of "disc"; "with" is read through
    found = sample.lookup("Disorder", "intervertebral", "radiculopathy", "lumbar")
    assert found is not None and found.code == "M51.16"
    assert found.entry is not None
    assert found.entry.path_text == "Disorder > disc > with > radiculopathy > lumbar region"
    assert [s.via for s in found.route] == [
        "main term",
        "modifier",
        "connector",
        "subterm",
        "subterm",
    ]
    # the note's words come in any order; the index's order is what the walk follows
    knee = sample.lookup("Sprain", "collateral ligament", "knee", "tibial")
    assert knee is not None and knee.code == "S83.41-"
    assert knee.entry is not None
    assert knee.entry.path_text == "Sprain > knee > collateral ligament > medial"


def test_lookup_follows_see(sample: AlphabeticIndex) -> None:
    found = sample.lookup("Sprain", "fibular collateral, knee")
    assert found is not None and found.redirected
    assert found.code == "S83.40-"
    assert found.trail == (
        "Sprain > fibular collateral, knee -> see Sprain > knee > collateral ligament"
    )
    lateral = sample.lookup("Sprain", "fibular collateral, knee", "lateral")
    assert lateral is not None and lateral.code == "S83.42-"
    ankle = sample.lookup("Sprain", "ankle", "talofibular ligament")
    assert ankle is not None and ankle.code == "S93.49-"
    assert ankle.entry is not None
    assert ankle.entry.path_text == "Sprain > ankle > specified ligament NEC"


def test_a_see_with_by_site_takes_the_site_from_the_query(sample: AlphabeticIndex) -> None:
    found = sample.lookup("Strain", "muscle", "lower back")
    assert found is not None and found.code == "S39.012"
    assert found.trail == "Strain > muscle -> see Injury > muscle > lower back > strain"
    assert found.unmatched == ()
    no_site = sample.lookup("Strain", "muscle")
    assert no_site is not None and no_site.entry is None
    assert no_site.reached.path_text == "Injury > muscle"


def test_a_see_sends_the_coder_elsewhere_instead(sample: AlphabeticIndex) -> None:
    """After a "see", the codes on the way there no longer apply: Sciatica's M54.3- is not
    the code of sciatica due to a displaced disc; without the region there is none yet."""
    found = sample.lookup("Sciatica", "due to displacement of intervertebral disc")
    assert found is not None and found.entry is None
    assert found.reached.path_text == "Disorder > disc > with > radiculopathy"
    assert [c.name for c in found.reached.children] == [
        "cervical region",
        "lumbar region",
        "lumbosacral region",
    ]
    lumbar = sample.lookup("Sciatica", "due to displacement of intervertebral disc", "lumbar")
    assert lumbar is not None and lumbar.code == "M51.16"
    assert [e.path_text for e in lumbar.entries][-1] == (
        "Disorder > disc > with > radiculopathy > lumbar region"
    )


def test_see_also_only_when_asked(vendored: AlphabeticIndex) -> None:
    plain = vendored.lookup("Strain", "postural")
    assert plain is not None and plain.entry is None and not plain.redirected
    also = vendored.lookup("Strain", "postural", see_also=True)
    assert also is not None and also.code == "M70.90"
    assert also.trail == (
        "Strain > postural -> see also Disorder > soft tissue > due to use, overuse and pressure"
    )


def test_resolve_a_reference(vendored: AlphabeticIndex) -> None:
    found = vendored.resolve("Sprain, knee, collateral")
    assert found is not None and found.complete
    assert found.entry.path_text == "Sprain > knee > collateral ligament"
    waiting = vendored.resolve("Injury, muscle, by site, strain")
    assert waiting is not None and not waiting.complete and waiting.waiting == "by site"
    filled = vendored.resolve("Injury, muscle, by site, strain", ["lower back"])
    assert filled is not None and filled.complete and filled.words == ("lower back",)
    assert filled.entry.path_text == "Injury > muscle > lower back > strain"
    assert vendored.resolve("Table of Drugs and Chemicals") is None
