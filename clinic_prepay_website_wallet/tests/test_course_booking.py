# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import Command
from odoo.addons.clinic_prepay_website.tests.common import OnlineBookingCase
from odoo.tests import new_test_user, tagged


@tagged("post_install", "-at_install")
class TestCourseBooking(OnlineBookingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.course = cls.env["loyalty.program"].create(
            {
                "name": "Tour Facial Course",
                "program_type": "clinic_course",
                "clinic_treatment_ids": [Command.set(cls.treatment.ids)],
                "clinic_session_count": 6,
                "clinic_price": 600.0,
            }
        )
        cls.owner = new_test_user(
            cls.env, login="course_owner", name="Olive Owner", groups="base.group_portal"
        )
        cls.other = new_test_user(
            cls.env, login="course_other", name="Otto Other", groups="base.group_portal"
        )
        cls.bank = cls.env["account.journal"].search(
            [("company_id", "=", cls.company.id), ("type", "=", "bank")], limit=1
        )

    def _paid_course(self, partner):
        card = self.env["loyalty.card"]._clinic_sell_course(self.course, partner)
        card._clinic_register_desk_payment(self.bank)
        return card

    def _details(self, slot):
        return self.url_open(
            f"/book/{self.treatment.id}/details?start={self._token(slot['start'])}"
            f"&practitioner={self.doctor.id}"
        ).text

    def _confirm_with(self, slot, card_id):
        data = {
            "csrf_token": self._csrf(),
            "start": self._token(slot["start"]),
            "practitioner": self.doctor.id,
            "consent": "1",
            "wallet_card_id": str(card_id),
        }
        return self.url_open(
            f"/book/{self.treatment.id}/confirm", data=data, allow_redirects=False
        )

    def test_owner_books_a_session(self):
        card = self._paid_course(self.owner.partner_id)
        slot = self._free_slots()[0]
        self.authenticate("course_owner", "course_owner")
        page = self._details(slot)
        self.assertIn("Pay with", page)
        self.assertIn("session 1 of", page)
        response = self._confirm_with(slot, card.id)
        self.assertEqual(response.status_code, 303)
        appointment = self._online_appointments()[-1]
        self.assertEqual(appointment.patient_id, self.owner.partner_id)
        self.assertEqual(appointment.source, "online")
        self.assertEqual(appointment.state, "confirmed")
        self.assertFalse(appointment.deposit_ids)
        self.assertEqual((appointment.wallet_card_id, appointment.wallet_session_no), (card, 1))
        self.assertEqual(card.points, 5)
        self.assertTrue(appointment.consent_text)

    def test_owner_may_pay_the_deposit_instead(self):
        card = self._paid_course(self.owner.partner_id)
        slot = self._free_slots()[0]
        self.authenticate("course_owner", "course_owner")
        self._confirm_with(slot, "")
        appointment = self._online_appointments()[-1]
        self.assertFalse(appointment.wallet_card_id)
        self.assertEqual(appointment.state, "awaiting_payment")
        self.assertEqual(appointment.deposit_required, 40.0)
        self.assertEqual(card.points, 6)

    def test_nobody_spends_another_patients_course(self):
        card = self._paid_course(self.owner.partner_id)
        slots = self._free_slots()
        self.authenticate("course_other", "course_other")
        self.assertNotIn("Pay with", self._details(slots[0]))
        self._confirm_with(slots[0], card.id)
        appointment = self._online_appointments()[-1]
        self.assertEqual(appointment.patient_id, self.other.partner_id)
        self.assertFalse(appointment.wallet_card_id)
        self.assertEqual(appointment.state, "awaiting_payment")
        # a guest typing the owner's email neither
        self.authenticate(None, None)
        data = {
            "csrf_token": self._csrf(),
            "start": self._token(slots[1]["start"]),
            "practitioner": self.doctor.id,
            "consent": "1",
            "name": "Olive Owner",
            "email": self.owner.partner_id.email or "olive@example.com",
            "wallet_card_id": str(card.id),
        }
        self.url_open(f"/book/{self.treatment.id}/confirm", data=data, allow_redirects=False)
        guest_booking = self._online_appointments()[-1]
        self.assertFalse(guest_booking.wallet_card_id)
        self.assertEqual(card.points, 6)

    def test_guest_is_offered_the_course(self):
        slot = self._free_slots()[0]
        page = self._details(slot)
        self.assertIn("o_clinic_course_offer", page)
        self.assertIn("Tour Facial Course", page)
        self.assertNotIn("Pay with", page)


@tagged("post_install", "-at_install")
class TestCourseBookingPhone(OnlineBookingCase):
    browser_size = "390x844"
    touch_enabled = True

    def test_patient_buys_a_course_and_books_with_it(self):
        self.env["loyalty.program"].create(
            {
                "name": "Tour Facial Course",
                "program_type": "clinic_course",
                "clinic_treatment_ids": [Command.set(self.treatment.ids)],
                "clinic_session_count": 6,
                "clinic_price": 600.0,
            }
        )
        patient = new_test_user(
            self.env, login="course_buyer", name="Bea Buyer", groups="base.group_portal"
        )
        self.start_tour(
            "/my/wallet", "clinic_wallet_patient_buys_course_tour", login="course_buyer"
        )
        card = self.env["loyalty.card"].search([("partner_id", "=", patient.partner_id.id)])
        self.assertEqual(card.clinic_state, "active")
        self.assertEqual(card.clinic_invoice_id.payment_state in ("paid", "in_payment"), True)
        appointment = self._online_appointments()[-1]
        self.assertEqual((appointment.wallet_card_id, appointment.state), (card, "confirmed"))
        self.assertEqual(card.points, 5)
