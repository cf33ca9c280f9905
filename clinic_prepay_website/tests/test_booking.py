# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import re
from datetime import timedelta

from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import ValidationError
from odoo.tests import JsonRpcException, new_test_user, tagged

from .common import OnlineBookingCase


@tagged("post_install", "-at_install")
class TestOnlineBooking(OnlineBookingCase):
    def test_guest_books_and_pays(self):
        self.start_tour("/book", "clinic_prepay_website_guest_tour")
        appointment = self._online_appointments()
        self.assertEqual(len(appointment), 1)
        self.assertEqual((appointment.state, appointment.source), ("confirmed", "online"))
        patient = appointment.patient_id
        self.assertEqual((patient.name, patient.email), ("Gina Guest", "gina@example.com"))
        self.assertFalse(patient.user_ids)
        self.assertIn("No-show", appointment.consent_text)
        self.assertTrue(appointment.consent_ip and appointment.consent_user_agent)
        self.assertEqual(appointment.deposit_ids.amount_paid, 40.0)
        confirmed = self._patient_mails(appointment, "confirmed")
        self.assertEqual(confirmed.partner_ids, patient, "the patient gets the mail")

    def test_slot_json_matches_the_engine(self):
        monday = self._next_monday()
        slots = self.make_jsonrpc_request(
            f"/book/{self.treatment.id}/slots", {"week": fields.Date.to_string(monday)}
        )
        self.assertTrue(slots)
        first = fields.Datetime.to_datetime(slots[0]["start"])
        # Monday 08:00 in Brussels
        self.assertEqual(first.date(), monday)
        self.assertIn(first.hour, (6, 7), "08:00 local, in UTC")
        self.assertEqual({slot["practitioner_id"] for slot in slots}, {self.doctor.id})

    def test_booking_holds_the_slot_and_stores_the_consent(self):
        slot = self._free_slots()[0]
        response = self._confirm(slot["start"])
        self.assertEqual(response.status_code, 303)
        appointment = self._online_appointments()
        self.assertIn(
            f"/my/appointments/{appointment.id}?access_token=", response.headers["Location"]
        )
        self.assertEqual(appointment.state, "awaiting_payment")
        self.assertTrue(appointment.hold_expires)
        self.assertNotIn(slot["start"], [s["start"] for s in self._free_slots()])
        # the same time again: taken
        again = self._confirm(slot["start"], email="other@example.com")
        self.assertIn("taken=1", again.headers["Location"])
        self.assertEqual(len(self._online_appointments()), 1)

    def test_card_on_file_consent_is_given_when_booking(self):
        """A treatment protected by a card on file: the policy accepted on the
        booking form names the card; the appointment's page then saves it."""
        self.treatment.write({"deposit_type": "none", "no_show_protection": "card"})
        slot = self._free_slots()[0]
        details = self.url_open(
            f"/book/{self.treatment.id}/details?start="
            f"{fields.Datetime.to_string(slot['start']).replace(' ', 'T')}"
            f"&practitioner={self.doctor.id}"
        )
        self.assertIn("Card on file", details.text)
        response = self._confirm(slot["start"])
        appointment = self._online_appointments()
        # the booking waits for the card, its slot held
        self.assertEqual(appointment.state, "awaiting_payment")
        self.assertTrue(appointment.hold_expires)
        self.assertIn("Card on file", appointment.card_consent_text)
        self.assertEqual(appointment.card_consent_text, appointment.consent_text)
        page = self.url_open(response.headers["Location"])
        self.assertIn("Save my card", page.text)
        self.assertIn(f"/my/appointments/{appointment.id}/card?access_token=", page.text)

    def test_consent_and_details_are_required(self):
        slot = self._free_slots()[0]
        response = self._confirm(slot["start"], consent=None)
        self.assertIn("error=consent", response.headers["Location"])
        response = self._confirm(slot["start"], email="not-an-email")
        self.assertIn("error=details", response.headers["Location"])
        self.assertFalse(self._online_appointments())

    def test_one_live_hold_per_guest(self):
        first, second = self._free_slots()[0], self._free_slots()[3]
        self._confirm(first["start"])
        self._confirm(second["start"])
        old, new = self._online_appointments()
        self.assertEqual((old.state, old.cancel_reason), ("cancelled", "patient"))
        self.assertEqual(new.state, "awaiting_payment")
        self.assertNotEqual(old.patient_id, new.patient_id, "a new contact each time")

    def test_a_guest_cannot_release_someone_elses_hold(self):
        self._confirm(self._free_slots()[0]["start"], email="victim@example.com")
        victim = self._online_appointments()
        # another visitor (another session) types the victim's email
        self.opener.cookies.clear()
        self._confirm(self._free_slots()[2]["start"], email="VICTIM@example.com")
        self.assertEqual(victim.state, "awaiting_payment")
        self.assertEqual(len(self._online_appointments()), 2)

    def test_only_offered_times_can_be_held(self):
        slot = self._free_slots()[0]
        odd = slot["start"] + timedelta(minutes=7, seconds=13)
        token = fields.Datetime.to_string(odd).replace(" ", "T")
        page = self.url_open(
            f"/book/{self.treatment.id}/details?start={token}&practitioner={self.doctor.id}",
            allow_redirects=False,
        )
        self.assertIn("taken=1", page.headers["Location"])
        response = self._confirm(odd)
        self.assertIn("taken=1", response.headers["Location"])
        self.assertFalse(self._online_appointments())

    def test_bad_parameters_never_fail_the_server(self):
        urls = [
            f"/book/{self.treatment.id}?practitioner=%C2%B2",
            f"/book/{self.treatment.id}?week=9999-12-31",
            f"/book/{self.treatment.id}?week=0001-01-01",
            f"/book/{self.treatment.id}?week=nonsense",
            f"/book/{self.treatment.id}/details?start=9999-12-31T23:59:00",
            f"/book/{self.treatment.id}/details?start=garbage&practitioner=%C2%B2",
            "/book/99999999999999999999",
        ]
        for url in urls:
            with self.subTest(url=url):
                self.assertLess(self.url_open(url, allow_redirects=False).status_code, 500)
        for week in ("9999-12-30", 123, ["a"]):
            with self.subTest(week=week):
                self.make_jsonrpc_request(f"/book/{self.treatment.id}/slots", {"week": week})

    def test_a_guest_is_never_matched_to_an_existing_patient(self):
        patient = self.env["res.partner"].create({"name": "Real", "email": "gina@example.com"})
        self._confirm(self._free_slots()[0]["start"])
        appointment = self._online_appointments()
        self.assertNotEqual(appointment.patient_id, patient)

    def test_an_expired_hold_cannot_be_paid(self):
        slot = self._free_slots()[0]
        self._confirm(slot["start"])
        appointment = self._online_appointments()
        provider = self.env.ref("payment.payment_provider_demo")
        invoice = appointment.deposit_ids.invoice_id
        with freeze_time(appointment.hold_expires + timedelta(minutes=1)):
            with self.assertRaisesRegex(ValidationError, "has passed"):
                self.env["payment.transaction"].sudo().create(
                    {
                        "provider_id": provider.id,
                        "payment_method_id": self.env.ref("payment_demo.payment_method_demo").id,
                        "amount": 40.0,
                        "currency_id": invoice.currency_id.id,
                        "partner_id": invoice.partner_id.id,
                        "reference": f"EXPIRED-{appointment.id}",
                        "invoice_ids": [Command.set(invoice.ids)],
                    }
                )
            # and the next visitor sees the time free again
            self.assertIn(slot["start"], [s["start"] for s in self._free_slots()])

    def test_the_amount_is_set_by_the_server(self):
        response = self._confirm(self._free_slots()[0]["start"])
        appointment = self._online_appointments()
        page = self.url_open(response.headers["Location"])
        pay_url = re.search(r'o_clinic_pay_now" href="([^"]+)"', page.text).group(1)
        form = self.url_open(pay_url.replace("&amp;", "&")).text
        route = re.search(r'data-transaction-route="([^"]+)"', form).group(1)
        token = re.search(r'data-access-token="([^"]+)"', form).group(1)
        self.assertIn('data-amount="40.0"', form, "the form asks for what is due")
        params = {
            "provider_id": self.env.ref("payment.payment_provider_demo").id,
            "payment_method_id": self.env.ref("payment_demo.payment_method_demo").id,
            "token_id": None,
            "flow": "direct",
            "tokenization_requested": False,
            "landing_route": appointment.access_url,
            "is_validation": False,
            "access_token": token,
        }
        Transaction = self.env["payment.transaction"]
        for amount in (1.0, 400.0, -40.0):
            with self.subTest(amount=amount), self.assertRaises(JsonRpcException):
                self.make_jsonrpc_request(route, dict(params, amount=amount))
        self.assertFalse(
            Transaction.search([("invoice_ids", "in", appointment.deposit_ids.invoice_ids.ids)])
        )
        # what is due goes through
        self.make_jsonrpc_request(route, dict(params, amount=40.0))
        tx = Transaction.search([("invoice_ids", "in", appointment.deposit_ids.invoice_ids.ids)])
        self.assertEqual(tx.amount, 40.0)

    def test_unknown_or_offline_treatment_is_not_found(self):
        self.treatment.online_booking = False
        self.assertEqual(self.url_open(f"/book/{self.treatment.id}").status_code, 404)
        self.assertNotIn("Tour Facial", self.url_open("/book").text)

    def test_posts_need_the_csrf_token(self):
        slot = self._free_slots()[0]
        response = self.url_open(
            f"/book/{self.treatment.id}/confirm",
            data={
                "start": fields.Datetime.to_string(slot["start"]).replace(" ", "T"),
                "practitioner": self.doctor.id,
                "name": "No Token",
                "email": "x@example.com",
                "consent": "1",
            },
            allow_redirects=False,
        )
        self.assertEqual(response.status_code, 400)
        self.assertFalse(self._online_appointments())

    def test_holds_per_visitor_are_limited(self):
        slots = self._free_slots()
        for index in range(10):
            self._confirm(slots[index * 2]["start"], email=f"guest{index}@example.com")
        self.assertEqual(len(self._online_appointments()), 10)
        response = self._confirm(slots[-1]["start"], email="one.more@example.com")
        self.assertIn("error=rate", response.headers["Location"])
        self.assertEqual(len(self._online_appointments()), 10)

    def test_a_logged_in_patient_books_for_themselves(self):
        patient = new_test_user(
            self.env, login="web_patient", name="Wendy Web", groups="base.group_portal"
        )
        self.authenticate("web_patient", "web_patient")
        slot = self._free_slots()[0]
        response = self._confirm(slot["start"], email="someone.else@example.com", name="X")
        self.assertEqual(response.status_code, 303)
        appointment = self._online_appointments()
        self.assertEqual(appointment.patient_id, patient.partner_id, "their own contact")
        # a second booking releases the first hold of the same patient
        self._confirm(self._free_slots()[2]["start"])
        first, second = self._online_appointments()
        self.assertEqual((first.state, second.state), ("cancelled", "awaiting_payment"))
        self.assertEqual(second.patient_id, patient.partner_id)

    def test_a_treatment_without_deposit_confirms_at_once(self):
        self.treatment.deposit_type = "none"
        response = self._confirm(self._free_slots()[0]["start"])
        appointment = self._online_appointments()
        self.assertEqual(appointment.state, "confirmed")
        self.assertFalse(appointment.hold_expires)
        page = self.url_open(response.headers["Location"])
        self.assertIn("Your appointment is confirmed", page.text)
