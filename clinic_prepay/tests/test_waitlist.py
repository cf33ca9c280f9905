# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import re
from datetime import timedelta

from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import ClinicPaymentCommon


@tagged("post_install", "-at_install")
class TestWaitlist(ClinicPaymentCommon):
    """A freed time offered to the waitlist in order; the first to book and
    pay takes it; the others are told it is gone; offers expire."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write({"clinic_waitlist_offer_count": 2, "clinic_waitlist_offer_hours": 2})
        cls.treatment_botox.write({"online_booking": True, "min_notice_hours": 2})
        cls.patients = cls.env["res.partner"].create(
            [{"name": f"Waiting {i}", "email": f"waiting{i}@example.com"} for i in range(3)]
        )

    def _join(self, patient, **vals):
        return (
            self.env["clinic.waitlist"]
            .with_user(self.front_desk)
            .create({"patient_id": patient.id, "treatment_id": self.treatment_botox.id, **vals})
        )

    def _freed(self, start):
        booked = self._appointment(start)
        booked.action_book()
        self._pay_at_desk(booked)
        booked.with_user(self.front_desk).action_cancel_by_clinic()
        return booked

    def test_freed_time_offered_in_order_first_payer_takes_it(self):
        start = self._bookable_time()
        first, second, third = (self._join(p) for p in self.patients)
        self._freed(start)
        # offered to the first two, in the order they joined
        self.assertEqual(
            (first.state, second.state, third.state), ("offered", "offered", "waiting")
        )
        offer1, offer2 = first.offer_ids, second.offer_ids
        self.assertEqual((offer1.start, offer1.practitioner_id), (start, self.practitioner))
        self.assertTrue(
            first.message_ids.filtered(lambda m: "A time is free" in (m.subject or ""))
        )
        mail = second.message_ids.filtered(lambda m: "A time is free" in (m.subject or ""))
        self.assertIn(offer2._get_claim_url().replace("&", "&amp;"), mail.body)
        # the second books first: the time is held while they pay
        taken = offer2._claim("policy")
        self.assertEqual((taken.state, taken.source), ("awaiting_payment", "online"))
        # the first is refused before paying: the database holds the time
        with self.assertRaises(ValidationError):
            offer1._claim("policy")
        self._pay_online(taken)
        self.assertEqual(taken.state, "confirmed")
        self.assertEqual(
            (offer2.state, second.state, second.appointment_id), ("taken", "booked", taken)
        )
        self.assertEqual((offer1.state, first.state), ("gone", "waiting"))
        self.assertTrue(first.message_ids.filtered(lambda m: "was taken" in (m.subject or "")))
        with self.assertRaises(UserError):
            offer1._claim("policy")

    def test_leaving_after_booking_does_not_stop_the_payment(self):
        start = self._bookable_time()
        entry = self._join(self.patients[0])
        self._freed(start)
        appointment = entry.offer_ids._claim("policy")
        entry.with_user(self.front_desk).action_leave()
        self._pay_online(appointment)
        self.assertEqual(appointment.state, "confirmed")
        self.assertEqual(entry.state, "cancelled")
        self.assertEqual(entry.appointment_id, appointment)

    def test_a_booking_confirmed_another_way_takes_the_time(self):
        """A manager confirms the claimed booking without payment: it takes
        the time all the same, and the other patient hears it is gone."""
        start = self._bookable_time()
        first, second = (self._join(p) for p in self.patients[:2])
        self._freed(start)
        appointment = first.offer_ids._claim("policy")
        appointment.with_user(self.manager).action_confirm()
        self.assertEqual((first.state, first.offer_ids.state), ("booked", "taken"))
        self.assertEqual((second.state, second.offer_ids.state), ("waiting", "gone"))

    def test_a_late_payer_is_refunded(self):
        """The first holder's time ran out, the second booked and paid; the
        first's payment, started before, lands late: it is refunded."""
        start = self._bookable_time()
        first, second = (self._join(p) for p in self.patients[:2])
        self._freed(start)
        late = first.offer_ids._claim("policy")
        tx = self._start_online_payment(late)
        with freeze_time(late.hold_expires + timedelta(minutes=1)):
            winner = second.offer_ids._claim("policy")
            self._pay_online(winner)
            self.assertEqual(winner.state, "confirmed")
            self.assertEqual(late.state, "cancelled")
            self._pay_online(late, tx=tx)
        self.assertEqual(late.state, "cancelled")
        self.assertEqual(late.deposit_ids.amount_refundable, 50.0)
        self.assertTrue(late.deposit_ids.refund_request_ids)
        self.assertEqual(second.state, "booked")

    def test_matching_dates_and_practitioner(self):
        start = self._bookable_time()
        day = start.date()
        other_doctor = self._join(self.patients[0], practitioner_id=self.practitioner2.id)
        too_late = self._join(self.patients[1], date_from=day + timedelta(days=1))
        fits = self._join(self.patients[2], date_from=day, date_to=day)
        self._freed(start)
        self.assertEqual(
            (other_doctor.state, too_late.state, fits.state), ("waiting", "waiting", "offered")
        )

    def test_offer_expires_and_patient_waits_again(self):
        start = self._bookable_time()
        entry = self._join(self.patients[0])
        self._freed(start)
        offer = entry.offer_ids
        self.assertEqual(entry.state, "offered")
        with freeze_time(offer.expires_at + timedelta(minutes=1)):
            self.env["clinic.waitlist"]._cron_expire()
            self.assertEqual((offer.state, entry.state), ("expired", "waiting"))
            with self.assertRaises(UserError):
                offer._claim("policy")
        # an entry past its last date ends
        entry.date_to = fields.Date.today()
        with freeze_time(fields.Datetime.now() + timedelta(days=2)):
            self.env["clinic.waitlist"]._cron_expire()
        self.assertEqual(entry.state, "expired")

    def test_a_move_frees_the_old_time(self):
        start = self._bookable_time()
        entry = self._join(self.patients[0])
        moving = self._appointment(start)
        moving.action_book()
        moving.with_user(self.front_desk).write(
            {"start": self._bookable_time(not_before=start + timedelta(days=1))}
        )
        self.assertEqual(entry.state, "offered")
        self.assertEqual(entry.offer_ids.start, start)

    def test_without_deposit_the_offer_books_at_once(self):
        self.treatment_consult.write(
            {"online_booking": True, "practitioner_ids": [Command.set(self.practitioner.ids)]}
        )
        entry = (
            self.env["clinic.waitlist"]
            .with_user(self.front_desk)
            .create({"patient_id": self.patients[0].id, "treatment_id": self.treatment_consult.id})
        )
        start = self._bookable_time(self.treatment_consult)
        booked = self._appointment(start, treatment=self.treatment_consult)
        booked.action_book()
        booked.with_user(self.front_desk).action_cancel_by_clinic()
        appointment = entry.offer_ids._claim("policy")
        self.assertEqual(appointment.state, "confirmed")
        self.assertEqual(entry.state, "booked")

    def test_rights(self):
        entry = self._join(self.patients[0])
        # the workflow fields are the add-on's
        for user in (self.front_desk, self.manager):
            with self.assertRaises(AccessError):
                entry.with_user(user).write({"state": "booked"})
        with self.assertRaises(AccessError):
            self.env["clinic.waitlist.offer"].with_user(self.manager).create(
                {
                    "waitlist_id": entry.id,
                    "practitioner_id": self.practitioner.id,
                    "start": self._bookable_time(),
                    "expires_at": fields.Datetime.now() + timedelta(hours=1),
                }
            )
        entry.with_user(self.front_desk).action_leave()
        self.assertEqual(entry.state, "cancelled")
        with self.assertRaises(UserError):
            entry.with_user(self.front_desk).write({"note": "back"})


@tagged("post_install", "-at_install")
class TestWaitlistPortal(ClinicPaymentCommon, HttpCase):
    def test_patient_books_the_offer_from_the_mail(self):
        """Joining online is the website add-on's (its own test); the offer
        and its claim page are the portal's."""
        user = new_test_user(
            self.env, login="wait_pat", name="Wait Patient", groups="base.group_portal"
        )
        new_test_user(self.env, login="wait_other", name="Other", groups="base.group_portal")
        self.treatment_botox.write({"online_booking": True, "min_notice_hours": 2})
        entry = self.env["clinic.waitlist"].create(
            {
                "patient_id": user.partner_id.id,
                "treatment_id": self.treatment_botox.id,
                "practitioner_id": self.practitioner.id,
            }
        )
        # a time frees
        start = self._bookable_time()
        booked = self._appointment(start)
        booked.action_book()
        booked.action_cancel_by_clinic()
        offer = entry.offer_ids
        url = offer._get_claim_url()
        # another patient cannot open it
        self.authenticate("wait_other", "wait_other")
        response = self.url_open(url.split("?")[0], allow_redirects=False)
        self.assertIn(response.status_code, (302, 303))
        # from the mail, without logging in
        self.authenticate(None, None)
        entry_page = self.url_open(entry.get_portal_url())
        self.assertEqual(entry_page.status_code, 200)
        self.assertIn(self.treatment_botox.name, entry_page.text)
        page = self.url_open(url)
        self.assertIn("Book this time", page.text)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        # no consent, no booking
        self.url_open(url, data={"csrf_token": csrf})
        self.assertFalse(offer.appointment_id)
        response = self.url_open(url, data={"csrf_token": csrf, "consent": "1"})
        appointment = offer.appointment_id
        self.assertEqual(appointment.state, "awaiting_payment")
        self.assertIn(appointment.name, response.text)
        self.assertIn("Pay the deposit", response.text)

    def test_patient_books_the_offer_tour(self):
        """The patient's journey from the offer mail, in the browser."""
        user = new_test_user(
            self.env, login="wait_tour", name="Tour Patient", groups="base.group_portal"
        )
        self.treatment_botox.write({"online_booking": True, "min_notice_hours": 2})
        entry = self.env["clinic.waitlist"].create(
            {"patient_id": user.partner_id.id, "treatment_id": self.treatment_botox.id}
        )
        start = self._bookable_time()
        booked = self._appointment(start)
        booked.action_book()
        booked.action_cancel_by_clinic()
        self.start_tour(
            entry.offer_ids._get_claim_url(),
            "clinic_prepay_waitlist_offer_tour",
            login="wait_tour",
        )
        self.assertEqual(entry.offer_ids.appointment_id.state, "awaiting_payment")
