# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import re
from datetime import timedelta

from odoo import Command
from odoo.tests import HttpCase, JsonRpcException, new_test_user, tagged

from .common import bookable_time


@tagged("post_install", "-at_install")
class TestCardPortal(HttpCase):
    """The patient's pages of a booking protected by a card on file."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.provider = cls.env.ref("payment.payment_provider_demo")
        cls.provider.write({"state": "test", "is_published": True, "allow_tokenization": True})
        cls.patient_user = new_test_user(
            cls.env, login="card_patricia", name="Patricia Card", groups="base.group_portal"
        )
        cls.other_user = new_test_user(
            cls.env, login="card_peter", name="Peter Card", groups="base.group_portal"
        )
        practitioner = new_test_user(
            cls.env, login="card_doc", name="Dr. Card", groups="clinic_prepay.group_clinic_user"
        )
        product = cls.env["product.product"].create(
            {
                "name": "Card peel",
                "type": "service",
                "list_price": 80.0,
                "taxes_id": [Command.clear()],
            }
        )
        Treatment = cls.env["clinic.treatment"]
        card = Treatment.create(
            {"name": "Card peel", "product_id": product.id, "no_show_protection": "card"}
        )
        both = Treatment.create(
            {
                "name": "Card and deposit peel",
                "product_id": product.id,
                "deposit_type": "fixed",
                "deposit_fixed": 30.0,
                "no_show_protection": "both",
            }
        )
        start = bookable_time(card, practitioner, timedelta(days=5))

        def book(treatment, partner, hours):
            appointment = cls.env["clinic.appointment"].create(
                {
                    "patient_id": partner.id,
                    "treatment_id": treatment.id,
                    "practitioner_id": practitioner.id,
                    "start": start + timedelta(hours=hours),
                }
            )
            appointment.action_book()
            appointment._portal_ensure_token()
            return appointment

        cls.mine = book(card, cls.patient_user.partner_id, 0)
        cls.theirs = book(card, cls.other_user.partner_id, 2)
        cls.with_deposit = book(both, cls.patient_user.partner_id, 4)

    def _csrf(self, url):
        page = self.url_open(url)
        self.assertEqual(page.status_code, 200)
        return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)

    def test_patient_saves_a_card(self):
        """The patient's journey: agree, Odoo's payment form in validation
        mode (demo provider), back on the appointment, confirmed."""
        self.start_tour(
            self.mine.get_portal_url(),
            "clinic_prepay_patient_saves_card_tour",
            login="card_patricia",
        )
        self.assertEqual(self.mine.state, "confirmed")
        self.assertIn("Card on file", self.mine.card_consent_text)
        token = self.mine.card_token_id
        self.assertEqual(token.partner_id, self.patient_user.partner_id)
        tx = self.mine.card_transaction_ids
        self.assertEqual((tx.operation, tx.state, tx.token_id), ("validation", "done", token))

    def test_consent_then_card_form_by_link(self):
        """From the mailed link (no login): no card without ticking the
        consent; then the validation form and its transaction route."""
        url = self.mine.get_portal_url()
        card_url = self.mine.get_portal_url(suffix="/card")
        csrf = self._csrf(url)
        # the form cannot be skipped
        page = self.url_open(card_url, allow_redirects=False)
        self.assertIn(page.status_code, (302, 303))
        self.url_open(card_url, data={"csrf_token": csrf}, allow_redirects=False)
        self.assertFalse(self.mine.card_consent_date)
        response = self.url_open(card_url, data={"csrf_token": csrf, "consent": "1"})
        self.assertEqual(response.status_code, 200)
        self.assertTrue(self.mine.card_consent_date)
        self.assertIn('data-mode="validation"', response.text)
        route = f"/my/appointments/{self.mine.id}/card/transaction"
        self.assertIn(route, response.text)
        values = self.make_jsonrpc_request(
            route,
            {
                "access_token": self.mine.access_token,
                "provider_id": self.provider.id,
                "payment_method_id": self.env.ref("payment_demo.payment_method_demo").id,
                "token_id": None,
                "amount": None,
                "flow": "direct",
                "tokenization_requested": False,
                "landing_route": url,
                "is_validation": True,
            },
        )
        tx = self.env["payment.transaction"].search([("reference", "=", values["reference"])])
        self.assertEqual(
            (tx.operation, tx.tokenize, tx.clinic_appointment_id, tx.partner_id),
            ("validation", True, self.mine, self.mine.patient_id),
        )

    def test_other_patients_are_refused(self):
        self.theirs.sudo()._record_card_consent()
        card_url = f"/my/appointments/{self.theirs.id}/card"
        self.authenticate("card_patricia", "card_patricia")
        csrf = self._csrf(self.mine.get_portal_url())
        for url in (card_url, f"{card_url}?access_token={self.mine.access_token}"):
            response = self.url_open(
                url, data={"csrf_token": csrf, "consent": "1"}, allow_redirects=False
            )
            self.assertEqual(response.headers.get("Location", "").split("?")[0][-3:], "/my")
        with self.assertRaises(JsonRpcException):
            self.make_jsonrpc_request(
                f"/my/appointments/{self.theirs.id}/card/transaction",
                {
                    "access_token": self.mine.access_token,
                    "provider_id": self.provider.id,
                    "payment_method_id": self.env.ref("payment_demo.payment_method_demo").id,
                    "flow": "direct",
                    "tokenization_requested": True,
                    "landing_route": "/my",
                },
            )
        self.assertFalse(self.theirs.card_transaction_ids)
        # anonymous without the token
        self.authenticate(None, None)
        response = self.url_open(card_url, allow_redirects=False)
        self.assertEqual(response.headers.get("Location", "").split("?")[0][-3:], "/my")

    def test_with_a_deposit_the_payment_saves_the_card(self):
        appointment = self.with_deposit
        url = appointment.get_portal_url()
        page = self.url_open(url)
        # before consent the deposit's button is the consent form
        self.assertNotIn("o_clinic_pay_now", page.text)
        self.assertIn("Pay the deposit and save my card", page.text)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        response = self.url_open(
            appointment.get_portal_url(suffix="/card"),
            data={"csrf_token": csrf, "consent": "1"},
            allow_redirects=False,
        )
        link = appointment._get_payment_link()
        self.assertTrue(response.headers["Location"].endswith(link))
        form = self.url_open(link)
        self.assertEqual(form.status_code, 200)
        # the card is saved: no "save my payment details" choice to untick
        self.assertIn("o_payment_form", form.text)
        self.assertNotIn('name="o_payment_tokenize_checkbox"', form.text)
        invoice = appointment.deposit_ids.invoice_id
        values = self.make_jsonrpc_request(
            f"/invoice/transaction/{invoice.id}",
            {
                "access_token": invoice._portal_ensure_token(),
                "provider_id": self.provider.id,
                "payment_method_id": self.env.ref("payment_demo.payment_method_demo").id,
                "token_id": None,
                "amount": 30.0,
                "flow": "direct",
                "tokenization_requested": False,
                "landing_route": url,
                "is_validation": False,
            },
        )
        tx = self.env["payment.transaction"].search([("reference", "=", values["reference"])])
        self.assertTrue(tx.tokenize)
        tx._handle_notification_data(
            "demo",
            {"reference": tx.reference, "simulated_state": "done", "payment_details": "4242"},
        )
        tx._post_process()
        self.assertEqual(appointment.state, "confirmed")
        self.assertEqual(appointment.card_token_id, tx.token_id)
