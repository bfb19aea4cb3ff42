"""The real-visit suite: labelled real encounters, scored as a coder would (``evals/real/``)."""
