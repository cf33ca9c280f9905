# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import NOW, ClinicPaymentCommon


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestCardOnFile(ClinicPaymentCommon):
    """No-show protection with a saved card, through Odoo's payment framework
    (the demo provider stands in for the card provider)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.provider.allow_tokenization = True
        cls.product_peel = cls._create_service("Peel", 200.0)
        cls.treatment_card = cls.env["clinic.treatment"].create(
            {
                "name": "Peel",
                "product_id": cls.product_peel.id,
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
        # Botox: 300, deposit 50, late 50 %, no-show 100 %
        cls.treatment_botox.no_show_protection = "both"

    def _booked(self, treatment=None, days=3):
        appointment = self._appointment(NOW + timedelta(days=days), treatment=treatment)
        appointment.with_user(self.front_desk).action_book()
        return appointment

    def _validation_tx(self, appointment):
        """What the card page creates when the patient submits a card."""
        return (
            self.env["payment.transaction"]
            .sudo()
            .create(
                {
                    "provider_id": self.provider.id,
                    "payment_method_id": self.payment_method.id,
                    "reference": f"{appointment.name}-CARD",
                    "amount": 0.0,
                    "currency_id": self.currency.id,
                    "partner_id": appointment.patient_id.id,
                    "operation": "validation",
                    "tokenize": True,
                    "clinic_appointment_id": appointment.id,
                }
            )
        )

    def _save_card(self, appointment, state="done"):
        tx = self._validation_tx(appointment)
        tx._handle_notification_data(
            "demo",
            {"reference": tx.reference, "simulated_state": state, "payment_details": "4242"},
        )
        tx._post_process()
        return tx

    def _no_show(self, appointment):
        with freeze_time(appointment.start + timedelta(hours=1)):
            appointment.with_user(self.front_desk).action_no_show()

    def _charge_job(self, at):
        with freeze_time(at):
            return self.env["clinic.appointment"]._cron_charge_card_fees()

    # ------------------------------------------------------------------------

    def test_policy_choices(self):
        with self.assertRaises(ValidationError):
            self.treatment_card.deposit_type = "full"
        with self.assertRaises(ValidationError):
            self.treatment_consult.no_show_protection = "both"
        lines = self.treatment_card._get_policy_lines(NOW + timedelta(days=3))
        self.assertIn(
            "Charged to the card on a no-show: $\xa0100.00; on a late cancellation: $\xa050.00.",
            "\n".join(lines),
        )
        # with a deposit, the card pays only what the deposit does not keep
        lines = self.treatment_botox._get_policy_lines(NOW + timedelta(days=3))
        self.assertIn(
            "Charged to the card on a no-show: $\xa0250.00; on a late cancellation: $\xa0125.00.",
            "\n".join(lines),
        )

    def test_without_deposit_the_booking_waits_for_the_card(self):
        appointment = self._booked(self.treatment_card)
        self.assertTrue(appointment.card_required)
        self.assertEqual(appointment.state, "awaiting_payment")
        self.assertFalse(appointment.deposit_ids)
        self.assertTrue(appointment.card_missing)
        Appointment = self.env["clinic.appointment"].with_user(self.front_desk)
        self.assertIn(appointment, Appointment.search([("card_missing", "=", True)]))
        self.assertNotIn(appointment, Appointment.search([("card_missing", "=", False)]))
        self.assertEqual(appointment._get_payment_url(), appointment.get_portal_url())
        # no card without the patient's consent
        self.assertFalse(appointment._card_ready_to_save())
        appointment._record_card_consent()
        self.assertIn("Card on file", appointment.card_consent_text)
        self.assertTrue(
            self.provider._is_tokenization_required(clinic_appointment_id=appointment.id)
        )
        self._save_card(appointment)
        self.assertEqual(appointment.state, "confirmed")
        self.assertEqual(appointment.card_token_id.payment_details, "4242")
        self.assertFalse(appointment.card_missing)
        self.assertIn("4242", appointment.card_summary)
        # the desk finds the bookings whose patient removed the card
        self.assertIn(appointment, Appointment.search([("card_missing", "=", False)]))
        appointment.card_token_id.active = False
        self.assertIn(appointment, Appointment.search([("card_missing", "=", True)]))
        self.assertTrue(appointment.with_user(self.front_desk).card_missing)
        self.assertTrue(self._patient_mails(appointment, "is confirmed"))

    def test_a_refused_card_is_not_saved(self):
        appointment = self._booked(self.treatment_card)
        appointment._record_card_consent()
        self._save_card(appointment, state="error")
        # the demo provider keeps the token of an errored validation: the
        # booking does not take a card its bank refused
        self.assertFalse(appointment.card_token_id)
        self.assertEqual(appointment.state, "awaiting_payment")

    def test_unpaid_card_booking_is_cancelled_at_its_deadline(self):
        appointment = self._booked(self.treatment_card)
        with freeze_time(appointment.payment_deadline + timedelta(minutes=1)):
            self.env["clinic.appointment"]._cron_cancel_unpaid()
        self.assertEqual((appointment.state, appointment.cancel_reason), ("cancelled", "unpaid"))
        self.assertFalse(appointment.card_fee_state)

    def test_deposit_payment_saves_the_card(self):
        appointment = self._booked(self.treatment_botox)
        invoice = appointment.deposit_ids.invoice_id
        # before the patient agrees, the payment form does not force a card
        self.assertFalse(self.provider._is_tokenization_required(invoice_id=invoice.id))
        appointment._record_card_consent()
        self.assertTrue(self.provider._is_tokenization_required(invoice_id=invoice.id))
        methods = self.env["payment.method"]._get_compatible_payment_methods(
            self.provider.ids, self.patient.id, invoice_id=invoice.id
        )
        self.assertTrue(methods)
        self.assertTrue(all(methods.mapped("support_tokenization")))
        tx = self._start_online_payment(appointment)
        tx.tokenize = True
        tx._handle_notification_data(
            "demo",
            {"reference": tx.reference, "simulated_state": "done", "payment_details": "1111"},
        )
        tx._post_process()
        self.assertEqual(appointment.state, "confirmed")
        self.assertEqual(appointment.card_token_id, tx.token_id)
        self.assertEqual(appointment.card_token_id.payment_details, "1111")

    def _protected(self, treatment=None, days=3):
        appointment = self._booked(treatment or self.treatment_card, days=days)
        appointment._record_card_consent()
        if appointment.deposit_ids:
            self._pay_online(appointment)
        self._save_card(appointment)
        self.assertEqual(appointment.state, "confirmed")
        return appointment

    def test_no_show_fee_charged_once_though_the_job_runs_twice(self):
        appointment = self._protected()
        self._no_show(appointment)
        self.assertEqual(appointment.card_fee_state, "due")
        # charged once the no-show can no longer be undone: not the same day
        self.assertEqual(self._charge_job(appointment.start + timedelta(hours=2)), 0)
        next_day = appointment.card_fee_due + timedelta(minutes=5)
        self.assertEqual(self._charge_job(next_day), 1)
        self.assertEqual(self._charge_job(next_day), 0)
        txs = appointment.card_transaction_ids.filtered(lambda t: t.operation == "offline")
        self.assertEqual(len(txs), 1)
        self.assertEqual(
            (txs.reference, txs.state, txs.amount), (f"{appointment.name}-FEE", "done", 100.0)
        )
        self.assertEqual(appointment.card_fee_state, "paid")
        self.assertEqual(appointment.card_fee_amount, 100.0)
        # the ledger: fee income, and the patient's receivable reconciled
        invoice = appointment.card_fee_invoice_id
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(invoice.clinic_fee_appointment_id, appointment)
        income = invoice.line_ids.filtered(lambda line: line.account_id == self.fee_account)
        self.assertEqual(income.balance, -100.0)
        receivable = invoice.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )
        self.assertTrue(receivable.reconciled)
        self.assertEqual(receivable.matched_credit_ids.credit_move_id.payment_id, txs.payment_id)
        self.assertTrue(self._patient_mails(appointment, "fee received"))

    def test_a_crashed_run_is_charged_again_with_the_same_reference(self):
        """A run that sent the charge and died before committing: the next
        run sends the same reference (the provider's idempotency key)."""
        appointment = self._protected()
        self._no_show(appointment)
        sent = []
        Transaction = type(self.env["payment.transaction"])
        original = Transaction._send_payment_request

        def record(tx):
            sent.append(tx.reference)
            return original(tx)

        at = appointment.card_fee_due + timedelta(minutes=5)
        with patch.object(Transaction, "_send_payment_request", record):
            with self.assertRaises(RuntimeError), self.env.cr.savepoint():
                self._charge_job(at)
                raise RuntimeError("the worker died before committing")
            appointment.invalidate_recordset()
            self.assertEqual(appointment.card_fee_state, "due")
            self._charge_job(at)
        self.assertEqual(sent, [f"{appointment.name}-FEE"] * 2)
        self.assertEqual(appointment.card_fee_state, "paid")

    def test_declined_card_gets_a_payment_link(self):
        appointment = self._protected()
        appointment.card_token_id.demo_simulated_state = "error"
        self._no_show(appointment)
        self._charge_job(appointment.card_fee_due + timedelta(minutes=5))
        self.assertEqual(appointment.card_fee_state, "failed")
        invoice = appointment.card_fee_invoice_id
        self.assertEqual(invoice.state, "draft")
        link = appointment._get_card_fee_payment_link()
        self.assertTrue(link.startswith(f"/payment/pay?amount=100.0&invoice_id={invoice.id}&"))
        mail = self._patient_mails(appointment, "a fee to pay")
        self.assertEqual(len(mail), 1)
        self.assertIn(link.replace("&", "&amp;"), mail.body)
        activity = appointment.activity_ids.filtered(lambda a: a.summary == "Card fee not charged")
        self.assertEqual(len(activity), 1)
        self.assertTrue(activity.user_id.has_group("clinic_prepay.group_clinic_manager"))
        # the patient pays through the link: the fee is paid and reconciled
        tx = self._start_online_payment(appointment, amount=100.0, invoice=invoice)
        self.assertEqual(tx.reference, f"{appointment.name}-FEE-1")
        self._pay_online(appointment, tx=tx)
        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(appointment.card_fee_state, "paid")

    def test_undone_no_show_is_not_charged(self):
        appointment = self._protected()
        self._no_show(appointment)
        with freeze_time(appointment.start + timedelta(hours=2)):
            appointment.with_user(self.front_desk).action_undo_no_show()
        self.assertFalse(appointment.card_fee_state)
        self.assertEqual(self._charge_job(appointment.start + timedelta(days=2)), 0)

    def test_a_no_show_whose_fee_was_asked_is_not_undone(self):
        appointment = self._protected()
        with freeze_time(appointment.start + timedelta(hours=1)):
            appointment.with_user(self.front_desk).action_no_show()
            self.assertTrue(appointment._can_undo_no_show())
            appointment._charge_card_fee()  # asked the same day (by hand)
            self.assertEqual(appointment.card_fee_state, "paid")
            self.assertFalse(appointment._can_undo_no_show())
            with self.assertRaises(UserError):
                appointment.with_user(self.front_desk).action_undo_no_show()

    def test_late_cancellation_charges_the_policy_less_the_deposit_kept(self):
        appointment = self._protected(self.treatment_botox)
        with freeze_time(appointment.start - timedelta(hours=3)):
            # the patient is told before confirming
            preview = appointment._get_cancel_preview()
            self.assertEqual((preview["kept"], preview["card_fee"]), (25.0, 125.0))
            appointment.with_user(self.front_desk).action_cancel_by_patient()
        self.assertEqual(appointment.amount_forfeited, 25.0)
        self.assertEqual(appointment.card_fee_state, "due")
        self._charge_job(appointment.start - timedelta(hours=3))
        # 50 % of 300 is the policy: 25 kept from the deposit, 125 charged
        self.assertEqual(appointment.card_fee_amount, 125.0)
        self.assertEqual(appointment.card_fee_state, "paid")
        fee = appointment.card_fee_invoice_id.line_ids.filtered(
            lambda line: line.account_id == self.fee_account
        )
        self.assertEqual(fee.balance, -125.0)

    def test_no_show_with_full_deposit_kept_charges_nothing(self):
        self.treatment_botox.no_show_forfeit_percent = 100.0
        self.treatment_botox.deposit_type = "full"
        appointment = self._protected(self.treatment_botox)
        self._no_show(appointment)
        self._charge_job(appointment.card_fee_due + timedelta(minutes=5))
        self.assertEqual(appointment.card_fee_state, "none")
        self.assertFalse(
            appointment.card_transaction_ids.filtered(lambda t: t.operation == "offline")
        )
        self.assertFalse(appointment.card_fee_invoice_id)

    def test_card_removed_after_the_no_show_gets_a_payment_link(self):
        appointment = self._protected()
        self._no_show(appointment)
        appointment.card_token_id.active = False
        self._charge_job(appointment.card_fee_due + timedelta(minutes=5))
        self.assertEqual(appointment.card_fee_state, "failed")
        self.assertTrue(appointment._get_card_fee_payment_link())

    def test_without_a_saved_card_no_fee_is_announced_or_charged(self):
        """A deposit paid at the desk, no card saved: the cancellation page
        announces no card charge, and none is asked."""
        appointment = self._booked(self.treatment_botox)
        self._pay_at_desk(appointment)
        with freeze_time(appointment.start - timedelta(hours=3)):
            self.assertEqual(appointment._get_cancel_preview()["card_fee"], 0.0)
            appointment.with_user(self.front_desk).action_cancel_by_patient()
        self.assertFalse(appointment.card_fee_state)

    def test_an_error_after_the_charge_never_charges_again(self):
        """The provider charged, then processing its answer failed: the fee
        stays "pending" for a manager to check; no run charges it again."""
        appointment = self._protected()
        self._no_show(appointment)
        Transaction = type(self.env["payment.transaction"])
        sent = []
        original = Transaction._send_payment_request

        def charge_then_fail(tx):
            sent.append(tx.reference)
            original(tx)
            raise RuntimeError("the answer was lost")

        at = appointment.card_fee_due + timedelta(minutes=5)
        with patch.object(Transaction, "_send_payment_request", charge_then_fail):
            self._charge_job(at)
            self._charge_job(at + timedelta(hours=1))
        self.assertEqual(len(sent), 1)
        self.assertEqual(appointment.card_fee_state, "pending")
        self.assertTrue(
            appointment.activity_ids.filtered(lambda a: a.summary == "Card fee: check the charge")
        )

    def test_a_fee_whose_job_died_during_the_call_is_asked_again_and_collected_once(self):
        """The job committed the fee's transaction, called the provider and
        was killed before the answer: a later run asks again with the same
        transaction (reference, idempotency key), and the fee is paid once."""

        class Killed(BaseException):
            """kill -9, or the cron time limit, during the provider call"""

        appointment = self._protected()
        self._no_show(appointment)
        Transaction = type(self.env["payment.transaction"])
        original = Transaction._send_payment_request
        sent = []

        def killed(tx):
            sent.append(tx.reference)
            raise Killed()

        def answered(tx):
            sent.append(tx.reference)
            return original(tx)

        at = appointment.card_fee_due + timedelta(minutes=5)
        # not assertRaises, which would roll back what the job committed
        with patch.object(Transaction, "_send_payment_request", killed):
            killed_now = False
            try:
                self._charge_job(at)
            except Killed:
                killed_now = True
            self.assertTrue(killed_now, "the job was killed during the call")
        self.assertEqual(
            (appointment.card_fee_state, appointment.card_fee_attempts), ("pending", 1)
        )
        tx = appointment.card_fee_invoice_id.transaction_ids
        self.assertEqual(tx.state, "draft")
        with patch.object(Transaction, "_send_payment_request", answered):
            # a request may still be under way: not asked again so soon
            self.assertEqual(self._charge_job(tx.write_date + timedelta(minutes=5)), 0)
            self.assertEqual(self._charge_job(tx.write_date + timedelta(minutes=11)), 1)
            self.assertEqual(self._charge_job(tx.write_date + timedelta(minutes=30)), 0)
        self.assertEqual(sent, [f"{appointment.name}-FEE"] * 2, "the same reference again")
        self.assertEqual(appointment.card_fee_state, "paid")
        self.assertEqual(appointment.card_fee_invoice_id.transaction_ids, tx, "one transaction")
        self.assertEqual((tx.state, tx.amount), ("done", 100.0))
        self.assertEqual(len(tx.payment_id), 1)
        self.assertEqual(appointment.card_fee_invoice_id.payment_state, "paid")
        self.assertFalse(appointment.activity_ids)

    def test_a_fee_with_a_provider_without_idempotency_is_not_asked_again(self):
        """A provider that gets no idempotency key could charge a request
        sent again twice: the killed fee goes to a manager instead."""

        class Killed(BaseException):
            pass

        appointment = self._protected()
        self._no_show(appointment)
        Transaction = type(self.env["payment.transaction"])
        Provider = type(self.env["payment.provider"])
        sent = []

        def killed(tx):
            sent.append(tx.reference)
            raise Killed()

        with (
            patch.object(Transaction, "_send_payment_request", killed),
            patch.object(Provider, "_clinic_token_request_is_idempotent", lambda provider: False),
        ):
            try:
                self._charge_job(appointment.card_fee_due + timedelta(minutes=5))
            except Killed:
                sent.append("killed")
            tx = appointment.card_fee_invoice_id.transaction_ids
            self.assertEqual(self._charge_job(tx.write_date + timedelta(minutes=11)), 1)
            self.assertEqual(self._charge_job(tx.write_date + timedelta(hours=1)), 0)
        self.assertEqual(sent, [f"{appointment.name}-FEE", "killed"], "sent once")
        self.assertTrue(appointment.card_fee_to_check)
        self.assertEqual(
            appointment.activity_ids.mapped("summary"), ["Card fee: check the charge"]
        )

    def test_a_fee_never_answered_goes_to_a_manager(self):
        """Every request dies before its answer: after three, a manager
        checks the charge and no job asks again."""

        class Killed(BaseException):
            pass

        appointment = self._protected()
        self._no_show(appointment)
        Transaction = type(self.env["payment.transaction"])

        def killed(tx):
            raise Killed()

        def run(at):
            try:
                return self._charge_job(at)
            except Killed:
                return "killed"

        with patch.object(Transaction, "_send_payment_request", killed):
            self.assertEqual(run(appointment.card_fee_due + timedelta(minutes=5)), "killed")
            tx = appointment.card_fee_invoice_id.transaction_ids
            for minutes in (11, 22):
                self.assertEqual(run(tx.write_date + timedelta(minutes=minutes)), "killed")
            self.assertEqual(appointment.card_fee_attempts, 3)
            self.assertEqual(run(tx.write_date + timedelta(minutes=33)), 1, "given to a manager")
            self.assertEqual(run(tx.write_date + timedelta(hours=2)), 0)
        self.assertEqual(appointment.card_fee_attempts, 3)
        self.assertTrue(appointment.card_fee_to_check)
        self.assertEqual(appointment.card_fee_state, "pending")
        self.assertEqual(
            appointment.activity_ids.mapped("summary"), ["Card fee: check the charge"]
        )

    def test_a_failure_before_the_charge_gives_a_payment_link(self):
        """A fee the provider could not be asked for (provider disabled): the
        patient pays through a link, and the job moves on to the next fee."""
        first, second = self._protected(), self._protected(days=4)
        self._no_show(first)
        self._no_show(second)
        # the first card's provider was switched off since
        first.card_token_id.provider_id = self.env["payment.provider"].create(
            {"name": "Disabled card provider", "code": "none", "state": "disabled"}
        )
        self._charge_job(second.card_fee_due + timedelta(minutes=5))
        self.assertEqual(first.card_fee_state, "failed")
        self.assertTrue(first._get_card_fee_payment_link())
        self.assertEqual(second.card_fee_state, "paid")

    def test_only_the_patients_own_card_is_kept(self):
        """A card saved by someone else (paying from their own account) is
        not the patient's consent: the booking keeps waiting for theirs."""
        appointment = self._booked(self.treatment_card)
        appointment._record_card_consent()
        token = self.env["payment.token"].create(
            {
                "provider_id": self.provider.id,
                "payment_method_id": self.payment_method.id,
                "partner_id": self.patient2.id,
                "payment_details": "0000",
                "provider_ref": "someone else",
            }
        )
        appointment._on_card_saved(token)
        self.assertFalse(appointment.card_token_id)
        self.assertEqual(appointment.state, "awaiting_payment")

    def test_the_fee_link_takes_the_fee_and_nothing_else(self):
        appointment = self._protected()
        appointment.card_token_id.demo_simulated_state = "error"
        self._no_show(appointment)
        self._charge_job(appointment.card_fee_due + timedelta(minutes=5))
        invoice = appointment.card_fee_invoice_id
        with self.assertRaises(ValidationError):
            self._start_online_payment(appointment, amount=0.01, invoice=invoice)

    def test_card_fields_move_only_through_the_workflow(self):
        appointment = self._protected()
        token = appointment.card_token_id
        for user in (self.front_desk, self.manager):
            for vals in (
                {"card_token_id": False},
                {"card_fee_state": "paid"},
                {"card_consent_text": "I agreed to nothing"},
                {"card_required": False},
            ):
                with self.assertRaises(AccessError):
                    appointment.with_user(user).write(vals)
        with self.assertRaises(UserError):
            self.env["payment.transaction"].with_user(self.manager).create(
                {
                    "provider_id": self.provider.id,
                    "payment_method_id": self.payment_method.id,
                    "reference": "FORGED",
                    "amount": 1.0,
                    "currency_id": self.currency.id,
                    "partner_id": self.patient.id,
                    "token_id": token.id,
                    "operation": "offline",
                    "clinic_appointment_id": appointment.id,
                }
            )
        with self.assertRaises(UserError):
            self.env["account.move"].with_user(self.manager).create(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.patient.id,
                    "clinic_fee_appointment_id": appointment.id,
                }
            )
        self.assertEqual(appointment.card_token_id, token)
