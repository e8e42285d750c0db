from odoo import api, models


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    # A confirmed order that grows through its lines (a new line, a higher
    # quantity, price or tax) is judged again on the increase: see
    # sale.order._credit_check_growth. Lowering is always allowed.

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self.env["sale.order"]._credit_check_computed_fields(vals, self._name)
        order_ids = {vals["order_id"] for vals in vals_list if vals.get("order_id")}
        before = self.env["sale.order"].browse(order_ids)._credit_snapshot()
        lines = super().create(vals_list)
        if before:
            lines.order_id._credit_check_growth(before)
        return lines

    def write(self, vals):
        self.env["sale.order"]._credit_check_computed_fields(vals, self._name)
        # A line moved into another order makes that one grow as well.
        orders = self.order_id | self.env["sale.order"].browse(vals.get("order_id") or [])
        before = orders._credit_snapshot() if vals else {}
        result = super().write(vals)
        if before:
            orders._credit_check_growth(before)
        return result

    def unlink(self):
        # Removing a negative line (a discount, a down payment) raises the total.
        orders = self.order_id
        before = orders._credit_snapshot()
        result = super().unlink()
        if before:
            orders.exists()._credit_check_growth(before)
        return result
