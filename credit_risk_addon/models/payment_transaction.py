from odoo import models


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    def _check_amount_and_confirm_order(self):
        # When the company does not exempt orders paid online, an order that
        # breaks a credit rule stays a quotation instead of failing the
        # payment's post-processing; the credit managers are told.
        held_txs = self.env["payment.transaction"]
        for tx in self:
            orders = tx.sale_order_ids.filtered(lambda so: so.state in ("draft", "sent"))
            if len(tx.sale_order_ids) != 1 or not orders or not orders._is_confirmation_amount_reached():
                continue
            if orders._credit_gate_error(lock=True):
                orders._credit_hold_for_review(
                    self.env._(
                        "Paid online (%(reference)s) but not confirmed: it breaks a credit rule. "
                        "A credit manager must approve it.",
                        reference=tx.reference,
                    )
                )
                held_txs |= tx
        return super(PaymentTransaction, self - held_txs)._check_amount_and_confirm_order()
