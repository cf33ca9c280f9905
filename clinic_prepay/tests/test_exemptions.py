# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import NOW, ClinicCommon


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestExemptionsAndRisk(ClinicCommon):
    def _booked(self, days=3, patient=None, treatment=None):
        appointment = self._appointment(
            NOW + timedelta(days=days), patient=patient, treatment=treatment
        )
        appointment.with_user(self.front_desk).action_book()
        return appointment

    def test_exempt_patient_books_without_deposit(self):
        with self.assertRaises(AccessError):
            self.patient.with_user(self.front_desk).write(
                {"clinic_deposit_exempt": True, "clinic_exempt_reason": "VIP"}
            )
        with self.assertRaises(ValidationError):
            self.patient.with_user(self.manager).write({"clinic_deposit_exempt": True})
        self.patient.with_user(self.manager).write(
            {"clinic_deposit_exempt": True, "clinic_exempt_reason": "Patient for 10 years"}
        )
        self.assertEqual(self.patient.clinic_exempt_by_id, self.manager)
        self.assertEqual(self.patient.clinic_exempt_date, NOW)
        # who decided is recorded, not edited
        with self.assertRaises(AccessError):
            self.patient.with_user(self.manager).write({"clinic_exempt_by_id": self.front_desk.id})
        appointment = self._booked()
        self.assertEqual(appointment.prepayment_rule, "exempt")
        self.assertEqual((appointment.deposit_required, appointment.state), (0.0, "confirmed"))
        self.assertFalse(appointment.deposit_ids)
        # another patient still pays the policy
        other = self._booked(days=4, patient=self.patient2)
        self.assertEqual((other.prepayment_rule, other.deposit_required), ("policy", 50.0))
        # ending the exemption clears who decided; bookings made keep theirs
        self.patient.with_user(self.manager).write({"clinic_deposit_exempt": False})
        self.assertFalse(self.patient.clinic_exempt_by_id)
        self.assertFalse(self.patient.clinic_exempt_reason)
        self.assertEqual(appointment.prepayment_rule, "exempt")

    def test_exemption_is_tracked_in_the_chatter(self):
        self.env.cr.precommit.run()  # the patient's creation is logged first
        self.patient.with_context(tracking_disable=False).with_user(self.manager).write(
            {"clinic_deposit_exempt": True, "clinic_exempt_reason": "Staff member"}
        )
        self.env.cr.precommit.run()  # tracking values are written before the commit
        self.patient.invalidate_recordset(["message_ids"])
        tracked = self.patient.message_ids.tracking_value_ids.mapped("field_id.name")
        self.assertIn("clinic_deposit_exempt", tracked)
        self.assertIn("clinic_exempt_reason", tracked)

    def test_missed_visits_make_the_patient_pre_pay_in_full(self):
        self.company.clinic_risk_threshold = 2
        for days in (1, 2):
            missed = self._booked(days=days)
            self._pay_at_desk(missed)
            with freeze_time(missed.start + timedelta(hours=1)):
                missed.with_user(self.front_desk).action_no_show()
        self.assertEqual(self.patient.clinic_missed_count, 2)
        appointment = self._booked(days=5)
        self.assertEqual(appointment.prepayment_rule, "full")
        self.assertEqual(appointment.deposit_required, appointment.price)
        self.assertEqual(appointment.deposit_ids.amount, 300.0)
        # a year and a day later they count no more
        with freeze_time(NOW + timedelta(days=368)):
            later = self._appointment(NOW + timedelta(days=370))
            self.assertEqual(later.prepayment_rule, "policy")
            self.assertEqual(later.deposit_required, 50.0)

    def test_late_cancellations_count_too_and_threshold_zero_is_off(self):
        self.company.clinic_risk_threshold = 1
        late = self._booked(days=1)
        self._pay_at_desk(late)
        with freeze_time(late.start - timedelta(hours=2)):
            late.with_user(self.front_desk).action_cancel_by_patient()
        self.assertEqual(late.cancel_reason, "late")
        self.assertEqual(self._appointment(NOW + timedelta(days=6)).prepayment_rule, "full")
        self.company.clinic_risk_threshold = 0
        self.assertEqual(self._appointment(NOW + timedelta(days=7)).prepayment_rule, "policy")

    def test_the_risk_rule_is_the_appointments_company(self):
        """The threshold is the clinic's whose appointment it is, and only the
        visits missed there count, whatever company the user works in."""
        other = self.env["res.company"].create(
            {"name": "Other Clinic", "clinic_risk_threshold": 1}
        )
        self.front_desk.write({"company_ids": [(4, other.id)]})
        self.company.clinic_risk_threshold = 0
        missed = self._booked(days=1)
        with freeze_time(missed.start + timedelta(hours=1)):
            missed.action_no_show()
        # booked here while the desk's current company is the other clinic
        Appointment = self.env["clinic.appointment"].with_user(self.front_desk)
        here = Appointment.with_context(allowed_company_ids=[other.id, self.company.id]).create(
            {
                "patient_id": self.patient.id,
                "treatment_id": self.treatment_botox.id,
                "practitioner_id": self.practitioner.id,
                "start": NOW + timedelta(days=6),
                "company_id": self.company.id,
            }
        )
        self.assertEqual(here.prepayment_rule, "policy", "this clinic's threshold is off")
        # the no-show was at this clinic: at the other one it does not count
        self.company.clinic_risk_threshold = 1
        self.assertEqual(
            self.patient._clinic_prepayment_rule(other), "policy", "nothing missed there"
        )
        self.assertEqual(self._appointment(NOW + timedelta(days=7)).prepayment_rule, "full")
        self.env.cr.execute(
            "UPDATE clinic_appointment SET company_id = %s WHERE id = %s", [other.id, missed.id]
        )
        self.env.invalidate_all()
        self.assertEqual(self._appointment(NOW + timedelta(days=8)).prepayment_rule, "policy")
        self.assertEqual(self.patient.with_company(other).clinic_missed_count, 1)
        self.assertEqual(self.patient.clinic_missed_count, 0)

    def test_the_policy_shown_is_the_patients(self):
        self.company.clinic_risk_threshold = 1
        start = NOW + timedelta(days=5)
        self.assertIn(
            "50.00", "\n".join(self.treatment_botox._get_policy_lines_for(self.patient, start))
        )
        missed = self._booked(days=1)
        with freeze_time(missed.start + timedelta(hours=1)):
            missed.action_no_show()
        lines = "\n".join(self.treatment_botox._get_policy_lines_for(self.patient, start))
        self.assertIn("Deposit to pay now: $\xa0300.00", lines)
        self.patient2.with_user(self.manager).write(
            {"clinic_deposit_exempt": True, "clinic_exempt_reason": "Staff"}
        )
        lines = self.treatment_botox._get_policy_lines_for(self.patient2, start)
        self.assertEqual(lines, ["No deposit: nothing is paid before the visit."])

    def test_copying_a_contact(self):
        """Anyone may copy a contact; an exemption is not copied."""
        self.patient.with_user(self.manager).write(
            {"clinic_deposit_exempt": True, "clinic_exempt_reason": "VIP"}
        )
        copy = self.patient.with_user(self.front_desk).copy()
        self.assertFalse(copy.clinic_deposit_exempt)
        self.assertFalse(copy.clinic_exempt_by_id)
        # nor is who decided given on create
        forged = (
            self.env["res.partner"]
            .with_user(self.front_desk)
            .create({"name": "Forged", "clinic_exempt_by_id": self.manager.id})
        )
        self.assertFalse(forged.clinic_exempt_by_id)

    def test_waive_a_deposit_on_one_booking(self):
        appointment = self._booked()
        deposit = appointment.deposit_ids
        # the front desk does not have the right
        with self.assertRaises(AccessError):
            appointment.with_user(self.front_desk).action_waive_deposit()
        with self.assertRaises(AccessError):
            self.env["clinic.deposit.waive"].with_user(self.front_desk).create(
                {"appointment_id": appointment.id, "reason": "friend"}
            )
        # unless a manager gives it to them
        self.front_desk.groups_id += self.env.ref("clinic_prepay.group_clinic_deposit_waiver")
        action = appointment.with_user(self.front_desk).action_waive_deposit()
        wizard = (
            self.env["clinic.deposit.waive"]
            .with_user(self.front_desk)
            .with_context(**action["context"])
            .create({"reason": " "})
        )
        with self.assertRaises(ValidationError):
            wizard.action_waive()
        self.assertEqual(appointment.state, "awaiting_payment")
        wizard.reason = "Paid the previous visit twice"
        wizard.action_waive()
        self.assertEqual(appointment.state, "confirmed")
        self.assertEqual(appointment.deposit_waived_by_id, self.front_desk)
        self.assertEqual(deposit.state, "cancelled")
        self.assertEqual(deposit.invoice_id.state, "cancel")
        self.assertIn(
            "Paid the previous visit twice", "".join(appointment.message_ids.mapped("body"))
        )
        # one booking only: the next one asks its deposit again
        self.assertEqual(self._booked(days=6).state, "awaiting_payment")
        # nothing left to waive
        with self.assertRaises(UserError):
            appointment.with_user(self.manager)._waive_deposit("again")

    def test_a_partly_paid_deposit_is_not_waived(self):
        appointment = self._booked()
        self._pay_by_bank(appointment, 20.0)
        with self.assertRaises(UserError):
            appointment.with_user(self.manager)._waive_deposit("half is enough")


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestPatientIdentity(ClinicCommon):
    """A patient's exemption, credit, missed visits and portal rights follow
    the commercial entity, as Odoo's accounting does: only a clinic manager
    links a contact to a patient's family."""

    def _booked(self, patient, days=3):
        appointment = self._appointment(NOW + timedelta(days=days), patient=patient)
        appointment.with_user(self.front_desk).action_book()
        return appointment

    def test_the_desk_cannot_file_contacts_under_a_patient(self):
        exempt = self.patient2
        exempt.with_user(self.manager).write(
            {"clinic_deposit_exempt": True, "clinic_exempt_reason": "VIP"}
        )
        Partner = self.env["res.partner"].with_user(self.front_desk)
        # a new caller filed under the exempt patient
        with self.assertRaisesRegex(AccessError, "Only a clinic manager files contacts"):
            Partner.create({"name": "New Caller", "parent_id": exempt.id})
        caller = Partner.create({"name": "New Caller"})
        with self.assertRaises(AccessError):
            caller.write({"parent_id": exempt.id})
        self.assertFalse(caller.parent_id)
        self.assertEqual(self._booked(caller).prepayment_rule, "policy", "no exemption borrowed")
        # a patient filed under another patient, or taken out of a family
        self._booked(self.patient, days=4)
        with self.assertRaises(AccessError):
            self.patient.with_user(self.front_desk).write({"parent_id": caller.id})
        self.assertFalse(self.patient.parent_id)
        self.patient.with_user(self.manager).write({"parent_id": caller.id})
        with self.assertRaises(AccessError):
            self.patient.with_user(self.front_desk).write({"parent_id": False})
        self.assertEqual(self.patient.parent_id, caller)

    def test_the_desk_cannot_join_a_company_contact_to_a_patients_family(self):
        """A contact filed under a patient as a company of its own is outside
        the family; making it an individual would join it."""
        exempt = self.patient2
        exempt.with_user(self.manager).write(
            {"clinic_deposit_exempt": True, "clinic_exempt_reason": "VIP"}
        )
        branch = (
            self.env["res.partner"]
            .with_user(self.manager)
            .create({"name": "Branch", "parent_id": exempt.id, "is_company": True})
        )
        self.assertEqual(branch.commercial_partner_id, branch)
        with self.assertRaises(AccessError):
            branch.with_user(self.front_desk).write({"is_company": False})
        self.assertEqual(branch.commercial_partner_id, branch)

    def test_a_patient_of_the_portal_does_not_see_another_through_a_link(self):
        users = [
            new_test_user(self.env, login=login, name=login, groups="base.group_portal")
            for login in ("identity_a", "identity_b")
        ]
        a, b = (user.partner_id for user in users)
        theirs = self._booked(b)
        with self.assertRaises(AccessError):
            a.with_user(self.front_desk).write({"parent_id": b.id})
        Appointment = self.env["clinic.appointment"].with_user(users[0])
        self.assertFalse(Appointment.search([("id", "=", theirs.id)]), "B's health data")
        with self.assertRaises(AccessError):
            theirs.with_user(users[0]).read(["patient_id"])
        # B's credit is not A's either: it is kept on B's own commercial entity
        self.assertEqual(a.commercial_partner_id, a)

    def test_the_desk_still_files_contacts_without_patients(self):
        company = self.env["res.partner"].create({"name": "Acme", "is_company": True})
        Partner = self.env["res.partner"].with_user(self.front_desk)
        employee = Partner.create({"name": "Acme Employee", "parent_id": company.id})
        other = Partner.create({"name": "Other Employee"})
        other.write({"parent_id": company.id})
        self.assertEqual((employee | other).commercial_partner_id, company)
        # once one of them is a patient, the family is the manager's to change
        self._booked(employee)
        with self.assertRaises(AccessError):
            Partner.create({"name": "Third Employee", "parent_id": company.id})
