# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import re
from datetime import timedelta

from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged

from .common import NOW, ClinicCommon


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestReminders(ClinicCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write({"clinic_visit_reminder_hours": 24, "clinic_payment_reminder_hours": 3})

    def _booked(self, days=3, treatment=None, patient=None):
        appointment = self._appointment(
            NOW + timedelta(days=days), treatment=treatment, patient=patient
        )
        appointment.with_user(self.front_desk).action_book()
        return appointment

    def _run(self, at):
        with freeze_time(at):
            return self.env["clinic.appointment"]._cron_send_reminders()

    def _reminders(self, appointment, kind):
        return appointment.reminder_ids.filtered(lambda r: r.kind == kind)

    def test_visit_reminder_sent_once_in_its_window(self):
        appointment = self._booked(treatment=self.treatment_consult)
        self.assertEqual(appointment.state, "confirmed")
        self._run(appointment.start - timedelta(hours=25))
        self.assertFalse(appointment.reminder_ids)
        self._run(appointment.start - timedelta(hours=23))
        self._run(appointment.start - timedelta(hours=22))
        reminder = self._reminders(appointment, "visit")
        self.assertEqual(len(reminder), 1)
        self.assertEqual(reminder.sent_at, appointment.start - timedelta(hours=23))
        mails = self._patient_mails(appointment, "Reminder: Consultation")
        self.assertEqual(len(mails), 1)
        body = mails.body
        token = appointment.access_token
        self.assertIn(f"/my/appointments/{appointment.id}/attend?access_token={token}", body)
        self.assertIn(f"/my/appointments/{appointment.id}/cancel?access_token={token}", body)
        self.assertIn("No deposit", body)

    def test_no_visit_reminder_for_cancelled_unpaid_or_late_bookings(self):
        cancelled = self._booked(treatment=self.treatment_consult)
        cancelled.with_user(self.front_desk).action_cancel_by_clinic()
        unpaid = self._booked(days=4)  # awaiting its deposit
        self.assertEqual(unpaid.state, "awaiting_payment")
        # booked 10 hours before the visit: the confirmation is the reminder
        with freeze_time(NOW + timedelta(days=5, hours=-10)):
            late = self._appointment(NOW + timedelta(days=5), treatment=self.treatment_consult)
            late.action_book()
        self._run(NOW + timedelta(days=5, hours=-1))
        self.assertFalse(
            (cancelled | unpaid | late).reminder_ids.filtered(lambda r: r.kind == "visit")
        )

    def test_payment_reminder_before_the_deadline(self):
        appointment = self._booked(days=5)
        deadline = appointment.payment_deadline
        self.assertEqual(deadline, NOW + timedelta(hours=24))
        self._run(deadline - timedelta(hours=4))
        self.assertFalse(appointment.reminder_ids)
        self._run(deadline - timedelta(hours=2))
        self._run(deadline - timedelta(hours=1))
        self.assertEqual(len(self._reminders(appointment, "payment")), 1)
        mail = self._patient_mails(appointment, "Reminder: your booking")
        self.assertEqual(len(mail), 1)
        self.assertIn(appointment._format_for_patient(deadline), mail.subject)
        self.assertIn(appointment.get_portal_url(), mail.body.replace("&amp;", "&"))

    def test_no_payment_reminder_once_paid_or_for_a_short_hold(self):
        paid = self._booked(days=5)
        self._pay_at_desk(paid)
        # an online hold of minutes: its own page is the reminder
        online = self._appointment(NOW + timedelta(days=6))
        online._book_online("policy")
        self.assertEqual(online.state, "awaiting_payment")
        self._run(NOW + timedelta(minutes=10))
        self._run(paid.payment_deadline - timedelta(hours=1))
        self.assertFalse((paid | online).reminder_ids)

    def test_reminders_can_be_switched_off(self):
        self.company.clinic_visit_reminder_hours = 0
        appointment = self._booked(treatment=self.treatment_consult)
        self._run(appointment.start - timedelta(hours=2))
        self.assertFalse(appointment.reminder_ids)

    def test_times_in_the_patient_timezone(self):
        self.patient.tz = "America/New_York"
        appointment = self._booked(treatment=self.treatment_consult)
        text = appointment._format_for_patient(appointment.start)
        self.assertIn("America/New_York", text)
        # NOW + 3 days, 08:00 UTC is 03:00 in New York in March
        self.assertIn("3:00", text)

    def test_in_the_patient_language(self):
        """The reminder is rendered in the patient's language: its times in
        that language's format (the texts follow Odoo's translations)."""
        self.env["res.lang"]._activate_lang("fr_FR")
        self.patient.write({"lang": "fr_FR", "tz": "Europe/Paris"})
        appointment = self._booked(treatment=self.treatment_consult)
        # Wednesday 7 March 2030, 09:00 in Paris, in French
        self.assertEqual(
            appointment._format_for_patient(appointment.start), "07/03/2030 09:00 (Europe/Paris)"
        )
        self._run(appointment.start - timedelta(hours=20))
        mail = self._patient_mails(appointment, "Reminder:")
        self.assertIn("07/03/2030 09:00", mail.subject)

    def test_reminders_are_read_only(self):
        appointment = self._booked(treatment=self.treatment_consult)
        self._run(appointment.start - timedelta(hours=2))
        reminder = appointment.reminder_ids
        self.assertTrue(reminder.with_user(self.front_desk).read(["kind"]))
        Reminder = self.env["clinic.appointment.reminder"]
        for user in (self.front_desk, self.manager):
            with self.assertRaises(AccessError):
                reminder.with_user(user).unlink()
            with self.assertRaises(AccessError):
                Reminder.with_user(user).create(
                    {"appointment_id": appointment.id, "kind": "payment", "sent_at": NOW}
                )
        with self.assertRaises(AccessError):
            appointment.with_user(self.manager).write({"attendance_confirmed_date": NOW})


@tagged("post_install", "-at_install")
class TestReminderLinks(ClinicCommon, HttpCase):
    """The links of a reminder work from the mail, without logging in."""

    def test_attend_and_cancel_links(self):
        start = NOW.replace(year=2031)
        self.company.clinic_visit_reminder_hours = 24
        with freeze_time(start - timedelta(days=3)):
            appointment = self._appointment(start, treatment=self.treatment_consult)
            appointment.action_book()
        with freeze_time(start - timedelta(hours=20)):
            self.env["clinic.appointment"]._cron_send_reminders()
        mail = self._patient_mails(appointment, "Reminder:")
        links = dict(
            re.findall(
                r'href="[^"]*(/my/appointments/\d+/(attend|cancel)\?access_token=[^"]+)"',
                mail.body,
            )
        )
        attend = next(url for url, kind in links.items() if kind == "attend").replace("&amp;", "&")
        cancel = next(url for url, kind in links.items() if kind == "cancel").replace("&amp;", "&")
        page = self.url_open(attend)
        self.assertEqual(page.status_code, 200)
        self.assertIn("I will come", page.text)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        self.url_open(attend, data={"csrf_token": csrf})
        self.assertTrue(appointment.attendance_confirmed_date)
        self.assertIn("confirmed they will come", "".join(appointment.message_ids.mapped("body")))
        self.assertEqual(self.url_open(cancel).status_code, 200)
        # another booking's token opens nothing
        other = self._appointment(start + timedelta(hours=2), treatment=self.treatment_consult)
        other.action_book()
        wrong = attend.replace(appointment.access_token, other._portal_ensure_token())
        response = self.url_open(wrong, data={"csrf_token": csrf}, allow_redirects=False)
        self.assertIn(response.status_code, (302, 303))
        self.assertFalse(other.attendance_confirmed_date)
