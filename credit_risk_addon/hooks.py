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
