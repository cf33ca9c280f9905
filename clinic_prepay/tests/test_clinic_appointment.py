# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from .common import NOW, ClinicPaymentCommon


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestClinicAppointment(ClinicPaymentCommon):
    # --- booking ---------------------------------------------------------

    def test_book_without_deposit_confirms_at_once(self):
        appointment = self._appointment(
            NOW + timedelta(days=1), treatment=self.treatment_consult, user=self.front_desk
        )
        self.assertEqual(appointment.state, "draft")
        self.assertRegex(appointment.name, r"^APT/2030/\d{5}$")
        self.assertEqual(appointment.stop, appointment.start + timedelta(minutes=30))
        appointment.with_user(self.front_desk).action_book()
        self.assertEqual(appointment.state, "confirmed")
        self.assertFalse(appointment.deposit_ids)
        self.assertEqual(appointment.payment_status, "none")
        # a real calendar event in the practitioner's calendar
        event = appointment.event_id
        self.assertTrue(event.active)
        self.assertEqual(event.user_id, self.practitioner)
        self.assertEqual((event.start, event.stop), (appointment.start, appointment.stop))
        self.assertIn(self.patient, event.partner_ids)
        self.assertEqual((event.res_model, event.res_id), ("clinic.appointment", appointment.id))
        # the patient is told
        message = self._patient_mails(appointment, "is confirmed")
        self.assertEqual(message.partner_ids, self.patient)

    def test_front_desk_books_in_a_few_clicks(self):
        with Form(self.env["clinic.appointment"].with_user(self.front_desk)) as form:
            form.patient_id = self.patient
            form.treatment_id = self.treatment_botox
            form.practitioner_id = self.practitioner
            form.start = NOW + timedelta(days=2)
            self.assertEqual(form.deposit_required, 50.0)
            self.assertEqual(form.price, 300.0)
        appointment = form.record
        appointment.with_user(self.front_desk).action_book()
        self.assertEqual(appointment.state, "awaiting_payment")
        self.assertEqual(appointment.source, "phone")

    def test_book_with_deposit_asks_without_touching_the_ledger(self):
        appointment = self._appointment(NOW + timedelta(days=3))
        appointment.with_user(self.front_desk).action_book()
        self.assertEqual(appointment.state, "awaiting_payment")
        deposit = appointment.deposit_ids
        self.assertEqual((deposit.state, deposit.amount), ("pending", 50.0))
        self.assertRegex(deposit.name, r"^DEP/2030/\d{5}$")
        invoice = deposit.invoice_id
        # a payment request: a draft, no number, nothing in the ledger
        self.assertEqual(invoice.state, "draft")
        self.assertIn(invoice.name, (False, "/"))
        self.assertEqual(invoice.partner_id, self.patient)
        self.assertEqual(invoice.amount_total, 50.0)
        self.assertEqual(invoice.invoice_origin, appointment.name)
        self.assertFalse(
            self.env["account.move"].search_count(
                [("invoice_origin", "=", appointment.name), ("state", "=", "posted")]
            )
        )
        # paid: posted as a customer advance, credit on the deposit liability
        self._pay_at_desk(appointment)
        self.assertEqual(invoice.state, "posted")
        self.assertRegex(invoice.name, r"^INV/2030/\d+$")
        deposit_line = invoice.line_ids.filtered(lambda line: line.display_type == "product")
        self.assertEqual(deposit_line.account_id, self.deposit_account)
        self.assertEqual(deposit_line.account_id.account_type, "liability_current")
        self.assertEqual(deposit_line.credit, 50.0)
        receivable = invoice.line_ids.filtered(lambda line: line.display_type == "payment_term")
        self.assertEqual((receivable.debit, receivable.amount_residual), (50.0, 0.0))
        appointment = self._appointment(NOW + timedelta(days=4))
        appointment.with_user(self.front_desk).action_book()
        self.assertEqual(appointment.amount_due, 50.0)
        self.assertEqual(appointment.payment_status, "unpaid")
        # deadline: 24 hours after booking, well before the start
        self.assertEqual(appointment.payment_deadline, NOW + timedelta(hours=24))

    def test_payment_deadline_never_after_start_minus_hours(self):
        # booked for 10 hours from now: due 2 hours before, not 24 hours after booking
        soon = self._appointment(NOW + timedelta(hours=10))
        soon.action_book()
        self.assertEqual(soon.payment_deadline, NOW + timedelta(hours=8))
        # booked for 1 hour from now: the deadline would be past, so due at the start
        now_ish = self._appointment(NOW + timedelta(hours=1), practitioner=self.practitioner2)
        now_ish.action_book()
        self.assertEqual(now_ish.payment_deadline, now_ish.start)

    def test_book_in_the_past_is_refused_and_nothing_written(self):
        appointment = self._appointment(NOW - timedelta(hours=1))
        with self.assertRaisesRegex(UserError, "starts in the past"):
            appointment.action_book()
        self.assertEqual(appointment.state, "draft")
        self.assertFalse(appointment.deposit_ids)
        self.assertFalse(
            self.env["account.move"].search([("invoice_origin", "=", appointment.name)])
        )

    def test_book_twice_is_refused(self):
        appointment = self._appointment(NOW + timedelta(days=1))
        appointment.action_book()
        with self.assertRaisesRegex(UserError, "already booked"):
            appointment.action_book()
        self.assertEqual(len(appointment.deposit_ids), 1)

    def test_negative_amounts_refused(self):
        with self.assertRaises(ValidationError), self.cr.savepoint():
            appointment = self._appointment(NOW + timedelta(days=1))
            appointment.deposit_required = -5.0
        self.assertFalse(self.env["clinic.appointment"].search([("deposit_required", "<", 0)]))

    # --- paying ----------------------------------------------------------

    def test_pay_at_desk_confirms_and_reconciles(self):
        appointment = self._appointment(NOW + timedelta(days=3))
        appointment.action_book()
        self._pay_at_desk(appointment)
        deposit = appointment.deposit_ids
        self.assertEqual(appointment.state, "confirmed")
        self.assertEqual(deposit.state, "paid")
        self.assertEqual((deposit.amount_paid, deposit.amount_residual), (50.0, 0.0))
        self.assertEqual(appointment.payment_status, "paid")
        self.assertEqual(len(deposit.payment_ids), 1)
        self.assertEqual(appointment.payment_count, 1)
        receivable = deposit.invoice_id.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )
        self.assertTrue(receivable.reconciled)
        self.assertEqual(receivable.amount_residual, 0.0)
        self.assertTrue(self._patient_mails(appointment, "is confirmed"))

    def test_partial_payment_keeps_waiting_with_residual(self):
        appointment = self._appointment(NOW + timedelta(days=3))
        appointment.action_book()
        self._pay_by_bank(appointment, 20.0)
        deposit = appointment.deposit_ids
        self.assertEqual(appointment.state, "awaiting_payment")
        self.assertEqual(deposit.state, "pending")
        self.assertEqual((deposit.amount_paid, deposit.amount_residual), (20.0, 30.0))
        self.assertEqual((appointment.amount_paid, appointment.amount_due), (20.0, 30.0))
        self.assertEqual(appointment.payment_status, "partial")
        self._pay_by_bank(appointment, 30.0)
        self.assertEqual(appointment.state, "confirmed")
        self.assertEqual(appointment.payment_status, "paid")

    def test_pay_online_through_the_provider(self):
        appointment = self._appointment(NOW + timedelta(days=3))
        appointment.action_book()
        tx = self._pay_online(appointment)
        self.assertEqual(tx.state, "done")
        self.assertTrue(tx.payment_id, "Odoo's post-processing created the payment")
        self.assertEqual(appointment.state, "confirmed")
        self.assertEqual(appointment.deposit_ids.state, "paid")
        self.assertEqual(appointment.deposit_ids.transaction_ids, tx)
        self.assertEqual(appointment.deposit_ids.payment_ids, tx.payment_id)
        self.assertIn(appointment.deposit_ids.invoice_id.payment_state, ("paid", "in_payment"))

    def test_failed_online_payment_changes_nothing(self):
        appointment = self._appointment(NOW + timedelta(days=3))
        appointment.action_book()
        tx = self._pay_online(appointment, state="cancel")
        self.assertEqual(tx.state, "cancel")
        self.assertEqual(appointment.state, "awaiting_payment")
        self.assertEqual(appointment.deposit_ids.state, "pending")

    def test_send_payment_link(self):
        appointment = self._appointment(NOW + timedelta(days=3))
        with self.assertRaisesRegex(UserError, "awaiting payment"):
            appointment.action_send_payment_link()
        appointment.action_book()
        action = appointment.with_user(self.front_desk).action_send_payment_link()
        composer = Form(
            self.env[action["res_model"]]
            .with_user(self.front_desk)
            .with_context(**action["context"])
        )
        self.assertIn(appointment.name, composer.subject)
        self.assertIn(f"/my/appointments/{appointment.id}?access_token=", composer.body)
        self.assertIn("50.00", composer.body)
        composer.save().action_send_mail()
        self.assertTrue(appointment.access_token)
        sent = self._patient_mails(appointment, "deposit to pay")
        self.assertEqual(sent.partner_ids, self.patient)
        # the patient pays from the appointment's page (see the portal tests)
        self.assertEqual(appointment._get_payment_url(), appointment.get_portal_url())

    # --- visit outcomes -----------------------------------------------------

    def test_done_invoices_the_treatment_and_deducts_the_deposit(self):
        appointment = self._appointment(NOW + timedelta(days=3))
        appointment.action_book()
        self._pay_at_desk(appointment)
        appointment.with_user(self.front_desk).action_done()
        self.assertEqual(appointment.state, "done")
        deposit = appointment.deposit_ids
        self.assertEqual((deposit.state, deposit.amount_applied), ("applied", 50.0))
        invoice = appointment.final_invoice_id
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.amount_total, 250.0)
        revenue = invoice.line_ids.filtered(lambda line: line.product_id == self.product_botox)
        self.assertEqual(revenue.credit, 300.0)
        self.assertEqual(revenue.account_id.account_type, "income")
        deduction = invoice.line_ids.filtered(lambda line: line.account_id == self.deposit_account)
        self.assertEqual(deduction.debit, 50.0)
        self.assertEqual(self._deposit_balance(appointment), 0.0)
        self.assertEqual(appointment.invoice_count, 2)

    def test_no_show_forfeits_by_policy(self):
        appointment = self._appointment(NOW + timedelta(days=3))
        appointment.action_book()
        self._pay_at_desk(appointment)
        with freeze_time(appointment.start + timedelta(hours=1)):
            appointment.with_user(self.front_desk).action_no_show()
        self.assertEqual(appointment.state, "no_show")
        deposit = appointment.deposit_ids
        self.assertEqual(deposit.state, "forfeited")
        self.assertEqual((deposit.amount_forfeited, deposit.amount_refundable), (50.0, 0.0))
        move = deposit.forfeit_move_id
        self.assertEqual(move.state, "posted")
        self.assertEqual(
            move.line_ids.filtered(lambda line: line.account_id == self.deposit_account).debit,
            50.0,
        )
        self.assertEqual(
            move.line_ids.filtered(lambda line: line.account_id == self.fee_account).credit, 50.0
        )
        self.assertEqual(self._deposit_balance(appointment), 0.0)
        self.assertTrue(appointment.event_id.active, "the visit stays in the calendar history")

    def test_partial_no_show_policy(self):
        self.treatment_botox.no_show_forfeit_percent = 40.0
        appointment = self._appointment(NOW + timedelta(days=3))
        appointment.action_book()
        self._pay_at_desk(appointment)
        with freeze_time(appointment.start + timedelta(hours=1)):
            appointment.action_no_show()
        self.assertEqual(appointment.amount_forfeited, 20.0)
        self.assertEqual(appointment.amount_refundable, 30.0)
        # what stays on the deposit account is what is owed back to the patient
        self.assertEqual(self._deposit_balance(appointment), -30.0)

    def test_no_show_without_payment_cancels_the_invoice(self):
        appointment = self._appointment(NOW + timedelta(days=3))
        appointment.action_book()
        with freeze_time(appointment.start + timedelta(hours=1)):
            appointment.action_no_show()
        deposit = appointment.deposit_ids
        self.assertEqual(deposit.state, "cancelled")
        self.assertEqual(deposit.invoice_id.state, "cancel")
        self.assertFalse(deposit.forfeit_move_id)

    def test_patient_cancels_inside_free_window(self):
        appointment = self._appointment(NOW + timedelta(days=3))
        appointment.action_book()
        self._pay_at_desk(appointment)
        appointment.with_user(self.front_desk).action_cancel_by_patient()
        self.assertEqual((appointment.state, appointment.cancel_reason), ("cancelled", "patient"))
        self.assertEqual(appointment.cancel_date, NOW)
        deposit = appointment.deposit_ids
        self.assertEqual(deposit.state, "paid")
        self.assertEqual((deposit.amount_forfeited, deposit.amount_refundable), (0.0, 50.0))
        self.assertFalse(appointment.event_id.active, "the slot is free again")
        self.assertTrue(self._patient_mails(appointment, "is cancelled"))

    def test_patient_cancels_late(self):
        appointment = self._appointment(NOW + timedelta(hours=20))
        appointment.action_book()
        self._pay_at_desk(appointment)
        appointment.action_cancel_by_patient()
        self.assertEqual((appointment.state, appointment.cancel_reason), ("cancelled", "late"))
        self.assertEqual(appointment.amount_forfeited, 25.0)
        self.assertEqual(appointment.amount_refundable, 25.0)
        self.assertEqual(appointment.deposit_ids.state, "forfeited")
        self.assertEqual(self._deposit_balance(appointment), -25.0)

    def test_patient_cancels_unpaid_booking(self):
        appointment = self._appointment(NOW + timedelta(hours=20))
        appointment.action_book()
        appointment.action_cancel_by_patient()
        self.assertEqual(appointment.cancel_reason, "patient", "nothing paid, nothing late")
        self.assertEqual(appointment.deposit_ids.state, "cancelled")
        self.assertEqual(appointment.deposit_ids.invoice_id.state, "cancel")

    def test_cancel_partly_paid_keeps_only_the_money_in_the_ledger(self):
        appointment = self._appointment(NOW + timedelta(days=3))
        appointment.action_book()
        self._pay_by_bank(appointment, 20.0)
        deposit = appointment.deposit_ids
        paid_invoice = deposit.invoice_ids.filtered(lambda inv: inv.state == "posted")
        request = deposit.invoice_ids.filtered(lambda inv: inv.state == "draft")
        # an invoice of the 20.00 received; the rest is still only asked
        self.assertEqual((paid_invoice.amount_total, paid_invoice.amount_residual), (20.0, 0.0))
        self.assertEqual(request.amount_total, 30.0)
        self.assertEqual(self._deposit_balance(appointment), -20.0)
        appointment.action_cancel_by_clinic()
        self.assertEqual(request.state, "cancel")
        self.assertFalse(paid_invoice.reversal_move_ids, "no debt to reverse")
        self.assertEqual((deposit.state, deposit.amount_paid), ("paid", 20.0))
        self.assertEqual(deposit.amount_refundable, 20.0)
        self.assertEqual(self._deposit_balance(appointment), -20.0, "what is owed back")

    def test_clinic_cancels(self):
        appointment = self._appointment(NOW + timedelta(hours=5))
        appointment.action_book()
        self._pay_at_desk(appointment)
        # five hours before, past the free window: the clinic says why
        action = appointment.with_user(self.front_desk).action_cancel_by_clinic()
        self.assertEqual(appointment.state, "confirmed")
        self.env[action["res_model"]].with_user(self.front_desk).with_context(
            **action["context"]
        ).create({"note": "Power cut"}).action_confirm()
        self.assertEqual(
            (appointment.cancel_reason, appointment.cancel_note), ("clinic", "Power cut")
        )
        self.assertEqual(appointment.amount_refundable, 50.0)
        self.assertEqual(appointment.amount_forfeited, 0.0)

    def test_manager_confirms_without_payment(self):
        appointment = self._appointment(NOW + timedelta(days=3))
        appointment.action_book()
        with self.assertRaises(AccessError):
            appointment.with_user(self.front_desk).action_confirm()
        self.assertEqual(appointment.state, "awaiting_payment")
        appointment.with_user(self.manager).action_confirm()
        self.assertEqual(appointment.state, "confirmed")

    def test_illegal_transitions_are_refused(self):
        appointment = self._appointment(NOW + timedelta(days=3))
        with self.assertRaisesRegex(UserError, "cannot become Done from Draft"):
            appointment.action_done()
        with self.assertRaisesRegex(UserError, "cannot become No-show from Draft"):
            appointment.action_no_show()
        appointment.action_cancel_by_clinic()
        for action in ("action_done", "action_no_show", "action_cancel_by_patient"):
            with self.subTest(action=action), self.assertRaises(UserError):
                getattr(appointment, action)()
        self.assertEqual(appointment.state, "cancelled")

    def test_done_or_cancelled_cannot_be_rescheduled(self):
        appointment = self._appointment(NOW + timedelta(days=3))
        appointment.action_cancel_by_clinic()
        with self.assertRaisesRegex(UserError, "cannot be rescheduled"):
            appointment.start = NOW + timedelta(days=4)

    def test_reschedule_moves_the_calendar_event(self):
        appointment = self._appointment(NOW + timedelta(days=3))
        appointment.action_book()
        appointment.start = NOW + timedelta(days=5)
        self.assertEqual(appointment.event_id.start, NOW + timedelta(days=5))
        self.assertEqual(appointment.event_id.stop, NOW + timedelta(days=5, minutes=45))

    def test_a_move_tells_the_patient_and_the_deadline_follows(self):
        appointment = self._appointment(NOW + timedelta(days=10), user=self.front_desk)
        appointment.action_book()
        deadline = appointment.payment_deadline
        # later: the deadline does not grow
        appointment.with_user(self.front_desk).start = NOW + timedelta(days=12)
        self.assertEqual(appointment.payment_deadline, deadline)
        self.assertEqual(len(self._patient_mails(appointment, "has moved")), 1)
        # sooner than the deadline allows: due before the treatment's hours
        appointment.with_user(self.front_desk).start = NOW + timedelta(hours=30)
        before = timedelta(hours=self.treatment_botox.payment_before_hours)
        self.assertEqual(
            appointment.payment_deadline, min(deadline, NOW + timedelta(hours=30) - before)
        )
        moved = self._patient_mails(appointment, "has moved")
        self.assertEqual(len(moved), 2)
        self.assertEqual(moved.partner_ids, self.patient, "the patient only")
        # a note is no move
        appointment.with_user(self.front_desk).note = "Allergic to latex"
        self.assertEqual(len(self._patient_mails(appointment, "has moved")), 2)
        # two moves before the job runs: one mail, with the last time
        appointment.with_user(self.front_desk).start = NOW + timedelta(days=13)
        appointment.with_user(self.front_desk).start = NOW + timedelta(days=14)
        self.assertEqual(len(self._patient_mails(appointment, "has moved")), 3)

    def test_calendar_window_reads_are_bounded_on_start(self):
        # an appointment across midnight belongs to both days
        late = self._appointment(NOW + timedelta(days=2, hours=15, minutes=30))
        late.action_book()
        day = NOW + timedelta(days=3, hours=-8)
        window = [("start", "<=", day + timedelta(days=1)), ("stop", ">=", day)]
        Appointment = self.env["clinic.appointment"]
        bounded = Appointment._bound_on_start(window)
        self.assertIn(("start", ">=", day - timedelta(days=1)), bounded)
        self.assertIn(late, Appointment.search(window))
        self.assertIn(late, Appointment.search(["|", ("id", "=", 0), "&", *window]))
        # not inside an alternative: nothing is added there
        alternative = ["|", ("stop", ">=", day), ("state", "=", "draft")]
        self.assertEqual(Appointment._bound_on_start(alternative), alternative)
        # and no appointment lasts more than a day: the database says so
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.cr.savepoint():
            self.treatment_botox.duration = 25
            self.env.flush_all()

    def test_double_booking_refused_with_a_clear_message(self):
        first = self._appointment(NOW + timedelta(days=1))
        first.action_book()
        # a draft holds nothing; booking it checks the slot
        second = self._appointment(NOW + timedelta(days=1, minutes=30))
        with self.assertRaisesRegex(ValidationError, "is already booked"), self.cr.savepoint():
            second.action_book()
        self.assertEqual(second.state, "draft")
        # back to back is fine, and another practitioner is fine
        self._appointment(first.stop).action_book()
        self._appointment(first.start, practitioner=self.practitioner2).action_book()
        # a cancelled booking frees the slot at once
        first.action_cancel_by_clinic()
        self._appointment(first.start)

    def test_the_desk_hears_of_a_taken_time_before_anything_is_written(self):
        first = self._appointment(NOW + timedelta(days=1))
        first.action_book()
        Appointment = self.env["clinic.appointment"].with_user(self.front_desk)
        # picking the time in the form warns at once
        form = Appointment.new(
            {
                "patient_id": self.patient2.id,
                "treatment_id": self.treatment_botox.id,
                "practitioner_id": self.practitioner.id,
                "start": first.start + timedelta(minutes=15),
            }
        )
        warning = form._onchange_working_hours()["warning"]
        self.assertEqual(warning["title"], "Time taken")
        self.assertIn(f"is already booked from {first._format_start()}", warning["message"])
        # saving it (the form saves before it books) is refused: no draft left
        before = Appointment.search_count([])
        with self.assertRaisesRegex(ValidationError, "is already booked"), self.cr.savepoint():
            self._appointment(
                first.start + timedelta(minutes=15), patient=self.patient2, user=self.front_desk
            )
        self.assertEqual(Appointment.search_count([]), before)
        # a free time warns of nothing and saves
        free = first.stop + timedelta(hours=1)
        form.start = free
        self.assertFalse(form._onchange_working_hours())
        self._appointment(free, patient=self.patient2, user=self.front_desk).action_book()

    def test_patient_smart_button(self):
        appointment = self._appointment(NOW + timedelta(days=3))
        appointment.action_book()
        self._pay_at_desk(appointment)
        self.assertEqual(self.patient.clinic_appointment_count, 1)
        self.assertEqual(self.patient.clinic_amount_paid, 50.0)
        action = self.patient.with_user(self.front_desk).action_view_clinic_appointments()
        self.assertEqual(self.env["clinic.appointment"].search(action["domain"]), appointment)

    def test_overdue_filter(self):
        appointment = self._appointment(NOW + timedelta(days=3))
        appointment.action_book()
        Appointment = self.env["clinic.appointment"]
        self.assertNotIn(appointment, Appointment.search([("is_overdue", "=", True)]))
        with freeze_time(NOW + timedelta(hours=25)):
            self.assertTrue(appointment.is_overdue)
            self.assertIn(appointment, Appointment.search([("is_overdue", "=", True)]))
            self.assertNotIn(appointment, Appointment.search([("is_overdue", "=", False)]))


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestBankStatementMatching(ClinicPaymentCommon):
    def _bank_line(self, label, amount):
        return self.env["account.bank.statement.line"].create(
            {
                "journal_id": self.bank_journal.id,
                "date": NOW.date(),
                "payment_ref": label,
                "amount": amount,
            }
        )

    def test_bank_line_quoting_the_deposit_confirms(self):
        appointment = self._appointment(NOW + timedelta(days=3))
        appointment.action_book()
        deposit = appointment.deposit_ids
        st_line = self._bank_line(f"Transfer Patricia {deposit.name.lower()} thanks", 50.0)
        self.assertTrue(st_line.is_reconciled)
        self.assertEqual(appointment.state, "confirmed")
        self.assertEqual((deposit.state, deposit.amount_paid), ("paid", 50.0))
        receivable = deposit.invoice_id.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )
        self.assertTrue(receivable.reconciled)
        self.assertEqual(st_line.partner_id, self.patient)

    def test_bank_line_quoting_the_appointment_pays_partly(self):
        appointment = self._appointment(NOW + timedelta(days=3))
        appointment.action_book()
        st_line = self._bank_line(f"{appointment.name}", 20.0)
        self.assertTrue(st_line.is_reconciled)
        self.assertEqual(appointment.state, "awaiting_payment")
        self.assertEqual((appointment.amount_paid, appointment.amount_due), (20.0, 30.0))

    def test_bank_line_paying_too_much_keeps_the_rest_in_suspense(self):
        appointment = self._appointment(NOW + timedelta(days=3))
        appointment.action_book()
        deposit = appointment.deposit_ids
        st_line = self._bank_line(f"payment {deposit.name}", 80.0)
        self.assertEqual(appointment.state, "confirmed")
        _liquidity, suspense, _other = st_line._seek_for_lines()
        self.assertEqual(suspense.credit, 30.0, "the accountant decides about the extra 30")
        self.assertFalse(st_line.is_reconciled)

    def test_unrelated_bank_lines_are_left_alone(self):
        appointment = self._appointment(NOW + timedelta(days=3))
        appointment.action_book()
        st_line = self._bank_line("Rent March", 50.0)
        self.assertFalse(st_line.is_reconciled)
        self.assertEqual(appointment.state, "awaiting_payment")
