# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import NOW, ClinicCommon


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestClinicSecurity(ClinicCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.portal_user = new_test_user(
            cls.env, login="clinic_portal", name="Patricia Portal", groups="base.group_portal"
        )
        cls.accountant = new_test_user(
            cls.env,
            login="clinic_accountant",
            name="Alice Accountant",
            groups="account.group_account_manager",
        )
        cls.mine = cls.env["clinic.appointment"].create(
            {
                "patient_id": cls.portal_user.partner_id.id,
                "treatment_id": cls.treatment_botox.id,
                "practitioner_id": cls.practitioner.id,
                "start": NOW + timedelta(days=2),
            }
        )
        cls.mine.action_book()
        cls.theirs = cls.env["clinic.appointment"].create(
            {
                "patient_id": cls.patient2.id,
                "treatment_id": cls.treatment_botox.id,
                "practitioner_id": cls.practitioner.id,
                "start": NOW + timedelta(days=3),
            }
        )
        cls.theirs.action_book()

    def test_front_desk(self):
        Appointment = self.env["clinic.appointment"].with_user(self.front_desk)
        self.assertEqual(
            Appointment.search([("id", "in", (self.mine | self.theirs).ids)]),
            self.mine | self.theirs,
        )
        with self.assertRaises(AccessError):
            self.mine.with_user(self.front_desk).unlink()
        with self.assertRaises(AccessError):
            self.mine.deposit_ids.with_user(self.front_desk).write({"amount": 1.0})
        with self.assertRaises(AccessError):
            self.env["clinic.deposit"].with_user(self.front_desk).create(
                {"appointment_id": self.mine.id, "amount": 1.0}
            )
        self.assertEqual(self.mine.deposit_ids.with_user(self.front_desk).amount, 50.0)

    def test_manager_deletes(self):
        draft = self._appointment(NOW + timedelta(days=9))
        draft.with_user(self.manager).unlink()
        self.assertFalse(draft.exists())

    def test_accountant_reads_only(self):
        self.assertEqual(self.mine.with_user(self.accountant).amount_due, 50.0)
        self.assertEqual(self.mine.deposit_ids.with_user(self.accountant).state, "pending")
        with self.assertRaises(AccessError):
            self.mine.with_user(self.accountant).write({"note": "x"})

    def test_outsider_refused(self):
        with self.assertRaises(AccessError):
            self.mine.with_user(self.internal_user).read(["name"])
        with self.assertRaises(AccessError):
            self.mine.deposit_ids.with_user(self.internal_user).read(["amount"])

    def test_portal_patient_sees_own_only(self):
        Appointment = self.env["clinic.appointment"].with_user(self.portal_user)
        self.assertEqual(Appointment.search([]), self.mine)
        self.assertEqual(
            self.env["clinic.deposit"].with_user(self.portal_user).search([]),
            self.mine.deposit_ids,
        )
        with self.assertRaises(AccessError):
            self.theirs.with_user(self.portal_user).read(["name"])
        with self.assertRaises(AccessError):
            self.mine.with_user(self.portal_user).write({"note": "hack"})

    def test_other_company_is_invisible(self):
        other_company = self.env["res.company"].create({"name": "Other Clinic"})
        other_treatment = self.env["clinic.treatment"].create(
            {
                "name": "Elsewhere",
                "product_id": self.product_consult.id,
                "company_id": other_company.id,
            }
        )
        other = self.env["clinic.appointment"].create(
            {
                "patient_id": self.patient.id,
                "treatment_id": other_treatment.id,
                "practitioner_id": self.practitioner2.id,
                "company_id": other_company.id,
                "start": NOW + timedelta(days=5),
            }
        )
        visible = self.env["clinic.appointment"].with_user(self.manager).search([])
        self.assertIn(self.mine, visible)
        self.assertNotIn(other, visible)
