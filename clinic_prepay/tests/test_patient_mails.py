# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from freezegun import freeze_time

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import NOW, ClinicPaymentCommon


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestPatientMails(ClinicPaymentCommon):
    """Patient mails are queued by the business transaction and sent by a
    job, in batches, after it."""

    def _mails(self, appointments, subject):
        return appointments.message_ids.filtered(lambda m: subject in (m.subject or ""))

    def test_a_payment_commits_without_rendering_the_mail(self):
        appointment = self._appointment(NOW + timedelta(days=2))
        appointment.action_book()
        Trigger = self.env["ir.cron.trigger"]
        cron = self.env.ref("clinic_prepay.ir_cron_send_patient_mails")
        triggers = Trigger.search_count([("cron_id", "=", cron.id)])
        self._pay_online(appointment)
        self.assertEqual(appointment.state, "confirmed")
        self.assertFalse(self._mails(appointment, "is confirmed"), "not rendered yet")
        queued = self.env["clinic.appointment.mail"].search(
            [("appointment_id", "=", appointment.id)]
        )
        self.assertEqual(
            queued.template_id, self.env.ref("clinic_prepay.mail_template_appointment_confirmed")
        )
        self.assertGreater(
            Trigger.search_count([("cron_id", "=", cron.id)]), triggers, "sent at once"
        )
        # the job sends it to the patient, once
        self.env["clinic.appointment.mail"]._cron_send()
        mail = self._mails(appointment, "is confirmed")
        self.assertEqual(mail.partner_ids, self.patient)
        self.assertFalse(queued.exists())
        self.env["clinic.appointment.mail"]._cron_send()
        self.assertEqual(self._mails(appointment, "is confirmed"), mail)

    def test_one_composer_per_template_and_batch(self):
        appointments = self.env["clinic.appointment"]
        for day in range(1, 4):
            appointment = self._appointment(NOW + timedelta(days=day))
            appointment.action_book()
            appointments |= appointment
        appointments.action_cancel_by_clinic()
        composers = self.env["mail.compose.message"].search_count([])
        self.env["clinic.appointment.mail"]._cron_send()
        self.assertEqual(self.env["mail.compose.message"].search_count([]), composers + 1)
        for appointment in appointments:
            self.assertEqual(self._mails(appointment, "is cancelled").partner_ids, self.patient)

    def test_a_patient_without_email_is_skipped(self):
        patient = self.env["res.partner"].create({"name": "No Mail"})
        appointment = self._appointment(NOW + timedelta(days=2), patient=patient)
        appointment.action_book()
        appointment.action_cancel_by_clinic()
        Queue = self.env["clinic.appointment.mail"]
        self.assertEqual(Queue.search_count([("appointment_id", "=", appointment.id)]), 1)
        Queue._cron_send()
        self.assertFalse(Queue.search_count([("appointment_id", "=", appointment.id)]))
        self.assertFalse(self._mails(appointment, "is cancelled"))

    def test_a_crash_mid_batch_sends_nothing_twice(self):
        appointment = self._appointment(NOW + timedelta(days=2))
        appointment.action_book()
        appointment.action_cancel_by_clinic()
        Queue = self.env["clinic.appointment.mail"]
        # the job dies after posting, before its commit: all of it is undone
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(RuntimeError),
            self.env.cr.savepoint(),
        ):
            Queue._cron_send()
            raise RuntimeError("worker killed")
        self.assertFalse(self._mails(appointment, "is cancelled"))
        self.assertEqual(Queue.search_count([("appointment_id", "=", appointment.id)]), 1)
        Queue._cron_send()
        self.assertEqual(len(self._mails(appointment, "is cancelled")), 1)
