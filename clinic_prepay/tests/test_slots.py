# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The online slot engine: working hours, leaves, holidays, buffers, notice,
horizon, booked time, busy events, expired holds and daylight saving."""

from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .common import NOW, ClinicPaymentCommon

# Monday 11 March 2030, Brussels is UTC+1: work 8-12 and 13-17 local time
MONDAY = datetime(2030, 3, 11)


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestSlots(ClinicPaymentCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.calendar = cls.env["resource.calendar"].create(
            {"name": "Clinic hours", "tz": "Europe/Brussels"}
        )
        cls.env["resource.resource"].create(
            {
                "name": cls.practitioner.name,
                "user_id": cls.practitioner.id,
                "calendar_id": cls.calendar.id,
                "tz": "Europe/Brussels",
            }
        )
        cls.company.clinic_slot_minutes = 30
        cls.treatment_botox.write({"min_notice_hours": 2.0, "max_days_ahead": 60})

    def _starts(self, day=MONDAY, treatment=None, days=1):
        slots = (treatment or self.treatment_botox)._get_free_slots(
            day, day + timedelta(days=days), self.practitioner
        )
        return [slot["start"].strftime("%d %H:%M") for slot in slots]

    def test_working_hours_make_the_slots(self):
        self.assertEqual(
            self._starts(),
            [f"11 {h}" for h in ("07:00", "07:30", "08:00", "08:30", "09:00", "09:30", "10:00")]
            + [f"11 {h}" for h in ("12:00", "12:30", "13:00", "13:30", "14:00", "14:30", "15:00")],
        )

    def test_the_grid_counts_from_the_working_period_whenever_asked(self):
        """A window opening inside a working period (the notice from an odd
        "now", a search from any time) keeps the slots on the grid."""
        with freeze_time(MONDAY.replace(hour=7, minute=17, second=33)):
            # two hours' notice: from 09:17:33 UTC, the next slot is 09:30
            self.assertEqual(self._starts()[:2], ["11 09:30", "11 10:00"])
            late = MONDAY.replace(hour=12, minute=41, second=5)
            slots = self.treatment_botox._get_free_slots(
                late, late + timedelta(hours=3), self.practitioner
            )
            self.assertEqual(slots[0]["start"], MONDAY.replace(hour=13))

    def test_booked_time_and_busy_events_are_taken(self):
        booked = self._appointment(MONDAY.replace(hour=8))
        booked.action_book()
        self._appointment(MONDAY.replace(hour=14), patient=self.patient2)  # a draft holds nothing
        self.env["calendar.event"].create(
            {
                "name": "Dentist",
                "start": MONDAY.replace(hour=12),
                "stop": MONDAY.replace(hour=13),
                "partner_ids": [Command.set(self.practitioner.partner_id.ids)],
                "user_id": self.practitioner.id,
            }
        )
        free_event = self.env["calendar.event"].create(
            {
                "name": "Reading",
                "start": MONDAY.replace(hour=15),
                "stop": MONDAY.replace(hour=16),
                "show_as": "free",
                "partner_ids": [Command.set(self.practitioner.partner_id.ids)],
            }
        )
        self.assertTrue(free_event)
        starts = self._starts()
        for taken in ("07:30", "08:00", "08:30", "12:00", "12:30"):
            self.assertNotIn(f"11 {taken}", starts)
        for free in ("07:00", "09:00", "13:00", "14:00", "15:00"):
            self.assertIn(f"11 {free}", starts)

    def test_buffers(self):
        self._appointment(MONDAY.replace(hour=8)).action_book()  # 08:00-08:45
        self.treatment_botox.write({"buffer_before": 0.5, "buffer_after": 0.25})
        starts = self._starts()
        # the morning starts after the buffer (07:30), whose padded time
        # 07:00-08:30 meets the 08:00 booking; 09:00 needs 08:30-09:00 free
        self.assertEqual(starts[:2], ["11 09:30", "11 10:00"])
        # 10:00 ends 10:45, its buffer 11:00: the last one before the break
        self.assertNotIn("11 10:30", starts)
        self.assertEqual(starts[2], "11 12:30", "12:00 needs 11:30-12:00 free: lunch")

    def test_leaves_and_public_holidays(self):
        self.env["resource.calendar.leaves"].create(
            {
                "name": "Training",
                "calendar_id": self.calendar.id,
                "resource_id": self.practitioner.resource_ids.id,
                "date_from": MONDAY.replace(hour=11),
                "date_to": MONDAY.replace(hour=17),
            }
        )
        self.assertEqual(self._starts()[-1], "11 10:00")
        self.assertNotIn("11 12:00", self._starts())
        self.env["resource.calendar.leaves"].create(
            {
                "name": "Public holiday",
                "calendar_id": self.calendar.id,
                "date_from": MONDAY.replace(hour=0),
                "date_to": MONDAY.replace(hour=23),
            }
        )
        self.assertEqual(self._starts(), [])

    def test_notice_and_horizon(self):
        # now is Monday 4 March 08:00 UTC: two hours of notice
        starts = self._starts(day=NOW.replace(hour=0))
        self.assertEqual(starts[0], "04 10:00")
        self.assertEqual(self._starts(day=NOW + timedelta(days=61)), [])

    def test_daylight_saving_week(self):
        # Brussels moves to UTC+2 on Sunday 31 March 2030
        with freeze_time(datetime(2030, 3, 25, 8)):
            starts = self._starts(day=datetime(2030, 3, 29), days=4)
        self.assertIn("29 07:00", starts, "Friday: 08:00 local is 07:00 UTC")
        self.assertNotIn("29 06:00", starts)
        self.assertIn("01 06:00", starts, "Monday: 08:00 local is 06:00 UTC")
        self.assertNotIn("01 15:30", starts)
        self.assertIn("01 14:00", starts, "the last one ends at 17:00 local")
        self.assertFalse([start for start in starts if start.startswith(("30", "31"))])

    def test_an_expired_hold_frees_its_slot_unless_a_payment_is_under_way(self):
        hold = self._appointment(MONDAY.replace(hour=9))
        hold._book_online("policy", ip="127.0.0.1")
        self.assertEqual(hold.hold_expires, NOW + timedelta(minutes=15))
        self.assertEqual(hold.payment_deadline, hold.hold_expires)
        self.assertNotIn("11 09:00", self._starts())
        with freeze_time(NOW + timedelta(minutes=10)):
            tx = self._start_online_payment(hold)  # the form is open, not paid
        with freeze_time(NOW + timedelta(minutes=20)):
            self.assertIn("11 09:00", self._starts(), "expired: free again")
            tx._set_pending()
            self.assertNotIn("11 09:00", self._starts(), "a payment is under way")
            self.assertEqual(self.env["clinic.appointment"]._cron_cancel_unpaid(), 0)
            tx._set_canceled()
            self.assertEqual(self.env["clinic.appointment"]._cron_cancel_unpaid(), 1)
        self.assertEqual((hold.state, hold.cancel_reason), ("cancelled", "unpaid"))

    def test_the_next_booking_releases_an_expired_hold(self):
        hold = self._appointment(MONDAY.replace(hour=9))
        hold._book_online("policy")
        with freeze_time(NOW + timedelta(minutes=20)):
            other = self._appointment(MONDAY.replace(hour=9, minute=30), patient=self.patient2)
            other.action_book()
        self.assertEqual(other.state, "awaiting_payment")
        self.assertEqual((hold.state, hold.cancel_reason), ("cancelled", "unpaid"))
        self.assertFalse(hold.deposit_ids.invoice_ids.filtered(lambda i: i.state == "posted"))

    def test_queries_do_not_grow_with_the_tables(self):
        def count():
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            self._starts(days=5)
            return self.cr.sql_log_count - before

        count()
        small = count()
        for day in range(40):
            for hour in (7, 9, 12, 14):
                self._appointment(
                    MONDAY + timedelta(days=7 + day, hours=hour), patient=self.patient2
                ).action_book()
        self.assertEqual(count(), small)

    def test_policy_in_plain_words(self):
        treatment = self.treatment_botox.with_context(tz="Europe/Brussels")
        far = treatment._get_policy_lines(MONDAY.replace(hour=9))
        # amounts in the currency's format, times as the pages write them
        self.assertIn("Deposit to pay now: $\xa050.00", far[0])
        self.assertIn("Cancel before 3/10/30, 10:00 AM", far[1], "24 h before, local time")
        self.assertIn("$\xa025.00 of the deposit is kept", far[2])
        self.assertIn("No-show: $\xa050.00", far[3])
        near = treatment._get_policy_lines(NOW + timedelta(hours=5))
        self.assertIn("less than 24 hours away", near[1])
        self.assertEqual(
            self.treatment_consult._get_policy_lines(MONDAY),
            ["No deposit: nothing is paid before the visit."],
        )

    def test_the_buffers_of_booked_appointments_are_kept(self):
        self.treatment_botox.buffer_after = 0.5
        self._appointment(MONDAY.replace(hour=8)).action_book()  # 08:00-08:45 + 30 min
        self.treatment_consult.practitioner_ids = self.practitioner
        slots = self.treatment_consult._get_free_slots(
            MONDAY, MONDAY + timedelta(days=1), self.practitioner
        )
        starts = [slot["start"].strftime("%H:%M") for slot in slots]
        self.assertNotIn("09:00", starts, "the botox buffer runs to 09:15")
        self.assertIn("09:30", starts)
