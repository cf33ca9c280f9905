# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from freezegun import freeze_time

from odoo.addons.clinic_prepay.tests.common import NOW, ClinicCommon
from odoo.tests import tagged


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestSmsReminders(ClinicCommon):
    def test_visit_reminder_by_text_message_once(self):
        self.patient.phone = "+32 470 12 34 56"
        self.company.clinic_visit_reminder_hours = 24
        appointment = self._appointment(NOW + timedelta(days=3), treatment=self.treatment_consult)
        appointment.action_book()
        no_phone = self._appointment(
            NOW + timedelta(days=3, hours=2),
            treatment=self.treatment_consult,
            patient=self.patient2,
        )
        no_phone.action_book()
        Appointment = self.env["clinic.appointment"]
        with freeze_time(appointment.start - timedelta(hours=20)):
            Appointment._cron_send_reminders()
            Appointment._cron_send_reminders()
        sms = self.env["sms.sms"].search(
            [("partner_id", "in", (self.patient | self.patient2).ids)]
        )
        self.assertEqual(len(sms), 1)
        self.assertEqual(sms.number, "+32 470 12 34 56")
        self.assertEqual(sms.state, "outgoing")  # queued: Odoo's SMS job sends it
        self.assertIn("Consultation on", sms.body)
        self.assertIn(f"/my/appointments/{appointment.id}?access_token=", sms.body)
        # the mail went too, once
        self.assertEqual(len(self._patient_mails(appointment, "Reminder:")), 1)
