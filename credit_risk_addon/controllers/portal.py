from odoo import http
from odoo.http import content_disposition, request

from odoo.addons.portal.controllers.portal import CustomerPortal

STATEMENT_REPORT = "credit_risk_addon.action_report_credit_statement"
STATEMENT_COUNTER = "credit_statement_count"


class CreditStatementPortal(CustomerPortal):
    """A portal customer downloads the statement of their own account.

    The customer is always the logged-in user's commercial partner: the route
    takes no customer from the request. The statement is read as superuser
    (portal users read no aged receivables) for that customer alone, in each
    company it has open items in, or else in the user's company.
    """

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if STATEMENT_COUNTER in counters:
            partner = request.env.user.partner_id.commercial_partner_id
            statement = request.env["report.credit_risk_addon.report_credit_statement"].sudo()
            values[STATEMENT_COUNTER] = sum(statement._open_items_by_company(partner).values())
        return values

    @http.route("/my/credit_statement", type="http", auth="user", methods=["GET"], website=True)
    def portal_my_credit_statement(self, **kwargs):
        # Any parameter (a customer id, a company) is ignored: the statement is the user's own.
        # Customers only: an internal user's own partner may be placed under any customer.
        if not request.env.user._is_portal():
            raise request.not_found()
        partner = request.env.user.partner_id.commercial_partner_id
        statement = request.env["report.credit_risk_addon.report_credit_statement"].sudo()
        companies = list(statement._open_items_by_company(partner)) or request.env.user.company_id
        content, report_type = (
            request.env["ir.actions.report"]
            .sudo()
            ._render_qweb_pdf(
                STATEMENT_REPORT,
                partner.ids,
                data={"company_ids": [company.id for company in companies]},
            )
        )
        if report_type == "pdf":
            filename = request.env._("Statement - %(customer)s.pdf", customer=partner.name)
            headers = [
                ("Content-Type", "application/pdf"),
                ("Content-Length", len(content)),
                ("Content-Disposition", content_disposition(filename)),
            ]
        else:
            # Without a PDF engine (as in tests), the report engine gives the HTML.
            headers = [("Content-Type", "text/html; charset=utf-8")]
        return request.make_response(content, headers=headers)
