"""The coding step, between extraction and retrieval: findings -> the codes they support.

``facts`` (what the step reads and writes), ``regions`` (where a finding is), the resolvers
(``spine``, ``injuries``, ``symptoms``, sharing a ``coder.Coder``), ``analysis`` (the step
itself: ``Analysis.of``), and ``ruleset`` (which corpus rules hold for a visit). Codes and
word lists come from the ``coding`` knowledge (``corpus/knowledge/coding/``).
"""
