from odoo import api, models
from odoo.exceptions import AccessError


class ReportCreditDunningLetter(models.AbstractModel):
    """The reminder letter of a dunning step, attached to its email.

    Rendered by the dunning run (as superuser) from what the step reminds of
    (``data["dunning"]``, formatted in the customer's language); the report
    routes, which take their data from the request, are refused.
    """

    _name = "report.credit_risk_addon.report_dunning_letter"
    _description = "Dunning Letter"

    @api.model
    def _get_report_values(self, docids, data=None):
        if not self.env.su or not (data or {}).get("dunning"):
            raise AccessError(self.env._("Reminder letters are written by the dunning run only."))
        return {
            "doc_ids": docids,
            "doc_model": "res.partner",
            "docs": self.env["res.partner"].browse(docids),
            "dunning": data["dunning"],
        }
