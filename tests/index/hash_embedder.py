"""A small honest embedder for store and chunking unit tests: bag of hashed words, L2-normalised.

Texts that share words get similar vectors, so nearest-neighbour tests mean something; it is
never used where a test claims to test retrieval quality (those use MiniLM).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray


class HashEmbedder:
    name = "hash-test"
    fingerprint = "hash-test-v1"
    dimension = 256
    backend = "hash-test"

    def embed(self, texts: Sequence[str], batch_size: int = 64) -> NDArray[np.float32]:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"[a-z0-9]+", text.lower()):
                h = int.from_bytes(hashlib.sha256(word.encode()).digest()[:4], "big")
                out[row, h % self.dimension] += 1.0
            norm = np.linalg.norm(out[row])
            out[row] = out[row] / norm if norm else out[row]
            if not norm:
                out[row, 0] = 1.0
        return out
