import re
from datetime import timedelta

from lxml import html as lxml_html

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from .common import CreditRiskCommon

REPORT = "credit_risk_addon.report_credit_statement"
REPORT_ACTION = "credit_risk_addon.action_report_credit_statement"


def amount(text):
    """The number in a formatted amount ("$ 1,000.00", "-$ 50.00", "1,000.00 €")."""
    return float(re.sub(r"[^\d.\-]", "", text))


class StatementMixin:
    @classmethod
    def _payment(cls, partner, value, payment_date):
        """A customer payment, posted and matched with nothing: an unapplied credit."""
        payment = cls.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": partner.id,
                "amount": value,
                "date": payment_date,
            }
        )
        payment.action_post()
        return payment

    @classmethod
    def _pay_in_full(cls, invoice, payment_date):
        return (
            cls.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"payment_date": payment_date})
            ._create_payments()
        )

    @staticmethod
    def documents(tree):
        return {cell.text_content().strip() for cell in tree.xpath("//td[@name='td_document']")}


@tagged("post_install", "-at_install")
class TestCreditStatement(StatementMixin, CreditRiskCommon):
    """Company A: the customer has, as of today,
    - INV overdue 1,000, due 45 days ago (31-60);
    - INV not due 400, due in 25 days; INV to its contact 250, due in 10 days (not due);
    - INV old 200, due 100 days ago (91-120);
    - CN 150, dated 10 days ago (1-30), and an unapplied payment of 50, 3 days ago (1-30);
    - INV paid 300, paid in full: not on the statement.
    Company B: an invoice of 700 to the same customer, not on company A's statement.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        today = fields.Date.today()
        cls.today = today
        customer = cls.customer
        cls.inv_overdue = cls.make_invoice(
            customer, 1000.0, invoice_date=today - timedelta(days=75), due=today - timedelta(days=45)
        )
        cls.inv_not_due = cls.make_invoice(
            customer, 400.0, invoice_date=today - timedelta(days=5), due=today + timedelta(days=25)
        )
        cls.inv_contact = cls.make_invoice(
            cls.contact, 250.0, invoice_date=today - timedelta(days=20), due=today + timedelta(days=10)
        )
        cls.inv_old = cls.make_invoice(
            customer, 200.0, invoice_date=today - timedelta(days=130), due=today - timedelta(days=100)
        )
        cls.credit_note = cls.make_invoice(
            customer, 150.0, invoice_date=today - timedelta(days=10), move_type="out_refund"
        )
        cls.payment = cls._payment(customer, 50.0, today - timedelta(days=3))
        cls.inv_paid = cls.make_invoice(
            customer, 300.0, invoice_date=today - timedelta(days=20), due=today - timedelta(days=20)
        )
        cls._pay_in_full(cls.inv_paid, today - timedelta(days=2))
        cls.company_b = cls.setup_other_company(name="Statement Company B")["company"]
        cls.env.user.company_ids |= cls.company_b
        cls.inv_b = cls.make_invoice(
            customer, 700.0, invoice_date=today - timedelta(days=5), company=cls.company_b
        )

    def render(self, partners, user=None):
        report = self.env["ir.actions.report"]
        if user:
            report = report.with_user(user)
        content, _report_type = report._render_qweb_html(REPORT, partners.ids)
        return content.decode()

    def test_open_items_aging_total_and_pay_link(self):
        page = self.render(self.customer)
        tree = lxml_html.fromstring(page)
        self.assertEqual(
            self.documents(tree),
            {
                self.inv_overdue.name,
                self.inv_not_due.name,
                self.inv_contact.name,
                self.inv_old.name,
                self.credit_note.name,
                self.payment.move_id.name,
            },
        )
        # The fully paid invoice is not listed; neither is company B's invoice (the total is company A's).
        self.assertNotIn(self.inv_paid.name, page)
        aging = {
            cell.get("name"): amount(cell.text_content())
            for cell in tree.xpath("//table[@name='statement_aging']//td")
        }
        self.assertEqual(
            aging,
            {
                "aging_not_due": 650.0,
                "aging_period_1": -200.0,
                "aging_period_2": 1000.0,
                "aging_period_3": 0.0,
                "aging_period_4": 200.0,
                "aging_older": 0.0,
                "statement_total": 1650.0,
            },
        )
        headers = [cell.text_content().strip() for cell in tree.xpath("//table[@name='statement_aging']//th")]
        self.assertEqual(headers, ["Not Due", "1-30", "31-60", "61-90", "91-120", "Older", "Total"])
        # Each line: its days overdue and open amount (the credit note is a credit).
        lines = {
            row.xpath("td[@name='td_document']")[0].text_content().strip(): (
                row.xpath("td[@name='td_days_overdue']")[0].text_content().strip(),
                amount(row.xpath("td[@name='td_open_amount']")[0].text_content()),
            )
            for row in tree.xpath("//tr[@name='statement_line']")
        }
        self.assertEqual(lines[self.inv_overdue.name], ("45", 1000.0))
        self.assertEqual(lines[self.inv_not_due.name], ("", 400.0))
        self.assertEqual(lines[self.credit_note.name], ("10", -150.0))
        self.assertEqual(lines[self.payment.move_id.name][1], -50.0)
        [pay_link] = tree.xpath("//div[@name='statement_pay_now']//a")
        self.assertEqual(pay_link.get("href"), self.company.get_base_url() + "/my/invoices")
        self.assertIn(self.company.name, page)

    def test_statement_of_the_current_company(self):
        report = self.env["ir.actions.report"].with_company(self.company_b)
        tree = lxml_html.fromstring(report._render_qweb_html(REPORT, self.customer.ids)[0].decode())
        self.assertEqual(len(self.documents(tree)), 1)
        [total] = tree.xpath("//td[@name='statement_total']")
        self.assertEqual(amount(total.text_content()), 700.0)
        self.assertIn("Statement Company B", tree.text_content())

    def test_single_open_invoice_links_its_portal_page(self):
        single = self.env["res.partner"].create({"name": "Single Invoice Customer", "is_company": True})
        invoice = self.make_invoice(single, 80.0, invoice_date=self.today - timedelta(days=1))
        # Without an access token yet: the invoice's page, where the customer logs in (rendering never
        # writes one: the report routes are read-only).
        tree = lxml_html.fromstring(self.render(single))
        [pay_link] = tree.xpath("//div[@name='statement_pay_now']//a")
        self.assertEqual(pay_link.get("href"), f"{self.company.get_base_url()}/my/invoices/{invoice.id}")
        self.assertFalse(invoice.access_token)
        self.assertEqual(self.documents(tree), {invoice.name})
        # With one (the invoice was sent): the link opens it directly.
        invoice._portal_ensure_token()
        tree = lxml_html.fromstring(self.render(single))
        [pay_link] = tree.xpath("//div[@name='statement_pay_now']//a")
        self.assertEqual(pay_link.get("href"), self.company.get_base_url() + invoice.get_portal_url())
        self.assertIn("access_token=", pay_link.get("href"))

    def test_nothing_open(self):
        settled = self.env["res.partner"].create({"name": "Settled Customer", "is_company": True})
        tree = lxml_html.fromstring(self.render(settled))
        self.assertEqual(self.documents(tree), set())
        self.assertTrue(tree.xpath("//p[@name='statement_nothing_open']"))
        self.assertFalse(tree.xpath("//div[@name='statement_pay_now']"))
        [total] = tree.xpath("//td[@name='statement_total']")
        self.assertEqual(amount(total.text_content()), 0.0)

    def test_rendered_in_the_partner_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.customer.lang = "zh_CN"
        page = self.render(self.customer)
        tree = lxml_html.fromstring(page)
        self.assertTrue(tree.xpath("//div[contains(@class, 'article')][@data-oe-lang='zh_CN']"))
        headers = [cell.text_content().strip() for cell in tree.xpath("//table[@name='statement_aging']//th")]
        # The aging titles come from the module's translations (i18n/zh_CN.po).
        self.assertEqual(headers[0], "未到期")
        self.assertEqual(headers[5], "更早")
        # Dates in the language's format (%Y年%m月%d日).
        due = self.inv_overdue.invoice_date_due
        self.assertIn(f"{due.year}年{due.month:02d}月{due.day:02d}日", page)
        # A contact in English gets the same statement in English.
        self.contact.lang = "en_US"
        english = lxml_html.fromstring(self.render(self.contact))
        self.assertEqual(
            english.xpath("//table[@name='statement_aging']//th")[0].text_content().strip(), "Not Due"
        )
        self.assertEqual(self.documents(english), self.documents(tree))

    def test_send_statement_opens_the_composer(self):
        template = self.env.ref("credit_risk_addon.mail_template_credit_statement")
        action = self.customer.action_send_credit_statement()
        self.assertEqual(action["res_model"], "mail.compose.message")
        self.assertEqual(action["context"]["default_template_id"], template.id)
        self.assertEqual(action["context"]["default_res_ids"], self.customer.ids)
        self.assertEqual(action["context"]["default_model"], "res.partner")
        self.assertEqual(template.report_template_ids, self.env.ref(REPORT_ACTION))
        self.customer.email = "customer@example.com"
        composer = self.env["mail.compose.message"].with_context(**action["context"]).create({})
        self.assertEqual(composer.template_id, template)
        self.assertEqual(composer.partner_ids, self.customer)
        self.assertIn(self.customer.name, composer.subject)
        # The statement is attached (in tests the report engine gives HTML instead of a PDF).
        self.assertEqual(len(composer.attachment_ids), 1)
        self.assertTrue(composer.attachment_ids.name.startswith(f"Statement - {self.customer.name}"))
        # The template renders in the partner's language.
        self.env["res.lang"]._activate_lang("zh_CN")
        self.customer.lang = "zh_CN"
        self.assertEqual(template._render_lang(self.customer.ids)[self.customer.id], "zh_CN")

    def test_refused_to_users_without_access_to_receivables(self):
        with self.assertRaises(AccessError):
            self.render(self.customer, user=self.salesman)
        # A credit user may print it.
        tree = lxml_html.fromstring(self.render(self.customer, user=self.credit_user))
        self.assertIn(self.inv_overdue.name, self.documents(tree))


@tagged("post_install", "-at_install")
class TestCreditStatementPortal(StatementMixin, CreditRiskCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        today = fields.Date.today()
        cls.invoice = cls.make_invoice(
            cls.customer, 500.0, invoice_date=today - timedelta(days=40), due=today - timedelta(days=40)
        )
        cls.other_customer = cls.env["res.partner"].create(
            {"name": "Other Portal Customer", "is_company": True}
        )
        cls.other_invoice = cls.make_invoice(
            cls.other_customer, 77.0, invoice_date=today - timedelta(days=5), due=today - timedelta(days=5)
        )
        cls.portal = new_test_user(cls.env, login="stmt_portal_a", groups="base.group_portal")
        cls.portal.partner_id.parent_id = cls.customer
        cls.other_portal = new_test_user(cls.env, login="stmt_portal_b", groups="base.group_portal")
        cls.other_portal.partner_id.parent_id = cls.other_customer

    def download(self, url="/my/credit_statement"):
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        # In tests the report engine gives the HTML of the report instead of a PDF.
        content_type = response.headers["Content-Type"]
        if response.content.startswith(b"%PDF"):
            self.assertEqual(content_type, "application/pdf")
            return None
        self.assertTrue(content_type.startswith("text/html"), content_type)
        return lxml_html.fromstring(response.text)

    def test_pdf(self):
        # wkhtmltopdf loads the report's styles from the server: an HTTP test case serves them.
        # Debian's wkhtmltopdf (unpatched Qt) complains about the header and footer switches on
        # stderr, which Odoo logs as a warning: muted, the PDF is checked instead.
        with mute_logger("odoo.addons.base.models.ir_actions_report"):
            content, report_type = (
                self.env["ir.actions.report"]
                .with_context(force_report_rendering=True)
                ._render_qweb_pdf(REPORT_ACTION, self.customer.ids)
            )
        self.assertEqual(report_type, "pdf")
        self.assertTrue(content.startswith(b"%PDF"))
        self.assertIn(b"/Type /Page", content)

    def test_portal_user_downloads_their_customer_statement(self):
        self.authenticate("stmt_portal_a", "stmt_portal_a")
        tree = self.download()
        self.assertEqual(self.documents(tree), {self.invoice.name})
        self.assertIn(self.customer.name, tree.text_content())
        self.assertNotIn(self.other_customer.name, tree.text_content())
        [total] = tree.xpath("//td[@name='statement_total']")
        self.assertEqual(amount(total.text_content()), 500.0)
        self.assertIn(self.company.name, tree.text_content())

    def test_other_customer_cannot_get_the_statement(self):
        self.authenticate("stmt_portal_b", "stmt_portal_b")
        # Asking for the first customer changes nothing: the statement is the user's own.
        tree = self.download(f"/my/credit_statement?partner_id={self.customer.id}")
        self.assertEqual(self.documents(tree), {self.other_invoice.name})
        self.assertNotIn(self.customer.name, tree.text_content())
        # The report engine's own route refuses a portal user.
        with mute_logger("odoo.http"):
            response = self.url_open(f"/report/html/{REPORT}/{self.customer.id}")
        self.assertEqual(response.status_code, 403)
        self.assertNotIn(self.invoice.name, response.text)

    def test_visitor_is_sent_to_login(self):
        response = self.url_open("/my/credit_statement", allow_redirects=False)
        self.assertIn(response.status_code, (302, 303))
        self.assertIn("/web/login", response.headers["Location"])

    def test_portal_home_and_invoices_link_to_the_statement(self):
        self.authenticate("stmt_portal_a", "stmt_portal_a")
        counters = self.make_jsonrpc_request("/my/counters", {"counters": ["credit_statement_count"]})
        self.assertEqual(counters, {"credit_statement_count": 1})
        home = lxml_html.fromstring(self.url_open("/my/home").text)
        self.assertTrue(home.xpath("//a[@href='/my/credit_statement']"))
        invoices = lxml_html.fromstring(self.url_open("/my/invoices").text)
        self.assertTrue(invoices.xpath("//a[@href='/my/credit_statement']"))
        # A customer with nothing open: no count, the card stays hidden.
        settled = self.env["res.partner"].create({"name": "Settled Portal Customer", "is_company": True})
        new_test_user(self.env, login="stmt_portal_c", groups="base.group_portal", parent_id=settled.id)
        self.authenticate("stmt_portal_c", "stmt_portal_c")
        counters = self.make_jsonrpc_request("/my/counters", {"counters": ["credit_statement_count"]})
        self.assertEqual(counters, {"credit_statement_count": 0})
