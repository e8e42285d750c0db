"""Benchmark of the credit figures, the exposure report and the sale-order credit gate.

Builds its own data sets, one database per size (``credit_bench_200``,
``credit_bench_2000`` by default), then measures; a rerun only measures.

    python3 scripts/benchmark.py [--sizes 200,2000] [--rebuild | --build-only] [--runs 15]
                                 [--write docs/benchmark.md]

Take the measures on a quiet machine (check ``uptime``): the report states
the 1-minute load at the start and the end of the measures. ``--write`` keeps
whatever follows the marker line of the file it rewrites (plans, analysis).

**Data set.** A database is created from scratch with ``-i credit_risk_addon``
and no demo data, then filled through the ORM in batches and committed:
per customer one or two contacts, two years of history (orders confirmed and
invoiced from their lines, direct invoices, credit notes), payments that
settle most old invoices in full and some in part, a few payments not matched
yet, one or two confirmed orders not invoiced yet (some with a draft invoice),
draft invoices, quotations, credit limits for three customers in four (some
below what the customer owes) and a few holds. The same seed gives the same data. It is rebuilt
when missing or with ``--rebuild``; its build time is stored in it. Then
``VACUUM ANALYZE``.

**Measures.** Each operation runs ``--runs`` times with a cold ORM cache
(``env.invalidate_all()``, a fresh ``cr.cache`` as a new request has); the
median time and the query count are reported. Each run of an operation
alternates with a run of the *reference query*, a plain SQL aggregate over
the same tables (each customer's open receivable), and the ratio is taken
between the two medians of the same run. The operations run as the users who
would run them: a credit user (read-only credit group) for the figures, the
report, the filters and the sort; a salesperson (all documents) for the
quotations. Nothing is changed in the database by the measures: the
confirmations are rolled back to a savepoint, the transaction at the end.

**Aged receivables** (``--aged``; the sizes above are then left alone):

    python3 scripts/benchmark.py --aged [--aged-items 100000] [--aged-customers 3000]
                                 [--rebuild | --build-only] [--runs 5] [--write docs/benchmark.md]

Its own database, ``credit_bench_aged``, with about ``--aged-items`` open
receivable items. ``--write`` rewrites only its section of the file (between
its own marker lines, below the kept marker), so the two runs never undo
each other. Building 100,000 open items through the ORM would take hours, so
the database is built in two steps:

1. *Seed, through the ORM* (as ``build`` does, committed in batches): 3,000
   customers (companies, five countries), then about one invoice per
   customer over two years (dated ``HISTORY_DAYS * random() ** 1.15`` days
   back: more of them recent), of one or two lines with the sale tax; a fifth
   of them in three installments (30 % / 30 % / 40 % at 30, 60 and 90 days:
   three receivable items), a tenth due at once, the others at 30 days; 15 %
   in a second currency (EUR, or USD for a EUR company) with a rate a month.
   Credit notes for 8 % of the customers. Payments as ``AGED_PAYMENTS`` says:
   55 % of the invoices paid in full 5 to 45 days after the invoice, 22 % 46
   to 120 days, 12 % 121 to 365 days, 6 % paid 30 to 70 % within 90 days, 5 %
   never; a payment dated after today is not made yet. Each payment is posted
   in the invoice's currency and matched with the invoice's receivable items
   (``_reconcile_plan``: installments in due-date order, exchange difference
   entries where the rates differ); payments on account (not matched) for a
   tenth of the customers; half the credit notes matched with an open invoice.
   Credit limits for three customers in four.
2. *Copies, in SQL* (``SeedCopier``), as many as bring the open items to
   ``--aged-items``: each copy k is an ``INSERT ... SELECT`` per table of every
   column of the seed's posted entries (``account_move``, ``account_move_line``,
   ``account_payment``, ``account_partial_reconcile``,
   ``account_full_reconcile`` and their relation tables), with new ids from
   the tables' sequences, where each seed customer's history (its entries are
   only ever reconciled with each other; checked first) goes to another
   customer (number ``i + k * 7919`` modulo the customers) and is dated 0 to
   30 days earlier (one shift per copy and customer: invoice, due, payment and
   reconciliation dates move together). Entries are numbered after the seed
   in their journal and year (``INV/2025/01234``); amounts, currencies,
   residuals, matching numbers and payment states are the seed's, so every
   copy is as consistent as the seed. A reference from any other table to
   the seed stops the build. Then the module's nightly aging of the invoices,
   ``VACUUM ANALYZE`` and the stored figures refreshed (the scheduled job).

After the build and before the measures the data is checked, and printed:
the report's total of open items (as the credit user) equals the receivable
accounts' balance, today and a year back; Odoo's ``amount_residual`` of the
open items equals it too; each customer's total in the report equals the
reference query's; every entry is balanced; each receivable item's residual
is its balance less its reconciliations.

Measures, as the credit user, cold ORM cache, medians of ``--runs``, each run
beside a run of the reference query (each customer's open receivable in
plain SQL): the *View* (the list grouped by customer: ``web_read_group`` with
the list's sums, 80 groups) and the *Export's read* (``_export_data``) today
and as of a year back; the workbook (``build_workbook`` on the button's own
input, alternated with XlsxWriter alone writing the same rows with
``write_row``), its size; the Export button's click, the job's build
(``_build_xlsx``) and the export end to end (the click, then the scheduled job
that builds a queued export), rolled back; EXPLAIN (ANALYZE, BUFFERS) of each
report query. The targets (query under 2 s, workbook under 5 s) are reported
PASS or FAIL; this is not a test.
"""

import argparse
import base64
import contextlib
import datetime
import io
import json
import math
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import psycopg2

import odoo
from odoo import SUPERUSER_ID, Command, api
from odoo.modules.registry import Registry
from odoo.tools import SQL, config

DEFAULT_SIZES = "200,2000"
RUNS = 15
COLUMN_SIZES = (1, 20, 80)
# Customers changed since the last refresh of the stored figures, in the measures that say so.
CHANGED = 50
BATCH = 400
TODAY = datetime.date.today()
HISTORY_DAYS = 730
# Builds run without mail noise: no tracking values, no creation messages.
BUILD_CONTEXT = {
    "tracking_disable": True,
    "mail_create_nolog": True,
    "mail_create_nosubscribe": True,
    "mail_notrack": True,
    "mail_auto_subscribe_no_notify": True,
}
BUILD_PARAM = "credit_bench.build"
# The savepoint that undoes each confirmation (not counted: it is the benchmark's).
BENCH_SAVEPOINT = "credit_bench_run"
SAVEPOINT_STATEMENT = re.compile(rf"(SAVEPOINT|ROLLBACK TO SAVEPOINT|RELEASE SAVEPOINT) {BENCH_SAVEPOINT}$")
# The queries that read the figures: the figures query (credit.figures._raw_query
# has this column) or the store of figures (credit.figures.store).
FIGURES_MARKER = re.compile(r"has_activity|credit_figures_store")
# Markdown after this line in the output file is kept as written (query plans, analysis).
KEEP_MARKER = "<!-- Everything below is kept by scripts/benchmark.py --write. -->"
# The report's list view columns.
REPORT_COLUMNS = [
    "credit_limit",
    "exposure",
    "available",
    "receivable",
    "draft_invoices",
    "orders",
    "aging_not_due",
    "aging_1_30",
    "aging_31_60",
    "aging_61_90",
    "aging_91_120",
    "aging_over_120",
    "unapplied_credits",
    "overdue",
    "oldest_overdue_days",
    "dso",
    "credit_hold",
    "over_limit",
    "past_overdue_threshold",
]

REFERENCE_QUERY = """
    SELECT partner.commercial_partner_id, SUM(line.amount_residual)
      FROM account_move_line line
      JOIN account_account account ON account.id = line.account_id
      JOIN res_partner partner ON partner.id = line.partner_id
     WHERE line.parent_state = 'posted'
       AND account.account_type = 'asset_receivable'
       AND line.reconciled IS NOT TRUE
       AND line.company_id = %(company)s
  GROUP BY partner.commercial_partner_id
"""
# For context only (no target uses it): plain sums over every table the
# figures read, without their netting, aging and windows.
ALL_SOURCES_QUERY = """
    SELECT partner_id, SUM(receivable), SUM(orders), SUM(drafts), SUM(invoiced)
      FROM (
        SELECT partner.commercial_partner_id AS partner_id, line.amount_residual AS receivable,
               0 AS orders, 0 AS drafts, 0 AS invoiced
          FROM account_move_line line
          JOIN account_account account ON account.id = line.account_id
          JOIN res_partner partner ON partner.id = line.partner_id
         WHERE line.parent_state = 'posted' AND account.account_type = 'asset_receivable'
           AND line.reconciled IS NOT TRUE AND line.company_id = %(company)s
         UNION ALL
        SELECT partner.commercial_partner_id, 0, sol.price_total - COALESCE(billed.amount, 0), 0, 0
          FROM sale_order_line sol
          JOIN sale_order sale ON sale.id = sol.order_id
          JOIN res_partner partner ON partner.id = sale.partner_invoice_id
     LEFT JOIN (SELECT rel.order_line_id, SUM(aml.price_total) AS amount
                  FROM sale_order_line_invoice_rel rel
                  JOIN account_move_line aml ON aml.id = rel.invoice_line_id
                 WHERE aml.parent_state = 'posted'
              GROUP BY rel.order_line_id) billed ON billed.order_line_id = sol.id
         WHERE sale.state = 'sale' AND sol.display_type IS NULL AND sale.company_id = %(company)s
         UNION ALL
        SELECT partner.commercial_partner_id, 0, 0, -line.balance, 0
          FROM account_move_line line
          JOIN account_move move ON move.id = line.move_id
          JOIN res_partner partner ON partner.id = move.partner_id
         WHERE move.state = 'draft' AND move.move_type = 'out_invoice' AND line.display_type = 'product'
           AND move.company_id = %(company)s
         UNION ALL
        SELECT partner.commercial_partner_id, 0, 0, 0, move.amount_total_signed
          FROM account_move move
          JOIN res_partner partner ON partner.id = move.partner_id
         WHERE move.state = 'posted' AND move.move_type IN ('out_invoice', 'out_refund', 'out_receipt')
           AND move.company_id = %(company)s
      ) source
  GROUP BY partner_id
"""


def chunks(items, size=BATCH):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def log(message):
    print(f"[{datetime.datetime.now():%H:%M:%S}] {message}", flush=True)


# ----------------------------------------------------------------------
# Databases
# ----------------------------------------------------------------------
def connect(args, dbname="postgres"):
    return psycopg2.connect(dbname=dbname, host=args.db_host, port=args.db_port, user=args.db_user)


def database_ready(args, dbname):
    """The database exists and holds a finished build."""
    conn = connect(args)
    try:
        with conn.cursor() as cr:
            cr.execute("SELECT 1 FROM pg_database WHERE datname = %s", [dbname])
            if not cr.fetchone():
                return False
    finally:
        conn.close()
    conn = connect(args, dbname)
    try:
        with conn.cursor() as cr:
            cr.execute("SELECT to_regclass('ir_config_parameter') IS NOT NULL")
            if not cr.fetchone()[0]:
                return False
            cr.execute("SELECT 1 FROM ir_config_parameter WHERE key = %s", [BUILD_PARAM])
            return bool(cr.fetchone())
    finally:
        conn.close()


def drop_database(args, dbname):
    conn = connect(args)
    conn.autocommit = True
    try:
        with conn.cursor() as cr:
            cr.execute(SQL("DROP DATABASE IF EXISTS %s", SQL.identifier(dbname)).code)
    finally:
        conn.close()


def vacuum_analyze(args, dbname):
    conn = connect(args, dbname)
    conn.autocommit = True
    try:
        with conn.cursor() as cr:
            cr.execute("VACUUM ANALYZE")
    finally:
        conn.close()


def install(args, dbname, option="-i"):
    """A new database with credit_risk_addon and no demo data, by Odoo's own command line.

    With ``option="-u"``: the module of an existing data set updated to the code measured.
    """
    command = [
        sys.executable,
        *("-m", "odoo", "-d", dbname, "--db_host", args.db_host, "--db_port", args.db_port),
        *("--db_user", args.db_user, "--addons-path", args.addons_path),
        *(option, "credit_risk_addon", "--without-demo=all", "--stop-after-init", "--no-http"),
        *("--max-cron-threads", "0", "--log-level", "warn"),
    ]
    # Never from inside an addons folder: its modules would shadow the stdlib.
    subprocess.run(command, cwd="/tmp", check=True)


# ----------------------------------------------------------------------
# Data set
# ----------------------------------------------------------------------
class DataSet:
    """Customers with two years of realistic credit history, generated through the ORM in batches."""

    def __init__(self, env, size, seed):
        self.env = env
        self.size = size
        self.rng = random.Random(seed)
        self.company = env.company
        self.stats = {}

    def commit(self, phase, start):
        self.env.flush_all()
        self.env.cr.commit()
        self.env.invalidate_all()
        log(f"  {phase}: {time.perf_counter() - start:.0f} s")

    def day(self, low, high):
        """A date ``low`` to ``high`` days ago."""
        return TODAY - datetime.timedelta(days=self.rng.randint(low, high))

    def generate(self):
        env = self.env
        self.setup()
        start = time.perf_counter()
        customers = self.make_partners()
        self.commit(f"{len(customers)} customers and their contacts", start)

        start = time.perf_counter()
        history, open_orders, quotations = self.make_orders(customers)
        self.commit(f"{len(history) + len(open_orders) + len(quotations)} orders", start)

        start = time.perf_counter()
        invoices, refunds = self.make_moves(customers, history, open_orders)
        self.commit(f"{len(invoices)} invoices, {len(refunds)} credit notes", start)

        start = time.perf_counter()
        self.settle(customers, invoices, refunds)
        self.commit(f"{self.stats['payments']} payments", start)

        start = time.perf_counter()
        self.set_limits(customers)
        self.commit("credit limits and holds", start)

        self.company.write({"account_use_credit_limit": True, "credit_gate_mode": "block"})
        env.flush_all()
        self.stats.update(
            customers=len(customers),
            quotations=len(quotations),
            move_lines=env["account.move.line"].search_count([]),
        )
        return self.stats

    def setup(self):
        env = self.env
        # The gate stays off while the history is written: it is switched on at the end.
        self.company.write({"account_use_credit_limit": False, "credit_overdue_days": 60})
        tax = self.company.account_sale_tax_id
        self.goods = env["product.product"].create(
            {"name": "Pallet", "type": "consu", "invoice_policy": "order", "list_price": 120.0}
        )
        self.service = env["product.product"].create(
            {"name": "Installation", "type": "service", "invoice_policy": "order", "list_price": 80.0}
        )
        (self.goods | self.service).taxes_id = tax
        self.term = env.ref("account.account_payment_term_30days")
        self.bank = env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", self.company.id)], limit=1
        )
        users = env["res.users"].with_context(no_reset_password=True)
        users.create(
            {
                "name": "Benchmark Credit User",
                "login": "bench_credit",
                "email": "bench_credit@example.com",
                "groups_id": [
                    Command.set(
                        [env.ref("base.group_user").id, env.ref("credit_risk_addon.group_credit_user").id]
                    )
                ],
            }
        )
        users.create(
            {
                "name": "Benchmark Salesperson",
                "login": "bench_sales",
                "email": "bench_sales@example.com",
                "groups_id": [Command.set([env.ref("sales_team.group_sale_salesman_all_leads").id])],
            }
        )

    def make_partners(self):
        env, rng = self.env, self.rng
        Partner = env["res.partner"]
        customers = Partner.browse()
        for batch in chunks(range(self.size)):
            customers |= Partner.create(
                [
                    {
                        "name": f"Customer {index:05d}",
                        "is_company": True,
                        "customer_rank": 1,
                        "email": f"customer{index}@example.com",
                        "city": rng.choice(["Lyon", "Ghent", "Porto", "Leeds", "Basel"]),
                        "property_payment_term_id": self.term.id,
                    }
                    for index in batch
                ]
            )
        contacts = [
            {"name": f"Buyer {number} at {customer.name}", "parent_id": customer.id, "type": "contact"}
            for customer in customers
            for number in range(1 + (rng.random() < 0.5))
        ]
        for batch in chunks(contacts):
            Partner.create(batch)
        self.stats["contacts"] = len(contacts)
        return customers

    def order_vals(self, customer):
        """An order of one to three lines, placed by the customer or one of its contacts."""
        rng = self.rng
        buyer = customer.child_ids[:1] if customer.child_ids and rng.random() < 0.4 else customer
        lines = []
        for _line in range(rng.randint(1, 3)):
            product = self.goods if rng.random() < 0.7 else self.service
            lines.append(
                Command.create(
                    {
                        "product_id": product.id,
                        "product_uom_qty": rng.randint(1, 20),
                        "price_unit": round(product.list_price * rng.uniform(0.8, 1.2), 2),
                    }
                )
            )
        return {"partner_id": buyer.id, "order_line": lines}

    def make_orders(self, customers):
        """Orders over two years (invoiced later), recent ones not invoiced yet, and quotations."""
        env, rng = self.env, self.rng
        Order = env["sale.order"]
        plans = []  # (kind, date, vals)
        for index, customer in enumerate(customers):
            for _order in range(rng.randint(2, 4)):
                plans.append(("history", self.day(40, HISTORY_DAYS), self.order_vals(customer)))
            for _order in range(rng.randint(1, 2)):
                plans.append(("open", self.day(0, 30), self.order_vals(customer)))
            if index % 2 == 0 or index < 100:
                plans.append(("quotation", self.day(0, 10), self.order_vals(customer)))
        orders = Order.browse()
        for batch in chunks(plans):
            orders |= Order.create([vals for _kind, _date, vals in batch])
        kinds = {kind: orders.browse() for kind in ("history", "open", "quotation")}
        dates = {}
        for order, (kind, date, _vals) in zip(orders, plans, strict=True):
            kinds[kind] |= order
            dates[order.id] = date
        for batch in chunks((kinds["history"] | kinds["open"]).ids):
            Order.browse(batch).action_confirm()
        env.flush_all()
        # Confirmation stamps the order with today; put the orders back on their days.
        env.cr.execute(
            SQL(
                "UPDATE sale_order SET date_order = d.day FROM (VALUES %s) AS d(id, day) "
                "WHERE sale_order.id = d.id",
                SQL(", ").join(SQL("(%s, %s::timestamp)", oid, day) for oid, day in dates.items()),
            )
        )
        env.invalidate_all()
        self.order_dates = dates
        self.stats.update(
            history_orders=len(kinds["history"]),
            open_orders=len(kinds["open"]),
            quotations=len(kinds["quotation"]),
        )
        return kinds["history"], kinds["open"], kinds["quotation"]

    def invoice_from_order(self, order, invoice_date):
        lines = [
            Command.create(
                {
                    "product_id": line.product_id.id,
                    "name": line.name,
                    "quantity": line.product_uom_qty,
                    "price_unit": line.price_unit,
                    "tax_ids": [Command.set(line.tax_id.ids)],
                    "sale_line_ids": [Command.link(line.id)],
                }
            )
            for line in order.order_line
        ]
        return {
            "move_type": "out_invoice",
            "partner_id": order.partner_invoice_id.id,
            "invoice_date": invoice_date,
            "invoice_origin": order.name,
            "invoice_line_ids": lines,
        }

    def direct_move(self, customer, move_type, invoice_date, amount):
        return {
            "move_type": move_type,
            "partner_id": customer.id,
            "invoice_date": invoice_date,
            "invoice_line_ids": [
                Command.create({"product_id": self.service.id, "quantity": 1, "price_unit": amount})
            ],
        }

    def make_moves(self, customers, history, open_orders):
        """Invoices from the orders of the history, direct invoices, credit notes, drafts."""
        env, rng = self.env, self.rng
        Move = env["account.move"]
        posted, drafts = [], []
        for order in history:
            date = self.order_dates[order.id] + datetime.timedelta(days=rng.randint(0, 10))
            posted.append(self.invoice_from_order(order, min(date, TODAY)))
        for order in open_orders:
            if rng.random() < 0.25:
                drafts.append(self.invoice_from_order(order, False))
        for customer in customers:
            for _invoice in range(rng.randint(1, 3)):
                amount = round(rng.uniform(150, 2500), 2)
                posted.append(self.direct_move(customer, "out_invoice", self.day(0, HISTORY_DAYS), amount))
            if rng.random() < 0.3:
                amount = round(rng.uniform(50, 400), 2)
                posted.append(self.direct_move(customer, "out_refund", self.day(0, 300), amount))
            if rng.random() < 0.1:
                drafts.append(
                    self.direct_move(customer, "out_invoice", False, round(rng.uniform(100, 900), 2))
                )
        # Posted in date order, as they would have been.
        posted.sort(key=lambda vals: vals["invoice_date"])
        moves = Move.browse()
        for batch in chunks(posted):
            created = Move.create(batch)
            created.action_post()
            moves |= created
            env.flush_all()
        for batch in chunks(drafts):
            Move.create(batch)
        self.stats["draft_invoices"] = len(drafts)
        invoices = moves.filtered(lambda move: move.move_type == "out_invoice")
        return invoices, moves - invoices

    def settle(self, customers, invoices, refunds):
        """Payments: most old invoices paid in full, some in part, recent ones mostly open;
        half the credit notes matched with an open invoice; a few payments not matched yet."""
        env, rng = self.env, self.rng
        Payment = env["account.payment"]
        plan = []  # (invoice or None, partner, amount, date)
        for invoice in invoices:
            age = (TODAY - invoice.invoice_date).days
            full, partial = (0.2, 0.1) if age <= 30 else (0.5, 0.15) if age <= 60 else (0.72, 0.1)
            if age > 120:
                full, partial = 0.9, 0.05
            draw = rng.random()
            if draw >= full + partial:
                continue
            residual = invoice.amount_residual
            amount = residual if draw < full else round(residual * rng.uniform(0.3, 0.7), 2)
            date = min(invoice.invoice_date + datetime.timedelta(days=rng.randint(5, 45)), TODAY)
            plan.append((invoice, invoice.commercial_partner_id, amount, date))
        for customer in customers:
            if rng.random() < 0.1:
                plan.append((None, customer, round(rng.uniform(100, 1000), 2), self.day(0, 90)))
        self.stats["payments"] = len(plan)
        self.stats["unmatched_payments"] = sum(1 for item in plan if item[0] is None)

        def receivable(move):
            return move.line_ids.filtered(lambda line: line.account_id.account_type == "asset_receivable")

        for batch in chunks(plan):
            payments = Payment.create(
                [
                    {
                        "payment_type": "inbound",
                        "partner_type": "customer",
                        "partner_id": partner.id,
                        "amount": amount,
                        "date": date,
                        "journal_id": self.bank.id,
                        "memo": invoice.name if invoice else "On account",
                    }
                    for invoice, partner, amount, date in batch
                ]
            )
            payments.action_post()
            pairs = [
                receivable(invoice) + receivable(payment.move_id)
                for payment, (invoice, _partner, _amount, _date) in zip(payments, batch, strict=True)
                if invoice
            ]
            env["account.move.line"]._reconcile_plan(pairs)
            env.flush_all()
        # Half the credit notes settle an invoice of the same customer still open.
        open_by_partner = {}
        for invoice in invoices.filtered(lambda move: move.payment_state == "not_paid"):
            open_by_partner.setdefault(invoice.commercial_partner_id.id, invoice)
        pairs = []
        for refund in refunds:
            if rng.random() < 0.5 and refund.commercial_partner_id.id in open_by_partner:
                invoice = open_by_partner.pop(refund.commercial_partner_id.id)
                pairs.append(receivable(invoice) + receivable(refund))
        for batch in chunks(pairs):
            env["account.move.line"]._reconcile_plan(batch)
        self.stats["matched_credit_notes"] = len(pairs)

    def set_limits(self, customers):
        """About three customers in four get a limit, one in ten of those below its exposure; a few holds."""
        env, rng = self.env, self.rng
        self.company.account_use_credit_limit = True
        figures = env["credit.figures"]._fetch(self.company, customers.ids)
        by_limit = {}
        for customer in customers:
            draw = rng.random()
            if draw < 0.25:
                continue
            exposure = figures[customer.id]["exposure"] or 0.0
            factor = rng.uniform(0.5, 0.95) if draw < 0.33 else rng.uniform(1.3, 3.0)
            limit = max(round(exposure * factor, -2), 1000.0)
            by_limit.setdefault(limit, []).append(customer.id)
        for limit, ids in by_limit.items():
            env["res.partner"].browse(ids).write({"credit_limit": limit})
        held = customers.filtered(lambda _customer: rng.random() < 0.02)
        held.write({"credit_hold": True, "credit_hold_reason": "Disputed invoices"})
        self.stats["with_limit"] = sum(len(ids) for ids in by_limit.values())
        self.stats["on_hold"] = len(held)


def build(args, size):
    dbname = f"{args.db_prefix}_{size}"
    log(f"Building {dbname} ({size} customers)")
    start = time.perf_counter()
    drop_database(args, dbname)
    install(args, dbname)
    installed = time.perf_counter() - start
    log(f"  installed credit_risk_addon: {installed:.0f} s")
    registry = Registry(dbname)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, BUILD_CONTEXT)
        stats = DataSet(env, size, seed=size).generate()
        cr.commit()
    start_analyze = time.perf_counter()
    vacuum_analyze(args, dbname)
    stats.update(
        install_s=round(installed),
        generate_s=round(start_analyze - start - installed),
        total_s=round(time.perf_counter() - start),
        built=str(datetime.date.today()),
    )
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        env["ir.config_parameter"].set_param(BUILD_PARAM, json.dumps(stats))
    log(f"  built in {stats['total_s']} s: {stats}")
    return stats


# ----------------------------------------------------------------------
# Measures
# ----------------------------------------------------------------------
class Bench:
    """Cold-cache timings and query counts inside one transaction, rolled back at the end."""

    def __init__(self, env, runs, marker=FIGURES_MARKER):
        self.env = env
        self.cr = env.cr
        self.runs = runs
        self.company_id = env.company.id
        # The queries counted apart (n × ms): the figures', or the report's.
        self.marker = marker

    def cold(self):
        self.env.invalidate_all()
        self.cr.cache.clear()

    @contextlib.contextmanager
    def capture(self):
        """The text of every query run inside the block."""
        queries = []
        cursor_class = type(self.cr)
        execute = cursor_class.execute

        def capturing(cr, query, params=None, log_exceptions=True):
            start = time.perf_counter()
            try:
                return execute(cr, query, params, log_exceptions)
            finally:
                code = query.code if isinstance(query, SQL) else str(query)
                queries.append((code, (time.perf_counter() - start) * 1000))

        cursor_class.execute = capturing
        try:
            yield queries
        finally:
            cursor_class.execute = execute

    def once(self, func):
        """(queries, figures queries, ms in the figures queries, ms) of one cold-cache run of ``func``."""
        self.cold()
        with self.capture() as queries:
            start = time.perf_counter()
            func()
            elapsed = (time.perf_counter() - start) * 1000
        queries = [(code, ms) for code, ms in queries if not SAVEPOINT_STATEMENT.match(code)]
        figures = [ms for code, ms in queries if self.marker.search(code)]
        return len(queries), len(figures), sum(figures), elapsed

    def reference(self, query=REFERENCE_QUERY, params=None):
        self.cr.execute(query, {"company": self.company_id, **(params or {})})
        self.cr.fetchall()

    def measure(self, func, with_reference=True):
        """{queries, ms, ref_ms, ratio}: medians of ``runs`` runs, each next to a reference run."""
        func()  # warm the registry caches and PostgreSQL's buffers
        self.reference()
        counts, figure_counts, figure_times, times, refs = [], [], [], [], []
        for _run in range(self.runs):
            if with_reference:
                refs.append(self.once(self.reference)[-1])
            queries, figure_queries, figure_ms, elapsed = self.once(func)
            counts.append(queries)
            figure_counts.append(figure_queries)
            figure_times.append(figure_ms)
            times.append(elapsed)
        result = {
            "queries": max(counts),
            "figure_queries": max(figure_counts),
            "figures_ms": statistics.median(figure_times),
            "ms": statistics.median(times),
        }
        if with_reference:
            result["ref_ms"] = statistics.median(refs)
            result["ratio"] = result["ms"] / result["ref_ms"]
        return result

    def measure_alternating(self, variants):
        """{name: {queries, ms, ...}} of ``variants`` ({name: (setup, func)}), their runs interleaved."""
        runs = {name: [] for name in variants}
        for setup, func in variants.values():
            setup()
            func()  # warm up
        for _run in range(self.runs):
            for name, (setup, func) in variants.items():
                setup()
                runs[name].append(self.once(func))
        return {
            name: {
                "queries": max(run[0] for run in measured),
                "figure_queries": max(run[1] for run in measured),
                "figures_ms": statistics.median(run[2] for run in measured),
                "ms": statistics.median(run[3] for run in measured),
            }
            for name, measured in runs.items()
        }

    def rolled_back(self, func):
        """``func`` then a flush (a request ends with one), undone afterwards."""

        def run():
            self.cr.execute(f"SAVEPOINT {BENCH_SAVEPOINT}")
            try:
                func()
                self.env.flush_all()
            finally:
                self.cr.execute(f"ROLLBACK TO SAVEPOINT {BENCH_SAVEPOINT}")
                self.cr.execute(f"RELEASE SAVEPOINT {BENCH_SAVEPOINT}")
                self.env.invalidate_all(flush=False)
                self.cr.precommit.clear()
                self.cr.postcommit.clear()

        return run


def figure_fields(env):
    partner_fields = env["res.partner"]._fields
    return [name for name, field in partner_fields.items() if field.compute == "_compute_credit_figures"]


def measure_database(args, size):
    dbname = f"{args.db_prefix}_{size}"
    registry = Registry(dbname)
    results = {}
    with registry.cursor() as cr:
        root = api.Environment(cr, SUPERUSER_ID, {})
        build_stats = json.loads(root["ir.config_parameter"].get_param(BUILD_PARAM))
        company = root.company
        users = {
            login: root["res.users"].search([("login", "=", login)]).id
            for login in ("bench_credit", "bench_sales")
        }
        context = {"lang": "en_US", "tz": "UTC", "allowed_company_ids": [company.id]}
        credit = api.Environment(cr, users["bench_credit"], context)
        sales = api.Environment(cr, users["bench_sales"], context)
        bench = Bench(root, args.runs)
        fields = figure_fields(root)
        Partner = credit["res.partner"]
        Report = credit["credit.exposure.report"]
        customers = [("customer_rank", ">", 0)]
        results["customers"] = Partner.search_count(customers)
        results["report_rows"] = Report.search_count([])

        # The store as the scheduled job leaves it: every customer recomputed
        # (what the first run of a day does), then nothing changed since.
        log(f"{dbname}: refreshing the stored figures")
        Store = root["credit.figures.store"]

        def refresh_all():
            cr.execute(SQL("DELETE FROM credit_figures_state"))
            Store._refresh()

        results["refresh_all"] = bench.measure(refresh_all, with_reference=False)
        cr.execute(SQL("DELETE FROM credit_figures_dirty"))
        changed_ids = Partner.search(
            [("customer_rank", ">", 0), ("is_company", "=", True)], limit=CHANGED
        ).ids

        def mark_changed():
            cr.execute(
                SQL("INSERT INTO credit_figures_dirty (partner_id) SELECT unnest(%s::int[])", changed_ids)
            )

        def refresh_changed():
            mark_changed()
            Store._refresh()

        results["refresh_changed"] = bench.measure(refresh_changed, with_reference=False)

        log(f"{dbname}: every customer's figures")
        results["all"] = bench.measure(lambda: Partner.search_read(customers, ["name", *fields]))
        results["ref_ms"] = results["all"]["ref_ms"]
        # The module's own part of it: the figures of every customer, without the ORM's read.
        commercial_ids = set(Partner.search(customers).commercial_partner_id.ids)
        results["all_figures"] = bench.measure(lambda: Store.sudo()._fetch(company, commercial_ids))
        # Context: the same search_read of as many stored partner columns (what
        # Odoo itself costs to read and format that many values).
        stored = [
            name
            for name, field in root["res.partner"]._fields.items()
            if field.store
            and field.column_type
            and not field.company_dependent
            and field.type != "binary"
            and not field.groups
        ][: len(fields)]
        results["orm_floor"] = bench.measure(lambda: Partner.search_read(customers, ["name", *stored]))
        results["all_sources_ref_ms"] = bench.measure(
            lambda: bench.reference(ALL_SOURCES_QUERY), with_reference=False
        )["ms"]
        # The same read with customers changed since the last run of the job.
        mark_changed()
        results["all_changed"] = bench.measure(lambda: Partner.search_read(customers, ["name", *fields]))
        cr.execute(SQL("DELETE FROM credit_figures_dirty"))
        log(f"{dbname}: pages")
        spec = {name: {} for name in ["name", *fields]}
        results["page"] = bench.measure(lambda: Partner.web_search_read(customers, spec, limit=80))
        # The same page without the credit columns: what Odoo's own list costs (its count grows).
        results["page_plain"] = bench.measure(
            lambda: Partner.web_search_read(customers, {"name": {}}, limit=80)
        )
        report_spec = {
            "partner_id": {"fields": {"display_name": {}}},
            "currency_id": {"fields": {}},
            **{name: {} for name in REPORT_COLUMNS},
        }
        results["report_page"] = bench.measure(lambda: Report.web_search_read([], report_spec, limit=80))
        log(f"{dbname}: filters and sort")
        results["over_limit"] = bench.measure(lambda: Partner.search_count([("credit_available", "<", 0)]))
        results["overdue"] = bench.measure(lambda: Partner.search_count([("credit_overdue_amount", ">", 0)]))
        results["sort"] = bench.measure(
            lambda: Partner.search(customers, order="credit_exposure desc", limit=80).ids
        )
        results["counts"] = {
            "over_limit": Partner.search_count([("credit_available", "<", 0)]),
            "overdue": Partner.search_count([("credit_overdue_amount", ">", 0)]),
        }

        log(f"{dbname}: confirmation and the credit-check column")
        Order = sales["sale.order"]
        quotations = Order.search([("state", "=", "draft")], order="id")
        statuses = dict(zip(quotations.ids, quotations.mapped("credit_gate_status"), strict=True))
        passing = quotations.filtered(lambda order: statuses[order.id] == "pass")[:1]
        results["statuses"] = {
            status: list(statuses.values()).count(status) for status in sorted(set(statuses.values()))
        }
        confirm = bench.rolled_back(passing.action_confirm)

        def gate(mode):
            def setup():
                company.credit_gate_mode = mode
                root.flush_all()

            return setup

        on_off = bench.measure_alternating({"block": (gate("block"), confirm), "off": (gate("off"), confirm)})
        gate("block")()
        results["confirm"] = {
            "on": on_off["block"],
            "off": on_off["off"],
            "extra_queries": on_off["block"]["queries"] - on_off["off"]["queries"],
            "extra_ms": on_off["block"]["ms"] - on_off["off"]["ms"],
        }
        one_per_customer = []
        seen = set()
        # Blocked first: the list of 1 shows a refusal's banner too, as the longer lists do.
        for order in quotations.sorted(lambda order: statuses[order.id] != "block"):
            debtor = order.partner_invoice_id.commercial_partner_id.id
            if debtor not in seen:
                seen.add(debtor)
                one_per_customer.append(order.id)
        results["column"] = {
            count: bench.measure(
                lambda ids=one_per_customer[:count]: Order.browse(ids).read(["credit_gate_status"]),
                with_reference=False,
            )
            for count in COLUMN_SIZES
        }
        cr.rollback()
    results["build"] = build_stats
    return results


# ----------------------------------------------------------------------
# Report
# ----------------------------------------------------------------------
def verdict(ok):
    return "**PASS**" if ok else "**FAIL**"


def same_time(small, large):
    """Within noise: at most a quarter (plus 2 ms) more at the larger size."""
    return large <= small * 1.25 + 2.0


def plural(count, word, words=None):
    return f"{count} {word if count == 1 else words or word + 's'}"


def evaluate(results, small, large):
    """[(target, measured, PASS/FAIL)], at the large size (both sizes where they are compared)."""
    big, little = results[large], results[small]
    rows = []
    measured = big["all"]
    rows.append(
        (
            "(1) Every customer's figures: within 2x of the reference",
            f"{measured['ratio']:.1f}x ({measured['ms']:.0f} ms vs {measured['ref_ms']:.1f} ms; "
            f"{measured['ms'] / big['all_sources_ref_ms']:.1f}x the plain sums over all sources; "
            f"{measured['ms'] / big['orm_floor']['ms']:.1f}x the same read of stored columns; "
            f"the figures themselves: {big['all_figures']['ms']:.1f} ms, {big['all_figures']['ratio']:.1f}x)",
            verdict(measured["ratio"] <= 2.0),
        )
    )
    # The customer list: what the credit columns add to Odoo's own page (whose
    # count of customers grows with the database whatever this module does).
    added_small = little["page"]["ms"] - little["page_plain"]["ms"]
    added_large = big["page"]["ms"] - big["page_plain"]["ms"]
    added_queries = (
        little["page"]["queries"] - little["page_plain"]["queries"],
        big["page"]["queries"] - big["page_plain"]["queries"],
    )
    rows.append(
        (
            f"(2) Page of 80 customers with credit columns: same time at {small} and {large} customers",
            f"the credit columns add {added_small:.1f} ms / {added_large:.1f} ms, "
            f"{added_queries[0]} / {added_queries[1]} queries (the page: {little['page']['ms']:.1f} / "
            f"{big['page']['ms']:.1f} ms; without them: {little['page_plain']['ms']:.1f} / "
            f"{big['page_plain']['ms']:.1f} ms)",
            verdict(same_time(added_small, added_large) and added_queries[0] == added_queries[1]),
        )
    )
    ms_small, ms_large = little["report_page"]["ms"], big["report_page"]["ms"]
    same_queries = little["report_page"]["queries"] == big["report_page"]["queries"]
    rows.append(
        (
            f"(2) Exposure report page with its count: same time at {small} and {large} customers, "
            "under 50 ms",
            f"{ms_small:.1f} ms / {ms_large:.1f} ms ({ms_large / ms_small:.2f}x); "
            f"{little['report_page']['queries']} / {big['report_page']['queries']} queries",
            verdict(same_time(ms_small, ms_large) and same_queries and ms_large < 50.0),
        )
    )
    for key, label in (
        ("over_limit", "(3) 'Over Credit Limit' filter"),
        ("overdue", "(3) 'Overdue' filter"),
        ("sort", "(3) Sort by exposure"),
    ):
        measured = big[key]
        rows.append(
            (
                f"{label}: one set-based query, within 1.5x of the reference",
                f"{plural(measured['figure_queries'], 'query', 'queries')} reading the figures "
                f"({plural(measured['queries'], 'query', 'queries')} in all), {measured['ratio']:.1f}x "
                f"({measured['ms']:.1f} ms; {measured['ms'] / big['all_sources_ref_ms']:.1f}x the plain sums "
                "over all sources)",
                verdict(measured["figure_queries"] == 1 and measured["ratio"] <= 1.5),
            )
        )
    confirm = big["confirm"]
    rows.append(
        (
            "(4) Confirming an order: at most 4 queries and 3 ms more than with the gate off",
            f"{confirm['extra_queries']:+d} queries, {confirm['extra_ms']:+.1f} ms",
            verdict(confirm["extra_queries"] <= 4 and confirm["extra_ms"] <= 3.0),
        )
    )
    column = big["column"]
    rows.append(
        (
            "(5) Credit-check column: 80 quotations cost the queries of 1",
            " / ".join(str(column[count]["queries"]) for count in COLUMN_SIZES)
            + " queries for "
            + " / ".join(map(str, COLUMN_SIZES)),
            verdict(column[COLUMN_SIZES[-1]]["queries"] == column[COLUMN_SIZES[0]]["queries"]),
        )
    )
    return rows


def markdown(args, results, load):
    sizes = sorted(results)
    small, large = sizes[0], sizes[-1]

    def row(label, cell):
        return f"| {label} | " + " | ".join(cell(results[size]) for size in sizes) + " |"

    def cells(measured):
        ratio = f"**{measured['ratio']:.1f}x**" if "ratio" in measured else ""
        figures = ""
        if measured.get("figure_queries"):
            mean = measured["figures_ms"] / measured["figure_queries"]
            figures = f"{measured['figure_queries']} × {mean:.1f}"
        return [f"{measured['ms']:.1f}", str(measured["queries"]), figures, ratio]

    def timed_row(label, measured_by_size):
        return (
            f"| {label} | "
            + " | ".join(" | ".join(cells(measured_by_size(results[size]))) for size in sizes)
            + " |"
        )

    def reference_row(label, key):
        return f"| {label} | " + " | ".join(f"{results[size][key]:.1f} | | | " for size in sizes) + " |"

    def confirm_extra(res):
        return f"**{res['confirm']['extra_ms']:+.1f}** | **{res['confirm']['extra_queries']:+d}** | | "

    size_header = "| data set | " + " | ".join(f"{size} customers" for size in sizes) + " |"
    size_rule = "|---|" + "---:|" * len(sizes)
    result_header = (
        "| operation | "
        + " | ".join(f"{size}: ms | queries | figures reads (n × ms) | × ref" for size in sizes)
        + " |"
    )
    result_rule = "|---|" + "---:|---:|---:|---:|" * len(sizes)
    lines = [
        "# Benchmark: credit figures, exposure report and credit gate",
        "",
        f"Measured {datetime.datetime.now():%Y-%m-%d %H:%M} by `python3 scripts/benchmark.py "
        f"--sizes {','.join(map(str, sizes))} --runs {args.runs}` on {platform.machine()}, "
        f"{os.cpu_count()} cores shared with other work: 1-minute load {load[0]:.2f} at the start of "
        f"the measures, {load[1]:.2f} at the end. Python {platform.python_version()}, "
        f"Odoo {odoo.release.version}, PostgreSQL {results[large]['pg_version']} on the same machine.",
        "",
        "Each data set is a database the script builds (no demo data; see the docstring of "
        "`scripts/benchmark.py`). Every time is the median of "
        f"{args.runs} runs with a cold ORM cache, in ms; *queries* counts every SQL query, *figures "
        "reads* the queries among them that read the figures (the stored rows of "
        "`credit.figures.store`, or the figures computed by `credit.figures`) and their mean time. "
        "*× ref* divides the median time by the median of the **reference query**, run "
        "alternately with the operation: each customer's open receivable, the posted and "
        "unreconciled receivable lines summed per commercial partner (plain SQL, same tables).",
        "",
        "## Data sets",
        "",
        size_header,
        size_rule,
        row(
            "customers (companies) / their contacts",
            lambda r: f"{r['build']['customers']} / {r['build']['contacts']}",
        ),
        row("partners with customer_rank > 0 (what the list shows)", lambda r: str(r["customers"])),
        row(
            "orders: invoiced history / confirmed, not invoiced / quotations",
            lambda r: (
                f"{r['build']['history_orders']} / {r['build']['open_orders']} / {r['build']['quotations']}"
            ),
        ),
        row(
            "payments (of which unmatched) / credit notes matched / draft invoices",
            lambda r: (
                f"{r['build']['payments']} ({r['build']['unmatched_payments']}) / "
                f"{r['build']['matched_credit_notes']} / {r['build']['draft_invoices']}"
            ),
        ),
        row("journal items", lambda r: str(r["build"]["move_lines"])),
        row(
            "customers with a limit / on hold; partners over limit / overdue",
            lambda r: (
                f"{r['build']['with_limit']} / {r['build']['on_hold']}; "
                f"{r['counts']['over_limit']} / {r['counts']['overdue']}"
            ),
        ),
        row("exposure report rows", lambda r: str(r["report_rows"])),
        row(
            "quotations by credit check",
            lambda r: ", ".join(f"{status} {count}" for status, count in r["statuses"].items()),
        ),
        row(
            "build: install + generate = total (with VACUUM ANALYZE)",
            lambda r: (
                f"{r['build']['install_s']} s + {r['build']['generate_s']} s = {r['build']['total_s']} s"
            ),
        ),
        "",
        "## Results",
        "",
        result_header,
        result_rule,
        reference_row("reference query", "ref_ms"),
        reference_row("plain sums over every table the figures read (context only)", "all_sources_ref_ms"),
        timed_row(
            "the same read of as many stored partner columns (Odoo's own cost; context only)",
            lambda r: r["orm_floor"],
        ),
        timed_row("(1) every customer's figures", lambda r: r["all"]),
        timed_row(
            "(1) of which the figures themselves (`credit.figures.store._fetch` of every customer)",
            lambda r: r["all_figures"],
        ),
        timed_row(
            f"(1) every customer's figures, {CHANGED} customers changed since the job's last run",
            lambda r: r["all_changed"],
        ),
        timed_row(
            "the job: every customer's stored figures (first run of a day)", lambda r: r["refresh_all"]
        ),
        timed_row(f"the job: {CHANGED} changed customers", lambda r: r["refresh_changed"]),
        timed_row("(2) page of 80 customers with credit columns, with count", lambda r: r["page"]),
        timed_row("(2) the same page without the credit columns (context only)", lambda r: r["page_plain"]),
        timed_row("(2) exposure report page of 80, with count", lambda r: r["report_page"]),
        timed_row("(3) 'Over Credit Limit' (`credit_available < 0`), count", lambda r: r["over_limit"]),
        timed_row("(3) 'Overdue' (`credit_overdue_amount > 0`), count", lambda r: r["overdue"]),
        timed_row("(3) sort by `credit_exposure desc`, 80", lambda r: r["sort"]),
        timed_row("(4) confirm a quotation, gate off", lambda r: r["confirm"]["off"]),
        timed_row("(4) confirm a quotation, gate on", lambda r: r["confirm"]["on"]),
        "| (4) what the gate adds | " + " | ".join(confirm_extra(results[size]) for size in sizes) + " |",
        *(
            timed_row(
                f"(5) credit-check column of {plural(count, 'quotation')}",
                lambda r, c=count: r["column"][c],
            )
            for count in COLUMN_SIZES
        ),
        "",
        f"## Targets (at {large} customers; (2) compares both sizes)",
        "",
        "| target | measured | result |",
        "|---|---|---|",
        *(
            f"| {target} | {measured} | {result} |"
            for target, measured, result in evaluate(results, small, large)
        ),
        "",
        "How each operation runs: (1) as the credit user, `search([('customer_rank', '>', 0)])` then "
        "every credit field and the name (`search_read`), as the customer list or an export "
        "reads them; (2) `web_search_read` with the list's columns, limit 80, its count included "
        "(the customer list in name order; the report in its own order, exposure descending); "
        "(3) `search_count` on the filter's domain, `search(..., order='credit_exposure desc', "
        "limit=80)`; (4) the salesperson confirms the same passing quotation, flushed, then rolled "
        "back to a savepoint; gate off is the company's Credit Gate set to Off; (5) the "
        "salesperson reads `credit_gate_status` on quotations of distinct customers. Every "
        "operation reads the stored figures as the scheduled job leaves them (see *Stored "
        "figures* in the README); *the job* rows time that job, and the rows with changed "
        "customers a read between two runs of it. "
        '"Same time" '
        "allows 25 % (plus 2 ms) of noise, with the same query count. A set-based filter or sort "
        "runs the figures query once, whatever the number of customers.",
        "",
    ]
    return "\n".join(lines)


# ----------------------------------------------------------------------
# Aged receivables (--aged): about 100,000 open items
# ----------------------------------------------------------------------
AGED_ITEMS = 100_000
AGED_CUSTOMERS = 3_000
# Copy k of the seed gives the history of seed customer number i to customer
# number (i + k * AGED_STRIDE) mod customers: a prime, so each copy is a permutation.
AGED_STRIDE = 7919
# Copy k of a customer's history is dated 0 to AGED_SHIFT_DAYS - 1 days earlier, all its entries alike.
AGED_SHIFT_DAYS = 31
# How the seed invoices are paid: (share of them, in full (else 30 to 70 %), days after the
# invoice: from, to); the others (5 %) never. A payment dated after today is not made yet.
AGED_PAYMENTS = (
    (0.55, True, 5, 45),
    (0.22, True, 46, 120),
    (0.12, True, 121, 365),
    (0.06, False, 5, 90),
)
# Invoice dates: TODAY - HISTORY_DAYS * random() ** AGED_RECENT days, more of them recent (growth).
AGED_RECENT = 1.15
AGED_SPLIT_SHARE = 0.2
AGED_IMMEDIATE_SHARE = 0.1
AGED_FOREIGN_SHARE = 0.15
AGED_LIMITS = (5_000.0, 20_000.0, 50_000.0, 100_000.0, 250_000.0)
# The second date measured: a year back.
AGED_AS_OF_DAYS = 365
AGED_QUERY_TARGET_MS = 2_000.0
AGED_WORKBOOK_TARGET_MS = 5_000.0
# The queries that read the report (its SQL view, as a subquery named after the model's table).
AGED_MARKER = re.compile(r'"credit_aged_receivable"')
# The aged section of the Markdown file: between these lines, below KEEP_MARKER (a run
# of the other data sets keeps it; an --aged run rewrites only it).
AGED_BEGIN = "<!-- Aged receivables: written by scripts/benchmark.py --aged --write, up to the end line. -->"
AGED_END = "<!-- End of the aged receivables section. -->"
# Context for the as-of date: what the report computes, in plain SQL (each
# customer's receivable balance on the date less the reconciliations dated up to it).
REFERENCE_AS_OF_QUERY = """
    SELECT partner.commercial_partner_id, SUM(line.balance - COALESCE(settled.amount, 0))
      FROM account_move_line line
      JOIN account_account account ON account.id = line.account_id
      JOIN res_partner partner ON partner.id = line.partner_id
 LEFT JOIN (SELECT side.line_id, SUM(side.amount) AS amount
              FROM (SELECT debit_move_id AS line_id, amount
                      FROM account_partial_reconcile WHERE max_date <= %(as_of)s
                     UNION ALL
                    SELECT credit_move_id, -amount
                      FROM account_partial_reconcile WHERE max_date <= %(as_of)s) side
          GROUP BY side.line_id) settled ON settled.line_id = line.id
     WHERE line.parent_state = 'posted'
       AND account.account_type = 'asset_receivable'
       AND line.date <= %(as_of)s
       AND line.company_id = %(company)s
  GROUP BY partner.commercial_partner_id
"""
# The tables the copies write (a reference to the seed from any other table stops the build).
COPIED_REFERENCES = {
    ("account_move", "origin_payment_id"),
    ("account_move", "reversed_entry_id"),
    ("account_move", "auto_post_origin_id"),
    ("account_move", "tax_cash_basis_origin_move_id"),
    ("account_move_line", "move_id"),
    ("account_move_line", "payment_id"),
    ("account_move_line", "full_reconcile_id"),
    ("account_partial_reconcile", "debit_move_id"),
    ("account_partial_reconcile", "credit_move_id"),
    ("account_partial_reconcile", "full_reconcile_id"),
    ("account_partial_reconcile", "exchange_move_id"),
    ("account_full_reconcile", "exchange_move_id"),
    ("account_payment", "move_id"),
    ("account_move__account_payment", "payment_id"),
    ("account_move__account_payment", "invoice_id"),
    ("account_move_line_account_tax_rel", "account_move_line_id"),
    ("account_account_tag_account_move_line_rel", "account_move_line_id"),
}
NOW_UTC = "(now() AT TIME ZONE 'UTC')"


def aged_dbname(args):
    suffix = "aged" if args.aged_items == AGED_ITEMS else f"aged_{args.aged_items}"
    return f"{args.db_prefix}_{suffix}"


def payment_terms_drawn(rng):
    """(paid in full, days after the invoice) of a seed invoice's payment, or None: never paid."""
    draw = rng.random()
    for share, full, low, high in AGED_PAYMENTS:
        if draw < share:
            return full, rng.randint(low, high)
        draw -= share
    return None


def create_credit_user(env):
    """The credit user the measures run as: Credit Management read-only (read-only accounting)."""
    return (
        env["res.users"]
        .with_context(no_reset_password=True)
        .create(
            {
                "name": "Benchmark Credit User",
                "login": "bench_credit",
                "email": "bench_credit@example.com",
                "groups_id": [
                    Command.set(
                        [env.ref("base.group_user").id, env.ref("credit_risk_addon.group_credit_user").id]
                    )
                ],
            }
        )
    )


class AgedDataSet(DataSet):
    """A seed of real history through the ORM, then copied in SQL to about ``items`` open items."""

    def __init__(self, env, customers, items, seed):
        super().__init__(env, customers, seed)
        self.items = items

    def generate(self):
        self.setup()
        start = time.perf_counter()
        customers = self.make_customers()
        self.commit(f"{len(customers)} customers", start)
        start = time.perf_counter()
        invoices, refunds = self.make_invoices(customers)
        self.commit(f"{len(invoices)} invoices, {len(refunds)} credit notes", start)
        start = time.perf_counter()
        self.settle(customers, invoices, refunds)
        self.commit(f"{self.stats['payments']} payments", start)
        start = time.perf_counter()
        self.set_limits(customers)
        self.company.write({"account_use_credit_limit": True})
        self.commit("credit limits", start)
        self.env.invalidate_all()

        copier = SeedCopier(self.env.cr, self.company.id, customers.ids)
        copier.check()
        seed = copier.counts()
        copies = max(0, math.ceil(self.items / seed["open_items"]) - 1)
        log(f"  seed: {seed}; {copies} copies")
        start = time.perf_counter()
        copied = copier.copy(copies)
        self.env.invalidate_all()
        self.commit(f"{copies} copies in SQL: {copied}", start)
        start = time.perf_counter()
        # The module's nightly job: days overdue and bucket of the open invoices, as of today.
        self.env["account.move"]._cron_refresh_credit_aging()
        self.commit("invoices' aging refreshed", start)
        self.stats.update(
            customers=len(customers), seed=seed, copies=copies, copied=copied, totals=copier.counts()
        )
        return self.stats

    def setup(self):
        env, company = self.env, self.company
        company.write({"account_use_credit_limit": False})
        self.products = env["product.product"].create(
            [
                {"name": "Consulting", "type": "service", "list_price": 900.0},
                {"name": "Pallet", "type": "consu", "list_price": 120.0},
            ]
        )
        self.products.taxes_id = company.account_sale_tax_id
        self.terms = {
            "30 days": env.ref("account.account_payment_term_30days"),
            "immediate": env.ref("account.account_payment_term_immediate"),
            "split": env["account.payment.term"].create(
                {
                    "name": "30 % / 30 % / 40 % at 30, 60, 90 days",
                    "line_ids": [
                        Command.create({"value": "percent", "value_amount": share, "nb_days": days})
                        for share, days in ((30.0, 30), (30.0, 60), (40.0, 90))
                    ],
                }
            ),
        }
        self.bank = env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", company.id)], limit=1
        )
        euro = env.ref("base.EUR")
        self.foreign = env.ref("base.USD") if company.currency_id == euro else euro
        self.foreign.active = True
        # A rate a month over the two years (and the month before), moving by a few percent.
        months = [
            (TODAY.replace(day=1) - datetime.timedelta(days=31 * month)).replace(day=1)
            for month in range(HISTORY_DAYS // 30 + 2)
        ]
        env["res.currency.rate"].create(
            [
                {
                    "currency_id": self.foreign.id,
                    "company_id": company.id,
                    "name": month,
                    "rate": round(0.92 + 0.05 * math.sin(index / 4), 4),
                }
                for index, month in enumerate(sorted(set(months)))
            ]
        )
        self.stats["foreign"] = self.foreign.name
        create_credit_user(env)
        countries = [env.ref(f"base.{code}") for code in ("fr", "be", "pt", "uk", "ch")]
        self.countries = countries

    def make_customers(self):
        rng = self.rng
        Partner = self.env["res.partner"]
        customers = Partner.browse()
        for batch in chunks(range(self.size)):
            customers |= Partner.create(
                [
                    {
                        "name": f"Customer {index:05d}",
                        "is_company": True,
                        "customer_rank": 1,
                        "email": f"customer{index}@example.com",
                        "country_id": rng.choice(self.countries).id,
                        "property_payment_term_id": self.terms["30 days"].id,
                    }
                    for index in batch
                ]
            )
        return customers

    def invoice_vals(self, customer):
        """A customer invoice of one or two lines in the last two years, more of them recent."""
        rng = self.rng
        draw = rng.random()
        if draw < AGED_SPLIT_SHARE:
            term = self.terms["split"]
        elif draw < AGED_SPLIT_SHARE + AGED_IMMEDIATE_SHARE:
            term = self.terms["immediate"]
        else:
            term = self.terms["30 days"]
        foreign = rng.random() < AGED_FOREIGN_SHARE
        return {
            "move_type": "out_invoice",
            "partner_id": customer.id,
            "invoice_date": TODAY - datetime.timedelta(days=int(HISTORY_DAYS * rng.random() ** AGED_RECENT)),
            "currency_id": (self.foreign if foreign else self.company.currency_id).id,
            "invoice_payment_term_id": term.id,
            "invoice_line_ids": [
                Command.create(
                    {
                        "product_id": rng.choice(self.products).id,
                        "quantity": rng.randint(1, 5),
                        "price_unit": round(rng.uniform(80, 1500), 2),
                    }
                )
                for _line in range(1 if rng.random() < 0.7 else 2)
            ],
        }

    def make_invoices(self, customers):
        env, rng = self.env, self.rng
        Move = env["account.move"]
        posted = []
        for customer in customers:
            for _invoice in range(rng.choice((0, 1, 1, 2))):
                posted.append(self.invoice_vals(customer))
            if rng.random() < 0.08:
                amount = round(rng.uniform(50, 400), 2)
                posted.append(self.direct_move(customer, "out_refund", self.day(0, 300), amount))
        posted.sort(key=lambda vals: vals["invoice_date"])
        moves = Move.browse()
        for batch in chunks(posted):
            created = Move.create(batch)
            created.action_post()
            moves |= created
            env.flush_all()
        invoices = moves.filtered(lambda move: move.move_type == "out_invoice")
        return invoices, moves - invoices

    def direct_move(self, customer, move_type, invoice_date, amount):
        return {
            "move_type": move_type,
            "partner_id": customer.id,
            "invoice_date": invoice_date,
            "invoice_line_ids": [
                Command.create({"product_id": self.products[0].id, "quantity": 1, "price_unit": amount})
            ],
        }

    def settle(self, customers, invoices, refunds):
        """Payments of the invoices (AGED_PAYMENTS, in their currency), a few not matched; half
        the credit notes matched with an open invoice of the customer."""
        env, rng = self.env, self.rng
        plan = []  # (invoice or None, partner, amount, date, currency)
        for invoice in invoices:
            drawn = payment_terms_drawn(rng)
            if drawn is None:
                continue
            full, days = drawn
            date = invoice.invoice_date + datetime.timedelta(days=days)
            if date > TODAY:
                continue
            residual = invoice.amount_residual
            amount = residual if full else round(residual * rng.uniform(0.3, 0.7), 2)
            plan.append((invoice, invoice.commercial_partner_id, amount, date, invoice.currency_id))
        for customer in customers:
            if rng.random() < 0.1:
                amount = round(rng.uniform(100, 1000), 2)
                plan.append((None, customer, amount, self.day(0, 120), self.company.currency_id))
        self.stats["payments"] = len(plan)
        self.stats["unmatched_payments"] = sum(1 for item in plan if item[0] is None)

        def receivable(move):
            return move.line_ids.filtered(lambda line: line.account_id.account_type == "asset_receivable")

        for batch in chunks(plan):
            payments = env["account.payment"].create(
                [
                    {
                        "payment_type": "inbound",
                        "partner_type": "customer",
                        "partner_id": partner.id,
                        "amount": amount,
                        "currency_id": currency.id,
                        "date": date,
                        "journal_id": self.bank.id,
                        "memo": invoice.name if invoice else "On account",
                    }
                    for invoice, partner, amount, date, currency in batch
                ]
            )
            payments.action_post()
            pairs = [
                receivable(invoice) + receivable(payment.move_id)
                for payment, (invoice, *_rest) in zip(payments, batch, strict=True)
                if invoice
            ]
            env["account.move.line"]._reconcile_plan(pairs)
            env.flush_all()
        open_by_partner = {}
        for invoice in invoices.filtered(
            lambda move: move.payment_state == "not_paid" and move.currency_id == self.company.currency_id
        ):
            open_by_partner.setdefault(invoice.commercial_partner_id.id, invoice)
        pairs = []
        for refund in refunds:
            if rng.random() < 0.5 and refund.commercial_partner_id.id in open_by_partner:
                invoice = open_by_partner.pop(refund.commercial_partner_id.id)
                pairs.append(receivable(invoice) + receivable(refund))
        for batch in chunks(pairs):
            env["account.move.line"]._reconcile_plan(batch)
        self.stats["matched_credit_notes"] = len(pairs)

    def set_limits(self, customers):
        """Three customers in four get a limit, of a few levels."""
        rng = self.rng
        by_limit = {}
        for customer in customers:
            if rng.random() < 0.75:
                by_limit.setdefault(rng.choice(AGED_LIMITS), []).append(customer.id)
        for limit, ids in by_limit.items():
            self.env["res.partner"].browse(ids).write({"credit_limit": limit})
        self.stats["with_limit"] = sum(len(ids) for ids in by_limit.values())


class SeedCopier:
    """Copies of every posted entry of the seed, in SQL: new ids, names, customers and dates.

    Each copy k gives the history of each seed customer (every entry, item,
    reconciliation and payment that is theirs) to another customer, dated the
    same number of days earlier (0 to AGED_SHIFT_DAYS - 1, by copy and
    customer), numbered after the seed in each journal and year. Amounts,
    currencies, residuals, reconciliation states and payment states are those
    of the seed entry: each copy is as consistent as the seed.
    """

    def __init__(self, cr, company_id, customer_ids):
        self.cr = cr
        self.params = {
            "company": company_id,
            "customers": list(customer_ids),
            "count": len(customer_ids),
            "stride": AGED_STRIDE,
            "shift_days": AGED_SHIFT_DAYS,
        }

    def run(self, query, **params):
        self.cr.execute(query, {**self.params, **params})
        return self.cr.rowcount

    def value(self, query, **params):
        self.run(query, **params)
        return self.cr.fetchone()[0]

    def check(self):
        """The seed: its posted entries, each of one customer, and every reconciliation within one."""
        self.run(
            """CREATE TEMP TABLE bench_customer ON COMMIT DROP AS
               SELECT (c.position - 1)::int AS idx, c.id
                 FROM unnest(%(customers)s::int[]) WITH ORDINALITY AS c(id, position)"""
        )
        self.run("CREATE UNIQUE INDEX ON bench_customer (idx)")
        self.run(
            """CREATE TEMP TABLE bench_seed_move ON COMMIT DROP AS
               SELECT move.id, move.journal_id, move.date, move.name, move.sequence_prefix,
                      COALESCE(move.commercial_partner_id, owner.partner_id) AS owner
                 FROM account_move move
            LEFT JOIN LATERAL (
                      SELECT partner.commercial_partner_id AS partner_id
                        FROM account_move_line line
                        JOIN res_partner partner ON partner.id = line.partner_id
                       WHERE line.move_id = move.id
                    ORDER BY line.id
                       LIMIT 1) owner ON TRUE
                WHERE move.state = 'posted' AND move.company_id = %(company)s"""
        )
        problems = {
            "entries not posted": "SELECT count(*) FROM account_move WHERE state <> 'posted'",
            "entries of no customer": """SELECT count(*) FROM bench_seed_move seed
                 WHERE NOT EXISTS (SELECT 1 FROM bench_customer c WHERE c.id = seed.owner)""",
            "reconciliations between customers": """SELECT count(*) FROM account_partial_reconcile p
                  JOIN account_move_line debit ON debit.id = p.debit_move_id
                  JOIN account_move_line credit ON credit.id = p.credit_move_id
                  JOIN bench_seed_move d ON d.id = debit.move_id
                  JOIN bench_seed_move c ON c.id = credit.move_id
                 WHERE d.owner <> c.owner""",
            "statement lines, cash basis entries, payments without entry": """SELECT
                   (SELECT count(*) FROM account_move
                     WHERE statement_line_id IS NOT NULL OR tax_cash_basis_rec_id IS NOT NULL)
                 + (SELECT count(*) FROM account_payment
                     WHERE move_id IS NULL OR paired_internal_transfer_payment_id IS NOT NULL)""",
        }
        for problem, query in problems.items():
            count = self.value(query)
            if count:
                raise RuntimeError(f"The seed cannot be copied: {count} {problem}")
        # Any other row pointing at the seed's entries would be left behind by the copies.
        self.run(
            """SELECT con.conrelid::regclass::text, attribute.attname
                 FROM pg_constraint con
                 JOIN pg_attribute attribute
                   ON attribute.attrelid = con.conrelid AND attribute.attnum = con.conkey[1]
                WHERE con.contype = 'f'
                  AND con.confrelid = ANY(ARRAY[
                          'account_move', 'account_move_line', 'account_payment',
                          'account_partial_reconcile', 'account_full_reconcile']::regclass[])"""
        )
        for table, column in self.cr.fetchall():
            if (table, column) in COPIED_REFERENCES:
                continue
            if self.value(f'SELECT count(*) FROM "{table}" WHERE "{column}" IS NOT NULL'):
                raise RuntimeError(f"The seed cannot be copied: rows of {table}.{column} point at it")

    def counts(self):
        """Entries, items, reconciliations and payments of the company, and its receivable items."""
        self.run(
            """SELECT
                 (SELECT count(*) FROM account_move
                   WHERE company_id = %(company)s AND move_type = 'out_invoice'),
                 (SELECT count(*) FROM account_move
                   WHERE company_id = %(company)s AND move_type = 'out_refund'),
                 (SELECT count(*) FROM account_payment WHERE company_id = %(company)s),
                 (SELECT count(*) FROM account_move move
                    JOIN account_journal journal ON journal.id = move.journal_id
                   WHERE move.company_id = %(company)s AND journal.type = 'general'),
                 (SELECT count(*) FROM account_move WHERE company_id = %(company)s),
                 (SELECT count(*) FROM account_move_line WHERE company_id = %(company)s),
                 (SELECT count(*) FROM account_partial_reconcile WHERE company_id = %(company)s),
                 (SELECT count(*) FROM account_full_reconcile)"""
        )
        keys = ("invoices", "credit_notes", "payments", "exchange_entries", "entries", "items", "partials")
        counts = dict(zip((*keys, "full_reconciles"), self.cr.fetchone(), strict=True))
        self.run(
            """SELECT count(*),
                      count(*) FILTER (WHERE line.amount_residual <> 0 OR line.amount_residual_currency <> 0),
                      count(DISTINCT line.move_id)
                          FILTER (WHERE line.currency_id <> line.company_currency_id),
                      (SELECT count(*) FROM (
                          SELECT l.move_id FROM account_move_line l
                            JOIN account_account a ON a.id = l.account_id
                            JOIN account_move m ON m.id = l.move_id
                           WHERE a.account_type = 'asset_receivable' AND m.move_type = 'out_invoice'
                             AND l.company_id = %(company)s
                        GROUP BY l.move_id HAVING count(*) > 1) split)
                 FROM account_move_line line
                 JOIN account_account account ON account.id = line.account_id
                WHERE account.account_type = 'asset_receivable' AND line.parent_state = 'posted'
                  AND line.company_id = %(company)s"""
        )
        keys = ("receivable_items", "open_items", "foreign_entries", "split_invoices")
        counts.update(zip(keys, self.cr.fetchone(), strict=True))
        return counts

    def copy(self, copies):
        """``copies`` copies of the seed; {table: rows inserted}."""
        if not copies:
            return {}
        self.maps(copies)
        inserted = {}
        inserted["account_payment"] = self.copy_rows(
            "account_payment",
            """FROM bench_payment_map map
               JOIN account_payment src ON src.id = map.old_id
               JOIN bench_move_map moves ON moves.k = map.k AND moves.old_id = src.move_id""",
            {
                "id": "map.new_id",
                "move_id": "NULL",  # set once the entries are in
                "name": "moves.new_name",
                "partner_id": self.partner("src.partner_id"),
                "date": "src.date - moves.shift",
                "source_payment_id": "NULL",
                "payment_transaction_id": "NULL",
                "message_main_attachment_id": "NULL",
            },
        )
        inserted["account_move"] = self.copy_rows(
            "account_move",
            """FROM bench_move_map moves
               JOIN account_move src ON src.id = moves.old_id
               JOIN res_partner target ON target.id = moves.new_owner
          LEFT JOIN bench_payment_map payments
                 ON payments.k = moves.k AND payments.old_id = src.origin_payment_id""",
            {
                "id": "moves.new_id",
                "name": "moves.new_name",
                "sequence_prefix": "moves.new_prefix",
                "sequence_number": "moves.new_number",
                "date": "moves.new_date",
                "invoice_date": "src.invoice_date - moves.shift",
                "invoice_date_due": "src.invoice_date_due - moves.shift",
                "delivery_date": "src.delivery_date - moves.shift",
                "auto_post_until": "src.auto_post_until - moves.shift",
                "partner_id": self.partner("src.partner_id"),
                "commercial_partner_id": self.partner("src.commercial_partner_id"),
                "partner_shipping_id": self.partner("src.partner_shipping_id"),
                "invoice_partner_display_name": (
                    "CASE WHEN src.invoice_partner_display_name IS NULL THEN NULL "
                    "ELSE target.complete_name END"
                ),
                "payment_reference": (
                    "CASE WHEN src.payment_reference = src.name THEN moves.new_name "
                    "ELSE src.payment_reference END"
                ),
                "origin_payment_id": "payments.new_id",
                "reversed_entry_id": self.entry("src.reversed_entry_id", "moves"),
                "auto_post_origin_id": self.entry("src.auto_post_origin_id", "moves"),
                "tax_cash_basis_origin_move_id": self.entry("src.tax_cash_basis_origin_move_id", "moves"),
                "message_main_attachment_id": "NULL",
                "access_token": "NULL",
                "inalterable_hash": "NULL",
                "secure_sequence_number": "NULL",
            },
        )
        self.run(
            """UPDATE account_payment payment SET move_id = map.new_move_id
                 FROM bench_payment_map map WHERE payment.id = map.new_id"""
        )
        inserted["account_full_reconcile"] = self.copy_rows(
            "account_full_reconcile",
            "FROM bench_full_map map JOIN account_full_reconcile src ON src.id = map.old_id",
            {"id": "map.new_id", "exchange_move_id": self.entry("src.exchange_move_id", "map")},
        )
        inserted["account_move_line"] = self.copy_lines()
        inserted["account_partial_reconcile"] = self.copy_partials()
        inserted.update(self.copy_relations())
        return inserted

    def maps(self, copies):
        """Temporary tables: (copy, seed id) -> new id, for each table; the entries' new names and dates."""
        self.run(
            """CREATE TEMP TABLE bench_move_map ON COMMIT DROP AS
               SELECT nextval('account_move_id_seq')::int AS new_id, numbered.*,
                      numbered.new_prefix || CASE WHEN numbered.new_number < 100000
                                                  THEN lpad(numbered.new_number::text, 5, '0')
                                                  ELSE numbered.new_number::text END AS new_name
                 FROM (
                   SELECT pairs.*,
                          COALESCE(top.number, 0) + row_number() OVER (
                              PARTITION BY pairs.journal_id, pairs.new_prefix
                              ORDER BY pairs.new_date, pairs.k, pairs.old_id) AS new_number
                     FROM (
                       SELECT copy.k, seed.id AS old_id, seed.journal_id, seed.name AS old_name, seed.owner,
                              target.id AS new_owner, shift.days AS shift, seed.date - shift.days AS new_date,
                              replace(seed.sequence_prefix, '/' || to_char(seed.date, 'YYYY') || '/',
                                      '/' || to_char(seed.date - shift.days, 'YYYY') || '/') AS new_prefix
                         FROM generate_series(1, %(copies)s) AS copy(k)
                   CROSS JOIN bench_seed_move seed
                         JOIN bench_customer owner ON owner.id = seed.owner
                         JOIN bench_customer target
                           ON target.idx = (owner.idx + copy.k * %(stride)s) %% %(count)s
                   CROSS JOIN LATERAL (
                              SELECT abs(hashtext(copy.k::text || ':' || seed.owner::text))
                                     %% %(shift_days)s AS days) shift
                     ) pairs
                LEFT JOIN (SELECT journal_id, sequence_prefix, max(sequence_number) AS number
                             FROM account_move GROUP BY journal_id, sequence_prefix) top
                       ON top.journal_id = pairs.journal_id AND top.sequence_prefix = pairs.new_prefix
                 ORDER BY pairs.k, pairs.old_id
                 ) numbered""",
            copies=copies,
        )
        self.run("CREATE UNIQUE INDEX ON bench_move_map (k, old_id)")
        for table, source in (
            (
                "account_payment",
                """SELECT moves.k, src.id AS old_id, moves.new_id AS new_move_id
                     FROM bench_move_map moves JOIN account_payment src ON src.move_id = moves.old_id""",
            ),
            (
                "account_move_line",
                """SELECT moves.k, src.id AS old_id
                     FROM bench_move_map moves JOIN account_move_line src ON src.move_id = moves.old_id""",
            ),
            (
                "account_full_reconcile",
                """SELECT copy.k, src.id AS old_id
                     FROM generate_series(1, %(copies)s) AS copy(k) CROSS JOIN account_full_reconcile src""",
            ),
            (
                "account_partial_reconcile",
                """SELECT copy.k, src.id AS old_id
                     FROM generate_series(1, %(copies)s) AS copy(k) CROSS JOIN account_partial_reconcile src
                    WHERE src.company_id = %(company)s""",
            ),
        ):
            name = table.replace("account_", "bench_").replace("_reconcile", "") + "_map"
            self.run(
                f"""CREATE TEMP TABLE {name} ON COMMIT DROP AS
                    SELECT nextval('{table}_id_seq')::int AS new_id, ordered.*
                      FROM ({source} ORDER BY 1, 2) ordered""",
                copies=copies,
            )
            self.run(f"CREATE UNIQUE INDEX ON {name} (k, old_id)")
            self.run(f"ANALYZE {name}")
        self.run("ANALYZE bench_move_map")

    @staticmethod
    def partner(column):
        """SQL: the copy's customer where ``column`` is the seed entry's customer."""
        return f"CASE WHEN {column} = moves.owner THEN moves.new_owner ELSE {column} END"

    @staticmethod
    def entry(column, alias):
        """SQL: the copy of the seed entry ``column`` in the copy of ``alias``."""
        return f"""CASE WHEN {column} IS NULL THEN NULL ELSE (
                       SELECT other.new_id FROM bench_move_map other
                        WHERE other.k = {alias}.k AND other.old_id = {column}) END"""

    def copy_rows(self, table, source, overrides):
        """INSERT every column of ``table``: ``overrides`` (column -> SQL), else the seed row's (``src``)."""
        self.run(
            """SELECT column_name FROM information_schema.columns
                WHERE table_schema = current_schema() AND table_name = %(table)s
             ORDER BY ordinal_position""",
            table=table,
        )
        columns = [name for (name,) in self.cr.fetchall()]
        overrides = {"create_date": NOW_UTC, "write_date": NOW_UTC, **overrides}
        values = [overrides.get(column, f'src."{column}"') for column in columns]
        return self.run(
            f"""INSERT INTO {table} ({", ".join(f'"{column}"' for column in columns)})
                SELECT {", ".join(values)} {source}"""
        )

    def copy_lines(self):
        return self.copy_rows(
            "account_move_line",
            """FROM bench_move_line_map map
               JOIN account_move_line src ON src.id = map.old_id
               JOIN bench_move_map moves ON moves.k = map.k AND moves.old_id = src.move_id
          LEFT JOIN bench_full_map fulls ON fulls.k = map.k AND fulls.old_id = src.full_reconcile_id
          LEFT JOIN bench_payment_map payments ON payments.k = map.k AND payments.old_id = src.payment_id""",
            {
                "id": "map.new_id",
                "move_id": "moves.new_id",
                "move_name": "moves.new_name",
                "partner_id": self.partner("src.partner_id"),
                "name": "CASE WHEN src.name = moves.old_name THEN moves.new_name ELSE src.name END",
                "date": "src.date - moves.shift",
                "invoice_date": "src.invoice_date - moves.shift",
                "date_maturity": "src.date_maturity - moves.shift",
                "discount_date": "src.discount_date - moves.shift",
                "full_reconcile_id": "fulls.new_id",
                "payment_id": "payments.new_id",
                # As Odoo numbers them: the full reconciliation, else P and a partial's id.
                "matching_number": """CASE
                    WHEN src.full_reconcile_id IS NOT NULL THEN fulls.new_id::text
                    WHEN src.matching_number LIKE 'P%%' THEN 'P' || (
                         SELECT partials.new_id FROM bench_partial_map partials
                          WHERE partials.k = map.k AND partials.old_id = substr(src.matching_number, 2)::int)
                    ELSE src.matching_number END""",
                "statement_line_id": "NULL",
                "statement_id": "NULL",
            },
        )

    def copy_partials(self):
        return self.copy_rows(
            "account_partial_reconcile",
            """FROM bench_partial_map map
               JOIN account_partial_reconcile src ON src.id = map.old_id
               JOIN bench_move_line_map debit ON debit.k = map.k AND debit.old_id = src.debit_move_id
               JOIN bench_move_line_map credit ON credit.k = map.k AND credit.old_id = src.credit_move_id
               JOIN account_move_line debit_line ON debit_line.id = src.debit_move_id
               JOIN bench_move_map moves ON moves.k = map.k AND moves.old_id = debit_line.move_id
          LEFT JOIN bench_full_map fulls ON fulls.k = map.k AND fulls.old_id = src.full_reconcile_id""",
            {
                "id": "map.new_id",
                "debit_move_id": "debit.new_id",
                "credit_move_id": "credit.new_id",
                "full_reconcile_id": "fulls.new_id",
                "exchange_move_id": self.entry("src.exchange_move_id", "map"),
                "max_date": "src.max_date - moves.shift",
            },
        )

    def copy_relations(self):
        inserted = {}
        for table, column in (
            ("account_move_line_account_tax_rel", "account_tax_id"),
            ("account_account_tag_account_move_line_rel", "account_account_tag_id"),
        ):
            inserted[table] = self.run(
                f"""INSERT INTO {table} (account_move_line_id, {column})
                    SELECT map.new_id, rel.{column}
                      FROM bench_move_line_map map
                      JOIN {table} rel ON rel.account_move_line_id = map.old_id"""
            )
        inserted["account_move__account_payment"] = self.run(
            """INSERT INTO account_move__account_payment (payment_id, invoice_id)
               SELECT payments.new_id, moves.new_id
                 FROM account_move__account_payment rel
                 JOIN bench_payment_map payments ON payments.old_id = rel.payment_id
                 JOIN bench_move_map moves ON moves.k = payments.k AND moves.old_id = rel.invoice_id"""
        )
        return inserted


def aged_consistency(root, credit, wizards):
    """The report's promise on the data set: its open items add up to the receivable balance.

    For each date: the report's total and rows (as the credit user) beside the
    receivable accounts' balance (posted items dated up to the date); today
    also Odoo's own residual of the open items, and each customer's total
    against the reference query. Then the journal entries' balance and each
    receivable item's residual against its reconciliations.
    """
    cr = root.cr
    company_id = root.company.id
    checks = {}
    for key, wizard in wizards.items():
        Report = credit["credit.aged.receivable"].with_context(**wizard._report_context())
        [(total, rows)] = Report._read_group(wizard._report_domain(), [], ["residual:sum", "__count"])
        cr.execute(
            """SELECT COALESCE(SUM(line.balance), 0),
                      COALESCE(SUM(line.amount_residual) FILTER (WHERE line.reconciled IS NOT TRUE), 0)
                 FROM account_move_line line
                 JOIN account_account account ON account.id = line.account_id
                WHERE account.account_type = 'asset_receivable' AND line.parent_state = 'posted'
                  AND line.company_id = %(company)s AND line.date <= %(date)s""",
            {"company": company_id, "date": wizard.as_of_date},
        )
        balance, residual = cr.fetchone()
        checks[key] = {
            "date": str(wizard.as_of_date),
            "report_total": float(total or 0.0),
            "report_rows": rows,
            "balance": float(balance),
            "residual": float(residual),
        }
        credit.invalidate_all()
    today = wizards["today"]
    Report = credit["credit.aged.receivable"].with_context(**today._report_context())
    by_report = {
        partner.id: amount
        for partner, amount in Report._read_group(today._report_domain(), ["partner_id"], ["residual:sum"])
    }
    cr.execute(REFERENCE_QUERY, {"company": company_id})
    by_reference = {partner_id: float(amount) for partner_id, amount in cr.fetchall()}
    checks["customers"] = len(set(by_report) | set(by_reference))
    checks["customers_differing"] = sum(
        1
        for partner_id in set(by_report) | set(by_reference)
        if abs(by_report.get(partner_id, 0.0) - by_reference.get(partner_id, 0.0)) > 0.005
    )
    cr.execute(
        """SELECT count(*) FROM (
               SELECT move_id FROM account_move_line WHERE company_id = %(company)s
             GROUP BY move_id HAVING SUM(balance) <> 0 OR SUM(debit) <> SUM(credit)) unbalanced""",
        {"company": company_id},
    )
    checks["unbalanced_entries"] = cr.fetchone()[0]
    cr.execute(
        """SELECT count(*)
             FROM account_move_line line
             JOIN account_account account ON account.id = line.account_id
        LEFT JOIN (SELECT side.line_id, SUM(side.amount) AS amount
                     FROM (SELECT debit_move_id AS line_id, amount FROM account_partial_reconcile
                            UNION ALL
                           SELECT credit_move_id, -amount FROM account_partial_reconcile) side
                 GROUP BY side.line_id) settled ON settled.line_id = line.id
            WHERE account.account_type = 'asset_receivable' AND line.parent_state = 'posted'
              AND line.company_id = %(company)s
              AND line.balance - COALESCE(settled.amount, 0) <> line.amount_residual""",
        {"company": company_id},
    )
    checks["residual_mismatches"] = cr.fetchone()[0]
    return checks


def consistent(checks):
    today, as_of = checks["today"], checks["as_of"]
    return (
        round(today["report_total"] - today["balance"], 2) == 0
        and round(today["residual"] - today["balance"], 2) == 0
        and round(as_of["report_total"] - as_of["balance"], 2) == 0
        and not (
            checks["customers_differing"] or checks["unbalanced_entries"] or checks["residual_mismatches"]
        )
    )


def log_consistency(checks):
    for key in ("today", "as_of"):
        check = checks[key]
        log(
            f"  {check['date']}: open items in the report {check['report_total']:,.2f} "
            f"({check['report_rows']} items); receivable accounts' balance {check['balance']:,.2f}"
            + (f"; Odoo's residual of the open items {check['residual']:,.2f}" if key == "today" else "")
        )
    log(
        f"  customers differing from the reference query: {checks['customers_differing']} of "
        f"{checks['customers']}; unbalanced entries: {checks['unbalanced_entries']}; receivable items "
        f"whose residual is not their balance less their reconciliations: {checks['residual_mismatches']}"
    )
    log("  consistent" if consistent(checks) else "  NOT CONSISTENT")


def aged_envs(cr):
    """(superuser env, credit user env, {"today", "as_of": the credit user's wizard of that date})."""
    root = api.Environment(cr, SUPERUSER_ID, {})
    company = root.company
    user = root["res.users"].search([("login", "=", "bench_credit")])
    context = {"lang": "en_US", "tz": "UTC", "allowed_company_ids": [company.id]}
    credit = api.Environment(cr, user.id, context)
    Wizard = credit["credit.aged.receivable.wizard"]
    wizards = {
        "today": Wizard.create({"as_of_date": TODAY}),
        "as_of": Wizard.create({"as_of_date": TODAY - datetime.timedelta(days=AGED_AS_OF_DAYS)}),
    }
    return root, credit, wizards


def build_aged(args):
    dbname = aged_dbname(args)
    log(f"Building {dbname} (about {args.aged_items} open items, {args.aged_customers} customers)")
    start = time.perf_counter()
    drop_database(args, dbname)
    install(args, dbname)
    installed = time.perf_counter() - start
    log(f"  installed credit_risk_addon: {installed:.0f} s")
    registry = Registry(dbname)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, BUILD_CONTEXT)
        dataset = AgedDataSet(env, args.aged_customers, args.aged_items, seed=args.aged_customers)
        stats = dataset.generate()
        cr.commit()
    generated = time.perf_counter() - start - installed
    vacuum_analyze(args, dbname)
    vacuumed = time.perf_counter() - start - installed - generated
    log(f"  VACUUM ANALYZE: {vacuumed:.0f} s")
    with registry.cursor() as cr:
        # The scheduled job: every customer's stored figures (the export reads them).
        api.Environment(cr, SUPERUSER_ID, {})["credit.figures.store"]._refresh()
        cr.commit()
    total = time.perf_counter() - start
    with registry.cursor() as cr:
        log("  consistency of the data set:")
        checks = aged_consistency(*aged_envs(cr))
        log_consistency(checks)
        cr.rollback()  # the wizards
        stats.update(
            install_s=round(installed),
            generate_s=round(generated),
            vacuum_s=round(vacuumed),
            total_s=round(total),
            built=str(datetime.date.today()),
            checks=checks,
        )
        api.Environment(cr, SUPERUSER_ID, {})["ir.config_parameter"].set_param(BUILD_PARAM, json.dumps(stats))
        cr.commit()
    log(f"  built in {stats['total_s']} s")
    return stats


@contextlib.contextmanager
def capture_statements(cr):
    """(code, params) of every query run inside the block, to explain them afterwards."""
    statements = []
    cursor_class = type(cr)
    execute = cursor_class.execute

    def capturing(cursor, query, params=None, log_exceptions=True):
        if isinstance(query, SQL):
            statements.append((query.code, query.params))
        else:
            statements.append((str(query), params))
        return execute(cursor, query, params, log_exceptions)

    cursor_class.execute = capturing
    try:
        yield statements
    finally:
        cursor_class.execute = execute


def explain_report_queries(bench, func):
    """[(plan text)] of EXPLAIN (ANALYZE, BUFFERS) of each report query that ``func`` runs, cold cache."""
    bench.cold()
    with capture_statements(bench.cr) as statements:
        func()
    plans = []
    for code, params in statements:
        if AGED_MARKER.search(code):
            bench.cr.execute(f"EXPLAIN (ANALYZE, BUFFERS) {code}", params)
            plans.append("\n".join(row[0] for row in bench.cr.fetchall()))
    return plans


def plan_times(plan):
    """{planning, execution, jit} in ms from an EXPLAIN ANALYZE text (jit: None without JIT)."""
    found = {}
    for key, pattern in (
        ("planning", r"Planning Time: ([\d.]+) ms"),
        ("execution", r"Execution Time: ([\d.]+) ms"),
        ("jit", r"Timing: .*Total ([\d.]+) ms"),
    ):
        match = re.search(pattern, plan)
        found[key] = float(match.group(1)) if match else None
    return found


def list_aggregates(Report):
    """What the list view asks of each group: ``field:aggregator`` of its columns, as the web client does."""
    from lxml import etree

    arch = Report.get_view(view_type="list")["arch"]
    names = list(dict.fromkeys(node.get("name") for node in etree.fromstring(arch).iter("field")))
    described = Report.fields_get(names, ["aggregator"])
    return [
        f"{name}:{described[name]['aggregator']}"
        for name in names
        if name != "partner_id" and described.get(name, {}).get("aggregator")
    ]


def plain_workbook(sheets):
    """XlsxWriter alone: each sheet's rows with ``write_row``, no formats but dates', in memory."""
    import xlsxwriter

    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {"in_memory": True, "default_date_format": "yyyy-mm-dd"})
    for rows in sheets:
        sheet = workbook.add_worksheet()
        for index, row in enumerate(rows):
            sheet.write_row(index, 0, row)
    workbook.close()
    return output.getvalue()


def plain_sheets(summary, detail, parameters, buckets):
    """The rows build_workbook writes (headers, data, totals), as lists of the same values."""
    from odoo.addons.credit_risk_addon.exports.aged_receivables import DETAIL_COLUMNS

    keys = [key for key, _label in buckets]
    tail = ["total", "credit_limit", "exposure", "available"]
    summary_rows = [["partner", *keys, *tail]]
    summary_rows += [[row["partner"], *(row[key] for key in [*keys, *tail])] for row in summary]
    summary_rows.append(["Total", *(sum(row[key] or 0.0 for row in summary) for key in [*keys, *tail])])
    columns = list(DETAIL_COLUMNS)
    detail_rows = [columns, *([row[column] for column in columns] for row in detail)]
    return [summary_rows, detail_rows, [list(pair) for pair in parameters]]


def measure_workbooks(runs, inputs, sheets):
    """build_workbook against XlsxWriter alone, their runs alternated: medians, sizes."""
    from odoo.addons.credit_risk_addon.exports.aged_receivables import build_workbook

    content, reference = build_workbook(*inputs), plain_workbook(sheets)  # warm up
    times, refs = [], []
    for _run in range(runs):
        start = time.perf_counter()
        plain_workbook(sheets)
        refs.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        build_workbook(*inputs)
        times.append((time.perf_counter() - start) * 1000)
    result = {
        "ms": statistics.median(times),
        "ref_ms": statistics.median(refs),
        "bytes": len(content),
        "ref_bytes": len(reference),
        "cells": sum(len(row) for rows in sheets for row in rows),
        "rows": [len(rows) for rows in sheets],
    }
    result["ratio"] = result["ms"] / result["ref_ms"]
    return result


def export_end_to_end(root, wizard):
    """The Export button, then (a big export is queued) the scheduled job that builds it."""

    def run():
        action = wizard.action_export_xlsx()
        if action.get("type") != "ir.actions.act_url":
            root["credit.report.export"]._cron_build_exports(auto_commit=False)

    return run


def export_outcome(bench, root, wizard):
    """How the button serves today's export (at once or queued for the job), and its workbook; undone."""
    outcome = {"threshold": root["credit.report.export"]._background_items()}

    def run():
        action = wizard.action_export_xlsx()
        outcome["queued"] = action.get("type") != "ir.actions.act_url"
        if outcome["queued"]:
            root["credit.report.export"]._cron_build_exports(auto_commit=False)
            export = root["credit.report.export"].search([("user_id", "=", wizard.env.uid)], limit=1)
            outcome.update(state=export.state, bytes=len(base64.b64decode(export.file or b"")))
        else:
            attachment = root["ir.attachment"].browse(int(re.search(r"/(\d+)", action["url"]).group(1)))
            outcome.update(state="downloaded", bytes=attachment.file_size)

    bench.rolled_back(run)()
    return outcome


def workbook_inputs(root, credit, wizard):
    """What the Export button passes to build_workbook (its own code, without the attachment)."""
    from odoo.addons.credit_risk_addon.wizard.credit_aged_receivable_wizard import _currency_format

    Report = credit["credit.aged.receivable"].with_context(**wizard._report_context())
    summary, detail, buckets = Report._export_data(wizard._report_domain())
    company_currency = wizard.company_ids[:1].currency_id or credit.company.currency_id
    currencies = root["res.currency"].search([("name", "in", list({item["currency"] for item in detail}))])
    parameters = wizard._export_parameters()
    return (
        summary,
        detail,
        parameters,
        buckets,
        wizard._export_labels(),
        _currency_format(company_currency),
        {currency.name: _currency_format(currency) for currency in currencies},
    )


def measure_aged_date(bench, credit, wizard, aggregates, results, key):
    """The report on the wizard's date: the list grouped by customer (View), the export's read."""
    Report = credit["credit.aged.receivable"].with_context(**wizard._report_context())
    domain = wizard._report_domain()

    def view():
        return Report.web_read_group(domain, aggregates, ["partner_id"], limit=80, lazy=True)

    def export():
        return Report._export_data(domain)

    log(f"{wizard.as_of_date}: View (grouped by customer), Export's read")
    results[f"view_{key}"] = {**bench.measure(view), "groups": view()["length"]}
    summary, detail, _buckets = export()
    results[f"export_{key}"] = {**bench.measure(export), "items": len(detail), "customers": len(summary)}
    as_of = wizard.as_of_date
    results[f"as_of_sql_{key}"] = bench.measure(
        lambda: bench.reference(REFERENCE_AS_OF_QUERY, {"as_of": as_of}), with_reference=False
    )
    results[f"plans_{key}"] = {"view": explain_report_queries(bench, view)}
    results[f"plans_{key}"]["export"] = explain_report_queries(bench, export)


def measure_aged(args):
    dbname = aged_dbname(args)
    registry = Registry(dbname)
    results = {}
    # The Export button writes its workbook as an attachment: in a filestore of its own, removed after.
    data_dir = config["data_dir"]
    config["data_dir"] = tempfile.mkdtemp(prefix="credit_bench_aged_")
    try:
        with registry.cursor() as cr:
            root, credit, wizards = aged_envs(cr)
            results["build"] = json.loads(root["ir.config_parameter"].get_param(BUILD_PARAM))
            results["company"] = root.company.name
            results["currency"] = root.company.currency_id.name
            # The store as the scheduled job leaves it (the export reads each customer's limit there).
            log(f"{dbname}: refreshing the stored figures")
            root["credit.figures.store"]._refresh()
            root.flush_all()
            log(f"{dbname}: consistency")
            results["checks"] = aged_consistency(root, credit, wizards)
            log_consistency(results["checks"])
            bench = Bench(root, args.runs, marker=AGED_MARKER)
            root.cr.execute(REFERENCE_QUERY, {"company": bench.company_id})
            results["ref_customers"] = len(root.cr.fetchall())
            Report = credit["credit.aged.receivable"].with_context(**wizards["today"]._report_context())
            aggregates = list_aggregates(Report)
            results["aggregates"] = aggregates
            for key, wizard in wizards.items():
                measure_aged_date(bench, credit, wizard, aggregates, results, key)
            log("workbook: build_workbook and XlsxWriter alone")
            inputs = workbook_inputs(root, credit, wizards["today"])
            results["workbook"] = measure_workbooks(args.runs, inputs, plain_sheets(*inputs[:4]))
            del inputs
            log("Export button: the click, the job's build, end to end")
            wizard = wizards["today"]
            results["export_outcome"] = export_outcome(bench, root, wizard)
            results["click"] = bench.measure(bench.rolled_back(wizard.action_export_xlsx))
            results["build_xlsx"] = bench.measure(wizard._build_xlsx)
            results["button"] = bench.measure(bench.rolled_back(export_end_to_end(root, wizard)))
            cr.rollback()
    finally:
        shutil.rmtree(config["data_dir"], ignore_errors=True)
        config["data_dir"] = data_dir
    return results


def money(amount):
    return f"{amount:,.2f}"


def aged_targets(results):
    """[(target, measured, PASS/FAIL)] at 100,000 open items."""
    rows = []
    for kind, label in (
        ("view", "View (the list grouped by customer)"),
        ("export", "the Export's read of the items"),
    ):
        for key, when in (("today", "today"), ("as_of", "a year back")):
            measured = results[f"{kind}_{key}"]
            rows.append(
                (
                    f"Aged receivables query under 2 s: {label}, {when}",
                    f"{measured['ms']:,.0f} ms, **{measured['ratio']:.1f}x** the reference "
                    f"({measured['ref_ms']:.0f} ms)",
                    verdict(measured["ms"] < AGED_QUERY_TARGET_MS),
                )
            )
    workbook = results["workbook"]
    rows.append(
        (
            f"Its workbook under 5 s: `build_workbook` of today's {results['export_today']['items']:,} items",
            f"{workbook['ms']:,.0f} ms, **{workbook['ratio']:.1f}x** XlsxWriter alone "
            f"({workbook['ref_ms']:,.0f} ms); {workbook['bytes'] / 1e6:.1f} MB",
            verdict(workbook["ms"] < AGED_WORKBOOK_TARGET_MS),
        )
    )
    click = results["click"]
    rows.append(
        (
            "(the Export button's click, today: it counts the report's items; not a target of the issue, "
            "under 2 s like the query)",
            f"{click['ms']:,.0f} ms, {click['ratio']:.1f}x the reference",
            verdict(click["ms"] < AGED_QUERY_TARGET_MS),
        )
    )
    button = results["button"]
    rows.append(
        (
            "(the Export end to end, today: the click, then the job's query and workbook; no target of "
            "its own: the two targets add up to 7 s)",
            f"{button['ms']:,.0f} ms, {button['ratio']:.1f}x the reference",
            verdict(button["ms"] < AGED_QUERY_TARGET_MS + AGED_WORKBOOK_TARGET_MS),
        )
    )
    return rows


def aged_data_rows(results):
    build, checks = results["build"], results["checks"]
    seed, totals = build["seed"], build["totals"]
    today, as_of = checks["today"], checks["as_of"]
    return [
        "| | |",
        "|---|---:|",
        f"| customers (companies) / with a credit limit | {build['customers']:,} / {build['with_limit']:,} |",
        "| seed through the ORM: invoices (of which in 3 installments) / credit notes (matched) / payments "
        f"(not matched) / exchange difference entries / entries in {build.get('foreign', 'EUR')} | "
        f"{seed['invoices']:,} ({seed['split_invoices']:,}) / {seed['credit_notes']:,} "
        f"({build['matched_credit_notes']}) / {seed['payments']:,} ({build['unmatched_payments']}) / "
        f"{seed['exchange_entries']:,} / {seed['foreign_entries']:,} |",
        f"| seed: journal items / receivable items / open today | {seed['items']:,} / "
        f"{seed['receivable_items']:,} / {seed['open_items']:,} |",
        f"| copies of the seed in SQL | {build['copies']} |",
        f"| journal entries / journal items | {totals['entries']:,} / {totals['items']:,} |",
        f"| invoices / credit notes / payments | {totals['invoices']:,} / {totals['credit_notes']:,} / "
        f"{totals['payments']:,} |",
        f"| receivable items: all / **open today** / open on {as_of['date']} | "
        f"{totals['receivable_items']:,} / **{today['report_rows']:,}** / {as_of['report_rows']:,} |",
        f"| reconciliations: partial / full | {totals['partials']:,} / {totals['full_reconciles']:,} |",
        f"| customers with open items today (groups of the View) | {results['view_today']['groups']:,} |",
        "| build: install + ORM seed and SQL copies + VACUUM ANALYZE = total (with the stored figures) | "
        f"{build['install_s']} s + {build['generate_s']} s + {build['vacuum_s']} s = {build['total_s']} s |",
    ]


def aged_check_rows(results):
    checks = results["checks"]
    today, as_of = checks["today"], checks["as_of"]
    ok = consistent(checks)
    return [
        f"| check | today ({today['date']}) | as of {as_of['date']} |",
        "|---|---:|---:|",
        f"| the report's open items: their total (as the credit user) | {money(today['report_total'])} | "
        f"{money(as_of['report_total'])} |",
        "| the receivable accounts' balance (posted items dated up to the date) | "
        f"{money(today['balance'])} | {money(as_of['balance'])} |",
        "| Odoo's residual of the open receivable items (`amount_residual`) | "
        f"{money(today['residual'])} | |",
        f"| customers whose total in the report differs from the reference query | "
        f"{checks['customers_differing']} of {checks['customers']:,} | |",
        "| unbalanced journal entries / receivable items whose residual is not their balance less their "
        f"reconciliations | {checks['unbalanced_entries']} / {checks['residual_mismatches']} | |",
        f"| result | {verdict(ok)} | |",
    ]


def aged_result_rows(results):
    def timed(label, measured, extra=""):
        report = ""
        if measured.get("figure_queries"):
            report = (
                f"{measured['figure_queries']} × {measured['figures_ms'] / measured['figure_queries']:,.0f}"
            )
        ratio = f"**{measured['ratio']:.1f}x**" if "ratio" in measured else ""
        return f"| {label} | {measured['ms']:,.0f} | {measured['queries']} | {report} | {ratio} | {extra} |"

    view, export = results["view_today"], results["export_today"]
    as_of = results["checks"]["as_of"]["date"]
    outcome = results["export_outcome"]
    refs = [results[key]["ref_ms"] for key in ("view_today", "export_today", "view_as_of", "export_as_of")]
    return [
        "| operation | ms | queries | report queries (n × ms) | × ref | rows |",
        "|---|---:|---:|---:|---:|---|",
        f"| reference query (median of its runs beside each operation) | {min(refs):,.0f} to "
        f"{max(refs):,.0f} | 1 | | | {results['ref_customers']:,} customers |",
        timed("plain SQL of the as-of computation, today (context)", results["as_of_sql_today"]),
        timed(f"plain SQL of the as-of computation, {as_of} (context)", results["as_of_sql_as_of"]),
        timed("**View**, today: `web_read_group` by customer, 80 groups", view, f"{view['groups']:,} groups"),
        timed(
            f"**View**, as of {as_of}",
            results["view_as_of"],
            f"{results['view_as_of']['groups']:,} groups",
        ),
        timed(
            "**Export's read**, today: `_export_data`",
            export,
            f"{export['items']:,} items, {export['customers']:,} customers",
        ),
        timed(
            f"**Export's read**, as of {as_of}",
            results["export_as_of"],
            f"{results['export_as_of']['items']:,} items, {results['export_as_of']['customers']:,} customers",
        ),
        timed(
            "**Export button**, today: the click (`action_export_xlsx`: "
            + (
                f"counts the items, queues the export: over {outcome['threshold']:,} items it is built "
                "in the background)"
                if outcome["queued"]
                else "counts the items, builds and attaches the workbook)"
            ),
            results["click"],
        ),
        timed(
            "the job's build of it (`_build_xlsx`: the Export's read and `build_workbook`)",
            results["build_xlsx"],
        ),
        timed(
            "**Export end to end**, today: the click, then the job (`_cron_build_exports`) builds and "
            "stores the workbook"
            if outcome["queued"]
            else "**Export end to end**, today: the click",
            results["button"],
            f"workbook {outcome['state']}, {outcome['bytes'] / 1e6:.2f} MB",
        ),
    ]


def aged_workbook_rows(results):
    workbook = results["workbook"]
    rows = " + ".join(f"{count:,}" for count in workbook["rows"])
    return [
        "| workbook of today's open items | ms | size | × XlsxWriter alone |",
        "|---|---:|---:|---:|",
        f"| `build_workbook` (summary, items, parameters: {rows} rows) | {workbook['ms']:,.0f} | "
        f"{workbook['bytes'] / 1e6:.2f} MB | **{workbook['ratio']:.1f}x** |",
        f"| XlsxWriter alone: the same rows and columns ({workbook['cells']:,} cells), `write_row`, "
        f"in memory, no formats but the dates' | {workbook['ref_ms']:,.0f} | "
        f"{workbook['ref_bytes'] / 1e6:.2f} MB | |",
    ]


def aged_plan_rows(results):
    rows = ["| report query | planning ms | execution ms | of which JIT ms |", "|---|---:|---:|---:|"]
    names = {
        "view": ("View: the page of groups", "View: the count of the other groups"),
        "export": ("Export",),
    }
    for key in ("today", "as_of"):
        date = results["checks"][key]["date"]
        for kind in ("view", "export"):
            for index, plan in enumerate(results[f"plans_{key}"][kind]):
                times = plan_times(plan)
                label = names[kind][min(index, len(names[kind]) - 1)]
                jit = "" if times["jit"] is None else f"{times['jit']:,.0f}"
                rows.append(
                    f"| {label}, {date} | {times['planning']:.1f} | {times['execution']:,.0f} | {jit} |"
                )
    return rows


def aged_markdown(args, results, load):
    today = results["checks"]["today"]
    plans = results["plans_today"]
    lines = [
        AGED_BEGIN,
        "",
        f"## Aged receivables at {today['report_rows']:,} open items",
        "",
        f"Measured {datetime.datetime.now():%Y-%m-%d %H:%M} by `python3 scripts/benchmark.py --aged "
        f"--runs {args.runs}` on {platform.machine()}, {os.cpu_count()} cores shared with other work: "
        f"1-minute load {load[0]:.2f} at the start of the measures, {load[1]:.2f} at the end. Python "
        f"{platform.python_version()}, Odoo {odoo.release.version}, PostgreSQL {results['pg_version']} on "
        "the same machine (default settings: `shared_buffers` 128 MB, `work_mem` 4 MB, `jit` on).",
        "",
        f"The data set `{aged_dbname(args)}` is built by the script (see its docstring): a seed of real "
        "history through the ORM (invoices, some in three installments, some in a second currency, "
        "credit notes, payments in full and in part, exchange differences), copied in SQL onto the other "
        "customers with new numbers and dates. Every time is the median of "
        f"{args.runs} runs with a cold ORM cache, in ms, in company *{results['company']}* "
        f"({results['currency']}), as the credit user (Credit Management "
        "read-only, which gives read-only accounting; not the superuser), with the wizard's defaults "
        "(by due date, 4 periods of 30 days). *Report queries* are the queries on the report's view "
        "(`credit.aged.receivable`) and their mean time. *× ref* divides the median by the median of "
        "the **reference query** run alternately with the operation: each customer's open receivable "
        "today, the posted and unreconciled receivable items summed per commercial partner (plain SQL, "
        "the query of the sections above).",
        "",
        "### Data set",
        "",
        *aged_data_rows(results),
        "",
        "### Consistency: the open items add up to the receivable balance",
        "",
        *aged_check_rows(results),
        "",
        "### Results",
        "",
        *aged_result_rows(results),
        "",
        *aged_workbook_rows(results),
        "",
        "### Targets (at 100,000 open items)",
        "",
        "| target | measured | result |",
        "|---|---|---|",
        *(f"| {target} | {measured} | {result} |" for target, measured, result in aged_targets(results)),
        "",
        "How each operation runs: *View* is what the list does when the wizard's View opens it grouped "
        "by customer: `web_read_group(domain, [" + ", ".join(f"'{a}'" for a in results["aggregates"]) + "], "
        "['partner_id'], limit=80)` with the wizard's context and domain; with 80 groups on the page it "
        "reads the report a second time to count the other groups. *Export's read* is "
        "`credit.aged.receivable._export_data(domain)`: every open item, with the customers' names and "
        "stored figures, summed per customer by pandas. The *Export button* is the wizard's "
        "`action_export_xlsx` as the credit user; *end to end* adds, when the export is queued, the "
        "scheduled job `credit.report.export._cron_build_exports` (run at once, as the cron would, without "
        "its commits): the Export's read and `build_workbook` as the user, the workbook stored on the "
        "export; both flushed and rolled back to a savepoint. The workbook rows time `build_workbook` "
        "alone on the button's own input, alternately with the XlsxWriter reference.",
        "",
        "### Plans of the report's queries",
        "",
        *aged_plan_rows(results),
        "",
        "The View's page query today (`_read_group` by customer over the report's view), "
        "EXPLAIN (ANALYZE, BUFFERS):",
        "",
        "```",
        plans["view"][0] if plans["view"] else "(no report query)",
        "```",
        "",
        "The Export's read of the items today:",
        "",
        "```",
        plans["export"][0] if plans["export"] else "(no report query)",
        "```",
        "",
        AGED_END,
    ]
    return "\n".join(lines)


def write_aged_section(path, text):
    """Replace the aged section of ``path``, else add it right below KEEP_MARKER (else at the end)."""
    previous = ""
    if os.path.exists(path):
        with open(path, encoding="utf-8") as handle:
            previous = handle.read()
    if AGED_BEGIN in previous and AGED_END in previous:
        start = previous.index(AGED_BEGIN)
        end = previous.index(AGED_END) + len(AGED_END)
        updated = previous[:start] + text + previous[end:]
    elif KEEP_MARKER in previous:
        at = previous.index(KEEP_MARKER) + len(KEEP_MARKER)
        updated = previous[:at] + "\n\n" + text + "\n" + previous[at:]
    else:
        updated = previous + ("\n" if previous else "") + KEEP_MARKER + "\n\n" + text + "\n"
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(updated)


def main_aged(args):
    dbname = aged_dbname(args)
    if args.rebuild or not database_ready(args, dbname):
        build_aged(args)
    elif not args.build_only:
        log(f"updating credit_risk_addon in {dbname} to the code measured")
        install(args, dbname, option="-u")
    if args.build_only:
        return 0
    load_start = os.getloadavg()[0]
    results = measure_aged(args)
    load_end = os.getloadavg()[0]
    results["pg_version"] = server_version(args)
    text = aged_markdown(args, results, (load_start, load_end))
    print(text)
    if args.write:
        write_aged_section(args.write, text)
    return 0


def server_version(args):
    conn = connect(args)
    try:
        with conn.cursor() as cr:
            cr.execute("SHOW server_version")
            return cr.fetchone()[0]
    finally:
        conn.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help="customers per data set, comma-separated")
    parser.add_argument("--db-prefix", default="credit_bench")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the data sets even if present")
    parser.add_argument(
        "--build-only", action="store_true", help="build the missing data sets, measure nothing"
    )
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--db-host", default=os.environ.get("PGHOST", "127.0.0.1"))
    parser.add_argument("--db-port", default=os.environ.get("PGPORT", "5432"))
    parser.add_argument("--db-user", default=os.environ.get("PGUSER", "odoo"))
    parser.add_argument(
        "--addons-path",
        default=",".join(
            [
                os.path.join(os.path.dirname(odoo.__file__), "addons"),
                os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
            ]
        ),
    )
    parser.add_argument("--write", help="write the report as Markdown to this file")
    parser.add_argument(
        "--aged",
        action="store_true",
        help="the aged receivables data set and measures (about --aged-items open items) instead of --sizes; "
        "--write then rewrites only its section of the file",
    )
    parser.add_argument("--aged-items", type=int, default=AGED_ITEMS, help="open receivable items wanted")
    parser.add_argument("--aged-customers", type=int, default=AGED_CUSTOMERS)
    args = parser.parse_args()
    sizes = sorted(int(size) for size in args.sizes.split(","))

    config.parse_config(
        [
            *("--db_host", args.db_host, "--db_port", args.db_port, "--db_user", args.db_user),
            *("--addons-path", args.addons_path, "--log-level", "warn"),
        ]
    )
    if args.aged:
        return main_aged(args)
    for size in sizes:
        if args.rebuild or not database_ready(args, f"{args.db_prefix}_{size}"):
            build(args, size)
        elif not args.build_only:
            log(f"updating credit_risk_addon in {args.db_prefix}_{size} to the code measured")
            install(args, f"{args.db_prefix}_{size}", option="-u")
    if args.build_only:
        return 0
    load_start = os.getloadavg()[0]
    results = {size: measure_database(args, size) for size in sizes}
    load_end = os.getloadavg()[0]
    conn = connect(args)
    with conn.cursor() as cr:
        cr.execute("SHOW server_version")
        version = cr.fetchone()[0]
    conn.close()
    for size in sizes:
        results[size]["pg_version"] = version
    text = markdown(args, results, (load_start, load_end))
    print(text)
    if args.write:
        kept = ""
        if os.path.exists(args.write):
            with open(args.write, encoding="utf-8") as handle:
                previous = handle.read()
            if KEEP_MARKER in previous:
                kept = previous[previous.index(KEEP_MARKER) :]
        with open(args.write, "w", encoding="utf-8") as handle:
            handle.write(text + ("\n" + kept if kept else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
