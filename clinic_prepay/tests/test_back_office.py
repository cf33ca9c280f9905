# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import NOW, ClinicPaymentCommon


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestBackOffice(ClinicPaymentCommon):
    """The calendar, the desk's contacts and the no-show of the day."""

    def _booked(self, start, user=None):
        appointment = self._appointment(start, user=user)
        appointment.action_book()
        return appointment

    # --- the calendar's event ----------------------------------------------

    def test_dragging_the_event_moves_the_appointment(self):
        appointment = self._booked(NOW + timedelta(days=3))
        event = appointment.event_id.with_user(self.practitioner)
        new_start = NOW + timedelta(days=4, hours=2)
        # the calendar sends the new start and stop of the same length
        event.write({"start": new_start, "stop": new_start + timedelta(minutes=45)})
        self.assertEqual(appointment.start, new_start)
        self.assertEqual(appointment.stop, new_start + timedelta(minutes=45))
        self.assertEqual(event.start, new_start)
        mails = self._patient_mails(appointment, "has moved")
        self.assertEqual(mails.partner_ids, self.patient, "the patient is told")

    def test_the_event_follows_the_appointments_rules(self):
        appointment = self._booked(NOW + timedelta(days=3))
        other = self._booked(NOW + timedelta(days=5))
        event = appointment.event_id.with_user(self.practitioner)
        # onto another booking: the overlap check says no
        with self.assertRaises(ValidationError), self.cr.savepoint():
            event.write({"start": other.start, "stop": other.stop})
        # resized: the length is the treatment's
        with self.assertRaisesRegex(UserError, "without resizing"), self.cr.savepoint():
            event.write({"stop": appointment.stop + timedelta(hours=1)})
        # into the past
        with self.assertRaisesRegex(UserError, "past"), self.cr.savepoint():
            past = NOW - timedelta(days=1)
            event.write({"start": past, "stop": past + timedelta(minutes=45)})
        # what the appointment decides: attendees, archive, name
        for vals in (
            {"partner_ids": [(6, 0, self.practitioner.partner_id.ids)]},
            {"active": False},
            {"name": "Coffee"},
        ):
            with self.subTest(vals=vals), self.assertRaises(UserError), self.cr.savepoint():
                event.write(vals)
        with self.assertRaisesRegex(UserError, "cancel the appointment"), self.cr.savepoint():
            event.unlink()
        self.assertEqual(appointment.start, NOW + timedelta(days=3))
        self.assertTrue(appointment.event_id.active)
        # neutral changes go through
        event.write({"description": "Bring the previous results"})

    def test_a_cancelled_booking_is_not_moved_from_the_calendar(self):
        appointment = self._booked(NOW + timedelta(days=3))
        event = appointment.event_id
        appointment.action_cancel_by_clinic()
        with self.assertRaisesRegex(UserError, "cannot be rescheduled"):
            event.with_user(self.practitioner).write(
                {"start": NOW + timedelta(days=6), "stop": NOW + timedelta(days=6, minutes=45)}
            )

    def test_other_events_are_untouched(self):
        event = self.env["calendar.event"].create(
            {"name": "Team lunch", "start": NOW, "stop": NOW + timedelta(hours=1)}
        )
        event.write({"name": "Team dinner", "start": NOW + timedelta(hours=8)})
        event.unlink()

    # --- patients registered by the desk -----------------------------------

    def test_the_desk_registers_a_new_patient_and_fixes_an_email(self):
        Partner = self.env["res.partner"].with_user(self.front_desk)
        patient = Partner.create({"name": "New Caller", "phone": "+32 470 11 22 33"})
        patient.email = "new.caller@example.com"
        appointment = self._appointment(
            NOW + timedelta(days=2), patient=patient, user=self.front_desk
        )
        appointment.action_book()
        self.assertEqual(appointment.patient_id.email, "new.caller@example.com")
        # an outsider without the clinic group still cannot
        with self.assertRaises(AccessError):
            self.env["res.partner"].with_user(self.internal_user).create({"name": "X"})

    # --- the no-show of the day --------------------------------------------

    def test_a_no_show_is_undone_the_same_day(self):
        appointment = self._booked(NOW + timedelta(hours=3))
        self._pay_online(appointment)
        deposit = appointment.deposit_ids
        with freeze_time(NOW + timedelta(hours=4)):
            appointment.with_user(self.front_desk).action_no_show()
            self.assertEqual((deposit.state, deposit.amount_forfeited), ("forfeited", 50.0))
            forfeit = deposit.forfeit_move_id
            mail = self._patient_mails(appointment, "We missed you")
            self.assertEqual(mail.partner_ids, self.patient)
            self.assertTrue(appointment.can_undo_no_show)
            appointment.with_user(self.front_desk).action_undo_no_show()
        self.assertEqual(appointment.state, "confirmed")
        self.assertEqual((deposit.state, deposit.amount_forfeited), ("paid", 0.0))
        self.assertFalse(deposit.amount_refundable)
        reversal = self.env["account.move"].search([("reversed_entry_id", "=", forfeit.id)])
        self.assertEqual(reversal.state, "posted")
        # the ledger: the fee income went back to the deposit account
        fee = (forfeit | reversal).line_ids.filtered(
            lambda line: line.account_id == self.fee_account
        )
        self.assertEqual(sum(fee.mapped("balance")), 0.0)
        self.assertEqual(self._deposit_balance(appointment), -50.0)

    def test_a_no_show_is_not_undone_the_next_day(self):
        appointment = self._booked(NOW + timedelta(hours=3))
        self._pay_online(appointment)
        with freeze_time(NOW + timedelta(hours=4)):
            appointment.action_no_show()
        with freeze_time(NOW + timedelta(days=1, hours=4)):
            self.assertFalse(appointment.can_undo_no_show)
            with self.assertRaisesRegex(UserError, "the day it was recorded"):
                appointment.with_user(self.front_desk).action_undo_no_show()
        self.assertEqual(appointment.state, "no_show")
