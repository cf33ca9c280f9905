# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import datetime, timedelta

import stripe
from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import ClinicStripeCase


class StripeCardCase(ClinicStripeCase):
    """A card-on-file treatment, and a card saved with a SetupIntent at the
    local Stripe peer."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.stripe.allow_tokenization = True
        product = cls._create_service("Laser", 200.0)
        cls.treatment_card = cls.env["clinic.treatment"].create(
            {
                "name": "Laser",
                "product_id": product.id,
                "deposit_type": "none",
                "no_show_protection": "card",
                "no_show_forfeit_percent": 50.0,
                "late_cancel_forfeit_percent": 25.0,
                "practitioner_ids": [Command.link(cls.practitioner.id)],
            }
        )

    def _save_card_with_setup_intent(self, appointment, number="4242424242424242"):
        """The card page: Odoo's validation transaction creates a SetupIntent
        at the peer, the card confirms it there, and Stripe's signed
        ``setup_intent.succeeded`` reaches the webhook."""
        appointment._record_card_consent()
        tx = (
            self.env["payment.transaction"]
            .sudo()
            .create(
                {
                    "provider_id": self.stripe.id,
                    "payment_method_id": self.card.id,
                    "reference": appointment._get_card_reference("CARD"),
                    "amount": self.stripe._get_validation_amount(),
                    "currency_id": self.currency.id,
                    "partner_id": appointment.patient_id.id,
                    "operation": "validation",
                    "tokenize": True,
                    "clinic_appointment_id": appointment.id,
                }
            )
        )
        secret = tx._get_processing_values()["client_secret"]
        intent_id = secret.split("_secret_")[0]
        self.assertTrue(intent_id.startswith("seti_"))
        intent = self._peer_get(f"setup_intents/{intent_id}")
        method = self._peer_card(number, customer=intent["customer"])
        stripe.SetupIntent.confirm(intent_id, payment_method=method.id)
        intent = self._peer_get(f"setup_intents/{intent_id}")
        self.assertEqual(intent["status"], "succeeded")
        self.assertEqual(self._post_event("setup_intent.succeeded", intent).status_code, 200)
        self._post_process()
        appointment.invalidate_recordset()
        return tx

    def _peer_intents(self, customer):
        intents = self._peer_get("payment_intents?limit=100")["data"]
        return [intent for intent in intents if intent["customer"] == customer]

    def _protected_no_show(self, number="4242424242424242"):
        appointment = self._booked(treatment=self.treatment_card)
        self.assertEqual(appointment.state, "awaiting_payment")
        self._save_card_with_setup_intent(appointment, number)
        self.assertEqual(appointment.state, "confirmed")
        token = appointment.card_token_id
        self.assertTrue(token.stripe_payment_method.startswith("pm_"))
        self.assertTrue(token.provider_ref.startswith("cus_"))
        with freeze_time(appointment.start + timedelta(hours=1)):
            appointment.action_no_show()
        return appointment

    def _run_job(self, appointment):
        with freeze_time(appointment.card_fee_due + timedelta(minutes=5)):
            return self.env["clinic.appointment"]._cron_charge_card_fees()


@tagged("post_install", "-at_install")
class TestStripeCardOnFile(StripeCardCase):
    """The card charged off-session by the no-show job through Odoo's Stripe
    provider."""

    def test_setup_intent_saves_the_card(self):
        appointment = self._booked(treatment=self.treatment_card)
        self._save_card_with_setup_intent(appointment)
        self.assertEqual(appointment.state, "confirmed")
        self.assertEqual(appointment.card_token_id.payment_details, "4242")
        self.assertEqual(appointment.card_token_id.provider_id, self.stripe)
        self.assertIn("Card on file", appointment.card_consent_text)

    def test_no_show_fee_charged_once_though_the_job_runs_twice(self):
        appointment = self._protected_no_show()
        customer = appointment.card_token_id.provider_ref
        self.assertEqual(self._run_job(appointment), 1)
        self.assertEqual(self._run_job(appointment), 0)
        intents = self._peer_intents(customer)
        self.assertEqual(len(intents), 1)
        self.assertEqual((intents[0]["amount"], intents[0]["status"]), (10000, "succeeded"))
        self.assertEqual(
            intents[0]["payment_method"], appointment.card_token_id.stripe_payment_method
        )
        tx = appointment.card_transaction_ids.filtered(lambda t: t.operation == "offline")
        self.assertEqual((tx.state, tx.provider_reference), ("done", intents[0]["id"]))
        self.assertEqual(appointment.card_fee_state, "paid")
        invoice = appointment.card_fee_invoice_id
        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(tx.payment_id.journal_id, self.stripe_journal)
        fee = invoice.line_ids.filtered(lambda line: line.account_id == self.fee_account)
        self.assertEqual(fee.balance, -100.0)
        # Stripe's own event for the charge changes nothing more
        intent = self._peer_get(f"payment_intents/{intents[0]['id']}?expand[]=payment_method")
        self.assertEqual(self._post_event("payment_intent.succeeded", intent).status_code, 200)
        self._post_process()
        self.assertEqual(len(tx.payment_id), 1)
        self.assertEqual(
            len(self.env["account.payment"].search([("payment_transaction_id", "=", tx.id)])), 1
        )

    def test_dashboard_refund_of_a_fee_is_credited_and_reconciled(self):
        """30.00 of a 100.00 no-show fee refunded in the Stripe dashboard: a
        credit note of the fee, reconciled with Stripe's outbound payment;
        nothing left open on the patient; a manager told."""
        appointment = self._protected_no_show()
        self.assertEqual(self._run_job(appointment), 1)
        tx = appointment.card_transaction_ids.filtered(lambda t: t.operation == "offline")
        stripe.Refund.create(payment_intent=tx.provider_reference, amount=3000)
        charge = self._peer_get(f"payment_intents/{tx.provider_reference}")["latest_charge"]
        charge = self._peer_get(f"charges/{charge if isinstance(charge, str) else charge['id']}")
        self.assertEqual(self._post_event("charge.refunded", charge).status_code, 200)
        self._post_process()
        refund_tx = tx.child_transaction_ids
        self.assertEqual((refund_tx.operation, refund_tx.state), ("refund", "done"))
        self.assertEqual(refund_tx.payment_id.payment_type, "outbound")
        invoice = appointment.card_fee_invoice_id
        credit_note = invoice.reversal_move_ids
        self.assertEqual(
            (credit_note.move_type, credit_note.state, credit_note.amount_total),
            ("out_refund", "posted", 30.0),
        )
        self.assertEqual(credit_note.payment_state, "paid")
        moves = invoice | credit_note | tx.payment_id.move_id | refund_tx.payment_id.move_id
        open_lines = moves.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable" and not line.reconciled
        )
        self.assertFalse(open_lines, "nothing open on the patient")
        income = moves.line_ids.filtered(lambda line: line.account_id == self.fee_account)
        self.assertEqual(sum(income.mapped("balance")), -70.0, "the fee kept")
        self.assertIn("Fee refunded at the provider", appointment.activity_ids.mapped("summary"))
        # the same event again changes nothing
        self._post_event("charge.refunded", charge)
        self._post_process()
        self.assertEqual(len(invoice.reversal_move_ids), 1)

    def test_a_lost_dispute_on_a_fee_leaves_the_books(self):
        """The patient's bank disputes the charged no-show fee: a manager has
        an activity due by the evidence deadline; lost, the money and the
        dispute fee leave the books as for a deposit, once."""
        appointment = self._protected_no_show()
        self.assertEqual(self._run_job(appointment), 1)
        tx = appointment.card_transaction_ids.filtered(lambda t: t.operation == "offline")
        opened = self._dispute(tx, "needs_response", dispute_id="dp_clinic_fee")
        self.assertEqual(self._post_event("charge.dispute.created", opened).status_code, 200)
        self.assertEqual(appointment.dispute_state, "open")
        Appointment = self.env["clinic.appointment"]
        self.assertIn(appointment, Appointment.search([("dispute_state", "=", "open")]))
        self.assertNotIn(appointment, Appointment.search([("dispute_state", "=", False)]))
        self.assertNotIn(appointment, Appointment.search([("dispute_state", "!=", "open")]))
        activity = appointment.activity_ids.filtered(
            lambda a: a.summary == "Answer the card dispute"
        )
        self.assertEqual(len(activity), 1)
        due = datetime.utcfromtimestamp(opened["evidence_details"]["due_by"]).date()
        self.assertEqual(activity.date_deadline, due)
        lost = self._dispute(tx, "lost", dispute_id="dp_clinic_fee", fee=1500)
        for _delivery in range(2):
            self.assertEqual(self._post_event("charge.dispute.closed", lost).status_code, 200)
        self.assertEqual(appointment.dispute_state, "lost")
        self.assertEqual(appointment.card_fee_dispute_reference, "dp_clinic_fee")
        invoice = appointment.card_fee_invoice_id
        credit_note = invoice.reversal_move_ids
        self.assertEqual((credit_note.state, credit_note.amount_total), ("posted", 100.0))
        payment = self.env["account.payment"].search([("payment_reference", "=", "dp_clinic_fee")])
        self.assertEqual((payment.payment_type, payment.amount), ("outbound", 100.0))
        self.assertEqual(payment.journal_id, self.stripe_journal)
        moves = invoice | credit_note | tx.payment_id.move_id | payment.move_id
        self.assertFalse(
            moves.line_ids.filtered(
                lambda line: (
                    line.account_id.account_type == "asset_receivable" and not line.reconciled
                )
            ),
            "nothing open on the patient",
        )
        fee_entry = self.env["account.move"].search(
            [("ref", "=", "dp_clinic_fee"), ("move_type", "=", "entry")]
        )
        self.assertEqual(fee_entry.state, "posted")
        self.assertEqual(
            fee_entry.line_ids.filtered("debit").account_id,
            self.company.clinic_provider_fee_account_id,
        )
        self.assertEqual(fee_entry.amount_total, 15.0)
        self.assertFalse(
            appointment.activity_ids.filtered(lambda a: a.summary == "Answer the card dispute"),
            "answered: the dispute is over",
        )

    def test_crashed_run_does_not_charge_twice(self):
        """The job sent the charge and died before committing: the next run
        sends the same reference, hence the same idempotency key, and Stripe
        answers with the first charge."""
        appointment = self._protected_no_show()
        customer = appointment.card_token_id.provider_ref
        with self.assertRaises(RuntimeError), self.env.cr.savepoint():
            self._run_job(appointment)
            self.assertEqual(len(self._peer_intents(customer)), 1)
            raise RuntimeError("the worker died before committing")
        appointment.invalidate_recordset()
        self.assertEqual(appointment.card_fee_state, "due")
        self.assertEqual(self._run_job(appointment), 1)
        self.assertEqual(len(self._peer_intents(customer)), 1)
        self.assertEqual(appointment.card_fee_state, "paid")

    def test_authentication_required_leads_to_a_payment_link(self):
        """The bank asks the patient to authenticate the off-session charge
        (Stripe's ``requires_action``): the patient gets a payment link, the
        manager an activity, and paying through the link settles the fee."""
        appointment = self._protected_no_show()
        token = appointment.card_token_id
        # the same customer's card now requires authentication (3-D Secure)
        method = self._peer_card("4000002760003184", customer=token.provider_ref)
        token.stripe_payment_method = method.id
        self._run_job(appointment)
        tx = appointment.card_transaction_ids.filtered(lambda t: t.operation == "offline")
        intent = self._peer_intents(token.provider_ref)[-1]
        self.assertEqual(intent["status"], "requires_action")
        self.assertNotEqual(tx.state, "done")
        self.assertEqual(appointment.card_fee_state, "failed")
        activity = appointment.activity_ids.filtered(lambda a: a.summary == "Card fee not charged")
        self.assertEqual(len(activity), 1)
        link = appointment._get_card_fee_payment_link()
        mail = self._patient_mails(appointment, "a fee to pay")
        self.assertIn(link.replace("&", "&amp;"), mail.body)
        # the link opens Odoo's payment form for the fee
        self.authenticate(None, None)
        response = self.url_open(link)
        self.assertEqual(response.status_code, 200)
        self.assertIn("o_payment_form", response.text)
        # the patient pays on-session (authenticating with the bank)
        invoice = appointment.card_fee_invoice_id
        self._pay_invoice_with_stripe(invoice, invoice.amount_total)
        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(appointment.card_fee_state, "paid")

    def test_declined_card_leads_to_a_payment_link(self):
        """A card the bank accepted when saved declines the charge later (the
        stale card): the fee goes to a payment link."""
        appointment = self._protected_no_show(number="4000000000000341")
        self._run_job(appointment)
        tx = appointment.card_transaction_ids.filtered(lambda t: t.operation == "offline")
        self.assertEqual(tx.state, "error")
        self.assertEqual(appointment.card_fee_state, "failed")
        self.assertEqual(appointment.card_fee_invoice_id.state, "draft")
        self.assertTrue(appointment._get_card_fee_payment_link())
        self.assertTrue(self._patient_mails(appointment, "a fee to pay"))

    def test_late_cancellation_fee(self):
        appointment = self._booked(days=3, treatment=self.treatment_card)
        self._save_card_with_setup_intent(appointment)
        with freeze_time(appointment.start - timedelta(hours=2)):
            appointment.action_cancel_by_patient()
            self.assertEqual(appointment.cancel_reason, "late")
            self.env["clinic.appointment"]._cron_charge_card_fees()
        self.assertEqual(appointment.card_fee_state, "paid")
        self.assertEqual(appointment.card_fee_amount, 50.0)


@tagged("post_install", "-at_install")
class TestStripeCardHold(StripeCardCase):
    """Authorization holds: placed days before the visit, captured on a
    no-show, released when the visit happens or the booking is cancelled."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.clinic_card_hold_days = 5

    def _held(self, days=2, number="4242424242424242"):
        """A booking held by the job: its time is 2 days to 4 days and 15
        hours ahead (a weekend between), inside the 5-day window."""
        appointment = self._booked(days=days, treatment=self.treatment_card)
        self._save_card_with_setup_intent(appointment, number)
        self.env["clinic.appointment"]._cron_card_holds()
        return appointment

    def _peer_intent(self, tx):
        return self._peer_get(f"payment_intents/{tx.provider_reference}")

    def test_hold_placed_once_and_only_inside_the_window(self):
        far = self._booked(days=9, treatment=self.treatment_card)
        self._save_card_with_setup_intent(far)
        appointment = self._held()
        self.env["clinic.appointment"]._cron_card_holds()
        self.assertFalse(far.card_hold_state)
        self.assertEqual(appointment.card_hold_state, "held")
        tx = appointment.card_hold_transaction_id
        self.assertEqual((tx.state, tx.amount), ("authorized", 100.0))
        intents = self._peer_intents(appointment.card_token_id.provider_ref)
        self.assertEqual(len(intents), 1)
        self.assertEqual(
            (intents[0]["status"], intents[0]["capture_method"]), ("requires_capture", "manual")
        )
        # nothing in the ledger for money only held
        self.assertFalse(tx.payment_id)
        with self.assertRaises(ValidationError):
            self.company.clinic_card_hold_days = 7

    def test_no_show_captures_the_hold(self):
        appointment = self._held()
        tx = appointment.card_hold_transaction_id
        with freeze_time(appointment.start + timedelta(hours=1)):
            appointment.action_no_show()
        self._run_job(appointment)
        self.assertEqual(appointment.card_hold_state, "captured")
        self.assertEqual(appointment.card_fee_state, "paid")
        self.assertEqual(tx.state, "done")
        self.assertEqual(self._peer_intent(tx)["status"], "succeeded")
        # no second charge: the held money was the fee
        self.assertEqual(len(self._peer_intents(appointment.card_token_id.provider_ref)), 1)
        self.assertEqual(appointment.card_fee_invoice_id.payment_state, "paid")
        self.assertEqual(tx.payment_id.journal_id, self.stripe_journal)
        self.assertEqual(appointment.card_fee_invoice_id, tx.invoice_ids)

    def test_a_captured_hold_refunded_then_disputed_stays_in_the_books(self):
        """The captured hold is a card fee charge like any other: a dashboard
        refund of part of it gets a credit note, a dispute of the rest an
        activity and, lost, its money and fee in the books."""
        appointment = self._held()
        tx = appointment.card_hold_transaction_id
        with freeze_time(appointment.start + timedelta(hours=1)):
            appointment.action_no_show()
        self._run_job(appointment)
        self.assertEqual((appointment.card_fee_state, tx.state), ("paid", "done"))
        stripe.Refund.create(payment_intent=tx.provider_reference, amount=4000)
        charge = self._peer_intent(tx)["latest_charge"]
        charge = self._peer_get(f"charges/{charge if isinstance(charge, str) else charge['id']}")
        self.assertEqual(self._post_event("charge.refunded", charge).status_code, 200)
        self._post_process()
        invoice = appointment.card_fee_invoice_id
        refund_note = invoice.reversal_move_ids
        self.assertEqual((refund_note.state, refund_note.amount_total), ("posted", 40.0))
        dispute = dict(
            self._dispute(tx, "lost", dispute_id="dp_clinic_hold"),
            amount=6000,
            charge=charge["id"],
        )
        self.assertEqual(self._post_event("charge.dispute.closed", dispute).status_code, 200)
        self.assertEqual(appointment.dispute_state, "lost")
        notes = invoice.reversal_move_ids
        self.assertEqual(sorted(notes.mapped("amount_total")), [40.0, 60.0])
        payments = tx.payment_id | tx.child_transaction_ids.payment_id
        payments |= self.env["account.payment"].search(
            [("payment_reference", "=", "dp_clinic_hold")]
        )
        moves = invoice | notes | payments.move_id
        self.assertFalse(
            moves.line_ids.filtered(
                lambda line: (
                    line.account_id.account_type == "asset_receivable" and not line.reconciled
                )
            ),
            "nothing open on the patient",
        )
        income = moves.line_ids.filtered(lambda line: line.account_id == self.fee_account)
        self.assertEqual(sum(income.mapped("balance")), 0.0, "the whole fee went back")

    def test_visit_releases_the_hold(self):
        appointment = self._held()
        tx = appointment.card_hold_transaction_id
        with freeze_time(appointment.start + timedelta(hours=1)):
            appointment.action_done()
        self.assertEqual(appointment.card_hold_state, "to_release")
        self.env["clinic.appointment"]._cron_card_holds()
        self.assertEqual(appointment.card_hold_state, "released")
        self.assertEqual(tx.state, "cancel")
        self.assertEqual(self._peer_intent(tx)["status"], "canceled")

    def test_timely_cancellation_releases_the_hold(self):
        appointment = self._held()
        tx = appointment.card_hold_transaction_id
        self.treatment_card.free_cancel_hours = 24.0
        appointment.action_cancel_by_patient()
        self.assertEqual(appointment.cancel_reason, "patient")
        self.env["clinic.appointment"]._cron_card_holds()
        self.assertEqual((appointment.card_hold_state, tx.state), ("released", "cancel"))
        self.assertFalse(appointment.card_fee_state)

    def test_late_cancellation_releases_the_hold_and_charges_the_late_fee(self):
        appointment = self._held()
        tx = appointment.card_hold_transaction_id
        with freeze_time(appointment.start - timedelta(hours=2)):
            appointment.action_cancel_by_patient()
            self.env["clinic.appointment"]._cron_card_holds()
            self.env["clinic.appointment"]._cron_charge_card_fees()
        self.assertEqual((appointment.card_hold_state, tx.state), ("released", "cancel"))
        self.assertEqual((appointment.card_fee_state, appointment.card_fee_amount), ("paid", 50.0))

    def test_moved_booking_is_held_again(self):
        appointment = self._held()
        first = appointment.card_hold_transaction_id
        # an hour later (still inside the window; this practitioner keeps no
        # working hours, so the desk may move it there)
        appointment.write({"start": appointment.start + timedelta(hours=1)})
        self.env["clinic.appointment"]._cron_card_holds()
        self.env["clinic.appointment"]._cron_card_holds()
        second = appointment.card_hold_transaction_id
        self.assertEqual(first.state, "cancel")
        self.assertEqual((second.state, appointment.card_hold_state), ("authorized", "held"))
        self.assertEqual(second.reference, f"{appointment.name}-HOLD-1")

    def test_declined_hold_asks_for_another_card(self):
        """The stale card is found days before the visit, not at the no-show."""
        appointment = self._held(number="4000000000000341")
        self.assertEqual(appointment.card_hold_state, "failed")
        self.assertFalse(appointment.card_token_id)
        self.assertTrue(appointment.card_missing)
        self.assertTrue(self._patient_mails(appointment, "please save another card"))
        activity = appointment.activity_ids.filtered(
            lambda a: a.summary == "Card on file declined"
        )
        self.assertEqual(len(activity), 1)
        # the patient saves another card: it is held in turn
        self._save_card_with_setup_intent(appointment)
        self.assertFalse(appointment.card_hold_state)
        self.env["clinic.appointment"]._cron_card_holds()
        self.assertEqual(appointment.card_hold_state, "held")
