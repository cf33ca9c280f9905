# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user, tagged


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
        patient = self.env["res.partner"].create(
            {"name": "Tour Patient", "email": "tour.patient@example.com"}
        )
        product = self.env["product.product"].create(
            {
                "name": "Tour Botox",
                "type": "service",
                "list_price": 300.0,
                "taxes_id": [Command.clear()],
            }
        )
        self.env["clinic.treatment"].create(
            {
                "name": "Tour Botox",
                "product_id": product.id,
                "deposit_type": "fixed",
                "deposit_fixed": 50.0,
            }
        )
        self.start_tour("/odoo", "clinic_prepay_front_desk_tour", login="tour_desk")
        appointment = self.env["clinic.appointment"].search([("patient_id", "=", patient.id)])
        self.assertEqual(appointment.state, "confirmed")
        self.assertEqual(appointment.practitioner_id, user)
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
                    "start": fields.Datetime.now().replace(microsecond=0) + timedelta(days=4),
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
