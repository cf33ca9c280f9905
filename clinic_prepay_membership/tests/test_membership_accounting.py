# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import date, timedelta

from odoo import Command
from odoo.tests import tagged

from .common import MembershipCommon


@tagged("post_install", "-at_install")
class TestMembershipAccounting(MembershipCommon):
    """A year of the monthly plan, down to the journal items: each paid
    period posts its fee (revenue) and its credit (a liability at the plan's
    value); a used credit moves to the treatment's income, an expired one to
    breakage; a failed charge posts nothing."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the fees on their own income account, apart from the treatments'
        cls.plan_income = cls.env["account.account"].create(
            {"name": "Membership fees", "code": "706100", "account_type": "income"}
        )
        cls.plan.product_id.sudo().property_account_income_id = cls.plan_income

    def _visit(self):
        """A Botox visit paid by the month's credit, attended."""
        start = self._bookable_time(not_before=timedelta(days=1))
        appointment = self._appointment(start, user=self.front_desk)
        appointment.with_user(self.front_desk).action_book()
        self.assertEqual(appointment.prepayment_rule, "course")
        self._travel(start + timedelta(minutes=5))
        appointment.with_user(self.front_desk).action_done()
        return appointment

    def test_a_year_of_fees_credits_used_rolled_over_and_expired(self):
        membership = self._member()
        card = membership.card_id
        visits = self.env["clinic.appointment"]
        # credits used in the first and fourth months (two then: one rolled
        # over); the others roll over one and expire the rest
        used_in = {0: 1, 3: 2}
        for month in range(12):
            if month:
                self.assertEqual(self._job(self._next_charge(membership)), 1)
            for _visit in range(used_in.get(month, 0)):
                visits |= self._visit()
        periods = membership.period_ids.sorted("date_from")
        self.assertEqual(len(periods), 12)
        self.assertEqual(set(periods.mapped("state")), {"paid"})
        self.assertEqual(periods[-1].date_from, date(2031, 2, 4))
        self.assertEqual(membership.paid_periods, 12)

        # each period: receivable 69 = fee 29 (income) + credit 40 (prepaid)
        for period in periods:
            invoice = period.invoice_id
            self.assertEqual((invoice.state, invoice.payment_state), ("posted", "paid"))
            self.assertEqual(invoice.invoice_date, period.paid_date)
            by_account = {
                line.account_id: line.balance
                for line in invoice.line_ids
                if line.display_type != "payment_term"
            }
            self.assertEqual(
                by_account, {self.plan_income: -29.0, self.wallet_account: -40.0}, period.name
            )
            receivable = invoice.line_ids.filtered(
                lambda line: line.display_type == "payment_term"
            )
            self.assertEqual((receivable.balance, receivable.reconciled), (69.0, True))
        self.assertEqual(self._balance(self.plan_income), -12 * 29.0)

        # 12 credits: 3 used, 7 expired, 2 left (the last month's and one rolled over)
        self.assertEqual(len(visits), 3)
        self.assertEqual(card.clinic_sessions_used, 3)
        self.assertEqual(card.clinic_sessions_expired, 7)
        self.assertEqual(membership.credits_left, 2)
        for visit in visits:
            entry = visit.wallet_move_id
            self.assertEqual(entry.state, "posted")
            debit = entry.line_ids.filtered(lambda line: line.account_id == self.wallet_account)
            self.assertEqual((debit.debit, debit.partner_id), (40.0, self.patient))
        self.assertEqual(self._balance(self.botox_income), -3 * 40.0)
        expiries = card.history_ids.filtered(lambda h: h.clinic_kind == "expired")
        self.assertEqual(len(expiries), 7)
        # expired on the day their period ended
        self.assertEqual(
            sorted(expiries.clinic_move_id.mapped("date")),
            [date(2030, m, 4) for m in (6, 9, 10, 11, 12)] + [date(2031, 1, 4), date(2031, 2, 4)],
        )
        self.assertEqual(self._balance(self.breakage_account), -7 * 40.0)
        # the liability left is the two open credits, at their value
        self.assertEqual(self._balance(self.wallet_account), -2 * 40.0)
        self.assertEqual(self._wallet_balance(card), 80.0)
        self.assertEqual(card.clinic_value, 80.0)

        # the membership ends: the open credits expire, the liability is zero
        membership.with_user(self.manager).action_cancel_now()
        self.assertEqual(self._balance(self.wallet_account), 0.0)
        self.assertEqual(self._balance(self.breakage_account), -9 * 40.0)

    def test_a_failed_charge_posts_nothing(self):
        membership = self._member(card_state="error")
        at = self._next_charge(membership)
        self._job(at)
        failed = membership.period_ids.filtered(lambda p: p.state == "failed")
        self.assertEqual(failed.invoice_id.state, "draft")
        self.assertFalse(failed.invoice_id.line_ids.filtered("reconciled"))
        posted = self.env["account.move"].search(
            [
                ("partner_id", "=", self.patient.id),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
            ]
        )
        self.assertEqual(posted, membership.period_ids.sorted("date_from")[0].invoice_id)
        self.assertEqual(self._balance(self.plan_income), -29.0)
        # suspended after the schedule: the draft is still outside the ledger
        for days in (1, 3, 7):
            self._job(at + timedelta(days=days))
        self.assertEqual(membership.state, "suspended")
        self.assertEqual(failed.invoice_id.state, "draft")
        # ended unpaid: the draft is cancelled, nothing was ever posted
        membership.with_user(self.manager).action_cancel_now()
        self.assertEqual((failed.state, failed.invoice_id.state), ("cancelled", "cancel"))
        self.assertEqual(self._balance(self.plan_income), -29.0)

    def test_taxes_come_from_the_plans_product(self):
        tax_account = self.env["account.account"].create(
            {"name": "VAT collected", "code": "445710", "account_type": "liability_current"}
        )
        tax = self.env["account.tax"].create(
            {
                "name": "VAT 20",
                "amount": 20.0,
                "type_tax_use": "sale",
                "price_include_override": "tax_included",
                "invoice_repartition_line_ids": [
                    Command.create({"repartition_type": "base"}),
                    Command.create({"repartition_type": "tax", "account_id": tax_account.id}),
                ],
                "refund_repartition_line_ids": [
                    Command.create({"repartition_type": "base"}),
                    Command.create({"repartition_type": "tax", "account_id": tax_account.id}),
                ],
            }
        )
        self.plan.product_id.sudo().taxes_id = tax
        self.assertEqual(self.plan.price_total, 69.0)
        membership = self._member()
        invoice = membership.period_ids.invoice_id
        self.assertEqual(invoice.amount_total, 69.0)
        self.assertEqual(invoice.amount_tax, 11.5)
        self.assertEqual(self._balance(tax_account), -11.5)
        # the credit's liability is its value net of tax, as the wallet's
        # sessions are
        self.assertAlmostEqual(self._wallet_balance(membership.card_id), 33.33, places=2)
