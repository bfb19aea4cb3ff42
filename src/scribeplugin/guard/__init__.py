"""The guard: every check every draft must pass, whoever wrote it.

Runs in the pipeline on the output of every drafter, so no drafter can skip it. Each removal or
downgrade is recorded with its reason. Checks, in order:

1. the code exists in the code set (else removed) and is billable (else downgraded to
   ``needs_documentation``);
2. each evidence quote is found verbatim in the transcript; offsets are computed here and never
   trusted from the drafter; a quote that is not there is dropped;
3. each evidence quote must overlap a finding the extractor asserted present, of a concept that can
   support the code; quotes that rest only on negated, uncertain, family or history findings,
   or on no finding at all (an instruction injected into the transcript, say), fall, and so
   does the code: its basis is not what its drafter said; a code with no quote of a condition or
   symptom (a side, a level or a region word alone supports nothing) is removed too;
4. citations must be chunks retrieved for this request; a code left with none is removed;
5. two codes in an Excludes1 relation: the code whose note excludes the other is removed;
6. a pitfall rule that fires and forbids the code removes it (and its warning is added);
7. prompts and warnings quote their evidence too: each quote must be verbatim and rest on a
   finding present (or, for a query, stated as possible); a quote the transcript contradicts
   (a side it negates, a finding it denies last) is dropped, and a prompt or warning left with
   no quote is removed, as is a prompt about a code that is no longer in the answer.
"""

from scribeplugin.guard.core import Guard, GuardResult
from scribeplugin.guard.evidence import carries, supports
from scribeplugin.guard.invariants import assert_invariants

__all__ = ["Guard", "GuardResult", "assert_invariants", "carries", "supports"]
