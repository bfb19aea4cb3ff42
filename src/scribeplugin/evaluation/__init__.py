"""The eval harness QA runs before each release: cases, metrics, runner, reports.

``cases`` loads and validates ``evals/cases/*.yaml``; ``runner`` sends each case through the same
pipeline the API uses; ``metrics`` scores the results; ``report`` writes ``run.json``,
``report.md`` and ``report.html`` and compares two runs.
"""
