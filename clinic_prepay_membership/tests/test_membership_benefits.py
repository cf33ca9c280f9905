# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from odoo import Command
from odoo.tests import tagged

from .common import MembershipCommon


@tagged("post_install", "-at_install")
class TestMembershipBenefits(MembershipCommon):
    """Where a plan's benefits apply: credits pay bookings, members book
    without a deposit, the discount is a line of the final invoice; a
    suspended member books as everyone does."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.provider.allow_tokenization = True
        cls.product_peel = cls._create_service("Peel", 200.0)
        cls.treatment_peel = cls.env["clinic.treatment"].create(
            {
                "name": "Peel",
                "product_id": cls.product_peel.id,
                "duration": 0.5,
                "deposit_type": "none",
                "no_show_protection": "card",
                "payment_hours": 24.0,
                "payment_before_hours": 2.0,
                "free_cancel_hours": 24.0,
                "late_cancel_forfeit_percent": 25.0,
                "no_show_forfeit_percent": 50.0,
                "practitioner_ids": [Command.link(cls.practitioner.id)],
            }
        )

    def _book(self, treatment=None, patient=None):
        start = self._bookable_time(treatment, not_before=timedelta(days=1))
        appointment = self._appointment(
            start, treatment=treatment, patient=patient, user=self.front_desk
        )
        appointment.with_user(self.front_desk).action_book()
        return appointment

    def _attend(self, appointment):
        self._travel(appointment.start + timedelta(minutes=5))
        appointment.with_user(self.front_desk).action_done()

    def test_a_credit_pays_the_booking(self):
        membership = self._member()
        appointment = self._book()
        self.assertEqual(appointment.membership_id, membership)
        self.assertEqual(appointment.wallet_card_id, membership.card_id)
        self.assertEqual(appointment.prepayment_rule, "course")
        self.assertEqual(appointment.membership_label, "Member: credit used (Glow)")
        self.assertEqual(appointment.state, "confirmed")
        self.assertFalse(appointment.deposit_ids)
        self.assertEqual(membership.credits_left, 0)
        self._attend(appointment)
        # the credit's value (40) leaves the prepaid account for Botox income
        entry = appointment.wallet_move_id
        debit = entry.line_ids.filtered(lambda line: line.account_id == self.wallet_account)
        credit = entry.line_ids.filtered(lambda line: line.account_id == self.botox_income)
        self.assertEqual((entry.state, debit.debit, credit.credit), ("posted", 40.0, 40.0))
        self.assertFalse(appointment.final_invoice_id)

    def test_without_credits_a_member_books_without_deposit_and_gets_the_discount(self):
        membership = self._member()
        self._book()  # the month's credit
        appointment = self._book()
        self.assertEqual(appointment.membership_id, membership)
        self.assertFalse(appointment.wallet_card_id)
        self.assertEqual(appointment.prepayment_rule, "member")
        self.assertEqual(appointment.deposit_required, 0.0)
        self.assertEqual(appointment.membership_label, "Member: no deposit (Glow)")
        self.assertEqual(appointment.state, "confirmed")
        self.assertFalse(appointment.deposit_ids)
        self._attend(appointment)
        invoice = appointment.final_invoice_id
        self.assertEqual(invoice.state, "posted")
        discount = invoice.invoice_line_ids.filtered(lambda line: line.price_unit < 0)
        self.assertEqual(discount.name, "Member discount 10.0 % (Glow)")
        self.assertEqual(discount.price_subtotal, -30.0)
        self.assertEqual(invoice.amount_total, 270.0)
        income = invoice.line_ids.filtered(lambda line: line.account_id == self.botox_income)
        self.assertEqual(sum(income.mapped("balance")), -270.0)

    def test_a_plan_with_deposits_keeps_the_deposit_rule(self):
        self.plan.no_deposit = False
        self.plan.credits_per_period = 0
        self._member()
        appointment = self._book()
        self.assertEqual(appointment.prepayment_rule, "policy")
        self.assertEqual(appointment.deposit_required, 50.0)
        self.assertEqual(appointment.state, "awaiting_payment")
        self.assertEqual(appointment.membership_label, "Member (Glow)")

    def test_a_members_no_show_follows_the_card_fee_policy(self):
        membership = self._member()
        appointment = self._book(self.treatment_peel)
        # the card the membership is charged to is the card on file
        self.assertEqual(appointment.card_token_id, membership.token_id)
        self.assertEqual(appointment.card_consent_text, membership.consent_text)
        self.assertEqual(appointment.state, "confirmed")
        self._travel(appointment.start + timedelta(hours=1))
        appointment.with_user(self.front_desk).action_no_show()
        self._travel(appointment.card_fee_due + timedelta(minutes=5))
        self.assertEqual(self.env["clinic.appointment"]._cron_charge_card_fees(), 1)
        self.assertEqual(
            (appointment.card_fee_state, appointment.card_fee_amount), ("paid", 100.0)
        )
        tx = appointment.sudo().card_transaction_ids.filtered(lambda t: t.operation == "offline")
        self.assertEqual((tx.token_id, tx.state), (membership.token_id, "done"))
        self.assertEqual(appointment.sudo().card_fee_invoice_id.payment_state, "paid")

    def test_a_suspended_member_books_as_everyone(self):
        membership = self._member(card_state="error")
        self._book()  # the first month's credit, spent
        at = self._next_charge(membership)
        self._job(at)
        for days in (1, 3, 7):
            self._job(at + timedelta(days=days))
        self.assertEqual(membership.state, "suspended")
        self.assertEqual(membership.card_id.points, 0)
        appointment = self._book()
        self.assertFalse(appointment.membership_id)
        self.assertFalse(appointment.wallet_card_id)
        self.assertEqual(appointment.prepayment_rule, "policy")
        self.assertEqual(appointment.deposit_required, 50.0)
        self.assertEqual(appointment.state, "awaiting_payment")
        self.assertFalse(appointment.membership_label)

    def test_a_suspended_members_credits_wait(self):
        membership = self._member(card_state="error")
        self.assertEqual(membership.credits_left, 1)
        at = self._next_charge(membership)
        for days in (0, 1, 3, 7):
            self._job(at + timedelta(days=days))
        self.assertEqual(membership.state, "suspended")
        # the rolled-over credit is there, but a booking does not take it
        self.assertEqual(membership.credits_left, 1)
        appointment = self._book()
        self.assertFalse(appointment.wallet_card_id)
        problem = membership.card_id._clinic_is_usable_for(appointment)
        self.assertIn("its credits wait until it is paid", problem)
        # paying the link restores the credits with the membership
        failed = membership.period_ids.filtered(lambda p: p.state == "failed")
        self._pay_period_online(failed)
        self.assertEqual(membership.state, "active")
        self.assertEqual(membership.credits_left, 2)
        self.assertEqual(self._book().wallet_card_id, membership.card_id)
