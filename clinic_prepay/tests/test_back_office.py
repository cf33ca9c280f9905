# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta
from unittest.mock import patch

import psycopg2
from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

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

    # --- practitioners and their hours -------------------------------------

    def test_the_treatments_practitioners_are_offered(self):
        form_appointment = self.env["clinic.appointment"].new(
            {"treatment_id": self.treatment_botox.id, "patient_id": self.patient.id}
        )
        self.assertEqual(form_appointment.allowed_practitioner_ids._origin, self.practitioner)
        form_appointment._onchange_treatment_id_practitioner()
        self.assertEqual(
            form_appointment.practitioner_id._origin, self.practitioner, "the only one"
        )
        self.assertNotIn(self.internal_user, form_appointment.allowed_practitioner_ids._origin)

    def test_outside_working_hours_only_a_manager_books(self):
        calendar = self.env["resource.calendar"].create(
            {"name": "Mornings", "tz": "UTC", "attendance_ids": [(5, 0, 0)]}
            | {
                "attendance_ids": [
                    (
                        0,
                        0,
                        {"name": f"Day {d}", "dayofweek": str(d), "hour_from": 8, "hour_to": 12},
                    )
                    for d in range(5)
                ]
            }
        )
        self.env["resource.resource"].create(
            {"name": "Dr. Paula", "user_id": self.practitioner.id, "calendar_id": calendar.id}
        )
        # Tuesday 15:00: the afternoon is not worked
        afternoon = self._appointment(NOW + timedelta(days=1, hours=7), user=self.front_desk)
        self.assertTrue(afternoon._onchange_working_hours())
        with self.assertRaisesRegex(UserError, "does not work at that time"):
            afternoon.with_user(self.front_desk).action_book()
        afternoon.with_user(self.manager).action_book()
        self.assertEqual(afternoon.state, "awaiting_payment")
        # Tuesday 09:00 is fine for the desk, and a move out of hours is not
        morning = self._booked(NOW + timedelta(days=1, hours=1), user=self.front_desk)
        with self.assertRaisesRegex(UserError, "does not work at that time"):
            morning.with_user(self.front_desk).start = NOW + timedelta(days=2, hours=9)

    # --- what the desk reads -----------------------------------------------

    def test_names_and_payment_markers(self):
        draft = self._appointment(NOW + timedelta(days=2))
        self.assertFalse(draft.payment_status, "nothing is asked of a draft")
        booked = self._booked(NOW + timedelta(days=3))
        self.assertEqual(
            booked.display_name, f"Patricia Patient - Botox ({booked.name})", "patient first"
        )
        # the calendar's title says whether the deposit is paid
        self.assertEqual(self.company.currency_id.symbol, "$")
        self.assertEqual(
            booked.calendar_title, "$ Patricia Patient - Botox", "the clinic's currency"
        )
        self._pay_online(booked)
        self.assertEqual(booked.calendar_title, "✔ Patricia Patient - Botox")
        self.assertEqual(booked.event_id.name, "Patricia Patient - Botox")

    def test_booking_mails_carry_the_calendar_file(self):
        booked = self._booked(NOW + timedelta(days=3))
        self._pay_online(booked)
        mail = self._patient_mails(booked, "is confirmed")
        ics = mail.attachment_ids
        self.assertEqual(ics.mimetype, "text/calendar")
        self.assertIn(b"BEGIN:VCALENDAR", ics.raw)

    # --- the manager's policies and the accountant's ledger ----------------

    def test_the_manager_sets_the_policies(self):
        settings = (
            self.env["clinic.settings"]
            .with_user(self.manager)
            .create({"clinic_free_cancel_hours": 48.0, "clinic_online_hold_minutes": 20})
        )
        settings.action_save()
        self.assertEqual(self.company.clinic_free_cancel_hours, 48.0)
        self.assertEqual(self.company.clinic_online_hold_minutes, 20)
        with self.assertRaises(AccessError):
            self.env["clinic.settings"].with_user(self.front_desk).create(
                {"clinic_free_cancel_hours": 0.0}
            )
        self.assertEqual(self.company.clinic_free_cancel_hours, 48.0)

    def test_the_accountant_opens_the_deposit_account(self):
        accountant = self.env["res.users"].create(
            {
                "name": "Alice Accountant",
                "login": "clinic_accountant_ledger",
                "groups_id": [(6, 0, self.env.ref("account.group_account_user").ids)],
            }
        )
        booked = self._booked(NOW + timedelta(days=3))
        self._pay_online(booked)
        action = self.env["clinic.deposit"].with_user(accountant).action_open_deposit_ledger()
        lines = self.env["account.move.line"].with_user(accountant).search(action["domain"])
        self.assertEqual(lines.account_id, self.deposit_account)
        self.assertIn(booked.deposit_ids.invoice_ids.line_ids & lines, lines)
        self.assertTrue(lines)
        # the Clinic app's menus open for them
        self.env["clinic.treatment"].with_user(accountant).search([])

    def test_mails_a_patient_understands(self):
        self.company.phone = "+32 2 555 12 12"
        booked = self._booked(NOW + timedelta(days=3))
        link = self.env.ref("clinic_prepay.mail_template_appointment_payment_link")
        body = link._render_field("body_html", booked.ids)[booked.id]
        self.assertIn("No-show: $\xa050.00", body, "the policy with the amounts")
        self.assertIn("+32 2 555 12 12", body, "the clinic's phone")
        # times in the clinic's zone, named, without seconds
        self.assertIn(booked._format_start(), body)
        self.assertRegex(booked._format_start(), r"\d{1,2}:\d{2}( [AP]M)? \([\w/]+\)$")
        self._pay_online(booked)
        confirmed = self._patient_mails(booked, "is confirmed")
        self.assertRegex(confirmed.body, r"until\s+24 hours")
        self.assertNotIn("24.0 hours", confirmed.body)
        # the cancellation mail promises no refund before it is approved
        booked.action_cancel_by_clinic()
        cancelled = self._patient_mails(booked, "is cancelled")
        self.assertIn("due back to you", cancelled.body)
        self.assertNotIn("will be refunded", cancelled.body)

    # --- what a user may not do over RPC -----------------------------------

    def test_a_patient_runs_no_workflow_over_rpc(self):
        portal = self.env["res.users"].create(
            {
                "name": "Rita RPC",
                "login": "clinic_rita_rpc",
                "groups_id": [(6, 0, self.env.ref("base.group_portal").ids)],
            }
        )
        appointment = self._booked(NOW + timedelta(hours=5))
        appointment.patient_id = portal.partner_id
        self._pay_online(appointment)
        for method in (
            "action_cancel_by_clinic",
            "action_cancel_by_patient",
            "action_done",
            "action_no_show",
            "action_confirm",
        ):
            with self.subTest(method=method), self.assertRaises(AccessError):
                getattr(appointment.with_user(portal), method)()
        self.assertEqual(appointment.state, "confirmed")

    def test_the_sync_key_is_no_pass_for_users(self):
        appointment = self._booked(NOW + timedelta(days=3))
        event = appointment.event_id.with_user(self.practitioner).with_context(
            clinic_event_sync=True
        )
        with self.assertRaises(UserError), self.cr.savepoint():
            event.unlink()
        with self.assertRaises(UserError), self.cr.savepoint():
            event.write({"active": False})
        # mixed with another event: each gets what it may
        other = self.env["calendar.event"].create(
            {"name": "Lunch", "start": NOW, "stop": NOW + timedelta(hours=1)}
        )
        (appointment.event_id | other).write({"description": "Room 2"})
        self.assertEqual(other.description, appointment.event_id.description)
        self.assertTrue(appointment.event_id.active)

    def test_the_desk_books_the_treatments_practitioners_only(self):
        with self.assertRaisesRegex(UserError, "does not give"):
            self._appointment(
                NOW + timedelta(days=2), practitioner=self.internal_user, user=self.front_desk
            )
        booked = self._booked(NOW + timedelta(days=2), user=self.front_desk)
        with self.assertRaisesRegex(UserError, "does not give"):
            booked.with_user(self.front_desk).practitioner_id = self.practitioner2

    def test_an_unpaid_no_show_is_not_undone_into_a_confirmation(self):
        appointment = self._booked(NOW + timedelta(hours=3))
        with freeze_time(NOW + timedelta(hours=4)):
            appointment.action_no_show()
            self.assertFalse(appointment.can_undo_no_show)
            with self.assertRaises(UserError):
                appointment.with_user(self.front_desk).action_undo_no_show()
        self.assertEqual(appointment.state, "no_show")

    def test_a_manager_sets_only_their_companys_policies(self):
        other = self.env["res.company"].create({"name": "Other Clinic"})
        settings = self.env["clinic.settings"].with_user(self.manager).create({})
        with self.assertRaises(AccessError):
            settings.write({"company_id": other.id, "clinic_refund_auto_approve": True})
        self.assertFalse(other.clinic_refund_auto_approve)

    def test_a_broken_template_holds_back_no_other_mail(self):
        first = self._booked(NOW + timedelta(days=2))
        second = self._booked(NOW + timedelta(days=3))
        confirmed = self.env.ref("clinic_prepay.mail_template_appointment_confirmed")
        first._send_mail("clinic_prepay.mail_template_appointment_confirmed")
        second.action_cancel_by_clinic()
        Appointment = type(self.env["clinic.appointment"])
        post = Appointment._post_patient_mail

        def broken(records, template):
            # a template a bad edit broke: its rendering fails
            if template == confirmed:
                raise ValueError("bad template")
            return post(records, template)

        with (
            patch.object(Appointment, "_post_patient_mail", broken),
            mute_logger("odoo.addons.clinic_prepay.models.clinic_appointment_mail"),
        ):
            self.env["clinic.appointment.mail"]._cron_send()
        self.assertTrue(self._mails_about(second, "is cancelled"))
        self.assertFalse(self._mails_about(first, "is confirmed"))
        self.assertFalse(
            self.env["clinic.appointment.mail"].search(
                [("appointment_id", "in", (first | second).ids)]
            )
        )
        # a manager is asked to tell the patient another way
        self.assertEqual(
            first.activity_ids.mapped("summary"), [f"Patient mail not sent: {confirmed.name}"]
        )
        self.assertTrue(first.activity_ids.user_id.has_group("clinic_prepay.group_clinic_manager"))
        self.assertFalse(second.activity_ids)

    def test_a_mail_meeting_contention_waits_for_the_next_run(self):
        """A transient database error while rendering keeps the mail queued;
        the next run sends it, once. The portal token the mail links to is
        minted when the mail is queued, not when it is rendered."""
        first = self._booked(NOW + timedelta(days=2))
        second = self._booked(NOW + timedelta(days=3))
        self.env["clinic.appointment.mail"]._cron_send()
        (first | second).sudo().write({"access_token": False})
        first._send_mail("clinic_prepay.mail_template_appointment_confirmed")
        second.action_cancel_by_clinic()
        self.assertTrue(first.access_token and second.access_token, "minted when queued")
        confirmed = self.env.ref("clinic_prepay.mail_template_appointment_confirmed")
        Appointment = type(self.env["clinic.appointment"])
        post = Appointment._post_patient_mail

        def contended(records, template):
            if template == confirmed:
                raise psycopg2.errors.SerializationFailure("could not serialize access")
            return post(records, template)

        cron = self.env.ref("clinic_prepay.ir_cron_send_patient_mails")
        triggers = self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)])
        with patch.object(Appointment, "_post_patient_mail", contended):
            self.env["clinic.appointment.mail"]._cron_send()
        self.assertTrue(self._mails_about(second, "is cancelled"), "the other mail went")
        self.assertFalse(self._mails_about(first, "is confirmed"))
        queue = self.env["clinic.appointment.mail"].search([("appointment_id", "=", first.id)])
        self.assertEqual(queue.template_id, confirmed, "still queued")
        retry = self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]) - triggers
        self.assertEqual(retry.call_at, NOW + timedelta(minutes=1))
        self.assertFalse(first.activity_ids, "contention is nobody's to-do")
        token = first.access_token
        self.env["clinic.appointment.mail"]._cron_send()
        self.assertEqual(len(self._mails_about(first, "is confirmed")), 1)
        self.assertEqual(len(self._mails_about(second, "is cancelled")), 1)
        self.assertFalse(
            self.env["clinic.appointment.mail"].search([("appointment_id", "=", first.id)])
        )
        self.assertEqual(first.access_token, token, "rendering wrote no token")

    def _mails_about(self, appointment, subject):
        return appointment.message_ids.filtered(lambda m: subject in (m.subject or ""))
