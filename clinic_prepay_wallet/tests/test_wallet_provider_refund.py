# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests import tagged

from .common import GiftCardCommon


@tagged("post_install", "-at_install")
class TestWalletProviderRefund(GiftCardCommon):
    """A course's or gift card's online charge refunded at the provider
    (its dashboard), in any order of its notifications."""

    def _refund_at_provider(self, tx, amount, post_process=True):
        refund_tx = tx._create_child_transaction(amount, is_refund=True)
        refund_tx._set_done()
        if post_process:
            refund_tx._post_process()
        return refund_tx

    def _requests(self, card):
        return self.env["clinic.refund.request"].search([("wallet_card_id", "=", card.id)])

    def _open_receivable(self, moves):
        return moves.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable" and not line.reconciled
        )

    def test_gift_card_refunded_at_the_provider_then_failed(self):
        card = self._sell_gift()
        tx = self._pay_course_online(card)
        self.assertEqual((card.clinic_state, card.points), ("active", 150.0))
        refund_tx = self._refund_at_provider(tx, 40.0)
        request = self._requests(card)
        self.assertEqual(
            (request.state, request.method, request.amount), ("done", "outside", 40.0)
        )
        self.assertEqual(request.refund_transaction_id, refund_tx)
        credit_note = request.credit_note_id
        self.assertEqual((credit_note.move_type, credit_note.state), ("out_refund", "posted"))
        gift_line = credit_note.line_ids.filtered(
            lambda line: line.account_id == self.gift_account
        )
        self.assertEqual(gift_line.debit, 40.0)
        self.assertEqual(request.payment_id, refund_tx.payment_id)
        self.assertFalse(self._open_receivable(credit_note | request.payment_id.move_id))
        # the balance follows the ledger
        self.assertEqual((card.points, card.clinic_value, self._gift_balance(card)), (110.0,) * 3)
        self.assertEqual(card.clinic_amount_refunded, 40.0)
        self.assertIn("Money of a card went back", request.activity_ids.mapped("summary"))
        # the same notification again records nothing more
        refund_tx._post_process()
        (tx | refund_tx)._clinic_record_provider_refunds()
        self.assertEqual(len(self._requests(card)), 1)
        self.assertEqual(card.points, 110.0)

        # the provider then reports it failed: the books are undone
        request._on_done_refund_failed()
        self.assertEqual(request.state, "failed")
        self.assertEqual(request.payment_id.state, "canceled")
        self.assertEqual(credit_note.reversal_move_ids.state, "posted")
        self.assertEqual((card.points, self._gift_balance(card)), (150.0, 150.0))
        self.assertEqual((card.clinic_state, card.clinic_amount_refunded), ("active", 0.0))

    def test_refund_before_the_charge_is_in_the_books(self):
        """The refund's notification comes first: it waits for the charge,
        then lands on the card."""
        card = self._sell_gift()
        tx = self._start_course_payment(card)
        tx._handle_notification_data(
            "demo", {"reference": tx.reference, "simulated_state": "done"}
        )
        refund_tx = self._refund_at_provider(tx, 150.0)
        self.assertFalse(self._requests(card))
        tx._post_process()
        request = self._requests(card)
        self.assertEqual((request.state, request.refund_transaction_id), ("done", refund_tx))
        self.assertEqual((card.points, self._gift_balance(card)), (0.0, 0.0))
        self.assertEqual(card.clinic_state, "refunded")
        moves = card.clinic_invoice_id | request.credit_note_id
        moves |= tx.payment_id.move_id | refund_tx.payment_id.move_id
        self.assertFalse(self._open_receivable(moves), "nothing open on the buyer")

    def test_course_refunded_at_the_provider_gives_up_its_sessions(self):
        card = self._sell()
        tx = self._pay_course_online(card)
        self.assertEqual((card.points, self._wallet_balance(card)), (6, 600.0))
        # half the price back: half the sessions not booked are withdrawn
        self._refund_at_provider(tx, 300.0)
        self.assertEqual((card.points, card.clinic_sessions_refunded), (3, 3))
        self.assertEqual((card.clinic_value, self._wallet_balance(card)), (300.0, 300.0))
        self.assertEqual(card.clinic_state, "active")
        # the rest back: nothing is left to book
        self._refund_at_provider(tx, 300.0)
        self.assertEqual((card.points, card.clinic_sessions_refunded), (0, 6))
        self.assertEqual(self._wallet_balance(card), 0.0)
        self.assertEqual(card.clinic_state, "refunded")
        self.assertEqual(len(self._requests(card)), 2)
