# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import stripe

from odoo import Command
from odoo.addons.clinic_prepay_stripe.tests.common import ClinicStripeCase
from odoo.tests import tagged


@tagged("post_install", "-at_install")
class TestStripeWallet(ClinicStripeCase):
    """Courses and gift cards paid with Stripe, followed to their end:
    refunded in the dashboard, disputes won and lost, in any order of
    Stripe's events."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company._clinic_ensure_accounting()
        cls.gift_account = cls.company.clinic_gift_card_account_id
        cls.wallet_account = cls.company.clinic_wallet_account_id
        Program = cls.env["loyalty.program"]
        cls.gift_program = Program.create(
            {"name": "Clinic Gift Card", "program_type": "gift_card", "clinic_gift_card": True}
        )
        cls.course = Program.create(
            {
                "name": "Six Botox",
                "program_type": "clinic_course",
                "clinic_treatment_ids": [Command.set(cls.treatment_botox.ids)],
                "clinic_session_count": 6,
                "clinic_price": 600.0,
            }
        )

    def _gift_card_paid_with_stripe(self, amount=150.0):
        card = self.env["loyalty.card"]._clinic_sell_gift_card(
            self.gift_program, self.patient, amount, "Rita", "rita@example.com", ""
        )
        invoice = card.clinic_invoice_id
        tx = self._pay_invoice_with_stripe(invoice, invoice.amount_total)
        self.assertEqual((card.clinic_state, card.points), ("active", amount))
        return card, tx

    def _held(self, card, account):
        lines = self.env["account.move.line"].search(
            [
                ("account_id", "=", account.id),
                ("parent_state", "=", "posted"),
                ("move_id.clinic_wallet_card_id", "=", card.id),
            ]
        )
        return self.currency.round(-sum(lines.mapped("balance")))

    def _requests(self, card):
        return self.env["clinic.refund.request"].search([("wallet_card_id", "=", card.id)])

    def _open_receivable(self, moves):
        return moves.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable" and not line.reconciled
        )

    def test_gift_card_refunded_in_the_dashboard(self):
        card, tx = self._gift_card_paid_with_stripe()
        stripe.Refund.create(payment_intent=tx.provider_reference, amount=4000)
        for _delivery in range(2):
            self.assertEqual(
                self._post_event("charge.refunded", self._charge(tx)).status_code, 200
            )
            self._post_process()
        request = self._requests(card)
        self.assertEqual((len(request), request.state, request.amount), (1, "done", 40.0))
        self.assertEqual(request.payment_id.journal_id, self.stripe_journal)
        self.assertFalse(
            self._open_receivable(request.credit_note_id | request.payment_id.move_id)
        )
        self.assertEqual((card.points, self._held(card, self.gift_account)), (110.0, 110.0))

    def test_refund_event_before_the_payment_event(self):
        card = self.env["loyalty.card"]._clinic_sell_gift_card(
            self.gift_program, self.patient, 80.0, "Rita", "rita@example.com", ""
        )
        invoice = card.clinic_invoice_id
        tx, intent = self._paid_at_stripe(invoice, invoice.amount_total)
        stripe.Refund.create(payment_intent=intent["id"])
        charge = self._peer_get(f"payment_intents/{intent['id']}")["latest_charge"]
        charge = self._peer_get(f"charges/{charge if isinstance(charge, str) else charge['id']}")
        self._post_event("charge.refunded", charge)
        self._post_process()
        self._post_event("payment_intent.succeeded", intent)
        self._post_process()
        self.assertEqual(self._requests(card).state, "done")
        self.assertEqual((card.points, self._held(card, self.gift_account)), (0.0, 0.0))
        self.assertEqual(card.clinic_state, "refunded")
        moves = invoice | self._requests(card).credit_note_id
        moves |= (tx | tx.child_transaction_ids).payment_id.move_id
        self.assertFalse(self._open_receivable(moves))

    def test_lost_dispute_on_a_gift_card(self):
        card, tx = self._gift_card_paid_with_stripe()
        # half of it spent on a deposit before the bank took the money back
        appointment = self._booked(treatment=self.treatment_botox)
        appointment._clinic_pay_with_gift_card(card.code)
        self.assertEqual(card.points, 100.0)
        self._post_event("charge.dispute.created", self._dispute(tx, "needs_response"))
        self.assertEqual(card.clinic_dispute_state, "open")
        activity = card.clinic_invoice_id.activity_ids
        self.assertEqual(activity.summary, "Answer the card dispute")
        self.assertEqual(activity.date_deadline, card.clinic_dispute_due.date())
        self.assertTrue(activity.user_id.has_group("clinic_prepay.group_clinic_manager"))

        self._post_event("charge.dispute.closed", self._dispute(tx, "lost"))
        self.assertEqual(card.clinic_dispute_state, "lost")
        self.assertFalse(
            card.clinic_invoice_id.activity_ids.filtered(lambda a: "dispute" in a.summary)
        )
        request = self._requests(card)
        self.assertEqual(
            (request.state, request.method, request.amount), ("done", "outside", 150.0)
        )
        payment = request.payment_id
        self.assertEqual((payment.payment_type, payment.amount), ("outbound", 150.0))
        self.assertEqual(payment.journal_id, self.stripe_journal)
        self.assertFalse(self._open_receivable(payment.move_id | request.credit_note_id))
        fee_move = card.clinic_dispute_move_ids.filtered(lambda m: not m.origin_payment_id)
        fee_account = self.company.clinic_provider_fee_account_id
        self.assertEqual(
            fee_move.line_ids.filtered(lambda line: line.account_id == fee_account).debit, 15.0
        )
        # the card gave back more than it held: nothing left to spend, and
        # the 50 already spent on a visit is a loss written off against
        # wallet breakage, so its account ends at zero
        self.assertEqual(card.points, 0.0)
        self.assertEqual((self._held(card, self.gift_account), card.clinic_value), (0.0, 0.0))
        breakage = self.company.clinic_breakage_account_id
        written_off = card.clinic_move_ids.line_ids.filtered(
            lambda line: line.account_id == breakage
        )
        self.assertEqual(sum(written_off.mapped("debit")), 50.0)
        # a late event changes nothing
        self._post_event("charge.dispute.updated", self._dispute(tx, "under_review"))
        self.assertEqual((card.clinic_dispute_state, len(self._requests(card))), ("lost", 1))

    def test_course_dispute_events_in_any_order(self):
        card = self.env["loyalty.card"]._clinic_sell_course(self.course, self.patient)
        invoice = card.clinic_invoice_id
        tx = self._pay_invoice_with_stripe(invoice, invoice.amount_total)
        self.assertEqual((card.clinic_state, card.points), ("active", 6))
        # closed (won) first, then the late created and updated events
        self._post_event("charge.dispute.closed", self._dispute(tx, "won"))
        self._post_event("charge.dispute.created", self._dispute(tx, "needs_response"))
        self._post_event("charge.dispute.updated", self._dispute(tx, "under_review"))
        self.assertEqual(card.clinic_dispute_state, "won")
        self.assertFalse(invoice.activity_ids)
        self.assertFalse(self._requests(card))
        self.assertEqual((card.points, self._held(card, self.wallet_account)), (6, 600.0))

        # another course, lost at once: its sessions go with the money
        lost = self.env["loyalty.card"]._clinic_sell_course(self.course, self.patient2)
        lost_tx = self._pay_invoice_with_stripe(
            lost.clinic_invoice_id, lost.clinic_invoice_id.amount_total
        )
        dispute = self._dispute(lost_tx, "lost", dispute_id="dp_1QclinicDisputeB")
        for _delivery in range(2):
            self._post_event("charge.dispute.closed", dispute)
        self.assertEqual(lost.clinic_dispute_state, "lost")
        self.assertEqual(len(self._requests(lost)), 1)
        self.assertEqual((lost.points, lost.clinic_sessions_refunded), (0, 6))
        self.assertEqual(lost.clinic_state, "refunded")
        self.assertEqual(self._held(lost, self.wallet_account), 0.0)
