"""18.0.1.2.0 (collections): the invoices' disputed flag is created empty.

No invoice is disputed before this version; letting the ORM compute the new
stored field for every journal entry of a big database takes minutes.
"""

from odoo.tools.sql import column_exists, create_column


def migrate(cr, version):
    if version and not column_exists(cr, "account_move", "credit_disputed"):
        create_column(cr, "account_move", "credit_disputed", "bool")
