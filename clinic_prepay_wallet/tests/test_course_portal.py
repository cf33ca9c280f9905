# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import re

from odoo.tests import HttpCase, new_test_user, tagged

from .common import WalletCommon


@tagged("post_install", "-at_install")
class TestCoursePortal(WalletCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.patient_user = new_test_user(
            cls.env, login="wallet_patricia", name="Wallet Patricia", groups="base.group_portal"
        )
        cls.other_user = new_test_user(
            cls.env, login="wallet_peter", name="Wallet Peter", groups="base.group_portal"
        )
        cls.patient_user.partner_id.email = "wallet.patricia@example.com"

    def csrf_token(self):
        """The session's CSRF token, as a portal form posts it."""
        page = self.url_open("/my/account")
        return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)

    def test_wallet_page_shows_own_courses_only(self):
        mine = self._sell_paid(patient=self.patient_user.partner_id)
        theirs = self._sell_paid(patient=self.other_user.partner_id)
        self.authenticate("wallet_patricia", "wallet_patricia")
        page = self.url_open("/my/wallet").text
        self.assertIn("6</strong> of", page.replace("\n", ""))
        self.assertIn(mine.program_id.name, page)
        self.assertNotIn(theirs.code, page)
        self.assertNotIn(
            mine.code, page.split("Buy a course")[1] if "Buy a course" in page else ""
        )
        self.authenticate(None, None)
        response = self.url_open("/my/wallet", allow_redirects=False)
        self.assertIn(response.status_code, (302, 303))
        self.assertIn("/web/login", response.headers["Location"])

    def test_buy_online_then_pay(self):
        self.authenticate("wallet_patricia", "wallet_patricia")
        page = self.url_open("/my/wallet").text
        self.assertIn("Buy a course", page)
        response = self.url_open(
            f"/my/wallet/buy/{self.course.id}",
            data={"csrf_token": self.csrf_token()},
            allow_redirects=False,
        )
        self.assertEqual(response.status_code, 303)
        self.assertIn("/payment/pay?", response.headers["Location"])
        card = self.env["loyalty.card"].search(
            [("partner_id", "=", self.patient_user.partner_id.id)]
        )
        self.assertEqual(card.clinic_state, "pending")
        # buying again offers the same unpaid course
        self.url_open(
            f"/my/wallet/buy/{self.course.id}",
            data={"csrf_token": self.csrf_token()},
            allow_redirects=False,
        )
        self.assertEqual(
            self.env["loyalty.card"].search_count(
                [("partner_id", "=", self.patient_user.partner_id.id)]
            ),
            1,
        )
        # the payment form opens for its price
        form = self.url_open(response.headers["Location"])
        self.assertEqual(form.status_code, 200)
        self.assertIn("o_payment_form", form.text)
        self._pay_course_online(card)
        self.assertEqual(card.clinic_state, "active")
        page = self.url_open("/my/wallet").text
        self.assertIn("Bought: 6 sessions", page)

    def test_course_not_sold_online_is_not_bought(self):
        self.course.clinic_online = False
        self.authenticate("wallet_patricia", "wallet_patricia")
        response = self.url_open(
            f"/my/wallet/buy/{self.course.id}",
            data={"csrf_token": self.csrf_token()},
            allow_redirects=False,
        )
        self.assertIn("/my/wallet", response.headers["Location"])
        self.assertFalse(
            self.env["loyalty.card"].search([("partner_id", "=", self.patient_user.partner_id.id)])
        )

    def test_appointment_page_says_course_session(self):
        partner = self.patient_user.partner_id
        self._sell_paid(patient=partner)
        appointment = self._appointment(
            self._bookable_time(), patient=partner, user=self.front_desk
        )
        appointment.with_user(self.front_desk).action_book()
        self.authenticate("wallet_patricia", "wallet_patricia")
        page = self.url_open(f"/my/appointments/{appointment.id}").text
        self.assertIn("Six Botox: session 1 of 6", page)
