"""18.0.1.1.0: blocking reasons become data (``blocking_data``).

A request made before stored its reasons as one sentence in the requester's
language: it is kept as it is, as a "text" reason, shown untranslated.
"""

from odoo.tools.sql import column_exists


def migrate(cr, version):
    if not version or not column_exists(cr, "credit_approval_request", "blocking_reasons"):
        return
    cr.execute("ALTER TABLE credit_approval_request ADD COLUMN IF NOT EXISTS blocking_data jsonb")
    cr.execute(
        """
        UPDATE credit_approval_request
           SET blocking_data = jsonb_build_array(jsonb_build_object('code', 'text', 'text', blocking_reasons))
         WHERE blocking_data IS NULL AND COALESCE(blocking_reasons, '') <> ''
        """
    )
