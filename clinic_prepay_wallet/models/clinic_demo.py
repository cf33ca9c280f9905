# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models


class LoyaltyCard(models.Model):
    # demo data stays apart from the model
    _inherit = "loyalty.card"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _demo_populate_wallet(self):
        """Demo courses through the real flows: one half used, one expired
        with its breakage entry, one waiting for its payment link."""
        ref = self.env.ref
        patient = ref("clinic_prepay.res_partner_patient_demo")
        peter = ref("clinic_prepay.res_partner_patient2_demo")
        laser = ref("clinic_prepay.clinic_treatment_laser_demo")
        doctor = ref("clinic_prepay.user_practitioner_demo")
        laser_course = ref("clinic_prepay_wallet.loyalty_program_laser_course_demo")
        peel_course = ref("clinic_prepay_wallet.loyalty_program_peel_course_demo")
        bank = self.env["account.journal"].search(
            [("company_id", "=", self.env.company.id), ("type", "=", "bank")], limit=1
        )
        Appointment = self.env["clinic.appointment"]

        # Patricia's laser course: three sessions done, one booked ahead
        today = fields.Date.context_today(self)
        course = self._clinic_sell_course(laser_course, patient)
        course._demo_paid_on(bank, today - relativedelta(months=3))
        # bought three months ago
        course.write(
            {
                "clinic_paid_date": today - relativedelta(months=3),
                "expiration_date": today + relativedelta(months=9),
            }
        )
        now = fields.Datetime.now().replace(microsecond=0)
        slots = laser._get_free_slots(
            now + timedelta(days=20), now + timedelta(days=60), practitioners=doctor
        )
        # one slot per week: the demo's other bookings are in the next days
        taken = []
        for slot in slots:
            if all(abs(slot["start"] - other) > timedelta(days=6) for other in taken):
                taken.append(slot["start"])
            if len(taken) == 4:
                break
        for index, start in enumerate(taken):
            appointment = Appointment.create(
                {
                    "patient_id": patient.id,
                    "treatment_id": laser.id,
                    "practitioner_id": doctor.id,
                    "start": start,
                }
            )
            appointment.action_book()
            if index < 3:
                # visits of past weeks (same weekday and hour), done
                appointment.write({"start": start - timedelta(weeks=11 + index)})
                appointment.action_done()

        # Peter's course of peels expired with two sessions unused
        expired = self._clinic_sell_course(peel_course, peter)
        expired._demo_paid_on(bank, today - relativedelta(months=7))
        expired.write(
            {
                "clinic_paid_date": today - relativedelta(months=7),
                "expiration_date": today - relativedelta(months=1),
            }
        )
        expired._clinic_expire()

        # a course sold on the phone, its payment link sent
        self._clinic_sell_course(peel_course, ref("clinic_prepay.res_partner_patient3_demo"))

        self._demo_populate_gift_cards(bank)

    def _demo_paid_on(self, bank, date):
        """Paid at the desk on ``date``: the sale is in the ledger of that
        day, as the wallet figures read it."""
        self.clinic_invoice_id.invoice_date = date
        self._clinic_register_desk_payment(bank, payment_date=date)

    @api.model
    def _demo_populate_gift_cards(self, bank):
        """Demo gift cards through the real flows: one partly spent on a
        booking's deposit, one in a patient's portal wallet, one expired
        with its breakage entry."""
        ref = self.env.ref
        patient = ref("clinic_prepay.res_partner_patient_demo")
        peter = ref("clinic_prepay.res_partner_patient2_demo")
        gina = ref("clinic_prepay_wallet.res_partner_gift_recipient_demo")
        botox = ref("clinic_prepay.clinic_treatment_botox_demo")
        doctor = ref("clinic_prepay.user_practitioner_demo")
        program = ref("clinic_prepay_wallet.loyalty_program_gift_card_demo")
        today = fields.Date.context_today(self)

        # Peter gave Gina a card; it paid the deposit of her first Botox
        card = self._clinic_sell_gift_card(
            program, peter, 150.0, gina.name, gina.email, "Enjoy your treat!"
        )
        card._clinic_register_desk_payment(bank)
        now = fields.Datetime.now().replace(microsecond=0)
        slots = botox._get_free_slots(
            now + timedelta(days=8), now + timedelta(days=19), practitioners=doctor
        )
        appointment = self.env["clinic.appointment"].create(
            {
                "patient_id": gina.id,
                "treatment_id": botox.id,
                "practitioner_id": doctor.id,
                "start": slots[-1]["start"],
            }
        )
        appointment.action_book()
        appointment._clinic_pay_with_gift_card(card.code)

        # Sofia gave Patricia a card; Patricia added it to her portal wallet
        sofia = ref("clinic_prepay.res_partner_patient3_demo")
        given = self._clinic_sell_gift_card(
            program, sofia, 100.0, patient.name, patient.email, "For your next facial"
        )
        given._clinic_register_desk_payment(bank)
        self._clinic_add_to_wallet(given.code, patient, self.env.company)

        # a card bought for Peter last year and never used: its value is
        # breakage income from the day after its last valid day
        expired = self._clinic_sell_gift_card(
            program, patient, 80.0, peter.name, peter.email, "Happy birthday, Peter!"
        )
        expired._demo_paid_on(bank, today - relativedelta(months=13))
        expired.write(
            {
                "clinic_paid_date": today - relativedelta(months=13),
                "expiration_date": today - relativedelta(months=1),
            }
        )
        expired._clinic_expire_gift_card()
