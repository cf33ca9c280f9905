# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import date, datetime, timedelta
from unittest.mock import patch

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import MembershipCommon


@tagged("post_install", "-at_install")
class TestMembership(MembershipCommon):
    def test_plan_bad_input_is_refused(self):
        Plan = self.env["clinic.membership.plan"].with_user(self.manager)
        base = {"name": "Bad", "price": 50.0}
        for vals, message in [
            ({"price": 0.0}, "a plan has a price"),
            ({"interval": 0}, "at least one month"),
            ({"discount_percent": 120.0}, "between 0 and 100"),
            ({"retry_days": "3,1"}, "increasing days"),
            ({"retry_days": "1,x"}, "increasing days"),
            ({"max_pause_periods": -1}, "not negative"),
            ({"credits_per_period": 1, "credit_value": 10.0}, "name the treatments"),
            (
                {
                    "credits_per_period": 2,
                    "credit_value": 30.0,
                    "treatment_ids": [(6, 0, self.treatment_botox.ids)],
                },
                "not more than the price",
            ),
        ]:
            with self.subTest(vals=vals), self.assertRaisesRegex(ValidationError, message):
                with self.env.cr.savepoint():
                    Plan.create({**base, **vals})
        self.assertFalse(Plan.search([("name", "=", "Bad")]))

    def test_only_a_manager_defines_plans(self):
        with self.assertRaises(AccessError):
            self.env["clinic.membership.plan"].with_user(self.front_desk).create(
                {"name": "Desk plan", "price": 1.0}
            )
        with self.assertRaises(AccessError):
            self.plan.with_user(self.front_desk).price = 1.0

    def test_desk_signs_up_and_the_first_payment_saves_the_card(self):
        membership = self._sign_up()
        self.assertEqual(membership.state, "draft")
        self.assertEqual(membership.consent_text, self.plan.terms)
        self.assertTrue(membership.consent_date)
        period = membership.period_ids
        self.assertEqual(period.name, f"{membership.name}-2030-03")
        self.assertEqual((period.date_from, period.date_to), (date(2030, 3, 4), date(2030, 4, 4)))
        # a payment request, outside the ledger
        self.assertEqual(period.invoice_id.state, "draft")
        self.assertEqual(period.invoice_id.amount_total, 69.0)
        link = membership._get_payment_link()
        self.assertTrue(
            link.startswith(f"/payment/pay?amount=69.0&invoice_id={period.invoice_id.id}")
        )
        # the link was mailed
        self.assertTrue(
            membership.message_ids.filtered(lambda m: "first payment" in (m.subject or ""))
        )
        # the payment form saves the card: tokenization is required
        self.assertTrue(self.provider._is_tokenization_required(invoice_id=period.invoice_id.id))
        tx = self._pay_period_online(period)
        self.assertTrue(tx.token_id)
        self.assertEqual(tx.reference, period.name)
        self.assertEqual(membership.state, "active")
        self.assertEqual(membership.token_id, tx.token_id)
        self.assertEqual(membership.date_start, date(2030, 3, 4))
        self.assertEqual(membership.period_end, date(2030, 4, 4))
        self.assertEqual(period.state, "paid")
        self.assertEqual(period.invoice_id.payment_state, "paid")
        self.assertEqual(membership.credits_left, 1)
        self.assertTrue(membership.message_ids.filtered(lambda m: "Welcome" in (m.subject or "")))

    def test_a_patient_has_one_running_membership(self):
        self._member()
        with self.assertRaisesRegex(UserError, "already has the membership"):
            self._sign_up()

    def test_the_job_charges_each_period_once(self):
        membership = self._member()
        self.assertEqual(self._job(self._next_charge(membership, hours=-2)), 0, "not yet")
        self.assertEqual(self._job(self._next_charge(membership)), 1)
        second = membership.period_ids.sorted("date_from")[-1]
        self.assertEqual(second.name, f"{membership.name}-2030-04")
        self.assertEqual(second.state, "paid")
        self.assertEqual(membership.period_end, date(2030, 5, 4))
        charges = second.invoice_id.transaction_ids
        self.assertEqual(
            (len(charges), charges.reference, charges.operation), (1, second.name, "offline")
        )
        self.assertEqual(charges.token_id, membership.token_id)
        # a rerun the same day charges nothing
        self.assertEqual(self._job(), 0)
        self.assertEqual(len(membership.period_ids), 2)
        self.assertEqual(len(second.invoice_id.transaction_ids), 1)

    def test_a_crash_before_the_commit_sends_the_same_reference_again(self):
        """A run that sent the charge and died before committing: everything
        rolls back, and the next run sends the same reference (the
        provider's idempotency key)."""
        membership = self._member()
        sent = []
        Transaction = type(self.env["payment.transaction"])
        original = Transaction._send_payment_request

        def record(tx):
            sent.append(tx.reference)
            return original(tx)

        at = self._next_charge(membership)
        with patch.object(Transaction, "_send_payment_request", record):
            with self.assertRaises(RuntimeError), self.env.cr.savepoint():
                self._job(at)
                raise RuntimeError("the worker died before committing")
            self.env.invalidate_all()
            self.assertEqual(len(membership.period_ids), 1)
            self._job(at)
        self.assertEqual(sent, [f"{membership.name}-2030-04"] * 2)
        self.assertEqual(membership.period_ids.sorted("date_from")[-1].state, "paid")

    def test_a_crash_after_the_commit_asks_the_same_charge_again(self):
        """The job committed the charge and died during the provider's call:
        the period waits ("charging"); once stale, the job sends the same
        transaction again (same idempotency key), never a second one."""

        class WorkerDied(BaseException):
            pass

        membership = self._member()
        Transaction = type(self.env["payment.transaction"])
        original = Transaction._send_payment_request
        calls = []

        def die_first(tx):
            calls.append(tx.reference)
            if len(calls) == 1:
                raise WorkerDied()
            return original(tx)

        at = self._next_charge(membership)
        with patch.object(Transaction, "_send_payment_request", die_first):
            # (not assertRaises: it would roll back what the job committed)
            died = False
            try:
                self._job(at)
            except WorkerDied:
                died = True
            self.assertTrue(died, "the worker should have died")
            self.env.invalidate_all()
            period = membership.period_ids.sorted("date_from")[-1]
            self.assertEqual((period.state, period.attempts), ("pending", 1))
            # a rerun soon after: the charge may still be answered
            self.assertEqual(self._job(at + timedelta(minutes=5)), 0)
            self.assertEqual(self._job(at + timedelta(minutes=11)), 1)
        self.assertEqual(calls, [period.name, period.name])
        self.assertEqual(len(period.invoice_id.transaction_ids), 1)
        self.assertEqual((period.state, period.attempts), ("paid", 2))

    def test_cancel_at_period_end_after_the_minimum_term(self):
        membership = self._member()
        # three months minimum: asked in the first month, it ends after the third
        membership.with_user(self.front_desk).action_cancel_at_period_end()
        self.assertEqual(membership.cancel_at, date(2030, 6, 4))
        self.assertTrue(membership.message_ids.filtered(lambda m: "ends on" in (m.subject or "")))
        for _month in range(2):
            self._job(self._next_charge(membership))
        self.assertEqual(membership.state, "active")
        self.assertEqual(len(membership.period_ids), 3)
        self._job(self._next_charge(membership))
        self.assertEqual(membership.state, "cancelled")
        self.assertEqual(membership.date_end, date(2030, 6, 4))
        self.assertEqual(len(membership.period_ids), 3, "nothing charged from the end date")
        self.assertFalse(self._job(datetime(2030, 9, 1)))

    def test_notice_moves_the_end_by_a_period(self):
        membership = self._member()
        for _month in range(3):
            self._job(self._next_charge(membership))
        # four days before the next charge: less than the 7 days' notice
        self._travel(membership.next_charge_at - timedelta(days=4))
        self.assertEqual(membership._get_cancel_date(), date(2030, 8, 4))
        self._travel(membership.next_charge_at - timedelta(days=10))
        self.assertEqual(membership._get_cancel_date(), date(2030, 7, 4))

    def test_withdrawn_cancellation_goes_on(self):
        membership = self._member()
        membership.with_user(self.front_desk).action_cancel_at_period_end()
        membership.with_user(self.front_desk).action_keep()
        self.assertFalse(membership.cancel_at)
        for _month in range(4):
            self._job(self._next_charge(membership))
        self.assertEqual((membership.state, len(membership.period_ids)), ("active", 5))

    def test_pause_charges_nothing_and_gives_no_credits(self):
        membership = self._member()
        with self.assertRaisesRegex(ValidationError, "3 periods at most"):
            membership.with_user(self.manager)._pause(4)
        with self.assertRaises(AccessError):
            membership.with_user(self.front_desk)._pause(1)
        membership.with_user(self.manager)._pause(2)
        self._job(self._next_charge(membership))
        self.assertEqual(membership.state, "paused")
        self.assertEqual(membership.period_ids.sorted("date_from")[-1].state, "paused")
        self._job(self._next_charge(membership))
        self.assertEqual(membership.state, "paused")
        self._job(self._next_charge(membership))
        self.assertEqual(membership.state, "active")
        states = membership.period_ids.sorted("date_from").mapped("state")
        self.assertEqual(states, ["paid", "paused", "paused", "paid"])
        self.assertEqual(
            len(
                membership.period_ids.invoice_id.transaction_ids.filtered(
                    lambda t: t.operation == "offline"
                )
            ),
            1,
        )
        # the credits: one of the first month (rolled over) and one of the fourth
        self.assertEqual(membership.credits_left, 2)

    def test_plan_change_applies_from_the_next_period(self):
        premium = (
            self.env["clinic.membership.plan"]
            .with_user(self.manager)
            .create({"name": "Premium", "price": 120.0, "discount_percent": 20.0})
        )
        membership = self._member()
        with self.assertRaises(AccessError):
            membership.with_user(self.front_desk)._change_plan(premium)
        membership.with_user(self.manager)._change_plan(premium)
        self.assertEqual(membership.plan_id, self.plan)
        self.assertEqual(membership.next_amount, 120.0)
        self._job(self._next_charge(membership))
        self.assertEqual(membership.plan_id, premium)
        last = membership.period_ids.sorted("date_from")[-1]
        self.assertEqual((last.plan_id, last.amount, last.state), (premium, 120.0, "paid"))

    def test_manager_ends_it_now(self):
        membership = self._member()
        with self.assertRaises(AccessError):
            membership.with_user(self.front_desk).action_cancel_now()
        membership.with_user(self.manager).action_cancel_now()
        self.assertEqual((membership.state, membership.date_end), ("cancelled", date(2030, 3, 4)))
        self.assertEqual(membership.credits_left, 0)
        self.assertFalse(self._job(datetime(2030, 9, 1)))
