"""The ICD-10-CM Alphabetic Index to Diseases and Injuries: the coder's route from a term to a code.

A coder looks the clinician's term up as a main term ("Strain"), walks its subterms by the
essential modifiers the note gives ("low back"), follows "see" redirects, and reads a code
("S39.012"), which the tabular list then confirms and completes (7th character, laterality). A
code ending in ``-`` is the index's own mark that more characters are needed.

Two sources, one tree:

- the CDC's index XML (``icd10cm_index_<year>.xml``: ``<ICD10CM.index>`` > ``<letter>`` >
  ``<mainTerm>`` > nested ``<term level="N">``, each with ``<title>`` (holding ``<nemod>``
  nonessential modifiers), ``<code>``, ``<see>``, ``<seeAlso>``), read by path
  (``SCRIBE_INDEX_XML_PATH``) so that a new release can be loaded the day it is published;
- the FY2025 index flattened to CSV (``corpus/alphabetic/icd10cm_index_fy2025.csv.gz``, vendored:
  see its README for provenance and known losses), the default.

This package sits beside ``codeset.py`` (the tabular list) and, like it, loads once per process
and answers from plain tuples and dicts. ``terms`` holds the entries and the text rules,
``readers`` the two formats, ``index`` the loaded index, ``lookup`` the coder's walk, ``check``
the comparison with the tabular list.
"""

from scribeplugin.alphabetic.check import CodeCheck, check_alphabetic_cli, check_codes
from scribeplugin.alphabetic.index import AlphabeticIndex, get_alphabetic, vendored_path
from scribeplugin.alphabetic.lookup import CONNECTORS, Lookup, Resolution, Step, Via
from scribeplugin.alphabetic.readers import CSV_COLUMNS, VENDORED_NAME
from scribeplugin.alphabetic.terms import (
    IndexRelease,
    IndexTerm,
    alternatives,
    normalize_term,
    parse_modifiers,
)

__all__ = [
    "CONNECTORS",
    "CSV_COLUMNS",
    "VENDORED_NAME",
    "AlphabeticIndex",
    "CodeCheck",
    "IndexRelease",
    "IndexTerm",
    "Lookup",
    "Resolution",
    "Step",
    "Via",
    "alternatives",
    "check_alphabetic_cli",
    "check_codes",
    "get_alphabetic",
    "normalize_term",
    "parse_modifiers",
    "vendored_path",
]
