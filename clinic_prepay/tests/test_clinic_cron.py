# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .common import NOW, ClinicCommon, ClinicPaymentCommon


@tagged("post_install", "-at_install")
class TestCancelUnpaidCron(ClinicCommon):
    def _book(self, start, **kw):
        with freeze_time(NOW):
            appointment = self._appointment(start, **kw)
            appointment.action_book()
        return appointment

    def test_cancels_after_deadline_only(self):
        appointment = self._book(NOW + timedelta(days=3))
        Appointment = self.env["clinic.appointment"]
        with freeze_time(NOW + timedelta(hours=23, minutes=59)):
            self.assertEqual(Appointment._cron_cancel_unpaid(), 0)
        self.assertEqual(appointment.state, "awaiting_payment")

        with freeze_time(NOW + timedelta(hours=24, minutes=1)):
            self.assertEqual(Appointment._cron_cancel_unpaid(), 1)
        self.assertEqual((appointment.state, appointment.cancel_reason), ("cancelled", "unpaid"))
        # documents cancelled cleanly
        deposit = appointment.deposit_ids
        self.assertEqual(deposit.state, "cancelled")
        self.assertEqual(deposit.invoice_id.state, "cancel")
        self.assertFalse(deposit.amount_refundable)
        # the patient is told
        mail = self._patient_mails(appointment, "was cancelled")
        self.assertEqual(mail.partner_ids, self.patient)
        # the practitioner's time is free and bookable at once
        self.assertFalse(appointment.event_id.active)
        with freeze_time(NOW + timedelta(hours=24, minutes=2)):
            other = self._appointment(appointment.start, patient=self.patient2)
            other.action_book()
        self.assertEqual(other.state, "awaiting_payment")

        # idempotent: a second run changes nothing
        messages = appointment.message_ids
        with freeze_time(NOW + timedelta(hours=25)):
            self.assertEqual(Appointment._cron_cancel_unpaid(), 0)
        self.assertEqual(appointment.message_ids, messages)
        self.assertEqual(deposit.invoice_id.state, "cancel")

    @freeze_time(NOW)
    def test_paid_and_confirmed_are_left_alone(self):
        paid = self._book(NOW + timedelta(days=3))
        self._pay_at_desk(paid)
        free = self._book(
            NOW + timedelta(days=3),
            treatment=self.treatment_consult,
            practitioner=self.practitioner2,
        )
        partly = self._book(NOW + timedelta(days=4))
        self._pay_by_bank(partly, 10.0)
        self.assertEqual(partly.state, "awaiting_payment")
        with freeze_time(NOW + timedelta(days=2)):
            self.assertEqual(self.env["clinic.appointment"]._cron_cancel_unpaid(), 1)
        self.assertEqual(paid.state, "confirmed")
        self.assertEqual(free.state, "confirmed")
        # a partly paid booking is cancelled at the deadline; what was paid is refundable
        self.assertEqual(partly.state, "cancelled")
        self.assertEqual(partly.deposit_ids.amount_refundable, 10.0)

    def test_cron_record_runs_the_job(self):
        cron = self.env.ref("clinic_prepay.ir_cron_cancel_unpaid")
        self.assertTrue(cron.active)
        appointment = self._book(NOW + timedelta(days=3))
        with freeze_time(NOW + timedelta(days=2)):
            cron.method_direct_trigger()
        self.assertEqual(appointment.state, "cancelled")

    def test_batch_of_500_has_bounded_queries(self):
        """Query count per cancelled appointment does not grow with the batch."""
        patients = self.env["res.partner"].create(
            [{"name": f"Patient {i}", "email": f"p{i}@example.com"} for i in range(500)]
        )
        practitioners = self.env["res.users"].create(
            [
                {
                    "name": f"Doctor {i}",
                    "login": f"doctor{i}",
                    "groups_id": [
                        Command.set(self.env.ref("clinic_prepay.group_clinic_user").ids)
                    ],
                }
                for i in range(10)
            ]
        )
        with freeze_time(NOW):
            vals = [
                {
                    "patient_id": patients[i].id,
                    "treatment_id": self.treatment_botox.id,
                    "practitioner_id": practitioners[i % 10].id,
                    "start": NOW + timedelta(days=3, hours=i // 10),
                }
                for i in range(500)
            ]
            appointments = self.env["clinic.appointment"].create(vals)
            appointments.action_book()
        self.assertEqual(set(appointments.mapped("state")), {"awaiting_payment"})
        Appointment = self.env["clinic.appointment"]

        def run(limit):
            self.env.invalidate_all()
            with freeze_time(NOW + timedelta(days=2)):
                start = self.cr.sql_log_count
                done = Appointment._cron_cancel_unpaid(batch_size=limit, max_batches=1)
                return done, self.cr.sql_log_count - start

        # 50 first, then the 450 left: the cost per appointment is the same
        done_small, queries_small = run(50)
        done_big, queries_big = run(450)
        self.assertEqual((done_small, done_big), (50, 450))
        per_item_small = queries_small / done_small
        per_item_big = queries_big / done_big
        self.assertLessEqual(per_item_big, per_item_small * 1.1, (queries_small, queries_big))
        self.assertLess(per_item_big, 60, "a bounded number of queries per appointment")
        self.assertEqual(set(appointments.mapped("state")), {"cancelled"})


@tagged("post_install", "-at_install")
class TestLatePayment(ClinicPaymentCommon):
    """A payment that completes after the job cancelled its booking."""

    def _book_and_expire(self, start, amount=None, **kw):
        """Book, start paying online just before the deadline, and let the
        job cancel the booking while the payment is in flight."""
        with freeze_time(NOW):
            appointment = self._appointment(start, **kw)
            appointment.action_book()
        with freeze_time(NOW + timedelta(hours=23)):
            tx = self._start_online_payment(appointment, amount)
        with freeze_time(NOW + timedelta(days=1, hours=1)):
            self.env["clinic.appointment"]._cron_cancel_unpaid()
        self.assertEqual(appointment.state, "cancelled")
        self.assertEqual(appointment.deposit_ids.invoice_id.state, "cancel")
        return appointment, tx

    def test_late_payment_reconfirms_when_slot_is_free(self):
        appointment, tx = self._book_and_expire(NOW + timedelta(days=3))
        tx = self._pay_online(appointment, tx=tx)
        deposit = appointment.deposit_ids
        self.assertEqual(appointment.state, "confirmed")
        self.assertFalse(appointment.cancel_reason)
        self.assertTrue(appointment.event_id.active, "back in the calendar")
        self.assertEqual((deposit.state, deposit.amount_paid), ("paid", 50.0))
        self.assertEqual(deposit.amount_refundable, 0.0)
        self.assertEqual(deposit.invoice_id.state, "posted")
        self.assertEqual(deposit.payment_ids, tx.payment_id)
        receivable = deposit.invoice_id.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )
        self.assertTrue(receivable.reconciled)

    def test_late_payment_opens_refund_when_slot_is_taken(self):
        appointment, tx = self._book_and_expire(NOW + timedelta(days=3))
        with freeze_time(NOW + timedelta(days=1, hours=2)):
            taker = self._appointment(appointment.start, patient=self.patient2)
            taker.action_book()
        self._pay_online(appointment, tx=tx)
        deposit = appointment.deposit_ids
        self.assertEqual(appointment.state, "cancelled", "the slot belongs to someone else")
        self.assertEqual(taker.state, "awaiting_payment")
        self.assertEqual((deposit.state, deposit.amount_paid), ("paid", 50.0))
        self.assertEqual(
            deposit.amount_refundable, 50.0, "never paid-and-cancelled without a way back"
        )
        activity = appointment.activity_ids
        self.assertEqual(activity.summary, "Refund the deposit")
        self.assertTrue(activity.user_id.has_group("clinic_prepay.group_clinic_manager"))

    def test_replayed_notification_changes_nothing(self):
        with freeze_time(NOW):
            appointment = self._appointment(NOW + timedelta(days=3))
            appointment.action_book()
        tx = self._pay_online(appointment)
        payments = appointment.deposit_ids.payment_ids
        messages = appointment.message_ids
        # the provider delivers the same notification again
        tx._handle_notification_data(
            "demo", {"reference": tx.reference, "simulated_state": "done"}
        )
        tx._post_process()
        self.assertEqual(appointment.deposit_ids.payment_ids, payments)
        self.assertEqual(appointment.message_ids, messages)
        self.assertEqual(appointment.amount_paid, 50.0)
