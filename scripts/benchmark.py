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
"""

import argparse
import contextlib
import datetime
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
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

    def __init__(self, env, runs):
        self.env = env
        self.cr = env.cr
        self.runs = runs
        self.company_id = env.company.id

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
        figures = [ms for code, ms in queries if FIGURES_MARKER.search(code)]
        return len(queries), len(figures), sum(figures), elapsed

    def reference(self, query=REFERENCE_QUERY):
        self.cr.execute(query, {"company": self.company_id})
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
    args = parser.parse_args()
    sizes = sorted(int(size) for size in args.sizes.split(","))

    config.parse_config(
        [
            *("--db_host", args.db_host, "--db_port", args.db_port, "--db_user", args.db_user),
            *("--addons-path", args.addons_path, "--log-level", "warn"),
        ]
    )
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
