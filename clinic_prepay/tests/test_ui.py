# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta
from urllib.parse import quote

from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user, tagged

from .common import bookable_time


@tagged("post_install", "-at_install")
class TestClinicUi(HttpCase):
    def test_front_desk_opens_treatments(self):
        new_test_user(
            self.env,
            login="tour_front_desk",
            name="Tour Front Desk",
            groups="clinic_prepay.group_clinic_user",
        )
        product = self.env["product.product"].create(
            {"name": "Tour Peeling", "type": "service", "list_price": 120.0}
        )
        self.env["clinic.treatment"].create(
            {
                "name": "Tour Peeling",
                "product_id": product.id,
                "deposit_type": "percent",
                "deposit_percent": 25.0,
            }
        )
        self.start_tour("/odoo", "clinic_prepay_treatment_tour", login="tour_front_desk")

    def test_front_desk_books_and_takes_the_deposit(self):
        user = new_test_user(
            self.env,
            login="tour_desk",
            name="Tour Desk",
            groups="clinic_prepay.group_clinic_user",
            tz="UTC",
        )
        product = self.env["product.product"].create(
            {
                "name": "Tour Botox",
                "type": "service",
                "list_price": 300.0,
                "taxes_id": [Command.clear()],
            }
        )
        treatment = self.env["clinic.treatment"].create(
            {
                "name": "Tour Botox",
                "product_id": product.id,
                "deposit_type": "fixed",
                "deposit_fixed": 50.0,
                "practitioner_ids": [Command.set(user.ids)],
            }
        )
        start = bookable_time(treatment, user, timedelta(days=1))
        # the time as the desk types it (a UTC user)
        typed = quote(start.strftime("%m/%d/%Y %H:%M:%S"))
        self.start_tour(
            f"/odoo?clinic_start={typed}", "clinic_prepay_front_desk_tour", login="tour_desk"
        )
        patient = self.env["res.partner"].search([("name", "=", "Tour New Caller")])
        self.assertEqual(patient.create_uid, user, "registered by the desk during the call")
        appointment = self.env["clinic.appointment"].search([("patient_id", "=", patient.id)])
        self.assertEqual(appointment.state, "confirmed")
        self.assertEqual((appointment.practitioner_id, appointment.start), (user, start))
        self.assertEqual(appointment.deposit_ids.state, "paid")
        self.assertEqual(appointment.amount_paid, 50.0)

    def test_manager_approves_and_refunds(self):
        new_test_user(
            self.env,
            login="tour_manager",
            name="Tour Manager",
            groups="clinic_prepay.group_clinic_manager,account.group_account_invoice",
        )
        desk = new_test_user(
            self.env,
            login="tour_desk2",
            name="Tour Desk",
            groups="clinic_prepay.group_clinic_user",
        )
        patient = self.env["res.partner"].create({"name": "Refund Patient"})
        product = self.env["product.product"].create(
            {
                "name": "Tour Peel",
                "type": "service",
                "list_price": 100.0,
                "taxes_id": [Command.clear()],
            }
        )
        treatment = self.env["clinic.treatment"].create(
            {
                "name": "Tour Peel",
                "product_id": product.id,
                "deposit_type": "fixed",
                "deposit_fixed": 40.0,
            }
        )
        appointment = (
            self.env["clinic.appointment"]
            .with_user(desk)
            .create(
                {
                    "patient_id": patient.id,
                    "treatment_id": treatment.id,
                    "practitioner_id": desk.id,
                    "start": bookable_time(treatment, desk),
                }
            )
        )
        appointment.with_user(desk).action_book()
        journal = self.env["account.journal"].search(
            [("company_id", "=", self.env.company.id), ("type", "=", "bank")], limit=1
        )
        appointment.deposit_ids.sudo()._register_desk_payment(journal)
        appointment.with_user(desk).action_cancel_by_clinic()
        self.start_tour("/odoo", "clinic_prepay_refund_tour", login="tour_manager")
        request = appointment.deposit_ids.refund_request_ids
        self.assertEqual(request.state, "done")
        self.assertEqual(appointment.deposit_ids.state, "refunded")

    def _paid_booking(self, patient_name, practitioner):
        product = self.env["product.product"].create(
            {"name": "Tour Peel", "type": "service", "list_price": 100.0}
        )
        treatment = self.env["clinic.treatment"].create(
            {
                "name": "Tour Peel",
                "product_id": product.id,
                "deposit_type": "fixed",
                "deposit_fixed": 30.0,
                "practitioner_ids": [Command.set(practitioner.ids)],
            }
        )
        patient = self.env["res.partner"].create(
            {"name": patient_name, "email": "tour.moved@example.com"}
        )
        start = bookable_time(treatment, practitioner, timedelta(days=1))
        appointment = self.env["clinic.appointment"].create(
            {
                "patient_id": patient.id,
                "treatment_id": treatment.id,
                "practitioner_id": practitioner.id,
                "start": start,
            }
        )
        appointment.action_book()
        appointment.deposit_ids.sudo()._register_desk_payment(
            self.env["account.journal"].search(
                [("type", "=", "cash"), ("company_id", "=", self.env.company.id)], limit=1
            ),
            False,
            fields.Date.today(),
        )
        return appointment

    def test_practitioner_moves_a_booking_in_the_calendar(self):
        practitioner = new_test_user(
            self.env,
            login="tour_practitioner",
            name="Dr. Tour",
            groups="clinic_prepay.group_clinic_user",
            tz="UTC",
        )
        appointment = self._paid_booking("Mo Moved", practitioner)
        booked = appointment.start
        self.start_tour(
            f"/odoo/action-calendar.action_calendar_event/{appointment.event_id.id}",
            "clinic_prepay_practitioner_moves_event_tour",
            login="tour_practitioner",
        )
        # the day after, at 11:00
        expected = (booked + timedelta(days=1)).replace(hour=11, minute=0)
        self.assertEqual(appointment.start, expected, "the appointment follows its event")
        self.assertEqual(appointment.state, "confirmed")
        self.env["clinic.appointment.mail"]._cron_send()
        mail = appointment.message_ids.filtered(lambda m: "has moved" in (m.subject or ""))
        self.assertEqual(mail.partner_ids, appointment.patient_id, "the patient is told")
        # the patient's page shows the new time
        self.authenticate(None, None)
        page = self.url_open(appointment.get_portal_url())
        self.assertIn(appointment._format_start(), page.text)

    def test_manager_sets_the_policies(self):
        new_test_user(
            self.env,
            login="tour_manager",
            name="Tour Manager",
            groups="clinic_prepay.group_clinic_manager",
        )
        self.start_tour("/odoo", "clinic_prepay_manager_policies_tour", login="tour_manager")
        self.assertEqual(self.env.company.clinic_free_cancel_hours, 36.0)

    def test_accountant_opens_the_deposit_account(self):
        new_test_user(
            self.env,
            login="tour_accountant",
            name="Tour Accountant",
            groups="account.group_account_manager,account.group_account_user",
        )
        practitioner = new_test_user(
            self.env,
            login="tour_doc_ledger",
            name="Dr. Ledger",
            groups="clinic_prepay.group_clinic_user",
        )
        self._paid_booking("Lena Ledger", practitioner)
        self.start_tour("/odoo", "clinic_prepay_accountant_ledger_tour", login="tour_accountant")

    def test_practitioner_drags_a_booking_in_the_calendar(self):
        practitioner = new_test_user(
            self.env,
            login="tour_dragger",
            name="Dr. Drag",
            groups="clinic_prepay.group_clinic_user",
            tz="UTC",
        )
        appointment = self._paid_booking("Dana Dragged", practitioner)
        start = appointment.start
        self.start_tour(
            "/odoo/action-calendar.action_calendar_event",
            "clinic_prepay_practitioner_drags_event_tour",
            login="tour_dragger",
        )
        self.assertEqual(appointment.start, start + timedelta(days=1), "moved with its event")
        self.assertEqual(appointment.event_id.start, start + timedelta(days=1))
        self.env["clinic.appointment.mail"]._cron_send()
        mails = appointment.message_ids.filtered(lambda m: "has moved" in (m.subject or ""))
        self.assertEqual(mails[:1].partner_ids, appointment.patient_id, "the patient is told")
