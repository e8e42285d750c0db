"""File exports in plain Python (pandas and XlsxWriter, no Odoo).

The ORM layer gathers the rows and calls these builders; the repository-level
``tests/`` run them with plain pytest. Nothing in this package imports Odoo.
"""
