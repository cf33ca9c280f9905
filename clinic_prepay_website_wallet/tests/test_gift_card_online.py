# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import re
from urllib.parse import parse_qs, urlparse

from odoo import fields
from odoo.addons.clinic_prepay_website.tests.common import OnlineBookingCase
from odoo.tests import new_test_user, tagged


@tagged("post_install", "-at_install")
class TestGiftCardOnline(OnlineBookingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company._clinic_ensure_accounting()
        cls.program = cls.env["loyalty.program"].create(
            {"name": "Tour Gift Card", "program_type": "gift_card", "clinic_gift_card": True}
        )
        cls.bank = cls.env["account.journal"].search(
            [("company_id", "=", cls.company.id), ("type", "=", "bank")], limit=1
        )
        cls.other = new_test_user(
            cls.env, login="gift_other", name="Otto Other", groups="base.group_portal"
        )

    def _buy(self, amount="60", **extra):
        page = self.url_open("/gift-cards")
        self.assertEqual(page.status_code, 200)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        data = {
            "csrf_token": csrf,
            "program_id": self.program.id,
            "amount": amount,
            "recipient_name": "Rita Recipient",
            "recipient_email": "rita@example.com",
            "message": "For you",
            "name": "Sam Sender",
            "email": "sam@example.com",
            **extra,
        }
        return self.url_open("/gift-cards/buy", data=data, allow_redirects=False)

    def _cards(self):
        return self.env["loyalty.card"].search([("program_id", "=", self.program.id)])

    def _bought_card(self):
        response = self._buy()
        self.assertEqual(response.status_code, 303)
        self.assertIn("/payment/pay", response.headers["Location"])
        card = self._cards()[-1]
        card._clinic_register_desk_payment(self.bank)
        self.assertEqual(card.clinic_state, "active")
        return card

    def _confirm_with_code(self, start, code):
        token = fields.Datetime.to_string(start).replace(" ", "T")
        data = {
            "csrf_token": self._csrf(),
            "start": token,
            "practitioner": self.doctor.id,
            "name": "Rita Recipient",
            "email": "rita@example.com",
            "consent": "1",
            "gift_card_code": code,
        }
        return self.url_open(
            f"/book/{self.treatment.id}/confirm", data=data, allow_redirects=False
        )

    def test_visitor_buys_and_recipient_books_with_the_code(self):
        self.authenticate(None, None)
        card = self._bought_card()
        self.assertEqual(card.partner_id.name, "Sam Sender")
        self.assertEqual((card.clinic_recipient_name, card.points), ("Rita Recipient", 60.0))
        # the recipient books as a guest and gives the code
        slot = self._free_slots()[0]
        details = self.url_open(
            f"/book/{self.treatment.id}/details?start={self._token(slot['start'])}"
            f"&practitioner={self.doctor.id}"
        ).text
        self.assertIn('name="gift_card_code"', details)
        response = self._confirm_with_code(slot["start"], card.code)
        location = response.headers["Location"]
        self.assertIn("gift_card=paid", location)
        appointment = self._online_appointments()[-1]
        self.assertEqual(appointment.patient_id.name, "Rita Recipient")
        self.assertEqual(appointment.state, "confirmed")
        self.assertEqual(appointment.gift_card_paid, 40.0)
        self.assertEqual(card.points, 20.0)
        page = self.url_open(location).text
        self.assertIn("Paid by gift card", page)

    def test_bad_purchases_write_nothing(self):
        self.authenticate(None, None)
        before = len(self._cards())
        for amount, message in (("1", "sold for"), ("-20", "positive"), ("abc", "positive")):
            with self.subTest(amount=amount):
                response = self._buy(amount=amount)
                query = parse_qs(urlparse(response.headers["Location"]).query)
                self.assertIn(message, query["error"][0])
        response = self._buy(email="not-an-email")
        self.assertIn("error=", response.headers["Location"])
        self.assertEqual(len(self._cards()), before)

    def test_appointment_page_code_is_rate_limited(self):
        self.authenticate(None, None)
        card = self._bought_card()
        slot = self._free_slots()[0]
        self._confirm(slot["start"])
        appointment = self._online_appointments()[-1]
        self.assertEqual(appointment.state, "awaiting_payment")
        url = appointment.get_portal_url()
        token = parse_qs(urlparse(url).query)["access_token"][0]
        page = self.url_open(url).text
        self.assertIn('name="gift_card_code"', page)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

        def post(code):
            response = self.url_open(
                f"/my/appointments/{appointment.id}/gift-card",
                data={"csrf_token": csrf, "access_token": token, "gift_card_code": code},
                allow_redirects=False,
            )
            location = response.headers["Location"]
            query = parse_qs(urlparse(location).query)
            if query.get("gift_card") == ["error"]:
                # the message is shown on the page, not carried by the link
                page = self.url_open(location).text
                query["gift_card_error"] = [
                    re.search(r'o_clinic_gift_card_error"[^>]*>\s*([^<]+)<', page).group(1)
                ]
            return query

        for attempt in range(10):
            answer = post(f"WRONGCODE{attempt:07d}".replace("0", "A").replace("1", "B"))
            self.assertIn("not one of our gift cards", answer["gift_card_error"][0])
        # the eleventh try is refused, even with the right code
        answer = post(card.code)
        self.assertIn("Too many wrong codes", answer["gift_card_error"][0])
        self.assertEqual((card.points, appointment.state), (60.0, "awaiting_payment"))
        # an hour later (the counted attempts age out) the code pays
        self.env["clinic.gift.card.attempt"].sudo().search([]).write(
            {"date": fields.Datetime.subtract(fields.Datetime.now(), hours=2)}
        )
        answer = post(card.code)
        self.assertEqual(answer["gift_card"], ["paid"])
        self.assertEqual((card.points, appointment.state), (20.0, "confirmed"))
        # nothing left to pay: said so, and not counted as a wrong code
        attempts = self.env["clinic.gift.card.attempt"].sudo().search_count([])
        answer = post(card.code)
        self.assertIn("Nothing is due", answer["gift_card_error"][0])
        self.assertEqual(self.env["clinic.gift.card.attempt"].sudo().search_count([]), attempts)
        self.assertEqual(card.points, 20.0)

        # another patient, without the link's token, cannot use the page
        self.authenticate("gift_other", "gift_other")
        page = self.url_open("/my")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        response = self.url_open(
            f"/my/appointments/{appointment.id}/gift-card",
            data={"csrf_token": csrf.group(1) if csrf else "", "gift_card_code": card.code},
            allow_redirects=False,
        )
        self.assertIn(response.status_code, (303, 400))
        self.assertEqual(card.points, 20.0)


@tagged("post_install", "-at_install")
class TestGiftCardPhone(OnlineBookingCase):
    browser_size = "390x844"
    touch_enabled = True

    def test_visitor_buys_and_recipient_books_with_the_code(self):
        self.company._clinic_ensure_accounting()
        program = self.env["loyalty.program"].create(
            {"name": "Tour Gift Card", "program_type": "gift_card", "clinic_gift_card": True}
        )
        self.start_tour("/gift-cards", "clinic_wallet_visitor_buys_gift_card_tour")
        card = self.env["loyalty.card"].search([("program_id", "=", program.id)])
        self.assertEqual(card.partner_id.name, "Sam Sender")
        self.assertEqual((card.clinic_state, card.points), ("active", 60.0))
        self.assertEqual(card.clinic_recipient_email, "rita@example.com")
        mail = self.env["mail.mail"].search(
            [("model", "=", "loyalty.card"), ("res_id", "=", card.id)]
        )
        self.assertIn(card.code, "".join(mail.mapped("body_html")))
        # the code the recipient types, as printed (the tour cannot read mail)
        card.code = "GYFTCARDTVR23456"
        self.start_tour("/book", "clinic_wallet_recipient_books_with_code_tour")
        appointment = self._online_appointments()[-1]
        self.assertEqual(appointment.patient_id.name, "Rita Recipient")
        self.assertEqual((appointment.state, appointment.gift_card_paid), ("confirmed", 40.0))
        self.assertEqual(card.points, 20.0)
