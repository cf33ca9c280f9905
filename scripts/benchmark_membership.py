"""What the membership billing job costs per membership, next to the core Odoo
work it composes, with 100 and with 10,000 memberships.

Run by `make bench` (a throw-away database). The job runs as the scheduler
runs it (the superuser), with tracking on, an empty record cache, and the
final flush and precommit counted, over a batch of members whose period
ends. The core is the same work done by an accountant over a batch of the
same size, with the plan's own product, accounts and journal: the period's
draft two-line invoice, the token transaction, the payment request and its
post-processing (payment, posting, reconciliation), and the credit added to
the member's card with its history line.
"""

import argparse
import statistics
import time

import odoo
from odoo import SUPERUSER_ID, Command, api

BATCH = 10
SAMPLES = 5


class MembershipBench:
    def __init__(self, cr):
        self.cr = cr
        self.su = api.Environment(cr, SUPERUSER_ID, {})
        self.members = []

    def setup(self):
        env = self.su
        env.company._clinic_ensure_accounting()
        self.accountant = env["res.users"].create(
            {
                "name": "Bench Accountant",
                "login": "bench_member_accountant",
                "groups_id": [Command.set(env.ref("account.group_account_manager").ids)],
            }
        )
        self.provider = env.ref("payment.payment_provider_demo")
        self.provider.write({"state": "test", "is_published": True, "allow_tokenization": True})
        self.method = env.ref("payment_demo.payment_method_demo")
        product = env["product.product"].create(
            {
                "name": "Bench facial",
                "type": "service",
                "list_price": 100.0,
                "taxes_id": [Command.clear()],
            }
        )
        treatment = env["clinic.treatment"].create(
            {"name": "Bench facial", "product_id": product.id, "deposit_type": "none"}
        )
        self.plan = env["clinic.membership.plan"].create(
            {
                "name": "Bench plan",
                "price": 69.0,
                "treatment_ids": [Command.set(treatment.ids)],
                "credits_per_period": 1,
                "credit_value": 40.0,
                "rollover_max": 10000,
            }
        )
        self.cr.commit()

    def sign_up(self, count):
        """``count`` active members with a saved card, through the real
        sign-up and first payment."""
        env = self.su
        Tx = env["payment.transaction"]
        for index in range(count):
            partner = env["res.partner"].create(
                {"name": f"Bench Member {len(self.members)}", "email": "m@example.com"}
            )
            membership = env["clinic.membership"]._clinic_sign_up(self.plan, partner)
            invoice = membership.period_ids.invoice_id
            tx = Tx.create(
                {
                    "provider_id": self.provider.id,
                    "payment_method_id": self.method.id,
                    "amount": invoice.amount_total,
                    "currency_id": invoice.currency_id.id,
                    "partner_id": partner.id,
                    "reference": Tx._compute_reference(
                        "demo", invoice_ids=[Command.set(invoice.ids)]
                    ),
                    "operation": "online_redirect",
                    "tokenize": True,
                    "invoice_ids": [Command.set(invoice.ids)],
                }
            )
            tx._handle_notification_data(
                "demo",
                {"reference": tx.reference, "simulated_state": "done", "payment_details": "4242"},
            )
            tx._post_process()
            self.members.append(membership)
            if index % 50 == 49:
                self.cr.commit()
        self.cr.commit()

    def fill(self, total):
        """Memberships up to ``total`` by SQL (not due: next year), as a
        clinic's history of members holds them."""
        existing = self.su["clinic.membership"].search_count([])
        missing = total - existing
        if missing <= 0:
            return
        partner = self.su["res.partner"].create({"name": "Bench filler"})
        self.cr.execute(
            """
            INSERT INTO clinic_membership
                   (name, partner_id, plan_id, company_id, state, source, period_start,
                    period_end, next_charge_at, paid_periods, pause_periods_left,
                    create_uid, write_uid, create_date, write_date)
            SELECT 'FILL/' || (%(existing)s + n), %(partner)s, %(plan)s, %(company)s,
                   (ARRAY['active', 'cancelled', 'suspended', 'past_due'])[1 + n %% 4],
                   'desk', now()::date, now()::date + 365,
                   CASE WHEN n %% 4 = 0 THEN now() + interval '365 days' END,
                   1, 0, 1, 1, now(), now()
              FROM generate_series(1, %(count)s) AS n
            """,
            {
                "partner": partner.id,
                "plan": self.plan.id,
                "company": self.su.company.id,
                "count": missing,
                "existing": existing,
            },
        )
        self.cr.execute("ANALYZE clinic_membership")
        self.cr.commit()

    # ------------------------------------------------------------------

    def measure(self, user, func, items):
        self.su.flush_all()
        self.cr.commit()
        env = api.Environment(self.cr, user.id if user else SUPERUSER_ID, {})
        env.invalidate_all()
        queries, began = self.cr.sql_log_count, time.perf_counter()
        func(env)
        env.flush_all()
        self.cr.precommit.run()
        elapsed = (time.perf_counter() - began) * 1000
        queries = self.cr.sql_log_count - queries
        self.cr.commit()
        return queries / items, elapsed / items

    def job(self):
        """The batch's periods end now: the job bills each of them."""
        batch = self.members[:BATCH]
        self.cr.execute(
            "UPDATE clinic_membership SET next_charge_at = now() at time zone 'utc'"
            " - interval '1 minute' WHERE id IN %s",
            [tuple(m.id for m in batch)],
        )

        def run(env):
            billed = env["clinic.membership"]._cron_bill()
            assert billed == BATCH, billed

        return self.measure(None, run, BATCH)

    def core(self):
        """The same work for a batch of the same size, done with Odoo's own
        records by an accountant."""
        batch = self.members[:BATCH]
        wallet = self.su.company.clinic_wallet_account_id
        plan = self.plan

        def run(env):
            Tx = env["payment.transaction"].sudo()
            for membership in batch:
                invoice = (
                    env["account.move"]
                    .with_context(default_move_type="out_invoice")
                    .create(
                        {
                            "partner_id": membership.partner_id.id,
                            "journal_id": env.company.clinic_journal_id.id,
                            "invoice_line_ids": [
                                Command.create(
                                    {
                                        "product_id": plan.product_id.id,
                                        "price_unit": plan.price - plan.credit_value,
                                    }
                                ),
                                Command.create(
                                    {
                                        "product_id": plan.product_id.id,
                                        "price_unit": plan.credit_value,
                                        "account_id": wallet.id,
                                    }
                                ),
                            ],
                        }
                    )
                )
                tx = Tx.create(
                    {
                        "provider_id": self.provider.id,
                        "payment_method_id": self.method.id,
                        "reference": Tx._compute_reference("demo"),
                        "amount": invoice.amount_total,
                        "currency_id": invoice.currency_id.id,
                        "partner_id": membership.partner_id.id,
                        "token_id": membership.token_id.id,
                        "operation": "offline",
                        "invoice_ids": [Command.set(invoice.ids)],
                    }
                )
                tx._send_payment_request()
                tx._post_process()
                card = env["loyalty.card"].sudo().browse(membership.card_id.id)
                card.points += 1
                env["loyalty.history"].sudo().create(
                    {"card_id": card.id, "description": "Bench", "issued": 1.0}
                )

        return self.measure(self.accountant, run, BATCH)

    def compare(self):
        flow, core = [], []
        for _sample in range(SAMPLES):
            flow.append(self.job())
            core.append(self.core())
        # the first sample fills Odoo's caches (views, rules, sequences)
        fq = statistics.median(q for q, _ms in flow[1:])
        cq = statistics.median(q for q, _ms in core[1:])
        fms = statistics.median(ms for _q, ms in flow[1:])
        cms = statistics.median(ms for _q, ms in core[1:])
        return fq, cq, fms, cms

    def explain_due(self):
        self.cr.execute(
            """
            EXPLAIN SELECT id FROM clinic_membership
             WHERE state IN ('active', 'paused') AND next_charge_at <= now() at time zone 'utc'
             ORDER BY next_charge_at, id LIMIT 1 FOR NO KEY UPDATE SKIP LOCKED
            """
        )
        return [row[0] for row in self.cr.fetchall()]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--memberships", type=int, default=10000)
    args = parser.parse_args()
    odoo.tools.config.parse_config(["-c", args.config, "-d", args.database, "--log-level=warn"])
    registry = odoo.modules.registry.Registry(args.database)
    with registry.cursor() as cr:
        bench = MembershipBench(cr)
        bench.setup()
        bench.sign_up(BATCH)
        print("Membership billing job, per membership billed (batches of 10), next to the core")
        print("(draft 2-line invoice + token transaction + payment request + post-process +")
        print(" the credit on the member's card), median queries and ms:")
        print(
            f"{'memberships':>12} | {'job q':>6} | {'core q':>6} | {'ratio':>5} | {'job ms':>7} |"
            f" {'core ms':>7} | {'ratio':>5}"
        )
        for total in (100, args.memberships):
            bench.fill(total)
            fq, cq, fms, cms = bench.compare()
            count = bench.su["clinic.membership"].search_count([])
            print(
                f"{count:>12,} | {fq:>6.1f} | {cq:>6.1f} | {fq / cq:>5.2f} | {fms:>7.1f} |"
                f" {cms:>7.1f} | {fms / cms:>5.2f}"
            )
        print("The job's 'due' statement:")
        for line in bench.explain_due():
            print(f"  {line}")


if __name__ == "__main__":
    main()
