# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The server, not the form, enforces every workflow and amount: each case
acts as the real user (never sudo) the way an insider would over RPC."""

from datetime import timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import NOW, ClinicPaymentCommon

# AccessError and ValidationError are UserErrors: a clear message, no traceback
REFUSED = UserError


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestMoneyIntegrity(ClinicPaymentCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager2 = new_test_user(
            cls.env,
            login="clinic_manager_two",
            name="Nora Manager",
            groups="clinic_prepay.group_clinic_manager",
        )
        cls.portal_user = new_test_user(
            cls.env, login="clinic_portal_mi", name="Paul Portal", groups="base.group_portal"
        )
        cls.accountant = new_test_user(
            cls.env,
            login="clinic_accountant_mi",
            name="Alice Accountant",
            groups="account.group_account_manager",
        )

    def _booked(self, days=3, **kw):
        appointment = self._appointment(NOW + timedelta(days=days), **kw)
        appointment.with_user(self.front_desk).action_book()
        return appointment

    def _paid(self, days=3, online=False, **kw):
        appointment = self._booked(days, **kw)
        if online:
            self._pay_online(appointment)
        else:
            self._pay_at_desk(appointment)
        self.assertEqual(appointment.state, "confirmed")
        return appointment

    def _execute_with_a_slow_provider(self, request):
        """Execute a provider refund that the provider accepts now and
        confirms (or refuses) later."""

        def send_refund_request(tx, amount_to_refund=None):
            return tx._create_child_transaction(amount_to_refund, is_refund=True)

        Tx = self.registry["payment.transaction"]
        with patch.object(Tx, "_send_refund_request", send_refund_request):
            request.with_user(self.manager).action_execute()

    def _refused(self, func, *args, **kwargs):
        with self.assertRaises(REFUSED), self.cr.savepoint():
            func(*args, **kwargs)

    # --- 1. one manager alone pays any amount to anyone ---------------------

    def test_manager_cannot_forge_a_refund(self):
        appointment = self._paid()
        appointment.with_user(self.front_desk).action_cancel_by_clinic()
        deposit = appointment.deposit_ids
        request = deposit.refund_request_ids
        as_manager = request.with_user(self.manager)
        self._refused(deposit.with_user(self.manager).write, {"amount_refundable": 5000.0})
        self._refused(
            self.env["clinic.refund.request"].with_user(self.manager).create,
            {
                "deposit_id": deposit.id,
                "reason": "x",
                "amount": 10.0,
                "requested_by_id": self.manager2.id,
            },
        )
        self._refused(as_manager.write, {"patient_id": self.manager.partner_id.id})
        self._refused(as_manager.write, {"requested_by_id": self.manager2.id})
        self._refused(as_manager.write, {"state": "approved", "approved_by_id": self.manager2.id})
        self._refused(as_manager.write, {"second_approved_by_id": self.manager2.id})
        self._refused(as_manager.write, {"amount_approved": 5000.0})
        # executing without approval
        self._refused(as_manager.action_execute)
        # approved at 40, then raised: back to the approvers, and never above the ledger
        as_manager.write({"amount": 40.0})
        as_manager.action_approve()
        self.assertEqual((request.state, request.amount_approved), ("approved", 40.0))
        self._refused(as_manager.write, {"amount": 450.0})
        as_manager.write({"amount": 45.0})
        self.assertEqual(request.state, "submitted", "an edit after approval needs approval")
        self.assertFalse(request.approved_by_id)
        self.assertEqual(request.requested_by_id, self.front_desk)
        self.assertEqual(request.patient_id, self.patient)
        self.assertEqual(deposit.amount_refundable, 50.0)
        self.assertFalse(request.credit_note_id)

    def test_two_approvals_come_from_two_managers(self):
        self.company.clinic_refund_double_approval_amount = 30.0
        appointment = self._paid()
        appointment.with_user(self.front_desk).action_cancel_by_clinic()
        request = appointment.deposit_ids.refund_request_ids
        self.assertTrue(request.needs_second_approval)
        self._refused(request.with_user(self.manager).write, {"approved_by_id": self.manager2.id})
        request.with_user(self.manager).action_approve()
        self.assertEqual(request.state, "submitted")
        self._refused(request.with_user(self.manager).action_approve)
        request.with_user(self.manager2).action_approve()
        self.assertEqual(request.state, "approved")
        self.assertEqual(request.second_approved_by_id, self.manager2)

    def test_requester_is_whoever_creates_it(self):
        appointment = self._paid()
        appointment.with_user(self.front_desk).action_cancel_by_patient()
        # reject the policy's request to draft a new one by hand
        policy_request = appointment.deposit_ids.refund_request_ids
        policy_request.with_user(self.manager).write({"reject_reason": "redo"})
        policy_request.with_user(self.manager).action_reject()
        request = (
            self.env["clinic.refund.request"]
            .with_user(self.manager)
            .create({"deposit_id": appointment.deposit_ids.id, "reason": "goodwill"})
        )
        self.assertEqual(request.requested_by_id, self.manager)
        request.with_user(self.manager).action_submit()
        self._refused(request.with_user(self.manager).action_approve)

    # --- 2. the front desk sends a patient's refund to itself ---------------

    def test_front_desk_cannot_redirect_a_refund(self):
        appointment = self._paid()
        self._refused(
            appointment.with_user(self.front_desk).write,
            {"patient_id": self.front_desk.partner_id.id},
        )
        appointment.with_user(self.front_desk).action_cancel_by_clinic()
        deposit = appointment.deposit_ids
        request = deposit.refund_request_ids
        request.with_user(self.manager).write({"reject_reason": "redo"})
        request.with_user(self.manager).action_reject()
        draft = (
            self.env["clinic.refund.request"]
            .with_user(self.front_desk)
            .create({"deposit_id": deposit.id, "reason": "call"})
        )
        as_desk = draft.with_user(self.front_desk)
        self._refused(as_desk.write, {"patient_id": self.front_desk.partner_id.id})
        self._refused(as_desk.write, {"state": "approved", "approved_by_id": self.manager.id})
        as_desk.action_submit()
        self._refused(as_desk.write, {"amount": 1.0})
        self._refused(as_desk.action_approve)
        draft.with_user(self.manager).action_approve()
        draft.with_user(self.manager).action_execute()
        # the money went back to who paid, on the deposit account
        self.assertEqual(draft.payment_id.partner_id, self.patient)
        self.assertEqual(draft.credit_note_id.partner_id, self.patient)
        self.assertEqual(draft.payment_id.payment_type, "outbound")
        self.assertEqual(deposit.state, "refunded")

    # --- 3. Odoo's provider refund wizard ------------------------------------

    def test_front_desk_cannot_refund_through_the_provider(self):
        appointment = self._paid(online=True)
        deposit = appointment.deposit_ids
        tx = deposit.transaction_ids
        payment = deposit.payment_ids
        invoice = deposit.invoice_id
        self._refused(tx.with_user(self.front_desk).action_refund, amount_to_refund=50.0)
        # the desk has no access to Odoo's refund wizard; an accountant is refused too
        self._refused(
            self.env["payment.refund.wizard"].with_user(self.front_desk).create,
            {"payment_id": payment.id, "amount_to_refund": 50.0},
        )
        wizard = (
            self.env["payment.refund.wizard"]
            .with_user(self.accountant)
            .create({"payment_id": payment.id, "amount_to_refund": 50.0})
        )
        self._refused(wizard.action_refund)
        self._refused(payment.with_user(self.front_desk).action_draft)
        self._refused(payment.with_user(self.manager).action_cancel)
        self._refused(invoice.with_user(self.front_desk).button_draft)
        self._refused(invoice.with_user(self.front_desk).button_cancel)
        self._refused(invoice.with_user(self.front_desk)._reverse_moves)
        partial = invoice.line_ids.matched_credit_ids
        self._refused(invoice.with_user(self.front_desk).js_remove_outstanding_partial, partial.id)
        self.assertEqual(tx.child_transaction_ids, self.env["payment.transaction"])
        self.assertEqual((deposit.state, deposit.amount_paid), ("paid", 50.0))
        self.assertEqual(invoice.state, "posted")

    # --- 4. event_id of any calendar event -----------------------------------

    def test_front_desk_cannot_take_over_a_calendar_event(self):
        private = self.env["calendar.event"].create(
            {
                "name": "Board meeting",
                "start": NOW + timedelta(days=5),
                "stop": NOW + timedelta(days=5, hours=1),
                "privacy": "private",
                "description": "secret",
            }
        )
        self._refused(
            self.env["clinic.appointment"].with_user(self.front_desk).create,
            {
                "patient_id": self.patient.id,
                "treatment_id": self.treatment_botox.id,
                "practitioner_id": self.practitioner.id,
                "start": NOW + timedelta(days=2),
                "event_id": private.id,
            },
        )
        appointment = self._booked()
        self._refused(appointment.with_user(self.front_desk).write, {"event_id": private.id})
        self.assertEqual(private.name, "Board meeting")
        self.assertNotEqual(appointment.event_id, private)

    # --- 5. workflow and money fields of the appointment ---------------------

    def test_workflow_and_money_fields_are_refused(self):
        appointment = self._booked()
        other = self._paid(days=5, patient=self.patient2)
        other.with_user(self.manager).action_done()
        forged = {
            "state": "confirmed",
            "amount_paid": 50.0,
            "payment_status": "paid",
            "payment_deadline": "2099-01-01 00:00:00",
            "price": 9.0,
            "deposit_required": 0.0,
            "final_invoice_id": other.final_invoice_id.id,
            "cancel_reason": False,
            "deposit_ids": [Command.clear()],
        }
        for user in (self.front_desk, self.practitioner, self.manager):
            for name, value in forged.items():
                with self.subTest(user=user.login, field=name):
                    self._refused(appointment.with_user(user).write, {name: value})
        self._refused(
            self.env["clinic.appointment"].with_user(self.front_desk).create,
            {
                "patient_id": self.patient.id,
                "treatment_id": self.treatment_botox.id,
                "practitioner_id": self.practitioner.id,
                "start": NOW + timedelta(days=8),
                "state": "confirmed",
                "price": 0.0,
                "deposit_required": 0.0,
            },
        )
        self.assertEqual(appointment.state, "awaiting_payment")
        self.assertEqual((appointment.price, appointment.deposit_required), (300.0, 50.0))
        self.assertEqual(appointment.payment_deadline, NOW + timedelta(hours=24))
        # the deposit is nobody's to write, managers included
        self._refused(appointment.deposit_ids.with_user(self.manager).write, {"state": "paid"})
        self.assertEqual(appointment.deposit_ids.state, "pending")

    def test_reschedule_into_the_past_is_refused(self):
        appointment = self._paid()
        self._refused(
            appointment.with_user(self.front_desk).write, {"start": NOW - timedelta(hours=2)}
        )
        appointment.with_user(self.front_desk).write({"start": NOW + timedelta(days=6)})
        self.assertEqual(appointment.event_id.start, NOW + timedelta(days=6))

    # --- 6. the deposit invoice is not editable ------------------------------

    def test_deposit_invoice_cannot_be_edited_and_paid_means_the_deposit(self):
        appointment = self._booked()
        deposit = appointment.deposit_ids
        invoice = deposit.invoice_id
        line = invoice.invoice_line_ids
        self._refused(invoice.with_user(self.front_desk).write, {"ref": "changed"})
        self._refused(line.with_user(self.front_desk).write, {"price_unit": 1.0})
        self._refused(invoice.with_user(self.front_desk).action_post)
        self._refused(invoice.with_user(self.front_desk).unlink)
        self.assertEqual((invoice.state, line.price_unit), ("draft", 50.0))
        # a transfer of 1.00 is money received, not the deposit
        self._pay_by_bank(appointment, 1.0)
        self.assertEqual(
            (deposit.state, deposit.amount_paid, deposit.amount_residual),
            (
                "pending",
                1.0,
                49.0,
            ),
        )
        self.assertEqual(appointment.state, "awaiting_payment")

    # --- 7. desk payment recorded twice -------------------------------------

    def test_desk_payment_twice_posts_nothing_the_second_time(self):
        appointment = self._booked()
        deposit = appointment.deposit_ids
        action = appointment.with_user(self.front_desk).action_register_payment()
        first = (
            self.env[action["res_model"]]
            .with_user(self.front_desk)
            .with_context(**action["context"])
            .create({"journal_id": self.bank_journal.id})
        )
        second = first.copy()
        first.action_confirm()
        payments = deposit.payment_ids
        self._refused(second.action_confirm)
        self._refused(appointment.with_user(self.front_desk).action_register_payment)
        self.assertEqual(deposit.payment_ids, payments)
        self.assertEqual(len(payments), 1)
        self.assertEqual(deposit.amount_paid, 50.0)

    def test_desk_payment_after_the_job_cancelled_posts_nothing(self):
        appointment = self._booked()
        action = appointment.with_user(self.front_desk).action_register_payment()
        wizard = (
            self.env[action["res_model"]]
            .with_user(self.front_desk)
            .with_context(**action["context"])
            .create({"journal_id": self.bank_journal.id})
        )
        with freeze_time(NOW + timedelta(days=2)):
            self.env["clinic.appointment"]._cron_cancel_unpaid()
            self.assertEqual(appointment.state, "cancelled")
            with self.assertRaisesRegex(UserError, "no longer awaits"):
                wizard.action_confirm()
        self.assertFalse(appointment.deposit_ids.payment_ids)
        self.assertEqual(appointment.deposit_ids.invoice_id.state, "cancel")

    def test_odoo_register_payment_on_a_deposit_is_bounded(self):
        appointment = self._booked()
        self._pay_by_bank(appointment, 20.0)
        invoices = appointment.deposit_ids.invoice_ids
        for amount in (0.0, -5.0, 31.0, 1e12):
            for invoice in invoices:
                with self.subTest(amount=amount, invoice=invoice.state):
                    self._refused(self._odoo_register_payment, invoice, amount)
        self.assertEqual(appointment.deposit_ids.amount_paid, 20.0)

    def _odoo_register_payment(self, invoice, amount):
        self.env["account.payment.register"].with_user(self.front_desk).with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"journal_id": self.bank_journal.id, "amount": amount}).action_create_payments()

    # --- 8. late and partial money ------------------------------------------

    def test_online_amount_and_late_links_are_refused(self):
        appointment = self._booked()
        with self.assertRaisesRegex(ValidationError, "is not what"):
            self._start_online_payment(appointment, amount=1.0)
        appointment.with_user(self.front_desk).action_cancel_by_clinic()
        with self.assertRaisesRegex(ValidationError, "no longer awaits"):
            self._start_online_payment(appointment, amount=50.0)
        invoice = appointment.deposit_ids.invoice_id
        self.assertEqual(invoice.state, "cancel")
        self.assertFalse(invoice.line_ids.filtered(lambda line: line.parent_state == "posted"))

    def test_money_after_a_no_show_is_refunded(self):
        appointment = self._booked()
        tx = self._start_online_payment(appointment)
        with freeze_time(appointment.start + timedelta(hours=1)):
            appointment.with_user(self.front_desk).action_no_show()
            deposit = appointment.deposit_ids
            self.assertEqual(deposit.state, "cancelled")
            self._pay_online(appointment, tx=tx)
        self.assertEqual(appointment.state, "no_show", "a late payment re-confirms nothing")
        self.assertEqual((deposit.state, deposit.amount_paid), ("paid", 50.0))
        self.assertEqual(deposit.amount_refundable, 50.0)
        request = deposit.refund_request_ids
        self.assertEqual((request.state, request.amount), ("submitted", 50.0))
        self.assertEqual(appointment.activity_ids.summary, "Refund the deposit")
        receivable = deposit.invoice_id.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )
        self.assertTrue(receivable.reconciled)

    def test_rest_paid_online_after_the_job_cancelled_a_partly_paid_booking(self):
        appointment = self._booked()
        self._pay_by_bank(appointment, 20.0)
        tx = self._start_online_payment(appointment)
        self.assertEqual(tx.amount, 30.0, "the link asks for the rest")
        with freeze_time(NOW + timedelta(days=2)):
            self.env["clinic.appointment"]._cron_cancel_unpaid()
            self._pay_online(appointment, tx=tx)
        deposit = appointment.deposit_ids
        self.assertEqual(appointment.state, "cancelled", "the slot is no longer held")
        self.assertEqual((deposit.amount_paid, deposit.amount_refundable), (50.0, 50.0))
        self.assertEqual(sum(deposit.refund_request_ids.mapped("amount")), 50.0)
        receivables = deposit.invoice_ids.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )
        self.assertTrue(all(receivables.mapped("reconciled")), "reconciled, no debt")
        self.assertEqual(self._deposit_balance(appointment), -50.0)

    def test_payment_in_flight_when_the_clinic_cancels_is_refunded(self):
        appointment = self._booked()
        tx = self._start_online_payment(appointment)
        appointment.with_user(self.front_desk).action_cancel_by_clinic()
        self._pay_online(appointment, tx=tx)
        deposit = appointment.deposit_ids
        self.assertEqual(appointment.state, "cancelled")
        self.assertEqual((deposit.amount_paid, deposit.amount_refundable), (50.0, 50.0))
        self.assertEqual(deposit.invoice_id.amount_residual, 0.0, "nothing billed again")
        self.assertEqual(deposit.refund_request_ids.amount, 50.0)

    def test_payment_after_the_start_of_an_auto_cancelled_visit_refunds(self):
        appointment = self._booked(days=1)
        tx = self._start_online_payment(appointment)
        with freeze_time(appointment.start + timedelta(minutes=10)):
            self.env["clinic.appointment"]._cron_cancel_unpaid()
            self._pay_online(appointment, tx=tx)
        self.assertEqual(appointment.state, "cancelled")
        self.assertEqual(appointment.deposit_ids.amount_refundable, 50.0)
        self.assertTrue(appointment.deposit_ids.refund_request_ids)

    def test_partly_paid_booking_cancelled_by_the_job_is_refunded(self):
        appointment = self._booked()
        self._pay_by_bank(appointment, 20.0)
        with freeze_time(NOW + timedelta(days=2)):
            self.env["clinic.appointment"]._cron_cancel_unpaid()
        deposit = appointment.deposit_ids
        self.assertEqual((appointment.state, appointment.cancel_reason), ("cancelled", "unpaid"))
        self.assertEqual((deposit.state, deposit.amount_refundable), ("paid", 20.0))
        self.assertEqual(deposit.invoice_id.amount_residual, 0.0, "no debt re-opened")
        request = deposit.refund_request_ids
        self.assertEqual((request.state, request.amount), ("submitted", 20.0))
        mail = self._patient_mails(appointment, "was cancelled")
        self.assertIn("will be refunded", mail.body)

    # --- 9. done with an open deposit ----------------------------------------

    def test_done_settles_an_open_deposit_before_billing(self):
        appointment = self._booked()
        self._pay_by_bank(appointment, 20.0)
        appointment.with_user(self.manager).action_confirm()
        with freeze_time(appointment.start + timedelta(hours=1)):
            appointment.with_user(self.front_desk).action_done()
        deposit = appointment.deposit_ids
        self.assertEqual((deposit.state, deposit.amount_applied), ("applied", 20.0))
        self.assertEqual(deposit.invoice_id.amount_residual, 0.0, "the rest is no longer asked")
        final = appointment.final_invoice_id
        self.assertEqual(final.amount_total, 280.0, "300 less the 20 paid, billed once")
        credit_notes = deposit.invoice_id.reversal_move_ids
        self.assertEqual(
            self.currency.round(
                sum(
                    (deposit.invoice_id | final | credit_notes)
                    .line_ids.filtered(lambda line: line.account_id == self.deposit_account)
                    .mapped("balance")
                )
            ),
            0.0,
            "the liability returns to zero",
        )

    def test_done_with_an_unpaid_deposit_bills_the_price_once(self):
        appointment = self._booked()
        appointment.with_user(self.manager).action_confirm()
        with freeze_time(appointment.start + timedelta(hours=1)):
            appointment.with_user(self.front_desk).action_done()
        deposit = appointment.deposit_ids
        self.assertEqual((deposit.state, deposit.invoice_id.state), ("cancelled", "cancel"))
        self.assertEqual(appointment.final_invoice_id.amount_total, 300.0)

    # --- 10. smaller ----------------------------------------------------------

    def test_deposit_above_the_price_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "exceeds the price"):
            self.treatment_botox.deposit_fixed = 500.0

    def test_bad_numbers_get_a_clear_error(self):
        appointment = self._paid()
        appointment.with_user(self.front_desk).action_cancel_by_clinic()
        request = appointment.deposit_ids.refund_request_ids
        for value in (float("nan"), float("inf"), "abc", [1]):
            with self.subTest(value=value), self.assertRaises(ValidationError):
                request.with_user(self.manager).write({"amount": value})
        self.assertEqual(request.amount, 50.0)

    def test_no_show_only_after_the_start(self):
        appointment = self._paid()
        with self.assertRaisesRegex(UserError, "has not started yet"):
            appointment.with_user(self.front_desk).action_no_show()
        self.assertEqual(appointment.state, "confirmed")

    def test_note_is_staff_only(self):
        appointment = self._booked(patient=self.portal_user.partner_id)
        appointment.with_user(self.front_desk).note = "allergic to latex"
        as_patient = appointment.with_user(self.portal_user)
        self.assertEqual(as_patient.name, appointment.name)
        with self.assertRaises(AccessError):
            as_patient.read(["note"])

    def test_delete_guards(self):
        appointment = self._paid()
        self._refused(appointment.with_user(self.manager).unlink)
        appointment.with_user(self.front_desk).action_cancel_by_clinic()
        self._refused(appointment.with_user(self.manager).unlink)
        request = appointment.deposit_ids.refund_request_ids
        self._refused(request.with_user(self.manager).unlink)
        request.with_user(self.manager).action_approve()
        request.with_user(self.manager).action_execute()
        self._refused(request.with_user(self.manager).unlink)
        self.assertTrue(appointment.exists() and request.exists())
        draft = self._appointment(NOW + timedelta(days=9))
        draft.with_user(self.manager).unlink()
        self.assertFalse(draft.exists())

    def test_a_cancelled_booking_with_a_payment_in_flight_is_kept(self):
        appointment = self._booked()
        self._start_online_payment(appointment)
        appointment.with_user(self.front_desk).action_cancel_by_clinic()
        self._refused(appointment.with_user(self.manager).unlink)
        self.assertTrue(appointment.exists())

    def test_drafts_hold_no_time(self):
        self._appointment(NOW + timedelta(days=3))  # abandoned draft
        other = self._booked(patient=self.patient2)
        self.assertEqual(other.state, "awaiting_payment")

    def test_the_clerk_is_not_mailed_the_patients_mails(self):
        appointment = self._appointment(NOW + timedelta(days=3), user=self.front_desk)
        self.assertNotIn(self.front_desk.partner_id, appointment.message_partner_ids)

    def test_ledger_holds_only_money_received(self):
        """The deposit account's balance equals, deposit by deposit, the
        money held; unpaid bookings write nothing."""
        unpaid = self._booked(days=2)
        partly = self._booked(days=3, patient=self.patient2)
        self._pay_by_bank(partly, 20.0)
        paid = self._paid(days=4)
        cancelled_unpaid = self._booked(days=5)
        cancelled_unpaid.with_user(self.front_desk).action_cancel_by_clinic()
        self.assertEqual(self._deposit_balance(unpaid), 0.0)
        self.assertEqual(self._deposit_balance(cancelled_unpaid), 0.0)
        self.assertEqual(self._deposit_balance(paid), -50.0)
        self.assertIn(cancelled_unpaid.deposit_ids.invoice_id.name, (False, "/"))
        self.assertEqual(partly.deposit_ids.amount_paid, 20.0)
        self.assertEqual(self._deposit_balance(partly), -20.0, "a partial payment posts itself")
        self._pay_by_bank(partly, 30.0)
        self.assertEqual(partly.state, "confirmed")
        self.assertEqual(self._deposit_balance(partly), -50.0)
        self.assertEqual(len(partly.deposit_ids.invoice_ids), 2)
        receivables = partly.deposit_ids.invoice_ids.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )
        self.assertTrue(all(receivables.mapped("reconciled")))

    def test_a_second_online_payment_is_refunded(self):
        """Two tabs, two payments: the second is money the booking does not
        hold; it is posted on the deposit account and refunded by request."""
        appointment = self._booked()
        tx1 = self._start_online_payment(appointment)
        tx2 = self._start_online_payment(appointment)
        self._pay_online(appointment, tx=tx1)
        self._pay_online(appointment, tx=tx2)
        deposit = appointment.deposit_ids
        self.assertEqual(appointment.state, "confirmed")
        self.assertEqual((deposit.amount_paid, deposit.amount_refundable), (100.0, 50.0))
        self.assertEqual(self._deposit_balance(appointment), -100.0)
        request = deposit.refund_request_ids
        self.assertEqual((request.state, request.amount), ("submitted", 50.0))
        self.assertEqual(appointment.activity_ids.summary, "Refund the deposit")
        self.assertTrue(tx2.payment_id.move_id.line_ids.filtered("reconciled"))
        # the replayed notification of either changes nothing
        tx2._post_process()
        self.assertEqual(len(deposit.refund_request_ids), 1)
        request.with_user(self.manager).action_approve()
        request.with_user(self.manager).action_execute()
        self.assertEqual(request.state, "done")
        self.assertEqual((deposit.state, deposit.amount_refunded), ("paid", 50.0))
        self.assertEqual(self._deposit_balance(appointment), -50.0, "the deposit stays held")

    def test_provider_refund_stays_in_progress_until_confirmed(self):
        appointment = self._paid(online=True)
        appointment.with_user(self.front_desk).action_cancel_by_clinic()
        request = appointment.deposit_ids.refund_request_ids
        request.with_user(self.manager).action_approve()
        self._execute_with_a_slow_provider(request)
        refund_tx = request.refund_transaction_id
        self.assertEqual((request.state, refund_tx.state), ("in_progress", "draft"))
        self.assertTrue(request.credit_note_id)
        self.assertFalse(request.payment_id)
        deposit = appointment.deposit_ids
        self.assertEqual((deposit.amount_refundable, deposit.amount_refunded), (50.0, 0.0))
        request.with_user(self.manager).action_execute()  # nothing twice
        self.assertEqual(len(refund_tx.source_transaction_id.child_transaction_ids), 1)
        refund_tx._handle_notification_data(
            "demo", {"reference": refund_tx.reference, "simulated_state": "done"}
        )
        refund_tx._post_process()
        self.assertEqual(request.state, "done")
        self.assertEqual(request.payment_id, refund_tx.payment_id)
        self.assertEqual((deposit.state, deposit.amount_refunded), ("refunded", 50.0))
        receivables = (request.credit_note_id | request.payment_id.move_id).line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )
        self.assertTrue(all(receivables.mapped("reconciled")))
        self.assertEqual(self._deposit_balance(appointment), 0.0)

    # --- accounting rights: the desk has none, accountants cannot bypass ----

    def test_the_front_desk_has_no_accounting_rights(self):
        appointment = self._paid(online=True)
        deposit = appointment.deposit_ids
        invoice = deposit.invoice_id
        desk = self.front_desk
        self._refused(deposit.transaction_ids.with_user(desk).write, {"state": "done"})
        self._refused(invoice.with_user(desk).read, ["amount_total"])
        self._refused(deposit.payment_ids.with_user(desk).read, ["amount"])
        self._refused(
            self.env["account.move"].with_user(desk).create,
            {"move_type": "out_refund", "partner_id": self.front_desk.partner_id.id},
        )
        # what the desk needs reads through the clinic's own records
        self.assertEqual(appointment.with_user(desk).payment_count, 1)
        self.assertEqual(deposit.with_user(desk).amount_paid, 50.0)

    def test_accountants_cannot_move_deposit_money_by_hand(self):
        booked = self._booked(days=2)
        tx = self._start_online_payment(booked)
        paid = self._paid(days=4)
        invoice = paid.deposit_ids.invoice_id
        payment = paid.deposit_ids.payment_ids
        request_invoice = booked.deposit_ids.invoice_id
        acc = self.accountant
        self._refused(tx.with_user(acc).write, {"state": "done"})
        self._refused(tx.with_user(acc).write, {"amount": 1.0})
        self._refused(invoice.with_user(acc).write, {"clinic_deposit_id": False})
        self._refused(invoice.with_user(acc).write, {"state": "cancel"})
        self._refused(
            invoice.invoice_line_ids.with_user(acc).write,
            {"account_id": self.fee_account.id},
        )
        self._refused(request_invoice.with_user(acc).write, {"state": "posted"})
        self._refused(payment.with_user(acc).write, {"state": "canceled"})
        self._refused(payment.move_id.with_user(acc).write, {"state": "draft"})
        self._refused(payment.move_id.with_user(acc).button_draft)
        other = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.patient.id,
                "invoice_line_ids": [Command.create({"name": "x", "price_unit": 5.0})],
            }
        )
        other.action_post()
        self._refused(other.with_user(acc).write, {"clinic_deposit_id": paid.deposit_ids.id})
        receivable = invoice.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )
        credit = other.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )
        self._refused(
            self.env["account.partial.reconcile"].with_user(acc).create,
            {
                "debit_move_id": receivable.id,
                "credit_move_id": credit.id,
                "amount": 1000.0,
                "debit_amount_currency": 1000.0,
                "credit_amount_currency": 1000.0,
            },
        )
        partial = receivable.matched_credit_ids
        self.assertTrue(partial, receivable.read(["matched_credit_ids", "matched_debit_ids"]))
        self._refused(partial.with_user(acc).write, {"amount": 1000.0})
        for move in (request_invoice, invoice):
            self._refused(self._register_as, acc, move)
        self.assertEqual((paid.deposit_ids.amount_paid, invoice.state), (50.0, "posted"))
        self.assertNotIn(payment.state, ("draft", "canceled"))

    def _register_as(self, user, move):
        self.env["account.payment.register"].with_user(user).with_context(
            active_model="account.move", active_ids=move.ids
        ).create({"journal_id": self.bank_journal.id}).action_create_payments()

    def test_a_refund_in_progress_is_not_paid_twice(self):
        appointment = self._paid(online=True)
        appointment.with_user(self.front_desk).action_cancel_by_clinic()
        request = appointment.deposit_ids.refund_request_ids
        request.with_user(self.manager).action_approve()
        self._execute_with_a_slow_provider(request)
        credit_note = request.credit_note_id
        self.assertEqual(credit_note.clinic_deposit_id, appointment.deposit_ids)
        wizard = (
            self.env["account.payment.register"]
            .with_user(self.accountant)
            .with_context(active_model="account.move", active_ids=credit_note.ids)
            .create({"journal_id": self.bank_journal.id})
        )
        self._refused(wizard.action_create_payments)
        self.assertFalse(credit_note.line_ids.filtered("reconciled"))

    def test_a_refused_provider_refund_comes_back(self):
        appointment = self._paid(online=True)
        appointment.with_user(self.front_desk).action_cancel_by_clinic()
        request = appointment.deposit_ids.refund_request_ids
        request.with_user(self.manager).action_approve()
        self._execute_with_a_slow_provider(request)
        credit_note = request.credit_note_id
        request.refund_transaction_id._set_error("Card expired")
        self.assertEqual(request.state, "approved")
        self.assertEqual(credit_note.state, "cancel")
        self.assertFalse(request.credit_note_id)
        deposit = appointment.deposit_ids
        self.assertEqual(self._deposit_balance(appointment), -50.0, "the money is still held")
        self.assertEqual(deposit.amount_refundable, 50.0)
        # executed again, by transfer this time
        request.with_user(self.manager).write({"method": "manual"})
        request.with_user(self.manager2).action_approve()
        request.with_user(self.manager2).action_execute()
        self.assertEqual(request.state, "done")
        self.assertEqual(self._deposit_balance(appointment), 0.0)

    def test_a_bank_line_gets_its_reference_later(self):
        appointment = self._booked()
        st_line = self._pay_by_bank(appointment, 50.0, ref="no reference at all")
        self.assertFalse(st_line.is_reconciled)
        self.assertEqual(appointment.state, "awaiting_payment")
        st_line.payment_ref = f"Transfer {appointment.deposit_ids.name}"
        self.assertTrue(st_line.is_reconciled)
        self.assertEqual(appointment.state, "confirmed")

    def test_only_the_requester_submits_a_draft(self):
        appointment = self._paid()
        appointment.with_user(self.front_desk).action_cancel_by_patient()
        policy_request = appointment.deposit_ids.refund_request_ids
        policy_request.with_user(self.manager).write({"reject_reason": "redo"})
        policy_request.with_user(self.manager).action_reject()
        draft = (
            self.env["clinic.refund.request"]
            .with_user(self.front_desk)
            .create({"deposit_id": appointment.deposit_ids.id, "reason": "call"})
        )
        self._refused(draft.with_user(self.practitioner).action_submit)
        self.assertEqual(draft.state, "draft")

    def test_a_cancelled_booking_is_not_confirmed_by_hand(self):
        appointment = self._paid()
        appointment.with_user(self.front_desk).action_cancel_by_clinic()
        self._refused(appointment.with_user(self.manager).action_confirm)
        self.assertEqual(appointment.state, "cancelled")

    def test_the_desk_cannot_date_a_payment_or_choose_any_journal(self):
        appointment = self._booked()
        action = appointment.with_user(self.front_desk).action_register_payment()
        Wizard = self.env[action["res_model"]].with_user(self.front_desk)
        sale_journal = self.env["account.journal"].search(
            [("company_id", "=", self.company.id), ("type", "=", "sale")], limit=1
        )
        wizard = Wizard.with_context(**action["context"]).create({"journal_id": sale_journal.id})
        self._refused(wizard.action_confirm)
        wizard = Wizard.with_context(**action["context"]).create(
            {"journal_id": self.bank_journal.id, "payment_date": "2001-01-01"}
        )
        wizard.action_confirm()
        self.assertEqual(appointment.deposit_ids.payment_ids.date, NOW.date())

    def test_the_accountant_matches_a_deposit_payment_with_the_bank(self):
        appointment = self._paid()
        payment = appointment.deposit_ids.payment_ids
        outstanding = payment.move_id.line_ids.filtered(
            lambda line: line.account_id.account_type != "asset_receivable"
        )
        entry = self.env["account.move"].create(
            {
                "journal_id": self.bank_journal.id,
                "line_ids": [
                    Command.create(
                        {
                            "account_id": self.bank_journal.default_account_id.id,
                            "debit": 50.0,
                        }
                    ),
                    Command.create({"account_id": outstanding.account_id.id, "credit": 50.0}),
                ],
            }
        )
        entry.action_post()
        counterpart = entry.line_ids.filtered(
            lambda line: line.account_id == outstanding.account_id
        )
        accountant = self.accountant
        (outstanding | counterpart).with_user(accountant).reconcile()
        self.assertTrue(outstanding.reconciled)
        self.assertEqual(appointment.deposit_ids.amount_paid, 50.0)

    def test_a_refund_beyond_what_the_card_paid_goes_by_transfer(self):
        appointment = self._booked()
        self._pay_by_bank(appointment, 20.0)
        tx = self._pay_online(appointment)
        self.assertEqual((tx.amount, appointment.state), (30.0, "confirmed"))
        appointment.with_user(self.front_desk).action_cancel_by_clinic()
        request = appointment.deposit_ids.refund_request_ids
        self.assertEqual((request.amount, request.method), (50.0, "provider"))
        request.with_user(self.manager).action_approve()
        request.with_user(self.manager).action_execute()
        self.assertEqual(request.state, "done")
        self.assertFalse(request.refund_transaction_id, "the card paid only 30")
        self.assertFalse(tx.child_transaction_ids)
        self.assertEqual(
            (request.payment_id.amount, request.payment_id.payment_type), (50.0, "outbound")
        )
        self.assertEqual(self._deposit_balance(appointment), 0.0)
