from datetime import timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged

from ..rules.aging import BUCKET_KEYS
from .common import TODAY, CreditRiskCommon
from .oracles import overdue_after_credits


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestExposure(CreditRiskCommon):
    def test_exposure_parts(self):
        self.make_invoice(self.customer, 1000.0, due=TODAY + timedelta(days=10))
        self.make_invoice(self.contact, 500.0, due=TODAY - timedelta(days=5))  # a contact's invoice counts
        self.make_invoice(self.customer, 200.0, post=False)  # draft
        self.make_invoice(self.customer, 300.0, move_type="out_refund")  # credit note nets
        self.make_order(self.customer, 700.0, confirm=True)
        self.make_order(self.customer, 9999.0)  # a quotation is no exposure

        partner = self.figures(self.customer)
        self.assertAlmostEqual(partner.credit_receivable, 1200.0)
        self.assertAlmostEqual(partner.credit_draft_invoices, 200.0)
        self.assertAlmostEqual(partner.credit_orders_to_invoice, 700.0)
        self.assertAlmostEqual(partner.credit_exposure, 2100.0)
        self.assertAlmostEqual(partner.credit_available, 7900.0)
        # The contact shows its commercial entity's figures.
        self.assertAlmostEqual(self.figures(self.contact).credit_exposure, 2100.0)

    def assertReportMatches(self, partner):
        self.env["credit.exposure.report"].invalidate_model()  # a SQL view: nothing tells the cache
        row = self.env["credit.exposure.report"].search(
            [("partner_id", "=", partner.id), ("company_id", "=", self.company.id)]
        )
        partner = self.figures(partner)
        self.assertEqual(len(row), 1)
        for report_field, partner_field in [
            ("exposure", "credit_exposure"),
            ("receivable", "credit_receivable"),
            ("draft_invoices", "credit_draft_invoices"),
            ("orders", "credit_orders_to_invoice"),
            ("unapplied_credits", "credit_unapplied_credits"),
            ("overdue", "credit_overdue_amount"),
            ("oldest_overdue_days", "credit_oldest_overdue_days"),
            ("dso", "days_sales_outstanding"),
        ]:
            self.assertAlmostEqual(row[report_field], partner[partner_field], msg=report_field)
        self.assertAlmostEqual(
            partner.credit_receivable + partner.credit_draft_invoices + partner.credit_orders_to_invoice,
            partner.credit_exposure,
        )

    def test_company_options_change_exposure(self):
        self.make_invoice(self.customer, 1000.0)
        self.make_invoice(self.customer, 200.0, post=False)
        order = self.make_order(self.customer, 700.0, confirm=True)
        order._create_invoices()  # a draft invoice from an order as well
        self.make_order(self.customer, 50.0, confirm=True)
        expected = {
            (True, True): 1950.0,  # 1,000 + 200 draft + 750 from orders (drafted or not)
            (False, True): 1750.0,
            (True, False): 1900.0,  # the order's draft invoice counts as a draft
            (False, False): 1000.0,
        }
        for (drafts, orders), exposure in expected.items():
            with self.subTest(drafts=drafts, orders=orders):
                self.company.write({"credit_include_draft_invoices": drafts, "credit_include_orders": orders})
                self.assertAlmostEqual(self.figures(self.customer).credit_exposure, exposure)
                self.assertReportMatches(self.customer)

    def test_draft_invoice_from_order_counted_once(self):
        order = self.make_order(self.customer, 800.0, confirm=True)
        order._create_invoices()  # draft invoice for the whole order
        partner = self.figures(self.customer)
        self.assertAlmostEqual(partner.credit_exposure, 800.0)
        self.company.credit_include_orders = False
        self.assertAlmostEqual(self.figures(self.customer).credit_exposure, 800.0)

    def test_payment_nets_and_paid_invoice_leaves(self):
        invoice = self.make_invoice(self.customer, 1000.0)
        self.make_invoice(self.customer, 400.0)
        self.assertTrue(self.pay(invoice))
        self.assertAlmostEqual(self.figures(self.customer).credit_exposure, 400.0)
        # An unreconciled customer payment lowers the exposure too.
        self.init_payment(150.0, post=True, date=TODAY, partner=self.customer)
        self.assertAlmostEqual(self.figures(self.customer).credit_exposure, 250.0)

    def test_aging_overdue_and_dso(self):
        self.make_invoice(self.customer, 100.0, due=TODAY + timedelta(days=3))
        self.make_invoice(self.customer, 200.0, due=TODAY - timedelta(days=1))
        self.make_invoice(self.customer, 300.0, due=TODAY - timedelta(days=31))
        self.make_invoice(self.customer, 400.0, due=TODAY - timedelta(days=90))
        self.make_invoice(self.customer, 500.0, due=TODAY - timedelta(days=120))
        self.make_invoice(self.customer, 600.0, due=TODAY - timedelta(days=121))
        partner = self.figures(self.customer)
        self.assertEqual(
            [
                partner.credit_aging_not_due,
                partner.credit_aging_1_30,
                partner.credit_aging_31_60,
                partner.credit_aging_61_90,
                partner.credit_aging_91_120,
                partner.credit_aging_over_120,
            ],
            [100.0, 200.0, 300.0, 400.0, 500.0, 600.0],
        )
        self.assertAlmostEqual(partner.credit_overdue_amount, 2000.0)
        self.assertEqual(partner.credit_oldest_overdue_days, 121)
        # Everything invoiced is still open, first invoice 121 days ago: DSO = 121.
        self.assertAlmostEqual(partner.days_sales_outstanding, 121.0)

    def test_unapplied_credits_settle_oldest_overdue_first(self):
        self.make_invoice(self.customer, 500.0, due=TODAY - timedelta(days=90))
        self.make_invoice(self.contact, 300.0, due=TODAY - timedelta(days=40))
        self.make_invoice(self.customer, 100.0, due=TODAY + timedelta(days=5))
        self.make_invoice(self.customer, 450.0, move_type="out_refund")  # not matched with anything
        self.init_payment(150.0, post=True, date=TODAY - timedelta(days=2), partner=self.customer)
        partner = self.figures(self.customer)
        self.assertAlmostEqual(partner.credit_receivable, 300.0)
        self.assertAlmostEqual(partner.credit_unapplied_credits, 600.0)
        # 600 of credits settle the 90-day invoice (500) and 100 of the 40-day one.
        self.assertAlmostEqual(partner.credit_overdue_amount, 200.0)
        self.assertEqual(partner.credit_oldest_overdue_days, 40)
        # The aging places each invoice where its due date puts it; the
        # unapplied credits stand in their own column, never as a negative bucket.
        self.assertAlmostEqual(partner.credit_aging_61_90, 500.0)
        self.assertAlmostEqual(partner.credit_aging_31_60, 300.0)
        self.assertAlmostEqual(partner.credit_aging_1_30, 0.0)
        self.assertAlmostEqual(partner.credit_aging_not_due, 100.0)
        buckets = sum(partner[f"credit_aging_{key}"] for key in BUCKET_KEYS)
        self.assertAlmostEqual(buckets - partner.credit_unapplied_credits, partner.credit_receivable)
        self.assertReportMatches(self.customer)
        # The SQL agrees with the plain-Python rule on the very same items.
        lines = self.env["account.move.line"].search(
            [
                ("partner_id.commercial_partner_id", "=", self.customer.id),
                ("account_id.account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
                ("reconciled", "=", False),
            ]
        )
        self.assertEqual(
            overdue_after_credits(
                [(line.date_maturity or line.date, line.amount_residual) for line in lines], TODAY
            ),
            (partner.credit_overdue_amount, partner.credit_oldest_overdue_days),
        )

    def test_credits_covering_old_invoices_do_not_block(self):
        # An unmatched credit note that cancels an old invoice in substance.
        self.make_invoice(self.customer, 800.0, due=TODAY - timedelta(days=150))
        self.make_invoice(self.customer, 800.0, move_type="out_refund")
        partner = self.figures(self.customer)
        self.assertAlmostEqual(partner.credit_overdue_amount, 0.0)
        self.assertEqual(partner.credit_oldest_overdue_days, 0)
        self.assertFalse(
            self.env["res.partner"].search([("id", "=", self.customer.id), ("credit_overdue_amount", ">", 0)])
        )
        order = self.make_order(self.customer, 100.0)
        self.assertEqual(order.credit_gate_status, "pass")
        self.assertReportMatches(self.customer)
        self.assertFalse(
            self.env["credit.exposure.report"]
            .search([("partner_id", "=", self.customer.id)])
            .past_overdue_threshold
        )

    def test_second_company_figures_stay_separate(self):
        company_2 = self.setup_other_company(name="Credit Co 2")["company"]
        company_2.account_use_credit_limit = True
        self.customer.with_company(company_2).credit_limit = 500.0
        self.make_invoice(self.customer, 1000.0)
        self.make_invoice(self.customer, 300.0, company=company_2)

        self.assertAlmostEqual(self.figures(self.customer).credit_exposure, 1000.0)
        self.assertAlmostEqual(self.figures(self.customer, company_2).credit_exposure, 300.0)
        self.assertAlmostEqual(self.figures(self.customer).credit_limit, 10000.0)
        self.assertAlmostEqual(self.figures(self.customer, company_2).credit_limit, 500.0)
        self.assertAlmostEqual(self.figures(self.customer, company_2).credit_available, 200.0)
        report = self.env["credit.exposure.report"].with_context(allowed_company_ids=[self.company.id])
        self.assertEqual(report.search([("partner_id", "=", self.customer.id)]).company_id, self.company)

    def test_odoo_dso_field_is_per_company(self):
        self.make_invoice(self.customer, 1000.0, invoice_date=TODAY - timedelta(days=100))
        paid = self.make_invoice(self.customer, 3000.0, invoice_date=TODAY - timedelta(days=10))
        self.pay(paid)
        company_2 = self.setup_other_company(name="Credit Co 2")["company"]
        self.make_invoice(self.customer, 500.0, invoice_date=TODAY - timedelta(days=50), company=company_2)

        # 1,000 open of 4,000 invoiced over 100 days; the other company's invoice stays out.
        self.assertAlmostEqual(self.figures(self.customer).days_sales_outstanding, 25.0)
        self.assertAlmostEqual(self.figures(self.customer, company_2).days_sales_outstanding, 50.0)
        # Odoo's field keeps its access: a salesman reads it, with the same figure.
        self.assertAlmostEqual(
            self.figures(self.customer.with_user(self.salesman)).days_sales_outstanding, 25.0
        )
        Partner = self.env["res.partner"]
        self.assertIn(self.customer, Partner.search([("days_sales_outstanding", ">", 20)]))
        self.assertNotIn(self.customer, Partner.search([("days_sales_outstanding", ">", 30)]))
        self.assertReportMatches(self.customer)

    def test_foreign_currency_order_counts_at_order_rate(self):
        foreign = self.setup_other_currency("EUR", rates=[("2000-01-01", 2.0)])
        pricelist = self.env["product.pricelist"].create({"name": "EUR", "currency_id": foreign.id})
        order = self.make_order(self.customer, 3000.0, pricelist_id=pricelist.id)
        self.assertEqual(order.currency_id, foreign)
        order.action_confirm()
        # 3,000 EUR at 2 EUR per company unit = 1,500 company currency.
        self.assertAlmostEqual(self.figures(self.customer).credit_orders_to_invoice, 1500.0)

    def test_search_and_report_match_partner_figures(self):
        other = self.env["res.partner"].create({"name": "Small Customer", "is_company": True})
        idle = self.env["res.partner"].create({"name": "Idle Customer", "is_company": True})
        self.make_invoice(self.customer, 5000.0, due=TODAY - timedelta(days=70))
        self.make_invoice(other, 100.0, due=TODAY + timedelta(days=10))
        Partner = self.env["res.partner"]

        self.assertIn(self.customer, Partner.search([("credit_exposure", ">", 1000)]))
        self.assertNotIn(other, Partner.search([("credit_exposure", ">", 1000)]))
        self.assertIn(self.contact, Partner.search([("credit_overdue_amount", ">", 0)]))
        self.assertNotIn(other, Partner.search([("credit_overdue_amount", ">", 0)]))
        # Customers with no activity have zero figures and are found as such.
        self.assertIn(idle, Partner.search([("credit_exposure", "=", 0)]))
        self.assertNotIn(self.customer, Partner.search([("credit_exposure", "=", 0)]))
        self.assertIn(self.customer, Partner.search([("credit_oldest_overdue_days", ">", 60)]))

        Report = self.env["credit.exposure.report"]
        rows = Report.search([("partner_id", "in", (self.customer | other).ids)], order="exposure desc")
        self.assertEqual(rows.partner_id, self.customer | other)
        self.assertEqual(rows[0].partner_id, self.customer)
        for row in rows:
            partner = self.figures(row.partner_id)
            self.assertAlmostEqual(row.exposure, partner.credit_exposure)
            self.assertAlmostEqual(row.aging_61_90, partner.credit_aging_61_90)
            self.assertAlmostEqual(row.dso, partner.days_sales_outstanding, places=1)
        # 70 days overdue against the default threshold of 60: flagged; the other is not.
        too_late = Report.search([("past_overdue_threshold", "=", True)])
        self.assertIn(self.customer, too_late.partner_id)
        self.assertNotIn(other, too_late.partner_id)
        self.company.credit_overdue_days = 75
        Report.invalidate_model()
        self.assertNotIn(self.customer, Report.search([("past_overdue_threshold", "=", True)]).partner_id)
        grouped = Report._read_group(
            [("partner_id", "in", (self.customer | other).ids)], ["over_limit"], ["exposure:sum"]
        )
        self.assertEqual(dict(grouped), {False: 5100.0})

    def test_partners_sort_and_group_by_figures(self):
        small = self.env["res.partner"].create({"name": "Small Customer", "is_company": True})
        idle = self.env["res.partner"].create({"name": "Idle Customer", "is_company": True})
        self.make_invoice(self.customer, 5000.0, due=TODAY - timedelta(days=70))
        self.make_invoice(small, 100.0, due=TODAY - timedelta(days=5))
        self.make_order(small, 300.0, confirm=True)
        customers = self.customer | small | idle
        Partner = self.env["res.partner"]
        domain = [("id", "in", customers.ids)]

        by_exposure = Partner.search(domain, order="credit_exposure desc, id")
        self.assertEqual(by_exposure.ids, [self.customer.id, small.id, idle.id])
        self.assertEqual(Partner.search(domain, order="credit_exposure asc, id").ids, by_exposure.ids[::-1])
        self.assertEqual(Partner.search(domain, order="credit_orders_to_invoice desc, id")[0], small)
        # Two figures in one order clause share the join.
        self.assertEqual(
            Partner.search(domain, order="credit_oldest_overdue_days desc, credit_exposure desc").ids,
            [self.customer.id, small.id, idle.id],
        )
        # The list view offers the sort, and grouping gives the figure's values.
        self.assertTrue(Partner.fields_get(["credit_exposure"], ["sortable"])["credit_exposure"]["sortable"])
        groups = dict(Partner._read_group(domain, ["credit_oldest_overdue_days"], ["__count"]))
        self.assertEqual(groups, {70: 1, 5: 1, 0: 1})
        # Figures of another company: none of these customers has any there.
        company_2 = self.setup_other_company(name="Credit Co 2")["company"]
        other = Partner.with_company(company_2).search(domain, order="credit_exposure desc, id")
        self.assertEqual(other.ids, sorted(customers.ids))
        # A change still pending in the ORM is flushed before sorting.
        self.make_invoice(idle, 9000.0)
        self.assertEqual(Partner.search(domain, order="credit_exposure desc, id")[0], idle)
        idle.credit_limit = 50000.0
        self.assertEqual(Partner.search(domain, order="credit_available desc, id")[0], idle)
        idle.credit_limit = 0.0
        self.assertEqual(Partner.search(domain, order="credit_available desc, id")[0], self.customer)
        # A salesman without credit rights may not sort on what they may not read.
        with self.assertRaises(AccessError):
            Partner.with_user(self.salesman).search(domain, order="credit_exposure desc")

    def test_figures_hidden_from_plain_salesman(self):
        partner = self.customer.with_user(self.salesman)
        self.assertFalse(partner._fields["credit_exposure"].is_accessible(partner.env))
        self.assertTrue(
            partner.with_user(self.credit_user)
            ._fields["credit_exposure"]
            .is_accessible(partner.with_user(self.credit_user).env)
        )
        self.make_invoice(self.customer, 100.0)
        self.assertAlmostEqual(self.customer.with_user(self.credit_user).credit_exposure, 100.0)

    def test_tax_included_orders(self):
        tax = self.env["account.tax"].create({"name": "VAT 10", "amount": 10.0, "amount_type": "percent"})
        order = self.make_order(self.customer, 1000.0)
        order.order_line.tax_id = [Command.set(tax.ids)]
        order.action_confirm()
        self.assertAlmostEqual(self.figures(self.customer).credit_orders_to_invoice, 1100.0)
