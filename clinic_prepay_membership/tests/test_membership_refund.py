# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from odoo import Command
from odoo.tests import tagged

from .common import MembershipCommon


@tagged("post_install", "-at_install")
class TestMembershipRefund(MembershipCommon):
    """A period's charge refunded at the provider (its dashboard, here the
    demo provider): recorded on the period, with a credit note of its
    invoice reconciled with the refund's payment, not on the member's
    credits card as if it were a course sold."""

    def _refund_at_provider(self, tx, amount, post_process=True):
        refund_tx = tx._create_child_transaction(amount, is_refund=True)
        refund_tx._set_done()
        if post_process:
            refund_tx._post_process()
        return refund_tx

    def _open_receivable(self, moves):
        return moves.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable" and not line.reconciled
        )

    def _card_requests(self, card):
        return self.env["clinic.refund.request"].search([("wallet_card_id", "=", card.id)])

    def _by_account(self, move):
        return {
            line.account_id: line.balance
            for line in move.line_ids
            if line.display_type != "payment_term"
        }

    def _given_back_activity(self, membership):
        return membership.activity_ids.filtered(
            lambda a: a.summary == "Membership charge given back"
        )

    def test_whole_charge_refunded_reverses_the_period(self):
        membership = self._member()
        period = membership.period_ids
        invoice = period.invoice_id
        tx = invoice.transaction_ids
        card = membership.card_id
        self.assertEqual((card.points, card.clinic_value), (1, 40.0))
        refund_tx = self._refund_at_provider(tx, 69.0)
        self.assertEqual(
            (refund_tx.state, refund_tx.payment_id.payment_type), ("done", "outbound")
        )
        # on the period, not on the wallet card
        self.assertFalse(self._card_requests(card))
        self.assertEqual(period.refunded_amount, 69.0)
        self.assertEqual(period.refund_transaction_ids, refund_tx)
        credit_note = period.refund_move_ids
        self.assertEqual(len(credit_note), 1)
        self.assertEqual(
            (credit_note.move_type, credit_note.state, credit_note.reversed_entry_id),
            ("out_refund", "posted", invoice),
        )
        self.assertEqual(credit_note.amount_total, 69.0)
        # the reversal of the invoice: its fee and its credit
        self.assertEqual(
            self._by_account(credit_note), {self.plan_income: 29.0, self.wallet_account: 40.0}
        )
        self.assertFalse(self._open_receivable(credit_note | refund_tx.payment_id.move_id))
        self.assertFalse(self._open_receivable(invoice | tx.payment_id.move_id))
        self.assertEqual(self._balance(self.plan_income), 0.0)
        self.assertEqual(self._balance(self.wallet_account), 0.0)
        # the credit it gave left the card with its value
        self.assertEqual(
            (card.points, card.clinic_value, card.clinic_sessions_refunded), (0, 0.0, 1)
        )
        self.assertEqual(period.state, "paid")
        self.assertEqual(membership.state, "active", "the manager decides")
        activity = self._given_back_activity(membership)
        self.assertEqual(len(activity), 1)
        self.assertTrue(activity.user_id.has_group("clinic_prepay.group_clinic_manager"))
        self.assertIn(period.name, activity.note)
        self.assertTrue(
            membership.message_ids.filtered(lambda m: credit_note.name in (m.body or ""))
        )
        # the same notification again records nothing more
        refund_tx._post_process()
        (tx | refund_tx)._clinic_record_provider_refunds()
        period._record_provider_refund(refund_tx)
        self.assertEqual(len(period.refund_move_ids), 1)
        self.assertEqual(period.refunded_amount, 69.0)
        self.assertEqual(len(self._given_back_activity(membership)), 1)
        self.assertEqual(card.points, 0)

    def test_part_of_the_charge_refunded_credits_the_fee(self):
        membership = self._member()
        period = membership.period_ids
        tx = period.invoice_id.transaction_ids
        card = membership.card_id
        refund_tx = self._refund_at_provider(tx, 20.0)
        self.assertFalse(self._card_requests(card))
        credit_note = period.refund_move_ids
        self.assertEqual((credit_note.state, credit_note.amount_total), ("posted", 20.0))
        self.assertEqual(self._by_account(credit_note), {self.plan_income: 20.0})
        self.assertFalse(self._open_receivable(credit_note | refund_tx.payment_id.move_id))
        self.assertEqual(period.refunded_amount, 20.0)
        self.assertEqual(self._balance(self.plan_income), -9.0)
        # the credit is still the member's, and still owed
        self.assertEqual((card.points, card.clinic_value), (1, 40.0))
        self.assertEqual(self._balance(self.wallet_account), -40.0)
        self.assertEqual(len(self._given_back_activity(membership)), 1)
        # a second refund, of the rest, is a credit note on the fee too
        second = self._refund_at_provider(tx, 49.0)
        self.assertEqual(period.refunded_amount, 69.0)
        self.assertEqual(period.refund_transaction_ids, refund_tx | second)
        self.assertEqual(len(period.refund_move_ids), 2)
        self.assertFalse(
            self._open_receivable(period.refund_move_ids | (refund_tx | second).payment_id.move_id)
        )
        self.assertEqual((card.points, card.clinic_value), (1, 40.0))

    def test_refund_before_the_charge_is_in_the_books(self):
        """The refund's notification comes first: it waits for the charge,
        then lands on the period."""
        membership = self._sign_up()
        period = membership.period_ids
        invoice = period.invoice_id
        Tx = self.env["payment.transaction"].sudo()
        tx = Tx.create(
            {
                "provider_id": self.provider.id,
                "payment_method_id": self.payment_method.id,
                "amount": invoice.amount_total,
                "currency_id": invoice.currency_id.id,
                "partner_id": period.partner_id.id,
                "reference": Tx._compute_reference("demo", invoice_ids=[Command.set(invoice.ids)]),
                "operation": "online_redirect",
                "invoice_ids": [Command.set(invoice.ids)],
            }
        )
        tx._handle_notification_data(
            "demo", {"reference": tx.reference, "simulated_state": "done"}
        )
        refund_tx = self._refund_at_provider(tx, 69.0)
        self.assertFalse(period.refund_move_ids)
        self.assertEqual(invoice.state, "draft")
        tx._post_process()
        self.assertEqual((period.state, membership.state), ("paid", "active"))
        card = membership.card_id
        self.assertEqual(period.refund_transaction_ids, refund_tx)
        self.assertEqual(period.refunded_amount, 69.0)
        self.assertFalse(self._card_requests(card))
        moves = invoice | period.refund_move_ids | (tx | refund_tx).payment_id.move_id
        self.assertFalse(self._open_receivable(moves), "nothing open on the member")
        self.assertEqual((card.points, card.clinic_value), (0, 0.0))
        self.assertEqual(self._balance(self.wallet_account), 0.0)

    def test_whole_refund_after_the_credit_was_used(self):
        """The credit was spent on a visit: its value is the treatment's
        income already; the reversal's prepaid debit is written off against
        breakage, the card's account ends at zero."""
        membership = self._member()
        start = self._bookable_time(not_before=timedelta(days=1))
        appointment = self._appointment(start, user=self.front_desk)
        appointment.with_user(self.front_desk).action_book()
        self._travel(start + timedelta(minutes=5))
        appointment.with_user(self.front_desk).action_done()
        card = membership.card_id
        self.assertEqual((card.points, card.clinic_value), (0, 0.0))
        tx = membership.period_ids.invoice_id.transaction_ids
        self._refund_at_provider(tx, 69.0)
        self.assertEqual((card.points, card.clinic_value), (0, 0.0))
        self.assertEqual(self._balance(self.wallet_account), 0.0)
        self.assertEqual(self._balance(self.breakage_account), 40.0)
        self.assertEqual(membership.period_ids.refunded_amount, 69.0)
