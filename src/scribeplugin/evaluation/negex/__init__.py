"""An independent check of the assertion layer on Chapman's NegEx/ConText test set.

``scribeplugin eval --suite negex``: every annotated sentence of
``<external_dir>/negex_context_annotations.tsv`` is read twice, with its concept as the target:
by the project's ConText set-up, exactly as extraction runs it (``systems.ProjectContext``), and
by medspaCy's default ConText (``systems.DefaultContext``), the baseline. Both readings are
mapped to the set's four labels (negated, historical, hypothetical, other experiencer) and
scored against its annotations (``score``); ``gate`` holds the project's figures to the levels
measured (``evals/negex/thresholds.yaml``); ``report`` writes and prints the figures, the two
systems side by side.

The steps, in order: ``data`` (load the set, find each concept in its sentence), ``systems``,
``score``, ``gate``, ``report``.
"""
