"""Benchmark of the credit gate and the exposure figures.

Runs against a database that has credit_risk_addon installed (for example
the one ``scripts/start-demo`` creates), inside one transaction that is
rolled back at the end: it never changes the database.

    python3 scripts/benchmark.py --db credit_risk_demo [--sizes 1,200,2000] [--write docs/benchmark.md]

For customers with 1, 200 and 2,000 open invoices it measures one credit
check (``sale.order._confirmation_error_message``: the lock, the figures and
the decision) and the partner's figures compute, both with a cold record
cache: SQL queries and the median wall time of 15 runs. The query count is
the promise (it must not grow with the invoices); the times are what this
machine measured. It then adds ``--customers`` customers (default 1,000)
with 2 open invoices each and times the lists that read every customer's
figures at once: the exposure report and the customer list sorted and
filtered by a credit figure.
"""

import argparse
import datetime
import os
import platform
import statistics
import sys
import time

import odoo
from odoo import SUPERUSER_ID, Command, api
from odoo.tools import config

RUNS = 15


def make_customer(env, invoices, product):
    partner = env["res.partner"].create({"name": f"Benchmark customer {invoices}", "is_company": True})
    partner.credit_limit = 1e12
    today = datetime.date.today()
    moves = env["account.move"].create(
        [
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                # Not overdue: every size takes the same path through the gate.
                "invoice_date": today - datetime.timedelta(days=i % 25),
                "invoice_date_due": today + datetime.timedelta(days=30),
                "invoice_line_ids": [
                    Command.create({"name": "Goods", "quantity": 1, "price_unit": 10.0, "tax_ids": []})
                ],
            }
            for i in range(invoices)
        ]
    )
    moves.action_post()
    order = env["sale.order"].create(
        {
            "partner_id": partner.id,
            "order_line": [Command.create({"product_id": product.id, "price_unit": 100.0, "tax_id": []})],
        }
    )
    return partner, order


def make_customers(env, count, invoices_each):
    """``count`` customers with ``invoices_each`` open invoices, one of them overdue."""
    partners = env["res.partner"].create(
        [{"name": f"Benchmark list customer {i}", "is_company": True} for i in range(count)]
    )
    today = datetime.date.today()
    moves = env["account.move"].create(
        [
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "invoice_date": today - datetime.timedelta(days=90),
                "invoice_date_due": today - datetime.timedelta(days=(i * 7 + j * 40) % 150),
                "invoice_line_ids": [
                    Command.create(
                        {"name": "Goods", "quantity": 1, "price_unit": 10.0 * (i % 50 + 1), "tax_ids": []}
                    )
                ],
            }
            for i, partner in enumerate(partners)
            for j in range(invoices_each)
        ]
    )
    moves.action_post()
    return partners


def analyze(env):
    """Refresh the planner statistics of the tables the setup just filled.

    In a live database autovacuum keeps them current; rows added inside
    this uncommitted transaction would otherwise look like empty tables to
    PostgreSQL's planner and give plans no real database would get.
    """
    env.flush_all()
    env.cr.execute("ANALYZE res_partner, account_move, account_move_line, sale_order, sale_order_line")


def measure(env, func):
    """(queries, median ms) of ``func`` over RUNS cold-cache runs."""
    func()  # warm the registry caches once
    counts, times = [], []
    for _run in range(RUNS):
        env.invalidate_all()
        count0 = env.cr.sql_log_count
        start = time.perf_counter()
        func()
        times.append((time.perf_counter() - start) * 1000)
        counts.append(env.cr.sql_log_count - count0)
    return max(counts), statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--db-host", default=os.environ.get("PGHOST", "127.0.0.1"))
    parser.add_argument("--db-port", default=os.environ.get("PGPORT", "5432"))
    parser.add_argument("--db-user", default=os.environ.get("PGUSER", "odoo"))
    parser.add_argument("--sizes", default="1,200,2000")
    parser.add_argument(
        "--customers", type=int, default=1000, help="customers for the report and customer-list figures"
    )
    parser.add_argument(
        "--addons-path",
        default=",".join(
            [
                os.path.join(os.path.dirname(odoo.__file__), "addons"),
                os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
            ]
        ),
    )
    parser.add_argument("--write", help="write the results as Markdown to this file")
    args = parser.parse_args()

    config.parse_config(
        [
            *("-d", args.db, "--db_host", args.db_host, "--db_port", args.db_port),
            *("--db_user", args.db_user, "--addons-path", args.addons_path),
        ]
    )
    registry = odoo.modules.registry.Registry(args.db)
    rows = []
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        env.company.account_use_credit_limit = True
        product = env["product.product"].create({"name": "Benchmark pallet", "taxes_id": []})
        for size in [int(s) for s in args.sizes.split(",")]:
            start = time.perf_counter()
            partner, order = make_customer(env, size, product)
            setup = time.perf_counter() - start
            analyze(env)
            gate_q, gate_ms = measure(env, order._confirmation_error_message)
            fig_q, fig_ms = measure(env, lambda p=partner: p.credit_exposure)
            rows.append((size, gate_q, gate_ms, fig_q, fig_ms, setup))
            print(
                f"{size:>6} invoices: gate {gate_q} queries {gate_ms:.1f} ms | "
                f"figures {fig_q} queries {fig_ms:.1f} ms (setup {setup:.0f} s)",
                flush=True,
            )
        start = time.perf_counter()
        make_customers(env, args.customers, 2)
        analyze(env)
        print(f"{args.customers} customers with 2 invoices each (setup {time.perf_counter() - start:.0f} s)")
        Report = env["credit.exposure.report"]
        Partner = env["res.partner"]
        report_count = Report.search_count([])
        lists = [
            (
                f"Credit Exposure and Aging report, all {report_count} rows (list of 80, sorted by exposure)",
                lambda: Report.search_read([], ["partner_id", "exposure", "overdue"], limit=80),
            ),
            (
                "Same report grouped by company (pivot-style totals)",
                lambda: Report._read_group([], ["company_id"], ["exposure:sum", "overdue:sum"]),
            ),
            (
                "Customer list sorted by Credit Exposure (80 rows)",
                lambda: Partner.search_read(
                    [("customer_rank", ">", 0)],
                    ["name", "credit_exposure"],
                    order="credit_exposure desc",
                    limit=80,
                ),
            ),
            (
                "Customer search 'Overdue' filter (credit_overdue_amount > 0), count",
                lambda: Partner.search_count([("credit_overdue_amount", ">", 0)]),
            ),
        ]
        list_rows = [(label, *measure(env, func)) for label, func in lists]
        for label, queries, ms in list_rows:
            print(f"{label}: {queries} queries {ms:.1f} ms", flush=True)
        cr.rollback()

    lines = [
        "# Benchmark: credit gate and exposure figures",
        "",
        f"Measured {datetime.date.today()} with `python3 scripts/benchmark.py --db {args.db}` on "
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"Odoo {odoo.release.version}, PostgreSQL on the same machine. Cold record cache, "
        f"median of {RUNS} runs; the database is left unchanged (one rolled-back transaction).",
        "",
        "| open invoices | credit check: queries | credit check: ms | partner figures: queries "
        "| partner figures: ms |",
        "|---:|---:|---:|---:|---:|",
    ]
    lines += [f"| {s} | {gq} | {gm:.1f} | {fq} | {fm:.1f} |" for s, gq, gm, fq, fm, _setup in rows]
    lines += [
        "",
        f"Lists over the whole database, after adding {args.customers} customers with 2 open invoices "
        "each (same conditions):",
        "",
        "| what | queries | ms |",
        "|---|---:|---:|",
        *(f"| {label} | {queries} | {ms:.1f} |" for label, queries, ms in list_rows),
        "",
        "Targets: the query counts do not grow with the number of invoices (also asserted by "
        "`credit_risk_addon/tests/test_query_count.py`); a credit check stays under 100 ms with "
        "2,000 open invoices.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        with open(args.write, "w", encoding="utf-8") as handle:
            handle.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
