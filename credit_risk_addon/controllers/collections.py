import math
from urllib.parse import urlencode

from odoo import fields, http
from odoo.exceptions import AccessError, MissingError, ValidationError
from odoo.http import request

from odoo.addons.portal.controllers.portal import CustomerPortal


class CreditCollectionsPortal(CustomerPortal):
    """The customer promises a payment date or disputes an invoice from its portal page.

    Only a logged-in portal user of the invoice's customer may (a visitor
    holding the invoice's link is sent to log in): the invoice is read
    through the user's own access, then the promise or dispute is written as
    superuser with what the server decides (company, customer, source), and
    the customer's collector gets an activity.
    """

    def _credit_invoice(self, invoice_id):
        """The user's own open customer invoice (sudo), or None."""
        try:
            invoice = self._document_check_access("account.move", invoice_id)
        except (AccessError, MissingError):
            return None
        user_entity = request.env.user.partner_id.commercial_partner_id
        if (
            invoice.commercial_partner_id != user_entity
            or invoice.move_type != "out_invoice"
            or invoice.state != "posted"
            or invoice.payment_state not in ("not_paid", "partial")
        ):
            return None
        return invoice

    @staticmethod
    def _credit_amount(text):
        """A finite amount from the form, or None."""
        try:
            value = float(text)
        except (TypeError, ValueError):
            return None
        return value if math.isfinite(value) else None

    def _credit_redirect(self, invoice, **params):
        return request.redirect(f"{invoice.get_portal_url()}&{urlencode(params)}")

    def _credit_tell_collector(self, invoice, summary, note):
        partner = invoice.commercial_partner_id
        partner.with_company(invoice.company_id).activity_schedule(
            "mail.mail_activity_data_todo",
            summary=summary,
            note=note,
            user_id=partner._credit_collector().id
            or invoice.invoice_user_id.id
            or request.env.ref("base.user_admin").id,
        )

    @http.route(
        "/my/invoices/<int:invoice_id>/credit_promise",
        type="http",
        auth="user",
        methods=["POST"],
        website=True,
    )
    def portal_credit_promise(self, invoice_id, promise_date=None, amount=None, **kw):
        invoice = self._credit_invoice(invoice_id)
        if invoice is None:
            return request.redirect("/my")
        env = request.env
        try:
            day = fields.Date.to_date(promise_date)
        except (TypeError, ValueError):
            day = None
        value = self._credit_amount(amount)
        if not day or value is None:
            return self._credit_redirect(invoice, credit_error="promise_input")
        try:
            with env.cr.savepoint():
                promise = (
                    env["credit.promise"]
                    .sudo()
                    .with_company(invoice.company_id)
                    .create(
                        {
                            "company_id": invoice.company_id.id,
                            "partner_id": invoice.commercial_partner_id.id,
                            "move_ids": [fields.Command.set(invoice.ids)],
                            "amount": value,
                            "promise_date": day,
                            "source": "portal",
                        }
                    )
                )
        except ValidationError:
            return self._credit_redirect(invoice, credit_error="promise_refused")
        self._credit_tell_collector(
            invoice,
            env._("Promise to pay from the portal"),
            env._(
                "%(user)s promised %(amount)s by %(date)s for %(invoice)s.",
                user=env.user.name,
                amount=promise.amount,
                date=promise.promise_date,
                invoice=invoice.name,
            ),
        )
        return self._credit_redirect(invoice, credit_done="promise")

    @http.route(
        "/my/invoices/<int:invoice_id>/credit_dispute",
        type="http",
        auth="user",
        methods=["POST"],
        website=True,
    )
    def portal_credit_dispute(self, invoice_id, reason_id=None, amount=None, note=None, **kw):
        invoice = self._credit_invoice(invoice_id)
        if invoice is None:
            return request.redirect("/my")
        env = request.env
        try:
            reason_key = int(reason_id)
        except (TypeError, ValueError):
            reason_key = 0
        # An id a database can hold; archived reasons are not offered.
        reason = (
            env["credit.dispute.reason"].sudo().search([("id", "=", reason_key)], limit=1)
            if 0 < reason_key < 2**31
            else None
        )
        value = self._credit_amount(amount)
        if not reason or value is None:
            return self._credit_redirect(invoice, credit_error="dispute_input")
        if invoice.credit_disputed:
            return self._credit_redirect(invoice, credit_error="disputed")
        try:
            with env.cr.savepoint():
                dispute = (
                    env["credit.dispute"]
                    .sudo()
                    .create(
                        {
                            "move_id": invoice.id,
                            "reason_id": reason.id,
                            "amount": value,
                            "note": (note or "")[:2000],
                            "source": "portal",
                            "owner_id": invoice.commercial_partner_id._credit_collector().id or False,
                        }
                    )
                )
        except ValidationError:
            return self._credit_redirect(invoice, credit_error="dispute_refused")
        self._credit_tell_collector(
            invoice,
            env._("Dispute from the portal"),
            env._(
                "%(user)s disputes %(amount)s of %(invoice)s: %(reason)s.",
                user=env.user.name,
                amount=dispute.amount,
                invoice=invoice.name,
                reason=reason.name,
            ),
        )
        return self._credit_redirect(invoice, credit_done="dispute")
