# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import re
from urllib.parse import parse_qs, urlsplit

from odoo import Command
from odoo.addons.clinic_prepay_website_membership.controllers.main import (
    SIGN_UPS_PER_IP_PER_HOUR,
)
from odoo.tests import HttpCase, new_test_user, tagged

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class MembershipOnlineCase(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company._clinic_ensure_accounting()
        cls.env.ref("payment.payment_provider_demo").write(
            {"state": "test", "is_published": True, "allow_tokenization": True}
        )
        product = cls.env["product.product"].create(
            {"name": "Web Facial", "type": "service", "list_price": 120.0}
        )
        treatment = cls.env["clinic.treatment"].create(
            {"name": "Web Facial", "product_id": product.id, "deposit_type": "none"}
        )
        cls.plan = cls.env["clinic.membership.plan"].create(
            {
                "name": "Web Glow",
                "price": 49.0,
                "treatment_ids": [Command.set(treatment.ids)],
                "credits_per_period": 1,
                "credit_value": 30.0,
                "discount_percent": 10.0,
                "no_deposit": True,
                "terms": "49 a month to my card until I cancel.",
            }
        )
        cls.hidden = cls.env["clinic.membership.plan"].create(
            {"name": "Staff Only", "price": 10.0, "online": False}
        )

    def _memberships(self):
        return self.env["clinic.membership"].search([("plan_id", "=", self.plan.id)])


@tagged("post_install", "-at_install")
class TestMembershipOnline(MembershipOnlineCase):
    def _join(self, **data):
        page = self.url_open("/memberships")
        token = CSRF.search(page.text).group(1)
        return self.url_open(
            "/memberships/join",
            data={"csrf_token": token, "plan_id": self.plan.id, **data},
            allow_redirects=False,
        )

    def _error(self, response):
        self.assertIn(response.status_code, (302, 303))
        return parse_qs(urlsplit(response.headers["Location"]).query).get("error", [""])[0]

    def test_the_page_shows_the_online_plans_to_anyone(self):
        page = self.url_open("/memberships")
        self.assertEqual(page.status_code, 200)
        for text in (
            "Web Glow",
            "49.00",
            "1 \u00d7",  # 1 x Web Facial included
            "Web Facial",
            "10.0 % off",
            "No deposit",
            "49 a month",
        ):
            self.assertIn(text, page.text)
        self.assertNotIn("Staff Only", page.text)
        self.assertIn('name="email"', page.text)
        menu = self.env.ref("clinic_prepay_website_membership.menu_memberships")
        self.assertEqual(menu.url, "/memberships")

    def test_a_guest_joins_and_goes_to_the_payment(self):
        response = self._join(name="Gail Guest", email="gail@example.com", accept_terms="1")
        self.assertIn(response.status_code, (302, 303))
        location = response.headers["Location"]
        self.assertEqual(urlsplit(location).path, "/payment/pay")
        membership = self._memberships()
        self.assertEqual(len(membership), 1)
        self.assertEqual((membership.state, membership.source), ("draft", "online"))
        self.assertEqual(membership.partner_id.email, "gail@example.com")
        self.assertEqual(membership.consent_text, self.plan.terms)
        self.assertEqual(membership.consent_ip, "127.0.0.1")
        self.assertIn(f"invoice_id={membership.period_ids.invoice_id.id}", location)
        self.assertIn("access_token=", location)
        # the link opens Odoo's payment form, for a visitor without an account
        form = self.url_open(location)
        self.assertEqual(form.status_code, 200)
        self.assertIn("o_payment_form", form.text)
        # a second guest with the same email is a new contact
        self._join(name="Gail Guest", email="gail@example.com", accept_terms="1")
        self.assertEqual(len(self._memberships().partner_id), 2)

    def test_bad_input_writes_nothing(self):
        partners = self.env["res.partner"].search_count([])
        for data, message in [
            ({"name": "Gail", "email": "gail@example.com"}, "Accept the terms"),
            ({"name": "", "email": "gail@example.com", "accept_terms": "1"}, "name and email"),
            ({"name": "Gail", "email": "not-an-email", "accept_terms": "1"}, "name and email"),
        ]:
            with self.subTest(data=data):
                self.assertIn(message, self._error(self._join(**data)))
        self.assertFalse(self._memberships())
        self.assertEqual(self.env["res.partner"].search_count([]), partners)
        # a plan not offered online cannot be joined
        page = self.url_open("/memberships")
        token = CSRF.search(page.text).group(1)
        response = self.url_open(
            "/memberships/join",
            data={"csrf_token": token, "plan_id": self.hidden.id, "accept_terms": "1"},
            allow_redirects=False,
        )
        self.assertEqual(response.status_code, 404)
        self.assertFalse(self.env["clinic.membership"].search([("plan_id", "=", self.hidden.id)]))

    def test_one_visitor_starts_a_few_sign_ups_an_hour(self):
        for index in range(SIGN_UPS_PER_IP_PER_HOUR):
            self._join(name=f"Bot {index}", email=f"bot{index}@example.com", accept_terms="1")
        self.assertEqual(len(self._memberships()), SIGN_UPS_PER_IP_PER_HOUR)
        response = self._join(name="Bot", email="bot@example.com", accept_terms="1")
        self.assertIn("Too many sign-ups", self._error(response))
        self.assertEqual(len(self._memberships()), SIGN_UPS_PER_IP_PER_HOUR)

    def test_a_logged_in_patient_joins_as_themselves(self):
        user = new_test_user(
            self.env, login="web_member", name="Wendy Member", groups="base.group_portal"
        )
        self.authenticate(user.login, user.login)
        page = self.url_open("/memberships")
        self.assertNotIn('name="email"', page.text)
        response = self._join(accept_terms="1")
        self.assertEqual(urlsplit(response.headers["Location"]).path, "/payment/pay")
        membership = self._memberships()
        self.assertEqual(membership.partner_id, user.partner_id)
        # joining again leads to the same payment
        again = self._join(accept_terms="1")
        self.assertEqual(again.headers["Location"], response.headers["Location"])
        self.assertEqual(len(self._memberships()), 1)


@tagged("post_install", "-at_install")
class TestMembershipOnlinePhone(MembershipOnlineCase):
    browser_size = "390x844"
    touch_enabled = True

    def test_a_guest_joins_and_pays_on_a_phone(self):
        self.start_tour("/memberships", "clinic_membership_guest_joins_tour")
        membership = self._memberships()
        self.assertEqual(membership.partner_id.name, "Gail Guest")
        self.assertEqual(membership.state, "active")
        self.assertTrue(membership.token_id)
        self.assertEqual(membership.credits_left, 1)
        self.assertEqual(membership.period_ids.invoice_id.payment_state, "paid")
