from datetime import timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo.exceptions import AccessError, RedirectWarning, UserError, ValidationError
from odoo.tests import Form, tagged

from .common import TODAY, CreditRiskCommon


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestApproval(CreditRiskCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.make_invoice(cls.customer, 9000.0)
        cls.order = cls.make_order(cls.customer, 2000.0, user=cls.salesman)

    def request(self, order=None, user=None, note="Customer pays on Friday"):
        user = user or self.salesman
        order = (order or self.order).with_user(user)
        wizard = Form(
            self.env["credit.approval.request.wizard"]
            .with_user(user)
            .with_context(default_order_ids=order.ids)
        )
        wizard.note = note
        action = wizard.save().action_request()
        return self.env["credit.approval.request"].browse(action.get("res_id")) or order.credit_approval_ids

    def approve(
        self, request, amount=2000.0, expiry=TODAY + timedelta(days=3), note="Known customer", user=None
    ):
        request = request.with_user(user or self.credit_manager)
        wizard = Form(
            self.env["credit.approval.decide.wizard"]
            .with_user(user or self.credit_manager)
            .with_context(default_request_id=request.id)
        )
        wizard.approved_amount = amount
        wizard.expiry_date = expiry
        wizard.note = note
        return wizard.save().action_approve()

    def test_full_lifecycle(self):
        with self.assertRaises(RedirectWarning):
            self.order.with_user(self.salesman).action_confirm()
        request = self.request()
        self.assertEqual(request.state, "pending")
        self.assertEqual(request.requested_by_id, self.salesman)
        self.assertAlmostEqual(request.order_amount, 2000.0)
        self.assertAlmostEqual(request.exposure, 9000.0)
        self.assertIn("exceeds the credit limit", request.blocking_reasons)
        self.assertIn(self.credit_manager.partner_id, request.message_follower_ids.partner_id)
        self.assertIn("Credit approval requested", self.order.message_ids[0].body)
        self.assertIn("Credit approval requested", self.customer.message_ids[0].body)
        # The queue shows it to the credit manager.
        queue = (
            self.env["credit.approval.request"]
            .with_user(self.credit_manager)
            .search([("state", "=", "pending")])
        )
        self.assertIn(request, queue)

        self.approve(request)
        self.assertEqual(request.state, "approved")
        self.assertEqual(request.decided_by_id, self.credit_manager)
        self.assertEqual(self.order.credit_gate_status, "approved")
        self.assertIn("Credit approval granted", self.order.message_ids[0].body)
        self.assertIn("Credit approval granted", self.customer.message_ids[0].body)

        self.assertIs(self.order.with_user(self.salesman).action_confirm(), True)
        self.assertEqual(self.order.state, "sale")
        self.assertEqual(request.state, "used")
        self.assertTrue(request.used_on)
        self.assertIn("Credit approval used", self.order.message_ids[0].body)
        self.assertIn("Credit approval used", self.customer.message_ids[0].body)

    def test_approval_covers_only_that_order_up_to_its_amount(self):
        request = self.request()
        self.approve(request, amount=2500.0)
        other = self.make_order(self.customer, 2000.0, user=self.salesman)
        with self.assertRaises(RedirectWarning):
            other.action_confirm()
        self.order.order_line.price_unit = 2600.0  # the order grew beyond the approval
        with self.assertRaises(RedirectWarning):
            self.order.action_confirm()
        self.order.order_line.price_unit = 2400.0
        self.assertIs(self.order.action_confirm(), True)

    def test_expired_approval_does_not_cover(self):
        request = self.request()
        self.approve(request, expiry=TODAY + timedelta(days=1))
        with freeze_time(TODAY + timedelta(days=2)):
            self.assertFalse(request.is_valid)
            with self.assertRaises(RedirectWarning):
                self.order.action_confirm()

    def test_cron_marks_expired_approvals(self):
        request = self.request()
        self.approve(request, expiry=TODAY + timedelta(days=1))
        with freeze_time(TODAY + timedelta(days=1)):
            self.env["credit.approval.request"]._cron_expire_approvals()
            self.assertEqual(request.state, "approved", "still valid on its expiry date")
        with freeze_time(TODAY + timedelta(days=2)):
            self.env["credit.approval.request"]._cron_expire_approvals()
            self.assertEqual(request.state, "expired")
            self.assertIn("expired unused", self.order.message_ids[0].body)

    def test_cron_skips_a_bad_record_and_goes_on(self):
        other = self.make_order(self.customer, 2000.0, user=self.salesman)
        first, second = self.request(), self.request(order=other)
        self.approve(first, expiry=TODAY)
        self.approve(second, expiry=TODAY)
        Request = type(self.env["credit.approval.request"])
        original = Request._log_everywhere

        def broken_for_first(records, body):
            if records == first:
                raise ValueError("mail server exploded")
            return original(records, body)

        with (
            freeze_time(TODAY + timedelta(days=1)),
            patch.object(Request, "_log_everywhere", broken_for_first),
            self.assertLogs("odoo.addons.credit_risk_addon.models.credit_approval_request", "ERROR"),
        ):
            self.env["credit.approval.request"]._cron_expire_approvals()
        self.assertEqual(first.state, "approved", "the bad record was rolled back to its savepoint")
        self.assertEqual(second.state, "expired")

    def test_cron_works_in_batches_and_reports_progress(self):
        orders = [self.order] + [
            self.make_order(self.customer, 2000.0, user=self.salesman) for _i in range(2)
        ]
        for order in orders:
            self.approve(self.request(order=order), expiry=TODAY)
        cron = self.env.ref("credit_risk_addon.ir_cron_expire_credit_approvals")
        progress = self.env["ir.cron.progress"].create({"cron_id": cron.id})
        Request = self.env["credit.approval.request"].with_context(ir_cron_progress_id=progress.id)
        with freeze_time(TODAY + timedelta(days=1)):
            self.assertEqual(Request._cron_expire_approvals(batch_size=2), 2)
            self.assertEqual((progress.done, progress.remaining), (2, 1))
            self.assertEqual(Request._cron_expire_approvals(batch_size=2), 1)
            self.assertEqual((progress.done, progress.remaining), (1, 0))
            self.assertEqual(Request._cron_expire_approvals(batch_size=2), 0)
        self.assertEqual(
            set(
                self.env["credit.approval.request"]
                .search([("order_id", "in", [o.id for o in orders])])
                .mapped("state")
            ),
            {"expired"},
        )

    def test_refusal(self):
        request = self.request()
        request.with_user(self.credit_manager)._refuse("Too many late payments")
        self.assertEqual(request.state, "refused")
        self.assertIn("Too many late payments", self.customer.message_ids[0].body)
        with self.assertRaises(RedirectWarning):
            self.order.action_confirm()
        with self.assertRaises(UserError):
            self.approve(request)

    def test_bad_decisions_are_refused_and_nothing_written(self):
        request = self.request()
        cases = [
            ({"expiry": TODAY - timedelta(days=1)}, ValidationError),
            ({"amount": 1999.0}, ValidationError),
            ({"note": "  "}, ValidationError),
        ]
        for kwargs, error in cases:
            with self.subTest(**kwargs), self.assertRaises(error):
                if "note" in kwargs:
                    request.with_user(self.credit_manager)._approve(2000.0, TODAY, kwargs["note"])
                else:
                    self.approve(request, **kwargs)
            self.assertEqual(request.state, "pending")
            self.assertFalse(request.approved_amount)
        with self.assertRaises(ValidationError):
            request.with_user(self.credit_manager)._refuse("")

    def test_only_managers_decide(self):
        request = self.request()
        with self.assertRaises(AccessError):
            request.with_user(self.salesman)._approve(2000.0, TODAY, "I approve myself")
        with self.assertRaises(AccessError):
            request.with_user(self.salesman).write({"state": "approved", "approved_amount": 99999.0})
        with self.assertRaises(AccessError):
            self.env["credit.approval.request"].with_user(self.salesman).create(
                {
                    "order_id": self.order.id,
                    "request_note": "sneaky",
                    "state": "approved",
                    "approved_amount": 99999.0,
                    "expiry_date": TODAY,
                }
            )
        self.assertEqual(request.state, "pending")
        # Still refused; the request is pending, so no second request is offered.
        with self.assertRaises(UserError):
            self.order.action_confirm()

    def test_manager_may_not_approve_own_request_by_default(self):
        order = self.make_order(self.customer, 2000.0, user=self.credit_manager)
        request = self.request(order=order, user=self.credit_manager)
        with self.assertRaises(UserError):
            self.approve(request, user=self.credit_manager)
        self.assertEqual(request.state, "pending")
        self.company.credit_no_self_approval = False
        self.approve(request, user=self.credit_manager)
        self.assertIs(order.with_user(self.credit_manager).action_confirm(), True)

    def test_one_pending_request_per_order(self):
        self.request()
        with self.assertRaises(UserError):
            self.request()

    def test_salesman_sees_only_own_requests(self):
        request = self.request()
        theirs = self.make_order(self.customer, 3000.0, user=self.other_salesman)
        their_request = self.request(order=theirs, user=self.other_salesman)
        visible = self.env["credit.approval.request"].with_user(self.salesman).search([])
        self.assertIn(request, visible)
        self.assertNotIn(their_request, visible)

    def test_decided_request_cannot_be_deleted(self):
        request = self.request()
        self.approve(request)
        with self.assertRaises(UserError):
            request.with_user(self.credit_manager).unlink()
