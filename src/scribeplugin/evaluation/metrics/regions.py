"""The spinal region of a code, from its official description (M53.87 -> lumbosacral): the
region mix-ups the metrics count.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

REGIONS = (
    "occipito-atlanto-axial",
    "cervicothoracic",
    "cervical",
    "thoracolumbar",
    "thoracic",
    "lumbosacral",
    "lumbar",
    "sacral",
)
_REGION_WORD = re.compile(r"\b(" + "|".join(REGIONS) + r")\b", re.IGNORECASE)
RegionOf = Callable[[str], str | None]


def region_in(description: str) -> str | None:
    m = _REGION_WORD.search(description)
    return m.group(1).lower() if m else None


@lru_cache(maxsize=1)
def default_region_of() -> RegionOf:
    """The spinal region named in a code's official description (M53.87 -> lumbosacral)."""
    from scribeplugin.codeset import get_codeset

    cs = get_codeset()

    @lru_cache(maxsize=4096)
    def region_of(code: str) -> str | None:
        entry = cs.get(code)
        return region_in(entry.description) if entry else None

    return region_of
