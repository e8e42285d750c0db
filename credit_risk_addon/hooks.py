from odoo import fields
from odoo.tools.sql import column_exists, create_column

from .models.aging_sql import refresh_invoice_aging_query


def pre_init_hook(env):
    """Create the invoice aging columns in SQL before the ORM would compute them.

    On a database with many invoices, letting the ORM compute two stored
    fields for every move would take long; one UPDATE fills them instead.
    """
    cr = env.cr
    if not column_exists(cr, "account_move", "credit_days_overdue"):
        create_column(cr, "account_move", "credit_days_overdue", "int4")
        create_column(cr, "account_move", "credit_aging_bucket", "varchar")
        cr.execute(refresh_invoice_aging_query(fields.Date.today()))
    # No invoice is disputed before the module is installed: the column is created empty
    # rather than computed by the ORM for every journal entry.
    if not column_exists(cr, "account_move", "credit_disputed"):
        create_column(cr, "account_move", "credit_disputed", "bool")


def post_init_hook(env):
    """Fill the store of credit figures, so that the first reads need not compute them all."""
    env["credit.figures.store"]._refresh()


def uninstall_hook(env):
    """Remove the triggers and tables of the figures store: they would outlive the module."""
    env["credit.figures.store"]._drop_schema()
