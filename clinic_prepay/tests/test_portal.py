# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging
from datetime import timedelta
from unittest.mock import patch

import psycopg2

from odoo import Command, http
from odoo.addons.payment.controllers.post_processing import PaymentPostProcessing
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import JsonRpcException

from .common import bookable_time


@tagged("post_install", "-at_install")
class TestClinicPortal(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.patient_user = new_test_user(
            cls.env, login="portal_patricia", name="Patricia Portal", groups="base.group_portal"
        )
        cls.other_user = new_test_user(
            cls.env, login="portal_peter", name="Peter Portal", groups="base.group_portal"
        )
        new_test_user(
            cls.env, login="portal_outsider_staff", name="Olga Office", groups="base.group_user"
        )
        practitioner = new_test_user(
            cls.env,
            login="portal_doc",
            name="Dr. Portal",
            groups="clinic_prepay.group_clinic_user",
        )
        product = cls.env["product.product"].create(
            {
                "name": "Portal peel",
                "type": "service",
                "list_price": 80.0,
                "taxes_id": [Command.clear()],
            }
        )
        treatment = cls.env["clinic.treatment"].create(
            {
                "name": "Portal peel",
                "product_id": product.id,
                "deposit_type": "fixed",
                "deposit_fixed": 30.0,
            }
        )
        start = bookable_time(treatment, practitioner, timedelta(days=5))
        cls.mine = cls.env["clinic.appointment"].create(
            {
                "patient_id": cls.patient_user.partner_id.id,
                "treatment_id": treatment.id,
                "practitioner_id": practitioner.id,
                "start": start,
            }
        )
        cls.mine.action_book()
        cls.theirs = cls.env["clinic.appointment"].create(
            {
                "patient_id": cls.other_user.partner_id.id,
                "treatment_id": treatment.id,
                "practitioner_id": practitioner.id,
                "start": start + timedelta(hours=2),
            }
        )
        cls.theirs.action_book()
        cls.mine._portal_ensure_token()
        cls.theirs._portal_ensure_token()

    def _get(self, url):
        return self.url_open(url, allow_redirects=False)

    def _assert_refused(self, response):
        self.assertIn(response.status_code, (302, 303))
        self.assertNotIn("/my/appointments/", response.headers.get("Location", ""))

    def test_patient_sees_own_appointment(self):
        self.authenticate("portal_patricia", "portal_patricia")
        response = self._get(f"/my/appointments/{self.mine.id}")
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.mine.name, response.text)
        self.assertIn("Pay the deposit", response.text)
        invoice = self.mine.deposit_ids.invoice_id
        self.assertIn(f"/payment/pay?amount=30.0&amp;invoice_id={invoice.id}&amp;", response.text)

        listing = self._get("/my/appointments")
        self.assertEqual(listing.status_code, 200)
        self.assertIn(self.mine.name, listing.text)
        self.assertNotIn(self.theirs.name, listing.text)

        home = self.url_open("/my/home")
        self.assertIn("/my/appointments", home.text)

    def test_the_payment_link_shows_the_policy_before_paying(self):
        """A phone booking accepted no policy yet: the page its payment link
        opens gives the cancellation and no-show terms next to the amount."""
        self.assertFalse(self.mine.consent_text)
        page = self._get(self.mine.get_portal_url()).text
        self.assertIn("o_clinic_policy", page)
        self.assertIn("Cancellation and no-show policy", page)
        for line in self.mine._get_policy_lines():
            self.assertIn(line.replace("'", "&#39;"), page)
        self.assertIn("By paying the deposit you accept this policy.", page)
        # an online booking shows the policy it accepted instead
        self.mine.sudo().write({"consent_text": "Accepted terms"})
        self.assertNotIn("o_clinic_policy", self._get(self.mine.get_portal_url()).text)

    def test_a_draft_is_not_shown_to_the_patient(self):
        draft = self.env["clinic.appointment"].create(
            {
                "patient_id": self.patient_user.partner_id.id,
                "treatment_id": self.mine.treatment_id.id,
                "practitioner_id": self.mine.practitioner_id.id,
                "start": self.mine.start + timedelta(days=1),
            }
        )
        self.authenticate("portal_patricia", "portal_patricia")
        self.assertNotIn(draft.name, self._get("/my/appointments").text)
        self._assert_refused(self._get(f"/my/appointments/{draft.id}"))
        # the booking badge has the state's colour
        self.assertIn("text-bg-warning", self._get(f"/my/appointments/{self.mine.id}").text)

    def test_patient_pays_the_deposit_online(self):
        """The patient's journey: the appointment page, Odoo's payment form
        (demo provider), back on the appointment, confirmed and paid."""
        provider = self.env.ref("payment.payment_provider_demo")
        provider.write({"state": "test", "is_published": True})
        self.start_tour(
            self.mine.get_portal_url(), "clinic_prepay_patient_pays_tour", login="portal_patricia"
        )
        deposit = self.mine.deposit_ids
        self.assertEqual(self.mine.state, "confirmed")
        self.assertEqual((deposit.state, deposit.amount_paid), ("paid", 30.0))
        tx = deposit.transaction_ids
        self.assertEqual((tx.state, tx.amount), ("done", 30.0))
        self.assertTrue(tx.reference.startswith(deposit.name))
        self.assertEqual(deposit.invoice_id.state, "posted")
        self.assertIn(deposit.invoice_id.payment_state, ("paid", "in_payment"))

    def test_staff_portal_lists_only_their_own_appointments(self):
        """An internal user's /my shows their own appointments as a patient,
        not the clinic's."""
        new_test_user(
            self.env, login="portal_desk", name="Desk", groups="clinic_prepay.group_clinic_user"
        )
        self.authenticate("portal_desk", "portal_desk")
        listing = self._get("/my/appointments")
        self.assertEqual(listing.status_code, 200)
        self.assertNotIn(self.mine.name, listing.text)
        self.assertNotIn(self.theirs.name, listing.text)
        home = self.make_jsonrpc_request(
            "/my/counters", {"counters": ["clinic_appointment_count"]}
        )
        self.assertEqual(home["clinic_appointment_count"], 0)

    def test_an_employee_without_clinic_rights_gets_the_page_empty(self):
        self.authenticate("portal_outsider_staff", "portal_outsider_staff")
        listing = self._get("/my/appointments")
        self.assertEqual(listing.status_code, 200)
        self.assertIn("You have no appointment yet.", listing.text)
        self.assertNotIn(self.mine.name, listing.text)
        home = self.make_jsonrpc_request(
            "/my/counters", {"counters": ["clinic_appointment_count"]}
        )
        self.assertEqual(home["clinic_appointment_count"], 0)

    def test_contention_while_polling_a_payment_is_not_an_error(self):
        """The payment status poll meets a concurrent update: the browser is
        told to poll again, and the log says so at INFO, without an ERROR
        traceback."""
        provider = self.env.ref("payment.payment_provider_demo")
        provider.write({"state": "test", "is_published": True})
        invoice = self.mine.deposit_ids.invoice_id
        Transaction = self.env["payment.transaction"]
        tx = Transaction.create(
            {
                "provider_id": provider.id,
                "payment_method_id": self.env.ref("payment_demo.payment_method_demo").id,
                "amount": 30.0,
                "currency_id": invoice.currency_id.id,
                "partner_id": invoice.partner_id.id,
                "reference": Transaction._compute_reference(
                    "demo", invoice_ids=[Command.set(invoice.ids)]
                ),
                "operation": "online_redirect",
                "invoice_ids": [Command.set(invoice.ids)],
            }
        )
        tx._handle_notification_data(
            "demo", {"reference": tx.reference, "simulated_state": "done"}
        )
        self.authenticate("portal_patricia", "portal_patricia")
        self.session[PaymentPostProcessing.MONITORED_TX_ID_KEY] = tx.id
        http.root.session_store.save(self.session)

        def contended(records):
            raise psycopg2.errors.SerializationFailure("could not serialize access")

        with (
            patch.object(type(Transaction), "_post_process", contended),
            self.assertNoLogs("odoo.http", logging.ERROR),
            self.assertLogs("odoo.addons.clinic_prepay.controllers", logging.INFO) as logs,
            self.assertRaises(JsonRpcException) as caught,
        ):
            self.make_jsonrpc_request("/payment/status/poll")
        self.assertEqual(str(caught.exception), "builtins.Exception", "Odoo's 'retry'")
        self.assertIn("SerializationFailure", logs.output[0])
        # the next poll, without contention, completes the payment
        self.make_jsonrpc_request("/payment/status/poll")
        self.env.invalidate_all()
        self.assertEqual(self.mine.deposit_ids.state, "paid")

    def test_patient_cancels_inside_the_window(self):
        journal = self.env["account.journal"].search(
            [("company_id", "=", self.env.company.id), ("type", "=", "bank")], limit=1
        )
        self.mine.deposit_ids.sudo()._register_desk_payment(journal)
        self.assertEqual(self.mine.state, "confirmed")
        self.start_tour(
            self.mine.get_portal_url(),
            "clinic_prepay_patient_cancels_tour",
            login="portal_patricia",
        )
        self.assertEqual((self.mine.state, self.mine.cancel_reason), ("cancelled", "patient"))
        request = self.mine.deposit_ids.refund_request_ids
        self.assertEqual((request.state, request.amount), ("submitted", 30.0))

    def test_cancel_needs_the_patient_and_a_post(self):
        # another patient: refused, nothing changes
        self.authenticate("portal_peter", "portal_peter")
        response = self.url_open(
            f"/my/appointments/{self.mine.id}/cancel", data={}, allow_redirects=False
        )
        self.assertIn(response.status_code, (302, 303, 400))
        self.assertEqual(self.mine.state, "awaiting_payment")
        # the preview (GET) cancels nothing
        self.authenticate("portal_patricia", "portal_patricia")
        page = self._get(f"/my/appointments/{self.mine.id}/cancel")
        self.assertEqual(page.status_code, 200)
        self.assertIn("Nothing was paid", page.text)
        self.assertEqual(self.mine.state, "awaiting_payment")

    def test_other_patient_is_refused(self):
        self.authenticate("portal_peter", "portal_peter")
        self._assert_refused(self._get(f"/my/appointments/{self.mine.id}"))
        # a token is valid for its own record only
        self._assert_refused(
            self._get(f"/my/appointments/{self.mine.id}?access_token={self.theirs.access_token}")
        )
        listing = self._get("/my/appointments")
        self.assertNotIn(self.mine.name, listing.text)

    def test_anonymous_visitor_needs_the_right_token(self):
        self._assert_refused(self._get(f"/my/appointments/{self.mine.id}"))
        self._assert_refused(self._get(f"/my/appointments/{self.mine.id}?access_token=wrong"))
        self._assert_refused(
            self._get(f"/my/appointments/{self.mine.id}?access_token={self.theirs.access_token}")
        )
        self._assert_refused(self._get("/my/appointments/999999?access_token=x"))
        listing = self._get("/my/appointments")
        self.assertIn("/web/login", listing.headers.get("Location", ""))
        # the payment link in the email works without logging in
        response = self._get(self.mine.get_portal_url())
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.mine.name, response.text)
        self.assertIn("30.00", response.text)
