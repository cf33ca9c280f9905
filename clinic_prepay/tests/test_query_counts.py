# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Queries of the main flows, as their users run them: tracking on, an empty
record cache, the final flush and the precommit (tracking values) counted.
A regression fails here rather than waiting for the next ``make bench``; the
counts have a small margin (Odoo's own add-ons do the same)."""

from datetime import timedelta

from odoo import fields
from odoo.tests import tagged
from odoo.tests.common import warmup

from .common import ClinicPaymentCommon


@tagged("post_install", "-at_install")
class TestQueryCounts(ClinicPaymentCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.slot = cls._bookable_time(not_before=timedelta(days=5))

    def _next_start(self):
        type(self).slot += timedelta(hours=1)
        return self.slot

    def _booked(self):
        appointment = self._appointment(self._next_start())
        appointment.action_book()
        return appointment

    def _as(self, user):
        """The user's environment, tracking on, cold cache."""
        self.env = self.env(user=user, context={})
        self.env.invalidate_all()
        return self.env

    def _count(self, expected, func):
        with self.assertQueryCount(expected):
            func()
            self.env.flush_all()
            self.env.cr.precommit.run()

    @warmup
    def test_booking_with_deposit(self):
        start = self._next_start()
        env = self._as(self.front_desk)

        def book():
            env["clinic.appointment"].create(
                {
                    "patient_id": self.patient.id,
                    "treatment_id": self.treatment_botox.id,
                    "practitioner_id": self.practitioner.id,
                    "start": start,
                }
            ).action_book()

        # 108: two of them read the patient's missed visits (the risk rule) and
        # credit (used on the deposit), one checks the time is free when the
        # desk saves the draft
        self._count(108, book)

    @warmup
    def test_desk_payment(self):
        appointment = self._booked()
        env = self._as(self.front_desk)

        def pay():
            action = env["clinic.appointment"].browse(appointment.id).action_register_payment()
            wizard = (
                env[action["res_model"]]
                .with_context(**action["context"])
                .create({"journal_id": self.bank_journal.id})
            )
            wizard.action_confirm()

        self._count(204, pay)
        self.assertEqual(appointment.state, "confirmed")

    @warmup
    def test_online_payment(self):
        appointment = self._booked()
        tx = self._start_online_payment(appointment)
        # the provider's notification is processed as the superuser
        env = self._as(self.env.ref("base.user_root"))

        def notify():
            self._pay_online(appointment, tx=env["payment.transaction"].browse(tx.id))

        self._count(204, notify)
        self.assertEqual(appointment.state, "confirmed")

    @warmup
    def test_no_show_with_forfeit(self):
        appointment = self._booked()
        self._pay_online(appointment)
        appointment.flush_recordset()
        # the visit started an hour ago
        self.env.cr.execute(
            "UPDATE clinic_appointment SET start = %s, stop = %s WHERE id = %s",
            [
                fields.Datetime.now() - timedelta(hours=1),
                fields.Datetime.now() - timedelta(minutes=15),
                appointment.id,
            ],
        )
        env = self._as(self.front_desk)
        self._count(55, lambda: env["clinic.appointment"].browse(appointment.id).action_no_show())
        self.assertEqual(appointment.state, "no_show")

    @warmup
    def test_final_invoice(self):
        appointment = self._booked()
        self._pay_online(appointment)
        env = self._as(self.front_desk)
        self._count(105, lambda: env["clinic.appointment"].browse(appointment.id).action_done())
        self.assertTrue(appointment.final_invoice_id)

    @warmup
    def test_automatic_cancellation_of_five(self):
        appointments = self.env["clinic.appointment"]
        for _i in range(5):
            appointments |= self._booked()
        appointments.flush_recordset()
        self.env.cr.execute(
            "UPDATE clinic_appointment SET payment_deadline = %s WHERE id IN %s",
            [fields.Datetime.now() - timedelta(minutes=1), tuple(appointments.ids)],
        )
        env = self._as(self.env.ref("base.user_root"))
        self._count(72, lambda: env["clinic.appointment"]._cron_cancel_unpaid())
        self.assertEqual(set(appointments.mapped("state")), {"cancelled"})
