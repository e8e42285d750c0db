"""Credit-risk business rules in plain Python.

Nothing in this package imports Odoo: the ORM layer gathers the figures and
calls these functions, and the repository-level ``tests/`` run them with
plain pytest.
"""

from . import aging, dunning, gate, inputs, kpis  # noqa: F401
