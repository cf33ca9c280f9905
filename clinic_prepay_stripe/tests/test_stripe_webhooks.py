# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import itertools
import json
import time
from types import SimpleNamespace
from unittest.mock import patch

import requests
import stripe

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import ClinicStripeCase


@tagged("post_install", "-at_install")
class TestStripeWebhooks(ClinicStripeCase):
    """Webhook safety, dashboard refunds, refunds counted once, disputes."""

    def _refund_requests(self, appointment):
        return appointment.deposit_ids.refund_request_ids

    def _open_receivable(self, moves):
        return moves.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable" and not line.reconciled
        )

    # -- the payment itself ---------------------------------------------------

    def test_deposit_paid_through_the_peer_and_its_signed_event(self):
        appointment = self._booked()
        tx = self._pay_with_stripe(appointment)
        self.assertEqual(tx.state, "done")
        self.assertTrue(tx.provider_reference.startswith("pi_"))
        self.assertEqual(appointment.state, "confirmed")
        self.assertEqual(appointment.deposit_ids.state, "paid")
        self.assertEqual(tx.payment_id.journal_id, self.stripe_journal)
        event = self.env["clinic.stripe.event"].search([("object_id", "=", tx.provider_reference)])
        self.assertEqual(event.event_type, "payment_intent.succeeded")
        self.assertEqual(event.provider_id, self.stripe)

    # -- webhook safety ---------------------------------------------------------

    def _nothing_written(self, appointment, events_before):
        deposit = appointment.deposit_ids
        deposit.invalidate_recordset()
        self.assertFalse(deposit.dispute_state)
        self.assertFalse(appointment.activity_ids)
        self.assertEqual(self.env["clinic.stripe.event"].search_count([]), events_before)

    @mute_logger("odoo.addons.clinic_prepay_stripe.models.payment_provider", "odoo.http")
    def test_unsigned_badly_signed_and_secretless_events_are_refused(self):
        appointment = self._booked()
        tx = self._pay_with_stripe(appointment)
        events_before = self.env["clinic.stripe.event"].search_count([])
        dispute = self._dispute(tx, "needs_response")
        unsigned = self._post_event("charge.dispute.created", dispute, signed=False)
        self.assertEqual(unsigned.status_code, 403)
        forged = self._post_event("charge.dispute.created", dispute, secret="whsec_forged")
        self.assertEqual(forged.status_code, 403)
        self._nothing_written(appointment, events_before)
        # a body changed after signing
        event = self._event("charge.dispute.created", dispute)
        payload = json.dumps(event)
        header = stripe.WebhookSignature.generate_signature_header(
            payload, "whsec_clinic_prepay_test"
        )
        event["data"]["object"]["amount"] = 1
        tampered = self.url_open(
            "/payment/stripe/webhook",
            data=json.dumps(event),
            headers={"Content-Type": "application/json", "Stripe-Signature": header},
        )
        self.assertEqual(tampered.status_code, 403)
        # a signature older than the tolerance: a replay of a captured delivery
        stale = stripe.WebhookSignature.generate_signature_header(
            payload, "whsec_clinic_prepay_test", timestamp=int(time.time()) - 3600
        )
        replay = self.url_open(
            "/payment/stripe/webhook",
            data=payload,
            headers={"Content-Type": "application/json", "Stripe-Signature": stale},
        )
        self.assertEqual(replay.status_code, 403)
        self._nothing_written(appointment, events_before)
        # no webhook secret on the provider: even a "signed" event is refused,
        # payment events included (Odoo alone would process them unsigned)
        self.stripe.stripe_webhook_secret = False
        for event_type, obj in (
            ("charge.dispute.created", dispute),
            ("payment_intent.payment_failed", {"id": tx.provider_reference}),
        ):
            response = self._post_event(event_type, obj)
            self.assertEqual(response.status_code, 403)
            response = self._post_event(event_type, obj, signed=False)
            self.assertEqual(response.status_code, 403)
        self._nothing_written(appointment, events_before)
        self.assertEqual(tx.state, "done")

    def test_events_signed_with_both_secrets_of_a_roll_are_accepted(self):
        """While the clinic rolls its webhook secret Stripe signs each event
        with both: payment events are accepted whichever ``v1`` comes first."""

        def rolled(first_is_ours):
            def header(payload):
                timestamp = int(time.time())
                signed = f"{timestamp}.{payload}"
                ours = stripe.WebhookSignature._compute_signature(
                    signed, "whsec_clinic_prepay_test"
                )
                other = stripe.WebhookSignature._compute_signature(signed, "whsec_the_other_one")
                pair = (ours, other) if first_is_ours else (other, ours)
                return f"t={timestamp},v1={pair[0]},v1={pair[1]}"

            return header

        for first_is_ours in (True, False):
            with self.subTest(first_is_ours=first_is_ours):
                appointment = self._booked(days=3 if first_is_ours else 6)
                tx = self._pay_with_stripe(appointment, signature=rolled(first_is_ours))
                self.assertEqual(tx.state, "done")
                self.assertEqual(appointment.deposit_ids.state, "paid")
                dispute = self._dispute(
                    tx, "needs_response", dispute_id=f"dp_roll_{first_is_ours}"
                )
                response = self._post_event(
                    "charge.dispute.created", dispute, signature=rolled(first_is_ours)
                )
                self.assertEqual(response.status_code, 200)
        # neither secret ours: refused
        forged = self._post_event(
            "payment_intent.succeeded",
            {"id": tx.provider_reference},
            signature=lambda payload: stripe.WebhookSignature.generate_signature_header(
                payload, "whsec_the_other_one"
            ),
        )
        self.assertEqual(forged.status_code, 403)

    def test_an_event_delivered_five_times_acts_once(self):
        appointment = self._booked()
        tx = self._pay_with_stripe(appointment)
        event = self._event("charge.dispute.created", self._dispute(tx, "needs_response"))
        for _delivery in range(5):
            response = self._post_event(None, None, event=event)
            self.assertEqual(response.status_code, 200)
        self.assertEqual(
            self.env["clinic.stripe.event"].search_count([("event_id", "=", event["id"])]), 1
        )
        self.assertEqual(len(appointment.activity_ids), 1)
        disputed = appointment.message_ids.filtered(lambda m: "disputes" in (m.body or ""))
        self.assertEqual(len(disputed), 1)
        # the payment's own event, replayed: still one payment
        intent = self._peer_get(f"payment_intents/{tx.provider_reference}?expand[]=payment_method")
        event = self._event("payment_intent.succeeded", intent)
        for _delivery in range(5):
            self._post_event(None, None, event=event)
        self._post_process()
        self.assertEqual(len(appointment.deposit_ids.payment_ids), 1)
        self.assertEqual(appointment.deposit_ids.amount_paid, 50.0)

    # -- refunds ------------------------------------------------------------------

    def test_dashboard_refund_ends_reconciled_on_the_deposit(self):
        appointment = self._booked()
        tx = self._pay_with_stripe(appointment)
        deposit = appointment.deposit_ids
        # the clinic refunds 20.00 in the Stripe dashboard
        stripe.Refund.create(payment_intent=tx.provider_reference, amount=2000)
        self.assertEqual(self._post_event("charge.refunded", self._charge(tx)).status_code, 200)
        self._post_process()
        request = self._refund_requests(appointment)
        self.assertEqual(len(request), 1)
        self.assertEqual(request.state, "done")
        self.assertEqual(request.method, "outside")
        self.assertEqual(request.amount, 20.0)
        refund_tx = request.refund_transaction_id
        self.assertEqual(refund_tx.source_transaction_id, tx)
        self.assertTrue(refund_tx.provider_reference.startswith("re_"))
        # the ledger: a credit note on the deposit account, reconciled with
        # the outbound payment in the Stripe journal
        credit_note = request.credit_note_id
        self.assertEqual(credit_note.move_type, "out_refund")
        self.assertEqual(credit_note.state, "posted")
        self.assertEqual(credit_note.payment_state, "paid")
        self.assertEqual(request.payment_id, refund_tx.payment_id)
        self.assertEqual(request.payment_id.payment_type, "outbound")
        self.assertEqual(request.payment_id.journal_id, self.stripe_journal)
        self.assertFalse(self._open_receivable(credit_note | request.payment_id.move_id))
        self.assertEqual(self._deposit_balance(appointment), -30.0)
        self.assertEqual(deposit.amount_refunded, 20.0)
        self.assertEqual(appointment.amount_refunded, 20.0)
        # the booking is still on: a manager is told to look at it
        self.assertEqual(appointment.state, "confirmed")
        self.assertIn("Refunded at the provider", appointment.activity_ids.mapped("summary"))
        # the same event again changes nothing
        self._post_event("charge.refunded", self._charge(tx))
        self._post_process()
        self.assertEqual(len(self._refund_requests(appointment)), 1)
        self.assertEqual(deposit.amount_refunded, 20.0)

    def test_a_dashboard_refund_that_fails_later_is_undone_in_the_books(self):
        """Stripe confirmed a dashboard refund, then reports it failed
        (``charge.refund.updated``, status ``failed``): the money is back in
        the Stripe balance, so the payment and the credit note are undone,
        the deposit holds the money again and a manager is told."""
        appointment = self._booked()
        tx = self._pay_with_stripe(appointment)
        deposit = appointment.deposit_ids
        refund = stripe.Refund.create(payment_intent=tx.provider_reference, amount=2000)
        self._post_event("charge.refunded", self._charge(tx))
        self._post_process()
        request = self._refund_requests(appointment)
        self.assertEqual((request.state, deposit.amount_refunded), ("done", 20.0))
        payment, credit_note = request.payment_id, request.credit_note_id
        failed = dict(self._peer_get(f"refunds/{refund.id}"), status="failed")
        for _delivery in range(2):
            response = self._post_event("charge.refund.updated", failed)
            self.assertEqual(response.status_code, 200)
        self._post_process()
        self.assertEqual(request.refund_transaction_id.state, "error")
        self.assertEqual(request.state, "failed")
        self.assertEqual(payment.state, "canceled")
        reversal = credit_note.reversal_move_ids
        self.assertEqual((reversal.state, reversal.amount_total), ("posted", 20.0))
        self.assertEqual((deposit.state, deposit.amount_refunded), ("paid", 0.0))
        self.assertEqual(self._deposit_balance(appointment), -50.0, "the deposit is held again")
        moves = deposit.invoice_ids | credit_note | reversal | tx.payment_id.move_id
        self.assertFalse(self._open_receivable(moves), "nothing open on the patient")
        self.assertIn("Refund failed at the provider", appointment.activity_ids.mapped("summary"))

    def test_a_failed_dashboard_refund_gives_back_exactly_what_it_took(self):
        """On a cancelled booking whose money is refundable (its request
        rejected), a dashboard refund takes 20.00 of it; when Stripe reports
        it failed, the 20.00 is refundable again, not lost."""
        appointment = self._booked()
        tx = self._pay_with_stripe(appointment)
        deposit = appointment.deposit_ids
        appointment.with_user(self.front_desk).action_cancel_by_clinic()
        policy = self._refund_requests(appointment)
        policy.with_user(self.manager).write({"reject_reason": "Asked by phone"})
        policy.with_user(self.manager).action_reject()
        self.assertEqual(deposit.amount_refundable, 50.0)
        refund = stripe.Refund.create(payment_intent=tx.provider_reference, amount=2000)
        self._post_event("charge.refunded", self._charge(tx))
        self._post_process()
        self.assertEqual((deposit.amount_refundable, deposit.amount_refunded), (30.0, 20.0))
        failed = dict(self._peer_get(f"refunds/{refund.id}"), status="failed")
        self._post_event("charge.refund.updated", failed)
        self._post_process()
        self.assertEqual((deposit.amount_refundable, deposit.amount_refunded), (50.0, 0.0))
        self.assertEqual(self._deposit_balance(appointment), -50.0)

    def _approved_refund(self):
        appointment = self._booked()
        tx = self._pay_with_stripe(appointment)
        appointment.with_user(self.front_desk).action_cancel_by_clinic()
        request = self._refund_requests(appointment)
        self.assertEqual(request.state, "submitted")
        request.with_user(self.manager).action_approve()
        self.assertEqual(request.method, "provider")
        return appointment, tx, request

    def test_request_refund_then_its_event_counts_once(self):
        appointment, tx, request = self._approved_refund()
        request.with_user(self.manager).action_execute()
        self.assertEqual(request.state, "done")
        refund_tx = request.refund_transaction_id
        self.assertEqual(refund_tx.state, "done")
        # what the peer got: the request named, one refund
        refunds = stripe.Refund.list(payment_intent=tx.provider_reference).data
        self.assertEqual(len(refunds), 1)
        self.assertEqual(refunds[0].metadata["clinic_refund_request"], request.name)
        self.assertEqual(refunds[0].id, refund_tx.provider_reference)
        # Stripe's event for that refund arrives afterwards
        self._post_event("charge.refunded", self._charge(tx))
        self._post_process()
        self.assertEqual(self._refund_requests(appointment), request)
        self.assertEqual(len(tx.child_transaction_ids), 1)
        self.assertEqual(appointment.deposit_ids.amount_refunded, 50.0)
        self.assertEqual(self._deposit_balance(appointment), 0.0)

    def test_event_before_the_request_commits_counts_once(self):
        """The refund left Stripe for the request, but the execution never
        committed (a crash after Stripe answered): the event comes alone
        and the request adopts its refund; a later retry sends nothing."""
        appointment, tx, request = self._approved_refund()
        key = request._get_provider_idempotency_key()
        with self.assertRaises(RuntimeError), self.env.cr.savepoint():
            request.with_user(self.manager).action_execute()
            self.assertEqual(request.state, "done")
            raise RuntimeError("crash before the commit")
        request.invalidate_recordset()
        self.assertEqual(request.state, "approved")
        self.assertFalse(tx.child_transaction_ids)
        refunds = stripe.Refund.list(payment_intent=tx.provider_reference).data
        self.assertEqual(len(refunds), 1, "the refund did leave Stripe")
        self._post_event("charge.refunded", self._charge(tx))
        self._post_process()
        request.invalidate_recordset()
        self.assertEqual(request.state, "done")
        self.assertEqual(request.refund_transaction_id.provider_reference, refunds[0].id)
        self.assertEqual(self._refund_requests(appointment), request, "no dashboard refund")
        # the manager retries: nothing is sent, nothing counted again
        request.with_user(self.manager).action_execute()
        self.assertEqual(len(stripe.Refund.list(payment_intent=tx.provider_reference).data), 1)
        self.assertEqual(appointment.deposit_ids.amount_refunded, 50.0)
        self.assertEqual(self._deposit_balance(appointment), 0.0)
        self.assertEqual(request._get_provider_idempotency_key(), key)

    def test_retried_execution_sends_the_refund_once(self):
        """An execution rolled back after Stripe answered, then executed
        again: the idempotency key derived from the request gets the same
        refund back from Stripe."""
        appointment, tx, request = self._approved_refund()
        with self.assertRaises(RuntimeError), self.env.cr.savepoint():
            request.with_user(self.manager).action_execute()
            raise RuntimeError("crash before the commit")
        request.invalidate_recordset()
        request.with_user(self.manager).action_execute()
        self.assertEqual(request.state, "done")
        refunds = stripe.Refund.list(payment_intent=tx.provider_reference).data
        self.assertEqual(len(refunds), 1)
        self.assertEqual(request.refund_transaction_id.provider_reference, refunds[0].id)
        self._post_event("charge.refunded", self._charge(tx))
        self._post_process()
        self.assertEqual(self._refund_requests(appointment), request)
        self.assertEqual(appointment.deposit_ids.amount_refunded, 50.0)

    def test_refunds_outside_requests_are_refused_to_users(self):
        """Only Stripe's signed event records a refund "made at the
        provider": a user cannot create or turn a request into one."""
        appointment = self._booked()
        self._pay_with_stripe(appointment)
        deposit = appointment.deposit_ids
        Request = self.env["clinic.refund.request"]
        with self.assertRaises(ValidationError), self.env.cr.savepoint():
            Request.with_user(self.manager).create(
                {"deposit_id": deposit.id, "reason": "x", "amount": 10.0, "method": "outside"}
            )
        appointment.with_user(self.front_desk).action_cancel_by_clinic()
        request = deposit.refund_request_ids
        with self.assertRaises(ValidationError), self.env.cr.savepoint():
            request.with_user(self.manager).write({"method": "outside"})
        self.assertEqual(request.method, "provider")
        self.assertEqual(Request.search_count([("method", "=", "outside")]), 0)

    # -- disputes -------------------------------------------------------------

    def test_lost_dispute_in_the_ledger(self):
        appointment = self._booked()
        tx = self._pay_with_stripe(appointment)
        deposit = appointment.deposit_ids
        self._post_event("charge.dispute.created", self._dispute(tx, "needs_response"))
        self.assertEqual(deposit.dispute_state, "open")
        self.assertEqual(appointment.dispute_state, "open")
        self.assertEqual(deposit.dispute_amount, 50.0)
        activity = appointment.activity_ids
        self.assertEqual(activity.summary, "Answer the card dispute")
        self.assertEqual(activity.date_deadline, deposit.dispute_due.date())
        self.assertTrue(activity.user_id.has_group("clinic_prepay.group_clinic_manager"))
        self.assertIn(
            appointment, self.env["clinic.appointment"].search([("dispute_state", "=", "open")])
        )
        self._post_event("charge.dispute.closed", self._dispute(tx, "lost"))
        self.assertEqual(deposit.dispute_state, "lost")
        self.assertFalse(appointment.activity_ids, "the dispute activity is done")
        request = self._refund_requests(appointment)
        self.assertEqual(request.state, "done")
        self.assertEqual(request.method, "outside")
        payment = request.payment_id
        self.assertEqual(payment.payment_type, "outbound")
        self.assertEqual(payment.amount, 50.0)
        self.assertEqual(payment.payment_reference, "dp_1QclinicDisputeA")
        self.assertEqual(payment.journal_id, self.stripe_journal)
        self.assertFalse(self._open_receivable(payment.move_id | request.credit_note_id))
        fee_move = deposit.dispute_move_ids.filtered(lambda m: not m.origin_payment_id)
        self.assertEqual(fee_move.ref, "dp_1QclinicDisputeA")
        fee_account = self.company.clinic_provider_fee_account_id
        fee_line = fee_move.line_ids.filtered(lambda line: line.account_id == fee_account)
        self.assertEqual(fee_line.debit, 15.0)
        outstanding = fee_move.line_ids - fee_line
        self.assertEqual(outstanding.credit, 15.0)
        self.assertEqual(
            outstanding.account_id, payment.outstanding_account_id, "what Stripe withdrew"
        )
        self.assertEqual(deposit.amount_refunded, 50.0)
        self.assertEqual(self._deposit_balance(appointment), 0.0)

    def test_lost_dispute_on_a_forfeited_deposit(self):
        """The classic chargeback after a no-show: the forfeit goes back."""
        appointment = self._booked(days=0)
        tx = self._pay_with_stripe(appointment)
        appointment.sudo().write({"start": appointment.start.replace(year=2020)})
        appointment.with_user(self.front_desk).action_no_show()
        deposit = appointment.deposit_ids
        self.assertEqual(deposit.amount_forfeited, 50.0)
        response = self._post_event("charge.dispute.closed", self._dispute(tx, "lost"))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(deposit.dispute_state, "lost")
        self.assertEqual(deposit.amount_forfeited, 0.0)
        self.assertEqual(deposit.amount_refunded, 50.0)
        fee_lines = (
            self.env["account.move.line"]
            .search([("account_id", "=", self.fee_account.id), ("parent_state", "=", "posted")])
            .filtered(
                lambda line: line.move_id in deposit.dispute_move_ids | deposit.forfeit_move_id
            )
        )
        self.assertEqual(sum(fee_lines.mapped("balance")), 0.0, "no fee income kept")
        given_back = deposit.dispute_move_ids.line_ids.filtered(
            lambda line: line.account_id == self.deposit_account
        )
        self.assertEqual(sum(given_back.mapped("credit")), 50.0)
        self.assertEqual(
            self._deposit_balance(appointment) + sum(given_back.mapped("balance")), 0.0
        )

    def test_dispute_events_in_any_order_end_the_same(self):
        appointment = self._booked()
        tx = self._pay_with_stripe(appointment)
        deposit = appointment.deposit_ids
        self._post_event("charge.dispute.closed", self._dispute(tx, "won"))
        self._post_event("charge.dispute.created", self._dispute(tx, "needs_response"))
        self._post_event("charge.dispute.updated", self._dispute(tx, "under_review"))
        self.assertEqual(deposit.dispute_state, "won")
        self.assertFalse(appointment.activity_ids)
        self.assertFalse(self._refund_requests(appointment))
        self.assertEqual(deposit.amount_refunded, 0.0)
        # and in order
        other = self._booked(days=4)
        other_tx = self._pay_with_stripe(other)
        dispute = self._dispute(other_tx, "needs_response", dispute_id="dp_1QclinicDisputeB")
        self._post_event("charge.dispute.created", dispute)
        self.assertEqual(other.deposit_ids.dispute_state, "open")
        dispute["status"] = "won"
        self._post_event("charge.dispute.closed", dispute)
        self.assertEqual(other.deposit_ids.dispute_state, "won")
        self.assertFalse(other.activity_ids)

    # -- set-up and rights ------------------------------------------------------

    def test_generated_webhook_sends_the_dispute_events(self):
        """Odoo's "Generate your webhook" asks Stripe for the events Odoo
        handles and those the clinic acts on."""
        sent = []

        def stripe_api(method, url, **kwargs):
            sent.append((url, kwargs["data"]))
            response = requests.Response()
            response.status_code = 200
            response._content = b'{"id": "we_clinic", "secret": "whsec_generated"}'
            return response

        self.stripe.stripe_webhook_secret = False
        with patch(
            "odoo.addons.payment_stripe.models.payment_provider.requests",
            SimpleNamespace(request=stripe_api, exceptions=requests.exceptions),
        ):
            self.stripe.action_stripe_create_webhook()
        url, data = sent[0]
        self.assertTrue(url.endswith("/webhook_endpoints"))
        events = data["enabled_events[]"]
        for event_type in (
            "payment_intent.succeeded",
            "charge.refunded",
            "charge.dispute.created",
            "charge.dispute.updated",
            "charge.dispute.closed",
        ):
            self.assertIn(event_type, events)
        self.assertEqual(len(events), len(set(events)))
        self.assertEqual(self.stripe.stripe_webhook_secret, "whsec_generated")

    def test_events_and_disputes_are_read_only_for_everyone(self):
        appointment = self._booked()
        tx = self._pay_with_stripe(appointment)
        self._post_event("charge.dispute.created", self._dispute(tx, "needs_response"))
        Event = self.env["clinic.stripe.event"]
        self.assertTrue(Event.with_user(self.manager).search([]))
        with self.assertRaises(AccessError):
            Event.with_user(self.front_desk).search([])
        event = Event.with_user(self.manager).search([], limit=1)
        for action in (
            lambda: Event.with_user(self.manager).create(
                {"event_id": "evt_forged", "event_type": "charge.dispute.closed"}
            ),
            lambda: event.write({"event_type": "x"}),
            lambda: event.unlink(),
        ):
            with self.assertRaises(AccessError), self.env.cr.savepoint():
                action()
        # the dispute's outcome comes from Stripe only, not from a user's write
        deposit = appointment.deposit_ids.with_user(self.manager)
        with self.assertRaises(AccessError), self.env.cr.savepoint():
            deposit.write({"dispute_state": "won"})
        self.assertEqual(appointment.deposit_ids.dispute_state, "open")


@tagged("post_install", "-at_install")
class TestStripeEventOrder(ClinicStripeCase):
    """Stripe does not promise the order of its events: a deposit paid and
    refunded in full from the dashboard ends the same whatever order
    ``payment_intent.succeeded``, ``charge.refunded`` and
    ``charge.refund.updated`` arrive in."""

    def _post_processing_job(self):
        """What Odoo's post-processing job does, one transaction at a time
        (an error is logged and the transaction retried by the next run)."""
        txs = self.env["payment.transaction"].search([("is_post_processed", "=", False)])
        for tx in txs.filtered(lambda t: t.state == "done"):
            try:
                with self.env.cr.savepoint():
                    tx._post_process()
            except Exception as error:
                self.fail(f"post-processing {tx.reference} raised {error!r}")
        self.env.invalidate_all()

    def _paid_and_refunded_at_stripe(self, days):
        """A deposit paid at Stripe and refunded in full from the dashboard;
        nothing told to Odoo yet. The three events, as Stripe sends them."""
        appointment = self._booked(days=days)
        deposit = appointment.deposit_ids
        tx, succeeded = self._paid_at_stripe(deposit.invoice_id, deposit.amount_residual)
        intent_id = succeeded["id"]
        refund = stripe.Refund.create(payment_intent=intent_id)
        charge = self._peer_get(f"payment_intents/{intent_id}")["latest_charge"]
        charge = self._peer_get(f"charges/{charge if isinstance(charge, str) else charge['id']}")
        refund = self._peer_get(f"refunds/{refund.id}")
        events = {
            "payment_intent.succeeded": succeeded,
            "charge.refunded": charge,
            "charge.refund.updated": refund,
        }
        return appointment, tx, events

    def _end_state(self, appointment, tx):
        deposit = appointment.deposit_ids
        requests = deposit.refund_request_ids
        refund_txs = tx.child_transaction_ids.filtered(lambda t: t.operation == "refund")
        moves = (
            deposit.invoice_ids
            | requests.credit_note_id
            | tx.payment_id.move_id
            | refund_txs.payment_id.move_id
        )
        open_receivable = sum(
            moves.line_ids.filtered(
                lambda line: (
                    line.account_id.account_type == "asset_receivable" and not line.reconciled
                )
            ).mapped("amount_residual")
        )
        return {
            "tx": tx.state,
            "inbound": len(tx.payment_id),
            "refund txs": [(t.state, t.amount) for t in refund_txs],
            "outbound": len(refund_txs.payment_id),
            "requests": [(r.state, r.method, r.amount) for r in requests],
            "deposit": (deposit.state, deposit.amount_paid, deposit.amount_refunded),
            "appointment": appointment.state,
            "open receivable": open_receivable,
            "deposit balance": self._deposit_balance(appointment),
        }

    def test_every_order_of_the_three_events_ends_the_same(self):
        orders = list(
            itertools.permutations(
                ("payment_intent.succeeded", "charge.refunded", "charge.refund.updated")
            )
        )
        ends = {}
        for days, order in enumerate(orders, start=3):
            with self.subTest(order=order):
                appointment, tx, events = self._paid_and_refunded_at_stripe(days)
                for event_type in order:
                    with mute_logger("odoo.addons.payment_stripe.controllers.main"):
                        response = self._post_event(event_type, events[event_type])
                    self.assertEqual(response.status_code, 200)
                    self._post_processing_job()
                ends[order] = self._end_state(appointment, tx)
        in_order = ends[orders[0]]
        self.assertEqual(
            in_order,
            {
                "tx": "done",
                "inbound": 1,
                "refund txs": [("done", -50.0)],
                "outbound": 1,
                "requests": [("done", "outside", 50.0)],
                "deposit": ("paid", 50.0, 50.0),
                "appointment": "confirmed",
                "open receivable": 0,
                "deposit balance": 0.0,
            },
        )
        for order, end in ends.items():
            self.assertEqual(end, in_order, order)
