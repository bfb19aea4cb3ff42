"""The index: chunk the tabular list and the cards, embed them, store vectors and BM25 side by side.

``chunk`` -> ``embed`` -> ``store`` (Chroma) + ``lexical`` (bm25s), wired by ``build``.
"""
