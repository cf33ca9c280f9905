# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from psycopg2.errors import CheckViolation

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from .common import ClinicCommon


@tagged("post_install", "-at_install")
class TestClinicTreatment(ClinicCommon):
    def test_deposit_amount_per_policy(self):
        treatment = self.treatment_botox
        self.assertEqual(treatment.price, 300.0)
        self.assertEqual(treatment.deposit_amount, 50.0)

        treatment.write({"deposit_type": "percent", "deposit_percent": 15.0})
        self.assertEqual(treatment.deposit_amount, 45.0)
        # 99.99 * 15% = 14.9985, rounded by the company currency
        self.product_botox.lst_price = 99.99
        self.assertEqual(treatment.deposit_amount, 15.0)
        self.product_botox.lst_price = 300.0

        treatment.deposit_type = "full"
        self.assertEqual(treatment.deposit_amount, 300.0)

        treatment.deposit_type = "none"
        self.assertEqual(treatment.deposit_amount, 0.0)

    def test_deposit_follows_product_price(self):
        self.treatment_botox.write({"deposit_type": "percent", "deposit_percent": 50.0})
        self.product_botox.lst_price = 400.0
        self.assertEqual(self.treatment_botox.price, 400.0)
        self.assertEqual(self.treatment_botox.deposit_amount, 200.0)

    def test_form_shows_policy_fields(self):
        with Form(self.env["clinic.treatment"].with_user(self.manager)) as form:
            form.name = "Peeling"
            form.product_id = self.product_consult
            form.deposit_type = "percent"
            form.deposit_percent = 25.0
            self.assertEqual(form.deposit_amount, 15.0)
        treatment = form.record
        self.assertEqual(treatment.duration, 1.0, "one hour by default")
        self.assertEqual(treatment.company_id, self.company)

    def test_bad_policies_are_refused(self):
        bad_values = [
            {"deposit_type": "fixed", "deposit_fixed": 0.0},
            {"deposit_type": "fixed", "deposit_fixed": -10.0},
            {"deposit_type": "fixed", "deposit_fixed": 300.01},
            {"deposit_type": "percent", "deposit_percent": 0.0},
            {"deposit_type": "percent", "deposit_percent": 100.5},
            {"deposit_type": "percent", "deposit_percent": -5.0},
        ]
        for vals in bad_values:
            with self.subTest(**vals), self.assertRaises(ValidationError), self.cr.savepoint():
                self.treatment_botox.write(vals)
        # nothing half-written: the policy is the one we started with
        self.assertEqual(self.treatment_botox.deposit_type, "fixed")
        self.assertEqual(self.treatment_botox.deposit_fixed, 50.0)

    def test_full_prepayment_needs_a_price(self):
        free = self._create_service("Free check-up", 0.0)
        with (
            self.assertRaisesRegex(ValidationError, "needs a product with a price"),
            self.cr.savepoint(),
        ):
            self.env["clinic.treatment"].create(
                {"name": "Check-up", "product_id": free.id, "deposit_type": "full"}
            )
        self.assertFalse(self.env["clinic.treatment"].search([("name", "=", "Check-up")]))

    def test_errors_list_every_offending_treatment(self):
        treatments = self.treatment_botox | self.treatment_consult
        with self.assertRaises(ValidationError) as catcher, self.cr.savepoint():
            treatments.write({"deposit_type": "percent", "deposit_percent": 150.0})
        message = str(catcher.exception)
        self.assertIn("Botox", message)
        self.assertIn("Consultation", message)

    def test_duration_must_be_positive(self):
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(CheckViolation),
            self.cr.savepoint(),
        ):
            self.treatment_consult.duration = 0.0
            self.treatment_consult.flush_recordset()
        self.treatment_consult.invalidate_recordset()
        self.assertEqual(self.treatment_consult.duration, 0.5)

    def test_access_front_desk_reads_only(self):
        treatment = self.treatment_botox.with_user(self.front_desk)
        self.assertEqual(treatment.deposit_amount, 50.0)
        with self.assertRaises(AccessError):
            treatment.write({"deposit_fixed": 20.0})
        with self.assertRaises(AccessError):
            self.env["clinic.treatment"].with_user(self.front_desk).create(
                {"name": "Sneaky", "product_id": self.product_consult.id}
            )
        with self.assertRaises(AccessError):
            treatment.unlink()

    def test_access_manager_configures(self):
        Treatment = self.env["clinic.treatment"].with_user(self.manager)
        treatment = Treatment.create(
            {"name": "Peeling", "product_id": self.product_consult.id, "duration": 0.5}
        )
        treatment.write({"deposit_type": "full"})
        self.assertEqual(treatment.deposit_amount, 60.0)
        treatment.unlink()
        self.assertFalse(treatment.exists())

    def test_access_refused_outside_clinic(self):
        with self.assertRaises(AccessError):
            self.treatment_botox.with_user(self.internal_user).read(["name"])

    def test_multi_company_isolation(self):
        other_company = self.env["res.company"].create({"name": "Other Clinic"})
        other_product = self.env["product.product"].create(
            {
                "name": "Other peel",
                "type": "service",
                "list_price": 90.0,
                "company_id": other_company.id,
            }
        )
        other = self.env["clinic.treatment"].create(
            {"name": "Other peel", "product_id": other_product.id, "company_id": other_company.id}
        )
        visible = self.env["clinic.treatment"].with_user(self.manager).search([])
        self.assertIn(self.treatment_botox, visible)
        self.assertNotIn(other, visible)
