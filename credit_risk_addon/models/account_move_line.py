from odoo import models
from odoo.exceptions import UserError


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    def write(self, vals):
        # Which order lines an invoice line bills is set when invoicing; a
        # client relinking it would lower what the orders still count.
        if "sale_line_ids" in vals and not self.env.su:
            raise UserError(self.env._("The order lines an invoice line bills are set by invoicing."))
        return super().write(vals)
