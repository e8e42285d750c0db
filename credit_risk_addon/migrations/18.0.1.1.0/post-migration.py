"""18.0.1.1.0: a request's ``name`` is its order's reference (the title is
translated when shown); open credit notes get their aging column."""

from odoo import SUPERUSER_ID, api, fields

from odoo.addons.credit_risk_addon.models.aging_sql import refresh_invoice_aging_query


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    requests = env["credit.approval.request"].with_context(active_test=False).search([])
    env.add_to_compute(requests._fields["name"], requests)
    requests.flush_recordset(["name"])
    cr.execute(refresh_invoice_aging_query(fields.Date.today()))
