# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The desk books a laser treatment, then drags it on the Clinic calendar
onto a time when the laser is taken: refused clearly, nothing moves."""

from datetime import datetime, timedelta
from unittest.mock import patch

from odoo import Command, fields
from odoo.exceptions import UserError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import ChromeBrowser

from .common import bookable_time


@tagged("post_install", "-at_install")
class TestResourceUi(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.desk = new_test_user(
            cls.env,
            login="tour_laser_desk",
            name="Tour Laser Desk",
            groups="clinic_prepay.group_clinic_user",
            tz="UTC",
        )
        hours = cls.env["resource.calendar"].create({"name": "Tour laser hours", "tz": "UTC"})
        cls.doctors = cls.env["res.users"]
        for login in ("tour_laser_doc1", "tour_laser_doc2"):
            doctor = new_test_user(
                cls.env, login=login, name=login, groups="clinic_prepay.group_clinic_user"
            )
            cls.env["resource.resource"].create(
                {"name": login, "user_id": doctor.id, "calendar_id": hours.id, "tz": "UTC"}
            )
            cls.doctors |= doctor
        cls.kind = cls.env["clinic.resource.kind"].create({"name": "Tour laser kind"})
        cls.laser = cls.env["resource.resource"].create(
            {
                "name": "Tour laser",
                "resource_type": "material",
                "clinic_kind_id": cls.kind.id,
                "calendar_id": hours.id,
                "tz": "UTC",
            }
        )
        product = cls.env["product.product"].create(
            {"name": "Tour Resurfacing", "type": "service", "list_price": 200.0}
        )
        cls.treatment = cls.env["clinic.treatment"].create(
            {
                "name": "Tour Resurfacing",
                "product_id": product.id,
                "duration": 1.0,
                # drawn as the booking's hour, the buffer is not part of it
                "buffer_after": 0.25,
                "deposit_type": "none",
                "practitioner_ids": [Command.set(cls.doctors.ids)],
                "resource_kind_ids": [Command.set(cls.kind.ids)],
            }
        )
        # a working day ahead, whatever today is: 09:00 and 11:00 that day
        day = bookable_time(cls.treatment, cls.doctors[0], timedelta(days=2)).date()
        cls.nine = datetime.combine(day, datetime.min.time()).replace(hour=9)
        cls.eleven = cls.nine.replace(hour=11)
        Appointment = cls.env["clinic.appointment"]
        cls.patient = cls.env["res.partner"].create(
            {"name": "Tour Laser Patient", "email": "laser.patient@example.com"}
        )
        cls.taken = Appointment.create(
            {
                "patient_id": cls.env["res.partner"].create({"name": "Other Patient"}).id,
                "treatment_id": cls.treatment.id,
                "practitioner_id": cls.doctors[1].id,
                "start": cls.eleven,
            }
        )
        cls.taken.action_book()
        cls.appointment = Appointment.create(
            {
                "patient_id": cls.patient.id,
                "treatment_id": cls.treatment.id,
                "practitioner_id": cls.doctors[0].id,
                "start": cls.nine,
            }
        )
        cls.calendar_action = cls.env["ir.actions.act_window"].create(
            {
                "name": "Tour Clinic Calendar",
                "res_model": "clinic.appointment",
                "view_mode": "calendar,form",
                "view_id": cls.env.ref("clinic_prepay.clinic_appointment_view_calendar").id,
                "context": repr({"initial_date": fields.Datetime.to_string(cls.nine)}),
            }
        )

    def test_the_desk_books_then_a_drag_onto_the_taken_laser_is_refused(self):
        self.start_tour(
            f"/odoo/clinic.appointment/{self.appointment.id}",
            "clinic_prepay_desk_books_laser_tour",
            login="tour_laser_desk",
        )
        self.assertEqual(self.appointment.state, "confirmed")
        self.assertEqual(self.appointment.resource_ids, self.laser)
        moved_mails = self.appointment.message_ids.filtered(lambda m: "moved" in (m.subject or ""))
        original = ChromeBrowser.navigate_to

        def navigate_to(browser, url, wait_stop=False):
            # the desk's computer on the clinic's time (UTC here): the
            # calendar's hours are the bookings' hours
            browser._websocket_request(
                "Emulation.setTimezoneOverride", params={"timezoneId": "UTC"}
            )
            return original(browser, url, wait_stop=wait_stop)

        with patch.object(ChromeBrowser, "navigate_to", navigate_to):
            self.start_tour(
                f"/odoo/action-{self.calendar_action.id}",
                "clinic_prepay_desk_drags_onto_taken_laser_tour",
                login="tour_laser_desk",
            )
        self.appointment.invalidate_recordset()
        self.assertEqual(self.taken.resource_ids, self.laser)
        self.assertEqual(self.taken.start, self.eleven, "the other booking never moved")
        # the refused drag moved nothing; the drag onto a free afternoon
        # time moved the booking, with its length and its laser
        start = self.appointment.start
        self.assertGreaterEqual(start, self.nine.replace(hour=13))
        self.assertLessEqual(start, self.nine.replace(hour=16))
        self.assertEqual(self.appointment.stop - start, timedelta(hours=1))
        self.assertEqual(self.appointment.resource_ids, self.laser)
        self.assertEqual(self.appointment.resource_line_ids.start, start)
        self.env["clinic.appointment.mail"]._cron_send()
        self.appointment.invalidate_recordset(["message_ids"])
        moved = self.appointment.message_ids.filtered(lambda m: "moved" in (m.subject or ""))
        self.assertEqual(len(moved - moved_mails), 1, "the patient is told")

    def test_a_drag_moves_with_the_treatments_length_and_a_resize_is_refused(self):
        self.appointment.action_book()
        desk = self.appointment.with_user(self.desk)
        # a drag writes both ends; the calendar may round the end
        later = self.nine + timedelta(hours=5)
        desk.write({"start": later, "stop": later + timedelta(minutes=75)})
        self.assertEqual((desk.start, desk.stop), (later, later + timedelta(hours=1)))
        self.assertEqual(desk.resource_line_ids.stop, later + timedelta(hours=1))
        # a resize writes the end alone: the length is the treatment's
        with self.assertRaisesRegex(UserError, "The length of .* is the treatment's duration"):
            desk.write({"stop": later + timedelta(hours=2)})
