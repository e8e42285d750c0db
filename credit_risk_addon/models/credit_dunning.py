import logging
import uuid
from collections import defaultdict

import psycopg2

from odoo import api, fields, models
from odoo.tools import SQL, format_amount, format_date

from ..rules import dunning

_logger = logging.getLogger(__name__)

BATCH_SIZE = 200


class CreditDunning(models.AbstractModel):
    """The dunning run: what each customer is due for on a date, and doing it.

    ``_plan`` decides (one query for the open invoices, one for the last
    steps, the policies read in batch; the decisions are ``rules.dunning``),
    ``_run`` does: per customer, in its own savepoint, after locking its
    invoices (``FOR UPDATE SKIP LOCKED``) and checking that no other run did
    the step meanwhile. The scheduled action, the preview and *Send now* all
    go through these two methods.
    """

    _name = "credit.dunning"
    _description = "Dunning Run"

    # ------------------------------------------------------------------
    # Plan
    # ------------------------------------------------------------------
    @api.model
    def _open_invoices(self, company, partner_ids=None):
        """``{commercial partner id: [row]}`` of the company's open customer invoices (one query).

        A row: invoice id, its oldest open due date, its open amount in the
        company's currency, the days of its current level.
        """
        partner_filter = (
            SQL("AND move.commercial_partner_id IN %s", tuple(partner_ids)) if partner_ids else SQL()
        )
        rows = self.env.execute_query(
            SQL(
                """
                SELECT move.id, move.commercial_partner_id, MIN(line.date_maturity),
                       SUM(line.amount_residual), level.days
                  FROM account_move move
                  JOIN account_move_line line ON line.move_id = move.id AND NOT line.reconciled
                  JOIN account_account account
                    ON account.id = line.account_id
                   AND account.account_type = 'asset_receivable'
             LEFT JOIN credit_dunning_level level ON level.id = move.credit_dunning_level_id
                 WHERE move.company_id = %(company)s
                   AND move.move_type = 'out_invoice'
                   AND move.state = 'posted'
                   %(partners)s
              GROUP BY move.id, level.days
                HAVING SUM(line.amount_residual) > 0
                """,
                company=company.id,
                partners=partner_filter,
            )
        )
        by_partner = defaultdict(list)
        for move_id, partner_id, due_date, residual, level_days in rows:
            by_partner[partner_id].append((move_id, due_date, residual, level_days))
        return by_partner

    @api.model
    def _last_steps(self, company, partner_ids):
        """``{partner id: date of its last step done}`` in the company (one query)."""
        if not partner_ids:
            return {}
        rows = self.env.execute_query(
            SQL(
                """
                SELECT partner_id, MAX(date) FROM credit_dunning_history
                 WHERE company_id = %s AND state = 'done' AND partner_id IN %s
              GROUP BY partner_id
                """,
                company.id,
                tuple(partner_ids),
            )
        )
        return dict(rows)

    @api.model
    def _inputs(self, company, partner_ids=None):
        """``{partner: (policy, items, options)}``: what the rules need to decide for each customer."""
        # The queries below read the tables: what the ORM still holds must be written first.
        self.env.flush_all()
        invoices = self._open_invoices(company, partner_ids)
        if not invoices:
            return {}
        partners = self.env["res.partner"].with_company(company).browse(list(invoices))
        default_policy = self.env["credit.dunning.policy"].search(
            [("company_id", "=", company.id), ("is_default", "=", True)], limit=1
        )
        last_steps = self._last_steps(company, partners.ids)
        disputed, paused = self._disputes_and_promises(company, partners.ids)
        digits = company.currency_id.decimal_places
        inputs = {}
        for partner in partners:
            policy = partner.credit_dunning_policy_id or default_policy
            if not policy:
                continue
            items = [
                dunning.Item(
                    key=move_id,
                    due_date=due_date,
                    residual=residual,
                    level_days=level_days,
                    disputed=move_id in disputed,
                    paused_until=paused.get(move_id),
                )
                for move_id, due_date, residual, level_days in invoices[partner.id]
            ]
            options = {
                "last_step": last_steps.get(partner.id),
                "min_interval": policy.min_interval_days,
                "handed_over": partner.credit_dunning_handed_over,
                "digits": digits,
            }
            inputs[partner] = (policy, items, options)
        return inputs

    @api.model
    def _disputes_and_promises(self, company, partner_ids):
        """Invoices under an open dispute, and ``{invoice: date}`` of open promises (two queries)."""
        disputed = {
            move_id
            for (move_id,) in self.env.execute_query(
                SQL(
                    "SELECT move_id FROM credit_dispute "
                    "WHERE state = 'open' AND company_id = %s AND partner_id IN %s",
                    company.id,
                    tuple(partner_ids),
                )
            )
        }
        paused = dict(
            self.env.execute_query(
                SQL(
                    """
                    SELECT rel.move_id, MAX(promise.promise_date)
                      FROM credit_promise promise
                      JOIN credit_promise_move_rel rel ON rel.promise_id = promise.id
                     WHERE promise.state = 'open' AND promise.company_id = %s AND promise.partner_id IN %s
                  GROUP BY rel.move_id
                    """,
                    company.id,
                    tuple(partner_ids),
                )
            )
        )
        return disputed, paused

    @api.model
    def _plan(self, company, date, partner_ids=None):
        """``[(partner, policy, step)]``: what the run of ``date`` would do for the company's customers."""
        levels_of = {}
        plan = []
        for partner, (policy, items, options) in self._inputs(company, partner_ids).items():
            if policy not in levels_of:
                levels_of[policy] = policy.level_ids._rule_levels()
            step = dunning.next_step(levels_of[policy], items, date, **options)
            if step:
                plan.append((partner, policy, step))
        return plan

    @api.model
    def _next_steps(self, company, partners):
        """``{partner id: (date, level)}`` of each customer's next step if nothing is paid meanwhile."""
        if not partners:
            return {}
        today = company._credit_today()
        result = {}
        for partner, (policy, items, options) in self._inputs(company, partners.ids).items():
            day, step = dunning.next_date(policy.level_ids._rule_levels(), items, today, **options)
            if step:
                result[partner.id] = (day, self.env["credit.dunning.level"].browse(step.level.key))
        return result

    # ------------------------------------------------------------------
    # Run
    # ------------------------------------------------------------------
    @api.model
    def _cron_run_dunning(self, batch_size=BATCH_SIZE, auto_commit=True):
        """The daily run, for every company, as of each company's today."""
        engine = self.sudo()
        for company in engine.env["res.company"].search([("active", "=", True)]):
            today = company._credit_today()
            engine.with_company(company)._run(company, today, batch_size=batch_size, auto_commit=auto_commit)

    @api.model
    def _run(self, company, date, partner_ids=None, batch_size=BATCH_SIZE, auto_commit=False, by_user=False):
        """Do the steps of ``date`` for the company's customers; the history records written.

        Promises whose date has passed are settled first (kept or broken): a
        broken one no longer pauses its invoices.
        """
        self.env["credit.promise"]._settle_due(company, date)
        plan = self._plan(company, date, partner_ids)
        History = self.env["credit.dunning.history"].sudo()
        done = History
        for start in range(0, len(plan), batch_size):
            for partner, policy, step in plan[start : start + batch_size]:
                done |= self._run_step(company, date, partner, policy, step, by_user)
            self.env["ir.cron"]._notify_progress(
                done=min(start + batch_size, len(plan)), remaining=max(len(plan) - start - batch_size, 0)
            )
            if auto_commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit
        return done

    @api.model
    def _locked_levels(self, move_ids):
        """``{invoice id: its current level's days}`` of the invoices this transaction could lock.

        Invoices another transaction holds are left out (``SKIP LOCKED``); one that another
        transaction changed since this one began raises a serialization failure (not logged as an
        error: the caller skips the customer).
        """
        self.env.cr.execute(
            SQL(
                """
                SELECT move.id, level.days
                  FROM account_move move
             LEFT JOIN credit_dunning_level level ON level.id = move.credit_dunning_level_id
                 WHERE move.id IN %s
                   FOR UPDATE OF move SKIP LOCKED
                """,
                tuple(move_ids),
            ),
            log_exceptions=False,
        )
        rows = self.env.cr.fetchall()
        return dict(rows)

    @api.model
    def _run_step(self, company, date, partner, policy, step, by_user):
        """Do one customer's step in its own savepoint; a failure is recorded and the run goes on."""
        History = self.env["credit.dunning.history"].sudo()
        level = self.env["credit.dunning.level"].browse(step.level.key)
        moves = self.env["account.move"].browse(list(step.items))
        values = {
            "company_id": company.id,
            "partner_id": partner.id,
            "level_id": level.id,
            "date": date,
            "move_ids": [fields.Command.set(moves.ids)],
            "amount": step.amount,
            "user_id": by_user and self.env.user.id,
        }
        try:
            with self.env.cr.savepoint():
                locked = self._locked_levels(moves.ids)
                if len(locked) < len(moves) or any(
                    days is not None and days >= step.items[move_id].days for move_id, days in locked.items()
                ):
                    # Another run has these invoices, or has done this step already.
                    return History
                result = self._do_step(company, date, partner, level, moves, step)
                return History.create({**values, **result, "state": "done"})
        except psycopg2.errors.SerializationFailure:
            _logger.info("Dunning of %s: its invoices were changed by another run, skipped", partner.id)
            return History
        except Exception as error:  # noqa: BLE001 - recorded in the history, the run goes on
            _logger.warning("Dunning of customer %s failed", partner.id, exc_info=True)
            return History.create({**values, "state": "failed", "error": str(error)})

    @api.model
    def _do_step(self, company, date, partner, level, moves, step):
        """The level's actions for the customer; the history values they give."""
        # Each invoice remembers the level it reached and when: one UPDATE for all of them (the
        # two columns are this module's own, with nothing to compute or check on an invoice).
        self.env.execute_query(
            SQL(
                """
                UPDATE account_move SET credit_dunning_level_id = levels.level_id, credit_dunning_date = %s
                  FROM (VALUES %s) AS levels(move_id, level_id)
                 WHERE account_move.id = levels.move_id
                """,
                date,
                SQL(", ").join(
                    SQL("(%s, %s)", move_id, reached.key) for move_id, reached in step.items.items()
                ),
            )
        )
        moves.invalidate_recordset(["credit_dunning_level_id", "credit_dunning_date"])
        result = {"channel_email": False, "channel_letter": False}
        recipient = partner._credit_dunning_recipient()
        letter = False
        if level.send_letter:
            letter = self._letter(partner, level, moves, date)
            result["channel_letter"] = True
        if level.send_email and recipient.email:
            message = self._send_email(company, date, partner, recipient, level, moves, letter)
            result.update({"channel_email": True, "message_id": message.id, "email_to": recipient.email})
        activity_needed = level.create_activity or (level.send_email and not recipient.email)
        if activity_needed:
            activity = self._plan_activity(
                partner, level, moves, step, no_email=level.send_email and not recipient.email
            )
            result["activity_id"] = activity.id
        if level.set_hold and not partner.credit_hold:
            partner.sudo()._credit_dunning_hold(level)
            result["channel_hold"] = True
        if level.hand_over:
            partner.sudo().write({"credit_dunning_handed_over": True})
            result["channel_hand_over"] = True
        return result

    @api.model
    def _email_values(self, company, date, partner, level, moves):
        """What the email and the letter list: the invoices reminded, the open credits, the total."""
        currency = company.currency_id
        lang = partner.lang or self.env.lang
        env = self.with_context(lang=lang).env
        residuals = {
            move_id: residual
            for move_id, _due, residual, _days in self._open_invoices(company, partner.ids)[partner.id]
        }
        open_credits = (
            self.env["account.move.line"]
            .sudo()
            .search(
                [
                    ("company_id", "=", company.id),
                    ("partner_id", "child_of", partner.id),
                    ("account_type", "=", "asset_receivable"),
                    ("parent_state", "=", "posted"),
                    ("reconciled", "=", False),
                    ("amount_residual", "<", 0),
                ]
            )
        )
        self._ensure_access_tokens(moves)
        lines = [
            {
                "name": move.name,
                "invoice_date": format_date(env, move.invoice_date),
                "due_date": format_date(env, move.invoice_date_due),
                "days": (date - move.invoice_date_due).days,
                "amount": format_amount(env, residuals.get(move.id, 0.0), currency),
                "url": company.get_base_url().rstrip("/") + move.get_portal_url(),
            }
            for move in moves.sudo().sorted("invoice_date_due")
        ]
        credit_lines = [
            {
                "name": line.move_id.name,
                "date": format_date(env, line.date),
                "amount": format_amount(env, line.amount_residual, currency),
            }
            for line in open_credits
        ]
        total = sum(residuals.get(move.id, 0.0) for move in moves) + sum(
            open_credits.mapped("amount_residual")
        )
        return {
            "level": level.with_context(lang=lang).name,
            "lines": lines,
            "credits": credit_lines,
            "total": format_amount(env, total, currency),
            "pay_url": company.get_base_url().rstrip("/") + "/my/invoices",
            "date": format_date(env, date),
            "company": company.name,
        }

    @api.model
    def _ensure_access_tokens(self, moves):
        """Give the invoices without one a portal access token, in one query (the email links them)."""
        missing = moves.sudo().filtered(lambda move: not move.access_token)
        if missing:
            self.env.execute_query(
                SQL(
                    "UPDATE account_move SET access_token = tokens.token "
                    "FROM (VALUES %s) AS tokens(id, token) WHERE account_move.id = tokens.id",
                    SQL(", ").join(SQL("(%s, %s)", move.id, str(uuid.uuid4())) for move in missing),
                )
            )
            missing.invalidate_recordset(["access_token"])

    @api.model
    def _letter(self, partner, level, moves, date):
        company = self.env.company
        values = self._email_values(company, date, partner, level, moves)
        content, report_type = (
            self.env["ir.actions.report"]
            .sudo()
            .with_context(lang=partner.lang or self.env.lang)
            ._render_qweb_pdf(
                "credit_risk_addon.action_report_dunning_letter", partner.ids, data={"dunning": values}
            )
        )
        name = self.env._(
            "Reminder %(date)s.%(ext)s", date=date, ext="pdf" if report_type == "pdf" else "html"
        )
        return (
            self.env["ir.attachment"]
            .sudo()
            .create({"name": name, "raw": content, "res_model": "res.partner", "res_id": partner.id})
        )

    @api.model
    def _send_email(self, company, date, partner, recipient, level, moves, letter):
        """Queue the reminder (never sent in the run) and log it on the customer; the message."""
        values = self._email_values(company, date, partner, level, moves)
        template = level.mail_template_id.with_context(credit_dunning=values)
        rendered = template._generate_template([partner.id], ["subject", "body_html", "email_from"])[
            partner.id
        ]
        return (
            partner.with_context(mail_notify_force_send=False)
            .sudo()
            .message_post(
                subject=rendered["subject"],
                body=rendered["body_html"],
                email_from=rendered.get("email_from") or None,
                partner_ids=recipient.ids,
                attachment_ids=letter.ids if letter else [],
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
                email_layout_xmlid="mail.mail_notification_light",
            )
        )

    @api.model
    def _plan_activity(self, partner, level, moves, step, no_email=False):
        activity_type = level.activity_type_id or self.env.ref("mail.mail_activity_data_todo")
        if no_email:
            summary = self.env._("%(level)s: no email address, contact the customer", level=level.name)
        else:
            summary = level.activity_note or level.name
        return partner.sudo().activity_schedule(
            activity_type_id=activity_type.id,
            summary=summary,
            note=self.env._(
                "%(count)s overdue invoice(s): %(invoices)s",
                count=len(moves),
                invoices=", ".join(moves.mapped("name")),
            ),
            user_id=partner._credit_collector().id or self.env.user.id,
        )
