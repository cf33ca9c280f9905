# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import stripe

from odoo import Command
from odoo.tests import tagged

from .test_stripe_membership import GOOD_CARD, StripeMembershipCase

DISPUTE_SUMMARY = "Answer the card dispute"
GIVEN_BACK_SUMMARY = "Membership charge given back"


@tagged("post_install", "-at_install")
class TestStripeMembershipDisputes(StripeMembershipCase):
    """A period's Stripe charge followed to its end: refunded in the
    dashboard (whole or in part), disputed, the dispute won or lost, in
    any order of Stripe's events and with its replays. The money lands on
    the period (a credit note of its invoice), never on the member's
    credits card as if it were a course sold."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fee_expense = cls.company.clinic_provider_fee_account_id

    # -- helpers -----------------------------------------------------------

    def _renewed(self, membership):
        """The job charges the next period off-session to the saved card."""
        first = membership.period_ids
        self.assertEqual(self._job(self._next_charge(membership)), 1)
        period = membership.period_ids - first
        tx = period.invoice_id.transaction_ids
        self.assertEqual((period.state, tx.operation, tx.state), ("paid", "offline", "done"))
        return period, tx

    def _open_receivable(self, moves):
        return moves.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable" and not line.reconciled
        )

    def _by_account(self, move):
        return {
            line.account_id: line.balance
            for line in move.line_ids
            if line.display_type != "payment_term"
        }

    def _activities(self, membership, summary):
        return membership.activity_ids.filtered(lambda a: a.summary == summary)

    def _card_requests(self, card):
        return self.env["clinic.refund.request"].search([("wallet_card_id", "=", card.id)])

    def _period_requests(self, period):
        return self.env["clinic.refund.request"].search([("membership_period_id", "=", period.id)])

    def _refund_txs(self, tx):
        return tx.child_transaction_ids.filtered(lambda t: t.operation == "refund")

    def _refunded_in_dashboard(self, tx, amount=None):
        """The clinic refunds ``tx``'s charge in Stripe's dashboard (all of
        it, or ``amount``); Stripe's ``charge.refunded`` reaches the
        webhook."""
        stripe.Refund.create(
            payment_intent=tx.provider_reference,
            **({"amount": round(amount * 100)} if amount else {}),
        )
        self.assertEqual(self._post_event("charge.refunded", self._charge(tx)).status_code, 200)
        self._post_process()

    # -- dashboard refunds --------------------------------------------------

    def test_dashboard_refund_of_a_renewal_in_the_ledger(self):
        membership = self._stripe_member()
        period, tx = self._renewed(membership)
        card = membership.card_id
        invoice = period.invoice_id
        self.assertEqual((card.points, card.clinic_value), (2, 80.0))
        self._refunded_in_dashboard(tx)
        refund_tx = self._refund_txs(tx)
        self.assertEqual((len(refund_tx), refund_tx.state, refund_tx.amount), (1, "done", -69.0))
        self.assertTrue(refund_tx.provider_reference.startswith("re_"))
        # on the period, not on the credits card
        self.assertFalse(self._card_requests(card))
        self.assertFalse(card.clinic_dispute_state)
        self.assertEqual(period.refund_transaction_ids, refund_tx)
        self.assertEqual(period.refunded_amount, 69.0)
        # the journal items: the invoice reversed (fee and credit), its
        # receivable reconciled with the outbound payment in the Stripe journal
        payment = refund_tx.payment_id
        self.assertEqual(
            (payment.payment_type, payment.amount, payment.journal_id, payment.move_id.state),
            ("outbound", 69.0, self.stripe_journal, "posted"),
        )
        credit_note = period.refund_move_ids
        self.assertEqual(
            (credit_note.move_type, credit_note.state, credit_note.reversed_entry_id),
            ("out_refund", "posted", invoice),
        )
        self.assertEqual(
            self._by_account(credit_note), {self.plan_income: 29.0, self.wallet_account: 40.0}
        )
        receivable = credit_note.line_ids.filtered(
            lambda line: line.display_type == "payment_term"
        )
        self.assertEqual((receivable.balance, receivable.reconciled), (-69.0, True))
        self.assertEqual(receivable.full_reconcile_id, payment.move_id.line_ids.full_reconcile_id)
        self.assertFalse(self._open_receivable(invoice | credit_note | payment.move_id))
        self.assertEqual(
            self._balance(self.patient.property_account_receivable_id), 0.0, "receivable zero"
        )
        # a done request of the method "outside" carries them
        request = self._period_requests(period)
        self.assertEqual(
            (request.state, request.method, request.amount), ("done", "outside", 69.0)
        )
        self.assertEqual(
            (request.refund_transaction_id, request.credit_note_id, request.payment_id),
            (refund_tx, credit_note, payment),
        )
        self.assertEqual(self._balance(self.plan_income), -29.0, "the first period's fee")
        # the refunded period's credit left the card
        self.assertEqual((card.points, card.clinic_value), (1, 40.0))
        self.assertEqual(self._balance(self.wallet_account), -40.0)
        activity = self._activities(membership, GIVEN_BACK_SUMMARY)
        self.assertEqual(len(activity), 1)
        self.assertIn(period.name, activity.note)
        self.assertTrue(activity.user_id.has_group("clinic_prepay.group_clinic_manager"))
        self.assertEqual(membership.state, "active", "the manager decides")

    def test_partial_dashboard_refund_credits_the_fee(self):
        membership = self._stripe_member()
        period = membership.period_ids
        tx = period.invoice_id.transaction_ids
        card = membership.card_id
        self._refunded_in_dashboard(tx, 10.0)
        refund_tx = self._refund_txs(tx)
        self.assertEqual(refund_tx.amount, -10.0)
        self.assertFalse(self._card_requests(card))
        credit_note = period.refund_move_ids
        self.assertEqual((credit_note.state, credit_note.amount_total), ("posted", 10.0))
        self.assertEqual(self._by_account(credit_note), {self.plan_income: 10.0})
        self.assertFalse(self._open_receivable(credit_note | refund_tx.payment_id.move_id))
        self.assertEqual(refund_tx.payment_id.journal_id, self.stripe_journal)
        self.assertEqual(period.refunded_amount, 10.0)
        self.assertEqual((card.points, card.clinic_value), (1, 40.0), "the credit stays")
        self.assertEqual(self._balance(self.plan_income), -19.0)
        self.assertEqual(len(self._activities(membership, GIVEN_BACK_SUMMARY)), 1)

    def test_refund_webhook_replayed_records_once(self):
        membership = self._stripe_member()
        period = membership.period_ids
        tx = period.invoice_id.transaction_ids
        stripe.Refund.create(payment_intent=tx.provider_reference, amount=2000)
        event = self._event("charge.refunded", self._charge(tx))
        # the same event delivered again, and Stripe's later event of the
        # charge (a new id, the same refund in it)
        for _delivery in range(2):
            self.assertEqual(self._post_event(None, None, event=event).status_code, 200)
            self._post_process()
        self.assertEqual(self._post_event("charge.refunded", self._charge(tx)).status_code, 200)
        self._post_process()
        refund_tx = self._refund_txs(tx)
        self.assertEqual(len(refund_tx), 1)
        self.assertEqual(period.refund_transaction_ids, refund_tx)
        self.assertEqual(len(period.refund_move_ids), 1)
        self.assertEqual(period.refunded_amount, 20.0)
        self.assertEqual(
            len(
                self.env["account.payment"].search([("payment_transaction_id", "=", refund_tx.id)])
            ),
            1,
        )
        self.assertEqual(len(self._activities(membership, GIVEN_BACK_SUMMARY)), 1)
        self.assertEqual(self._period_requests(period).refund_transaction_id, refund_tx)
        # the handler called again on it changes nothing either
        (tx | refund_tx)._clinic_record_provider_refunds()
        self.assertEqual((len(period.refund_move_ids), period.refunded_amount), (1, 20.0))
        self.assertEqual(len(self._period_requests(period)), 1)

    def test_dashboard_refund_that_fails_later_is_undone(self):
        """Stripe confirmed a dashboard refund of a renewal, then reports it
        failed (``charge.refund.updated``, status ``failed``): the money is
        back in the Stripe balance; the payment is cancelled, the credit
        note reversed, the period's credit back on the member's card, and a
        manager is told."""
        membership = self._stripe_member()
        period, tx = self._renewed(membership)
        card = membership.card_id
        refund = stripe.Refund.create(payment_intent=tx.provider_reference)
        self._post_event("charge.refunded", self._charge(tx))
        self._post_process()
        request = self._period_requests(period)
        self.assertEqual((request.state, period.refunded_amount), ("done", 69.0))
        self.assertEqual((card.points, card.clinic_value), (1, 40.0))
        payment, credit_note = request.payment_id, request.credit_note_id
        failed = dict(self._peer_get(f"refunds/{refund.id}"), status="failed")
        for _delivery in range(2):
            self.assertEqual(self._post_event("charge.refund.updated", failed).status_code, 200)
        self._post_process()
        self.assertEqual(request.refund_transaction_id.state, "error")
        self.assertEqual(request.state, "failed")
        self.assertEqual(payment.state, "canceled")
        reversal = credit_note.reversal_move_ids
        self.assertEqual((reversal.state, reversal.amount_total), ("posted", 69.0))
        moves = period.invoice_id | credit_note | reversal | tx.payment_id.move_id
        self.assertFalse(self._open_receivable(moves), "nothing open on the member")
        self.assertEqual(self._balance(self.patient.property_account_receivable_id), 0.0)
        self.assertEqual(
            (period.refunded_amount, period.refund_move_ids), (0.0, reversal.browse())
        )
        self.assertEqual((card.points, card.clinic_value), (2, 80.0))
        self.assertEqual(self._balance(self.wallet_account), -80.0)
        self.assertEqual(self._balance(self.plan_income), -58.0)
        self.assertEqual(len(self._activities(membership, "Refund failed at the provider")), 1)

    def test_refund_event_before_the_payment_event(self):
        """Stripe does not promise the order of its events: the refund's
        comes before the charge's success; the period is paid, then the
        refund lands on it."""
        membership = self._sign_up()
        period = membership.period_ids
        invoice = period.invoice_id
        Tx = self.env["payment.transaction"].sudo()
        tx = Tx.create(
            {
                "provider_id": self.stripe.id,
                "payment_method_id": self.card.id,
                "amount": invoice.amount_total,
                "currency_id": invoice.currency_id.id,
                "partner_id": invoice.partner_id.id,
                "reference": Tx._compute_reference(
                    "stripe", invoice_ids=[Command.set(invoice.ids)]
                ),
                "operation": "online_direct",
                "tokenize": True,
                "invoice_ids": [Command.set(invoice.ids)],
            }
        )
        intent_id = tx._get_processing_values()["client_secret"].split("_secret_")[0]
        intent = self._peer_get(f"payment_intents/{intent_id}")
        method = self._peer_card(GOOD_CARD, customer=intent["customer"])
        stripe.PaymentIntent.modify(intent_id, payment_method=method.id)
        stripe.PaymentIntent.confirm(intent_id)
        intent = self._peer_get(f"payment_intents/{intent_id}")
        stripe.Refund.create(payment_intent=intent_id)
        charge = intent["latest_charge"]
        charge = self._peer_get(f"charges/{charge if isinstance(charge, str) else charge['id']}")
        self.assertEqual(self._post_event("charge.refunded", charge).status_code, 200)
        self._post_process()
        self.assertFalse(period.refund_move_ids, "the charge is not in the books yet")
        self.assertEqual(self._post_event("payment_intent.succeeded", intent).status_code, 200)
        self._post_process()
        self.assertEqual((tx.state, period.state, membership.state), ("done", "paid", "active"))
        refund_tx = self._refund_txs(tx)
        self.assertEqual(period.refund_transaction_ids, refund_tx)
        self.assertEqual(period.refunded_amount, 69.0)
        card = membership.card_id
        self.assertFalse(self._card_requests(card))
        self.assertEqual((card.points, card.clinic_value), (0, 0.0))
        moves = invoice | period.refund_move_ids | (tx | refund_tx).payment_id.move_id
        self.assertFalse(self._open_receivable(moves), "nothing open on the member")

    # -- disputes -----------------------------------------------------------

    def test_dispute_opened_tells_a_manager(self):
        membership = self._stripe_member()
        period = membership.period_ids
        tx = period.invoice_id.transaction_ids
        card = membership.card_id
        response = self._post_event("charge.dispute.created", self._dispute(tx, "needs_response"))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(period.dispute_state, "open")
        self.assertEqual(period.dispute_amount, 69.0)
        self.assertEqual(period.dispute_reference, "dp_1QclinicDisputeA")
        self.assertFalse(card.clinic_dispute_state, "the credits card is not disputed")
        self.assertFalse(card.clinic_invoice_id)
        activity = self._activities(membership, DISPUTE_SUMMARY)
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.date_deadline, period.dispute_due.date())
        self.assertTrue(activity.user_id.has_group("clinic_prepay.group_clinic_manager"))
        self.assertIn(period.name, activity.note)
        # an update changes nothing more
        self._post_event("charge.dispute.updated", self._dispute(tx, "under_review"))
        self.assertEqual(period.dispute_state, "open")
        self.assertEqual(len(self._activities(membership, DISPUTE_SUMMARY)), 1)
        self.assertFalse(period.refund_move_ids)

    def test_lost_dispute_in_the_ledger_and_replayed(self):
        membership = self._stripe_member()
        period, tx = self._renewed(membership)
        card = membership.card_id
        invoice = period.invoice_id
        self._post_event("charge.dispute.created", self._dispute(tx, "needs_response"))
        lost = self._event("charge.dispute.closed", self._dispute(tx, "lost"))
        self.assertEqual(self._post_event(None, None, event=lost).status_code, 200)
        self.assertEqual(period.dispute_state, "lost")
        self.assertFalse(
            self._activities(membership, DISPUTE_SUMMARY), "the dispute activity is done"
        )
        self.assertEqual(len(self._activities(membership, GIVEN_BACK_SUMMARY)), 1)
        self.assertFalse(self._card_requests(card))
        self.assertFalse(card.clinic_dispute_state)
        # as clinic_prepay_stripe books a lost dispute: what the bank took
        # back, an outbound payment in the Stripe journal, reconciled with the
        # period's credit note; the dispute fee an expense
        payment = period.dispute_move_ids.origin_payment_id
        self.assertEqual(
            (payment.payment_type, payment.amount, payment.journal_id, payment.payment_reference),
            ("outbound", 69.0, self.stripe_journal, "dp_1QclinicDisputeA"),
        )
        credit_note = period.refund_move_ids
        self.assertEqual((credit_note.state, credit_note.reversed_entry_id), ("posted", invoice))
        self.assertEqual(
            self._by_account(credit_note), {self.plan_income: 29.0, self.wallet_account: 40.0}
        )
        self.assertFalse(self._open_receivable(invoice | credit_note | payment.move_id))
        self.assertEqual(self._balance(self.patient.property_account_receivable_id), 0.0)
        fee_move = period.dispute_move_ids.filtered(lambda m: not m.origin_payment_id)
        fee_line = fee_move.line_ids.filtered(lambda line: line.account_id == self.fee_expense)
        self.assertEqual((fee_move.ref, fee_line.debit), ("dp_1QclinicDisputeA", 15.0))
        self.assertEqual((fee_move.line_ids - fee_line).account_id, payment.outstanding_account_id)
        self.assertEqual(period.refunded_amount, 69.0)
        self.assertEqual((card.points, card.clinic_value), (1, 40.0), "the period's credit left")
        # replayed, a second "closed" and a late "updated": nothing twice
        self.assertEqual(self._post_event(None, None, event=lost).status_code, 200)
        self._post_event("charge.dispute.closed", self._dispute(tx, "lost"))
        self._post_event("charge.dispute.updated", self._dispute(tx, "under_review"))
        self.assertEqual(period.dispute_state, "lost")
        self.assertEqual(len(period.refund_move_ids), 1)
        self.assertEqual(len(period.dispute_move_ids), 2)
        self.assertEqual(period.refunded_amount, 69.0)
        self.assertEqual(
            self.env["account.payment"].search_count(
                [("payment_reference", "=", "dp_1QclinicDisputeA")]
            ),
            1,
        )
        self.assertEqual(len(self._activities(membership, GIVEN_BACK_SUMMARY)), 1)
        self.assertEqual(card.points, 1)

    def test_dispute_won_is_cleared(self):
        membership = self._stripe_member()
        period = membership.period_ids
        tx = period.invoice_id.transaction_ids
        dispute = self._dispute(tx, "needs_response")
        self._post_event("charge.dispute.created", dispute)
        self.assertEqual(period.dispute_state, "open")
        dispute["status"] = "won"
        self.assertEqual(self._post_event("charge.dispute.closed", dispute).status_code, 200)
        self.assertEqual(period.dispute_state, "won")
        self.assertFalse(self._activities(membership, DISPUTE_SUMMARY))
        self.assertFalse(period.dispute_move_ids | period.refund_move_ids)
        self.assertEqual(period.refunded_amount, 0.0)
        self.assertEqual((membership.card_id.points, membership.card_id.clinic_value), (1, 40.0))
        self.assertTrue(membership.message_ids.filtered(lambda m: "was won" in (m.body or "")))

    def test_dispute_events_in_any_order_end_the_same(self):
        membership = self._stripe_member()
        period = membership.period_ids
        tx = period.invoice_id.transaction_ids
        self._post_event("charge.dispute.closed", self._dispute(tx, "won"))
        self._post_event("charge.dispute.created", self._dispute(tx, "needs_response"))
        self._post_event("charge.dispute.updated", self._dispute(tx, "under_review"))
        self.assertEqual(period.dispute_state, "won")
        self.assertFalse(self._activities(membership, DISPUTE_SUMMARY))
        self.assertFalse(period.refund_move_ids)
        # lost before Stripe's "created" reached the webhook: booked once
        renewal, renewal_tx = self._renewed(membership)
        dispute = self._dispute(renewal_tx, "lost", dispute_id="dp_1QclinicDisputeB")
        self._post_event("charge.dispute.closed", dispute)
        dispute["status"] = "needs_response"
        self._post_event("charge.dispute.created", dispute)
        self.assertEqual(renewal.dispute_state, "lost")
        self.assertEqual(len(renewal.refund_move_ids), 1)
        self.assertEqual(renewal.refunded_amount, 69.0)
        self.assertFalse(self._activities(membership, DISPUTE_SUMMARY))
        self.assertFalse(period.refund_move_ids, "the first period is left alone")
