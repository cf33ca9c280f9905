# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import NOW, ClinicPaymentCommon


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestPatientCredit(ClinicPaymentCommon):
    """A refund kept as the patient's credit, used on the next booking."""

    def _credit_of(self, amount=50.0):
        """A paid booking cancelled by the clinic, its refund kept as credit."""
        appointment = self._appointment(NOW + timedelta(days=3))
        appointment.action_book()
        self._pay_online(appointment)
        appointment.with_user(self.front_desk).action_cancel_by_clinic()
        request = appointment.deposit_ids.refund_request_ids
        request.with_user(self.manager).method = "credit"
        if amount != request.amount:
            request.with_user(self.manager).amount = amount
        if request.state == "draft":
            request.with_user(self.front_desk).action_submit()
        if request.state == "submitted":
            request.with_user(self.manager).action_approve()
        request.with_user(self.manager).action_execute()
        return appointment, request

    def _receivable(self, move):
        return move.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )

    def test_refund_kept_as_credit_in_the_ledger(self):
        appointment, request = self._credit_of()
        self.assertEqual(request.state, "done")
        self.assertFalse(request.payment_id)  # nothing paid out
        credit_note = request.credit_note_id
        self.assertTrue(credit_note.clinic_patient_credit)
        # a customer credit: the deposit liability moved to the receivable
        self.assertEqual(
            credit_note.line_ids.filtered(
                lambda line: line.account_id == self.deposit_account
            ).balance,
            50.0,
        )
        self.assertEqual(self._receivable(credit_note).amount_residual, -50.0)
        self.assertEqual(appointment.deposit_ids.state, "refunded")
        self.assertEqual(self.patient._clinic_credit_amount(), 50.0)
        self.assertEqual(appointment.patient_credit, 50.0)
        self.assertTrue(
            request.message_ids.filtered(lambda m: "kept for your next visit" in (m.subject or ""))
        )

    def test_the_patient_reads_what_happened_to_each_refund(self):
        _appointment, credit = self._credit_of()
        self.assertEqual(
            credit._get_patient_status(),
            "Kept as your credit: $\xa050.00, usable on your next booking.",
        )
        # a refund by transfer: on its way, then refunded on its day
        other = self._appointment(NOW + timedelta(days=4), patient=self.patient2)
        other.action_book()
        self._pay_online(other)
        other.with_user(self.front_desk).action_cancel_by_clinic()
        request = other.deposit_ids.refund_request_ids
        request.with_user(self.manager).method = "manual"
        if request.state == "draft":
            request.with_user(self.front_desk).action_submit()
        self.assertEqual(request._get_patient_status(), "Refund of $\xa050.00 on its way.")
        if request.state == "submitted":
            request.with_user(self.manager).action_approve()
        request.with_user(self.manager).action_execute()
        if request.state == "in_progress":
            request.refund_transaction_id._set_done()
            request.refund_transaction_id._post_process()
        self.assertEqual(request.state, "done")
        self.assertEqual(request._get_patient_status(), "$\xa050.00 refunded on 03/04/2030.")

    def test_only_a_refund_request_makes_a_credit(self):
        """An accountant cannot turn any credit note into money that pays
        deposits, nor a credit back into a plain credit note."""
        accountant = new_test_user(
            self.env,
            login="credit_accountant",
            groups="account.group_account_manager,clinic_prepay.group_clinic_user",
        )
        _appointment, request = self._credit_of()
        credit_note = request.credit_note_id
        with self.assertRaises(UserError):
            credit_note.with_user(accountant).write({"clinic_patient_credit": False})
        other = self.env["account.move"].create(
            {
                "move_type": "out_refund",
                "partner_id": self.patient.id,
                "invoice_line_ids": [Command.create({"name": "Goodwill", "price_unit": 10.0})],
            }
        )
        with self.assertRaises(UserError):
            other.with_user(accountant).write({"clinic_patient_credit": True})
        with self.assertRaises(UserError):
            self.env["account.move"].with_user(accountant).create(
                {
                    "move_type": "out_refund",
                    "partner_id": self.patient.id,
                    "clinic_patient_credit": True,
                }
            )
        self.assertEqual(self.patient._clinic_credit_amount(), 50.0)

    def test_credit_pays_the_next_deposit(self):
        old, request = self._credit_of()
        appointment = self._appointment(NOW + timedelta(days=5))
        appointment.with_user(self.front_desk).action_book()
        deposit = appointment.deposit_ids
        self.assertEqual(appointment.state, "confirmed")
        self.assertEqual((deposit.state, deposit.amount_paid), ("paid", 50.0))
        self.assertEqual(appointment.payment_status, "paid")
        # on the journal items: the credit note's receivable is reconciled
        # with the new deposit invoice's
        credit_line = self._receivable(request.credit_note_id)
        invoice_line = self._receivable(deposit.invoice_id)
        self.assertTrue(credit_line.reconciled)
        self.assertTrue(invoice_line.reconciled)
        self.assertEqual(
            credit_line.matched_debit_ids.debit_move_id
            | credit_line.matched_credit_ids.credit_move_id,
            invoice_line,
        )
        self.assertEqual(self.patient._clinic_credit_amount(), 0.0)
        # the old deposit's money is counted once: refunded there, paid here
        self.assertEqual(old.deposit_ids.amount_refunded, 50.0)
        self.assertEqual(self._deposit_balance(appointment), -50.0)

    def test_credit_history_reads_kept_then_used(self):
        old, request = self._credit_of()
        self.assertEqual(
            self.patient._clinic_credit_history(),
            [
                {
                    "date": request.credit_note_id.date,
                    "description": f"Kept from {old.name}",
                    "amount": 50.0,
                }
            ],
        )
        self.treatment_botox.deposit_fixed = 30.0
        partial_use = self._appointment(NOW + timedelta(days=5))
        partial_use.action_book()
        history = self.patient._clinic_credit_history()
        self.assertEqual(
            [(event["description"], event["amount"]) for event in history],
            [(f"Kept from {old.name}", 50.0), (f"Used on {partial_use.name}", -30.0)],
        )
        self.assertEqual(self.patient._clinic_credit_amount(), 20.0)
        # another patient's history is their own
        self.assertEqual(self.patient2._clinic_credit_history(), [])

    def test_money_from_credit_goes_back_to_credit(self):
        """A booking paid by the credit, cancelled: its refund is credit
        again, not cash."""
        self._credit_of()
        appointment = self._appointment(NOW + timedelta(days=5))
        appointment.action_book()
        self.assertEqual(appointment.deposit_ids.amount_from_credit, 50.0)
        appointment.with_user(self.front_desk).action_cancel_by_clinic()
        self.assertEqual(appointment.deposit_ids.refund_request_ids.method, "credit")

    def test_partial_credit_leaves_the_rest_to_pay(self):
        self._credit_of(amount=20.0)
        appointment = self._appointment(NOW + timedelta(days=5))
        appointment.action_book()
        self.assertEqual(appointment.state, "awaiting_payment")
        self.assertEqual((appointment.amount_paid, appointment.amount_due), (20.0, 30.0))
        self._pay_online(appointment)
        self.assertEqual(appointment.state, "confirmed")
        self.assertEqual(appointment.amount_paid, 50.0)

    def test_credit_pays_the_final_invoice(self):
        self._credit_of()
        appointment = self._appointment(NOW + timedelta(days=5), treatment=self.treatment_consult)
        appointment.action_book()
        self.assertEqual(appointment.state, "confirmed")  # no deposit asked
        with freeze_time(appointment.start + timedelta(hours=1)):
            appointment.action_done()
        invoice = appointment.final_invoice_id
        # 60 for the consultation, 50 paid by the credit
        self.assertEqual(invoice.amount_residual, 10.0)
        self.assertEqual(self.patient._clinic_credit_amount(), 0.0)

    def test_the_clinic_keeps_refunds_as_credit_by_default(self):
        self.company.clinic_refund_as_credit = True
        appointment = self._appointment(NOW + timedelta(days=3))
        appointment.action_book()
        self._pay_online(appointment)
        appointment.action_cancel_by_clinic()
        self.assertEqual(appointment.deposit_ids.refund_request_ids.method, "credit")


@tagged("post_install", "-at_install")
class TestPatientCreditPortal(ClinicPaymentCommon, HttpCase):
    def test_the_patient_sees_the_credit(self):
        user = new_test_user(
            self.env, login="credit_pat", name="Credit Patient", groups="base.group_portal"
        )
        start = NOW.replace(year=2031)
        with freeze_time(start - timedelta(days=5)):
            appointment = self._appointment(start, patient=user.partner_id)
            appointment.action_book()
            self._pay_online(appointment)
            appointment.action_cancel_by_clinic()
            request = appointment.deposit_ids.refund_request_ids
            request.method = "credit"
            if request.state == "draft":
                request.action_submit()
            if request.state == "submitted":
                request.with_user(self.manager).action_approve()
            request.with_user(self.manager).action_execute()
        self.authenticate("credit_pat", "credit_pat")
        page = self.url_open("/my/appointments")
        self.assertIn("Your credit:", page.text)
        self.assertIn("50.00", page.text)
        # the appointment's page says what happened to the money, in words
        detail = self.url_open(f"/my/appointments/{appointment.id}").text
        self.assertIn("Kept as your credit: $\xa050.00, usable on your next booking.", detail)
        self.assertNotIn("Refunded", detail)
