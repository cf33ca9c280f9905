# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import statistics
from datetime import timedelta

from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import NOW, ClinicPaymentCommon


@tagged("post_install", "-at_install")
class TestClinicFigures(ClinicPaymentCommon):
    """The figures equal counts and sums computed from the appointments
    themselves, at every grouping."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.clinic_risk_threshold = 0

    def _scenario(self):
        """Bookings in every outcome over two months, two treatments."""
        made = self.env["clinic.appointment"]
        day = 0

        def book(treatment, hours_to_pay=None):
            nonlocal day, made
            day += 1
            with freeze_time(NOW + timedelta(days=day)):
                appointment = self._appointment(
                    NOW + timedelta(days=day + 20), treatment=treatment
                )
                appointment.action_book()
            if hours_to_pay is not None:
                with freeze_time(NOW + timedelta(days=day, hours=hours_to_pay)):
                    self._pay_online(appointment)
            made |= appointment
            return appointment

        for hours in (1, 3, 8):
            done = book(self.treatment_botox, hours)
            with freeze_time(done.start + timedelta(hours=1)):
                done.action_done()
        for hours in (2, 30):
            missed = book(self.treatment_botox, hours)
            with freeze_time(missed.start + timedelta(hours=1)):
                missed.action_no_show()
        late = book(self.treatment_botox, 5)
        with freeze_time(late.start - timedelta(hours=2)):
            late.action_cancel_by_patient()
        unpaid = book(self.treatment_botox)
        with freeze_time(unpaid.payment_deadline + timedelta(minutes=1)):
            self.env["clinic.appointment"]._cron_cancel_unpaid()
        consult = book(self.treatment_consult)
        with freeze_time(consult.start + timedelta(hours=1)):
            consult.action_no_show()
        book(self.treatment_botox)  # still awaiting payment
        # cancelled by the clinic: one refund kept as credit, one paid back
        for method in ("manual", "credit"):  # the credit stays: no booking follows
            cancelled = book(self.treatment_botox, 4)
            cancelled.action_cancel_by_clinic()
            request = cancelled.deposit_ids.refund_request_ids
            request.with_user(self.manager).method = method
            if request.state == "draft":
                request.action_submit()
            if request.state == "submitted":
                request.with_user(self.manager).action_approve()
            request.with_user(self.manager).action_execute()
        self.env.flush_all()
        return made

    def _expected(self, appointments):
        def count(predicate):
            return len(appointments.filtered(predicate))

        reached = appointments.filtered(lambda a: a.state in ("done", "no_show"))
        credited = sum(
            appointments.deposit_ids.refund_request_ids.filtered(
                lambda r: r.state == "done" and r.method == "credit"
            ).mapped("amount")
        )
        times = [
            (min(a.deposit_ids.mapped("paid_date")) - a.booked_date).total_seconds() / 3600
            for a in appointments
            if any(a.deposit_ids.mapped("paid_date"))
        ]
        return {
            "booking_count": len(appointments),
            "unpaid_cancel_count": count(lambda a: a.cancel_reason == "unpaid"),
            "paid_count": count(lambda a: a.amount_paid > 0),
            "attended_count": count(lambda a: a.state == "done"),
            "no_show_count": count(lambda a: a.state == "no_show"),
            "late_cancel_count": count(lambda a: a.cancel_reason == "late"),
            "no_show_rate": reached
            and 100.0 * len(reached.filtered(lambda a: a.state == "no_show")) / len(reached),
            "deposit_collected": sum(appointments.mapped("amount_paid"))
            - sum(appointments.deposit_ids.mapped("amount_from_credit")),
            "deposit_forfeited": sum(appointments.mapped("amount_forfeited")),
            "deposit_refunded": sum(appointments.mapped("amount_refunded")) - credited,
            "deposit_credited": credited,
            "time_to_pay_hours": times and statistics.median(times),
        }

    def test_figures_equal_independent_counts(self):
        appointments = self._scenario()
        Report = self.env["clinic.appointment.report"].with_user(self.manager)
        measures = list(self._expected(appointments))
        for groupby in (["treatment_id"], ["date:month"], ["practitioner_id", "source"]):
            groups = Report.read_group(
                [("appointment_id", "in", appointments.ids)], measures, groupby, lazy=False
            )
            self.assertTrue(groups)
            for group in groups:
                subset = Report.search(group["__domain"]).appointment_id
                expected = self._expected(subset)
                for measure in measures:
                    self.assertAlmostEqual(
                        group[measure] or 0.0,
                        expected[measure] or 0.0,
                        places=2,
                        msg=f"{measure} grouped by {groupby}",
                    )
        # the whole scenario, checked by hand as well
        total = Report.read_group(
            [("appointment_id", "in", appointments.ids)], measures, [], lazy=False
        )[0]
        self.assertEqual(total["booking_count"], 11)
        self.assertEqual((total["deposit_credited"], total["deposit_refunded"]), (50.0, 50.0))
        self.assertEqual(total["no_show_count"], 3)
        self.assertAlmostEqual(total["no_show_rate"], 50.0)  # 3 no-shows, 3 visits
        self.assertEqual(total["unpaid_cancel_count"], 1)
        # median of 1, 2, 3, 4, 4, 5, 8, 30
        self.assertEqual(total["time_to_pay_hours"], 4.0)

    def test_figures_are_for_managers(self):
        with self.assertRaises(AccessError):
            self.env["clinic.appointment.report"].with_user(self.front_desk).search([])
        self.assertEqual(
            self.env["clinic.appointment.report"]
            .with_user(self.manager)
            .search_count([("appointment_id", "=", 0)]),
            0,
        )

    def test_the_funnel_has_the_figures_counts_and_their_rates(self):
        appointments = self._scenario()
        Funnel = self.env["clinic.appointment.funnel"].with_user(self.manager)
        domain = [("appointment_id", "in", appointments.ids)]
        steps = {
            "1_booked": "booking_count",
            "2_paid": "paid_count",
            "3_attended": "attended_count",
            "4_unpaid_cancelled": "unpaid_cancel_count",
            "5_no_show": "no_show_count",
            "6_late_cancel": "late_cancel_count",
        }
        # by step (the funnel's bars), then by step and treatment (the pivot)
        groups = Funnel.read_group(domain, ["rate"], ["step"], lazy=False)
        self.assertEqual([group["step"] for group in groups], list(steps), "in the funnel's order")
        expected = self._expected(appointments)
        for group in groups:
            count = expected[steps[group["step"]]]
            self.assertEqual(group["__count"], count, group["step"])
            self.assertAlmostEqual(group["rate"], 100.0 * count / expected["booking_count"])
        lazy = Funnel.read_group(domain, ["rate"], ["step", "treatment_id"])
        self.assertEqual([g["step_count"] for g in lazy], [g["__count"] for g in groups])
        for group in Funnel.read_group(domain, ["rate"], ["step", "treatment_id"], lazy=False):
            subset = appointments.filtered(
                lambda a, g=group: a.treatment_id.id == g["treatment_id"][0]
            )
            figures = self._expected(subset)
            count = figures[steps[group["step"]]]
            self.assertEqual(group["__count"], count)
            self.assertAlmostEqual(group["rate"], 100.0 * count / figures["booking_count"])
        # every step together has no rate
        (total,) = Funnel.read_group(domain, ["rate"], [], lazy=False)
        self.assertIsNone(total["rate"])
        with self.assertRaises(AccessError):
            self.env["clinic.appointment.funnel"].with_user(self.front_desk).search([])
