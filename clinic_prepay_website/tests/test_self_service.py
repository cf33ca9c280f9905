# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import re
from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged

from .common import OnlineBookingCase


@tagged("post_install", "-at_install")
class TestSelfService(OnlineBookingCase):
    """The patient moves a booking, signs up, and proves to be human."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.patient = new_test_user(
            cls.env, login="move_patient", name="Mona Move", groups="base.group_portal"
        )
        new_test_user(
            cls.env, login="other_patient", name="Otto Other", groups="base.group_portal"
        )

    def _paid_booking(self):
        appointment = self._book_as("move_patient", self._free_slots()[0])
        self._pay_online(appointment)
        self.assertEqual(appointment.state, "confirmed")
        return appointment

    def _reschedule_post(self, appointment, start, token=True, csrf=True):
        """Open the new time's page, then confirm it as the page's form does."""
        url = f"/my/appointments/{appointment.id}/reschedule/details"
        query = f"?start={self._token(start)}&practitioner={self.doctor.id}"
        if token:
            query += f"&access_token={appointment.sudo()._portal_ensure_token()}"
        page = self.url_open(url + query, allow_redirects=False)
        data = {"start": self._token(start), "practitioner": self.doctor.id}
        if token:
            data["access_token"] = appointment.sudo().access_token
        if csrf:
            found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            data["csrf_token"] = found.group(1) if found else self._csrf()
        return self.url_open(url, data=data, allow_redirects=False)

    def _slot_times(self, exclude=None):
        monday = self._next_monday()
        start = fields.Datetime.to_datetime(fields.Date.to_string(monday)) - timedelta(hours=2)
        return [
            slot["start"]
            for slot in self.treatment._get_free_slots(
                start, start + timedelta(days=7), exclude=exclude
            )
        ]

    def test_patient_reschedules(self):
        appointment = self._paid_booking()
        old_start, tx = appointment.start, appointment.deposit_ids.transaction_ids
        self.start_tour(
            f"/my/appointments/{appointment.id}",
            "clinic_prepay_website_patient_reschedules_tour",
            login="move_patient",
        )
        self.assertEqual(appointment.state, "confirmed")
        self.assertGreater(appointment.start, old_start + timedelta(days=6), "a week later")
        self.assertEqual(appointment.event_id.start, appointment.start, "the calendar follows")
        self.assertEqual(appointment.amount_paid, 40.0, "the deposit moved with it")
        self.assertEqual(appointment.deposit_ids.transaction_ids, tx, "no new payment")
        self.assertIn(old_start, self._slot_times(), "the old time is free again")
        moved = self._patient_mails(appointment, "has moved")
        self.assertEqual(moved.partner_ids, self.patient.partner_id, "the patient is told")

    def test_move_to_a_time_overlapping_its_own(self):
        appointment = self._paid_booking()
        # thirty minutes later: the booking's own hour does not block it
        later = appointment.start + timedelta(minutes=30)
        self.assertIn(later, self._slot_times(exclude=appointment))
        response = self._reschedule_post(appointment, later)
        self.assertEqual(response.status_code, 303)
        self.assertEqual(appointment.start, later)

    def test_a_taken_time_cannot_be_chosen(self):
        appointment = self._paid_booking()
        other = self._book_as("other_patient", self._free_slots()[4])
        self.authenticate("move_patient", "move_patient")
        before = appointment.start
        response = self._reschedule_post(appointment, other.start)
        self.assertIn("taken=1", response.headers["Location"])
        self.assertEqual(appointment.start, before)

    def test_late_bookings_are_not_moved_online(self):
        appointment = self._paid_booking()
        target = self._slot_times(exclude=appointment)[10]
        # three hours ahead: inside the free-cancellation window (24 hours)
        appointment.sudo().start = fields.Datetime.now() + timedelta(hours=3)
        self.assertTrue(appointment._get_reschedule_preview()["late"])
        page = self.url_open(f"/my/appointments/{appointment.id}")
        self.assertIn("o_clinic_reschedule_late", page.text)
        self.assertNotIn('o_clinic_reschedule"', page.text)
        response = self._reschedule_post(appointment, target)
        self.assertTrue(response.headers["Location"].endswith("/my"))
        self.assertNotEqual(appointment.start, target)
        # nor through the model
        with self.assertRaises(UserError):
            appointment.sudo()._reschedule_by_patient(target, self.doctor)

    def test_only_the_patient_moves_the_booking(self):
        appointment = self._paid_booking()
        before = appointment.start
        target = self._slot_times(exclude=appointment)[10]
        # another patient, without the token, then an anonymous visitor
        self.authenticate("other_patient", "other_patient")
        response = self._reschedule_post(appointment, target, token=False)
        self.assertTrue(response.headers["Location"].endswith("/my"))
        self.authenticate(None, None)
        response = self._reschedule_post(appointment, target, token=False)
        self.assertTrue(response.headers["Location"].endswith("/my"))
        self.assertEqual(appointment.start, before)
        # the token of the booking's link lets its holder move it
        response = self._reschedule_post(appointment, target)
        self.assertEqual(appointment.start, target)

    def test_posts_need_the_csrf_token(self):
        appointment = self._paid_booking()
        before = appointment.start
        target = self._slot_times(exclude=appointment)[10]
        response = self._reschedule_post(appointment, target, csrf=False)
        self.assertEqual(response.status_code, 400)
        self.assertEqual(appointment.start, before)

    def test_an_unpaid_booking_moves_with_its_deadline(self):
        appointment = self._book_as("move_patient", self._free_slots()[-1])
        deadline = appointment.payment_deadline
        earlier = self._free_slots()[0]["start"]
        self._reschedule_post(appointment, earlier)
        self.assertEqual(appointment.start, earlier)
        self.assertEqual(appointment.state, "awaiting_payment")
        self.assertLessEqual(appointment.payment_deadline, deadline, "never later than it was")
        self.assertLessEqual(
            appointment.payment_deadline,
            earlier - timedelta(hours=self.treatment.payment_before_hours),
        )

    def test_a_guest_is_offered_to_sign_up_after_paying(self):
        website = self.env.ref("website.default_website")
        website.auth_signup_uninvited = "b2c"
        response = self._confirm(self._free_slots()[0]["start"])
        appointment = self._online_appointments()
        self._pay_online(appointment)
        page = self.url_open(response.headers["Location"])
        link = re.search(r'class="btn btn-primary btn-sm me-2" href="([^"]+)"', page.text)
        self.assertTrue(link, "the confirmation offers an account")
        signup = self.url_open(link.group(1).replace("&amp;", "&"))
        self.assertEqual(signup.status_code, 200)
        self.assertIn('value="gina@example.com"', signup.text, "for the guest's own contact")
        # a forwarded link (another browser) does not open the patient's account
        self.opener.cookies.clear()
        self.assertNotIn("o_clinic_signup", self.url_open(response.headers["Location"]).text)
        # nor when sign-up is closed
        website.auth_signup_uninvited = "b2b"
        self.assertNotIn("o_clinic_signup", self.url_open(response.headers["Location"]).text)

    def test_the_captcha_is_checked_when_configured(self):
        ir_http = type(self.env["ir.http"])
        slot = self._free_slots()[0]
        with patch.object(ir_http, "_verify_recaptcha_token", return_value="is_bot"):
            response = self._confirm(slot["start"])
        self.assertIn("error=captcha", response.headers["Location"])
        self.assertFalse(self._online_appointments(), "nothing held for a robot")
        with patch.object(ir_http, "_verify_recaptcha_token", return_value="is_human") as check:
            self._confirm(slot["start"])
        self.assertEqual(check.call_args.args[-1], "clinic_booking")
        self.assertEqual(self._online_appointments().state, "awaiting_payment")

    def test_a_held_time_disappears_then_returns_when_the_hold_expires(self):
        slot = self._free_slots()[0]
        week = fields.Date.to_string(self._next_monday())
        url = f"/book/{self.treatment.id}?week={week}&slot={self._token(slot['start'])}"
        self.start_tour(url, "clinic_prepay_website_slot_shown_tour")
        # a first visitor holds it (another browser session)
        self._confirm(slot["start"])
        appointment = self._online_appointments()
        self.assertEqual(appointment.state, "awaiting_payment")
        self.start_tour(url, "clinic_prepay_website_slot_hidden_tour")
        # the hold runs out without payment: the time is offered again
        appointment.sudo().hold_expires = fields.Datetime.now() - timedelta(minutes=1)
        self.start_tour(url, "clinic_prepay_website_slot_shown_tour")

    def test_visit_reminder_links_to_the_move_page(self):
        """The reminder's "Move it" link opens the slot page from the mail."""
        appointment = self._paid_booking()
        self.env.company.clinic_visit_reminder_hours = 24 * 14
        appointment.sudo().booked_date = appointment.start - timedelta(days=30)
        self.env["clinic.appointment"]._cron_send_reminders()
        mail = self._patient_mails(appointment, "Reminder:")
        self.assertEqual(len(mail), 1)
        link = re.search(
            r'href="[^"]*(/my/appointments/\d+/reschedule\?access_token=[^"]+)"', mail.body
        )
        self.assertTrue(link, "the reminder offers the move")
        self.authenticate(None, None)
        page = self.url_open(link.group(1).replace("&amp;", "&"))
        self.assertEqual(page.status_code, 200)
        self.assertIn("o_clinic_slot", page.text)
