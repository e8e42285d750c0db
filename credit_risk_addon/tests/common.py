from datetime import date

from odoo import Command
from odoo.tests import new_test_user

from odoo.addons.sale.tests.common import TestSaleCommon

TODAY = date(2026, 3, 15)


class CreditRiskCommon(TestSaleCommon):
    """Company with the credit gate on (block mode), a customer with a
    10,000 limit, a tax-free 1,000 product and users with the fewest groups
    each scenario needs."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        # The accounting user the base class runs as also manages credit.
        cls.env.user.groups_id = [Command.link(cls.env.ref("credit_risk_addon.group_credit_manager").id)]
        cls.company.write(
            {
                "account_use_credit_limit": True,
                "credit_gate_mode": "block",
                "credit_overdue_days": 60,
                "credit_include_draft_invoices": True,
                "credit_include_orders": True,
                "credit_exempt_online_payment": True,
            }
        )
        cls.currency = cls.company.currency_id
        cls.product = cls._create_product(
            name="Pallet", lst_price=1000.0, taxes_id=[Command.clear()], invoice_policy="order"
        )
        cls.customer = cls.env["res.partner"].create({"name": "Credit Customer", "is_company": True})
        cls.customer.credit_limit = 10000.0
        cls.contact = cls.env["res.partner"].create(
            {"name": "Buyer at Credit Customer", "parent_id": cls.customer.id}
        )
        cls.salesman = new_test_user(
            cls.env, login="credit_salesman", groups="sales_team.group_sale_salesman", email="s@example.com"
        )
        cls.other_salesman = new_test_user(
            cls.env,
            login="credit_salesman_2",
            groups="sales_team.group_sale_salesman",
            email="s2@example.com",
        )
        cls.credit_manager = new_test_user(
            cls.env,
            login="test_credit_manager",
            groups="sales_team.group_sale_salesman,credit_risk_addon.group_credit_manager",
            email="m@example.com",
        )
        cls.credit_user = new_test_user(
            cls.env,
            login="credit_reader",
            groups="credit_risk_addon.group_credit_user",
            email="r@example.com",
        )

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------
    @classmethod
    def make_invoice(
        cls, partner, amount, due=None, invoice_date=None, post=True, move_type="out_invoice", **kw
    ):
        invoice_date = invoice_date or due or TODAY
        move = (
            cls.env["account.move"]
            .with_company(kw.pop("company", cls.env.company))
            .create(
                {
                    "move_type": move_type,
                    "partner_id": partner.id,
                    "invoice_date": invoice_date,
                    "invoice_date_due": due or invoice_date,
                    "invoice_line_ids": [
                        Command.create({"name": "Goods", "quantity": 1, "price_unit": amount, "tax_ids": []})
                    ],
                    **kw,
                }
            )
        )
        if post:
            move.action_post()
        return move

    @classmethod
    def make_order(cls, partner, amount, user=None, confirm=False, **kw):
        env = cls.env(user=user) if user else cls.env
        order = (
            env["sale.order"]
            .with_company(kw.pop("company", cls.env.company))
            .create(
                {
                    "partner_id": partner.id,
                    "user_id": (user or cls.env.user).id,
                    "order_line": [
                        Command.create(
                            {
                                "product_id": kw.pop("product", cls.product).id,
                                "product_uom_qty": 1,
                                "price_unit": amount,
                                "tax_id": [Command.clear()],
                            }
                        )
                    ],
                    **kw,
                }
            )
        )
        if confirm:
            order.sudo().action_confirm()
        return order

    def pay(self, invoices):
        """Register the payment of ``invoices`` in full today; returns the payments."""
        return (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoices.ids)
            .create({"payment_date": TODAY})
            ._create_payments()
        )

    def figures(self, partner, company=None):
        partner = partner.with_company(company or self.company)
        partner.invalidate_recordset()
        return partner
