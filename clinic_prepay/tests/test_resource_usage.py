# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The figures of rooms and devices: available and booked hours per day,
and utilisation as booked over available hours of the whole group."""

from datetime import date, datetime

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import NOW, ClinicPaymentCommon

# Monday 11 March 2030, Brussels is UTC+1: work 8-12 and 13-17 local time
MONDAY = datetime(2030, 3, 11)


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestResourceUsage(ClinicPaymentCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        calendar = cls.env["resource.calendar"].create(
            {"name": "Usage hours", "tz": "Europe/Brussels"}
        )
        cls.company.resource_calendar_id = calendar
        cls.env["resource.resource"].create(
            {
                "name": cls.practitioner.name,
                "user_id": cls.practitioner.id,
                "calendar_id": calendar.id,
                "tz": "Europe/Brussels",
            }
        )
        cls.kind = cls.env["clinic.resource.kind"].create({"name": "Usage room"})
        cls.room1, cls.room2 = cls.env["resource.resource"].create(
            [
                {
                    "name": name,
                    "resource_type": "material",
                    "clinic_kind_id": cls.kind.id,
                    "calendar_id": calendar.id,
                    "tz": "Europe/Brussels",
                }
                for name in ("Usage room 1", "Usage room 2")
            ]
        )
        cls.treatment = cls.env["clinic.treatment"].create(
            {
                "name": "Usage facial",
                "product_id": cls._create_service("Usage facial", 80.0).id,
                "duration": 1.0,
                "deposit_type": "none",
                "practitioner_ids": [Command.set(cls.practitioner.ids)],
                "resource_kind_ids": [Command.set(cls.kind.ids)],
            }
        )
        cls.env["resource.calendar.leaves"].create(
            {
                "name": "Room 2 repairs",
                "resource_id": cls.room2.id,
                "calendar_id": calendar.id,
                # 08:00-12:00 in Brussels
                "date_from": MONDAY.replace(hour=7),
                "date_to": MONDAY.replace(hour=11),
            }
        )

    def _book(self, hour, rooms):
        appointment = self._appointment(MONDAY.replace(hour=hour), self.treatment)
        appointment.write({"resource_ids": [Command.set(rooms.ids)]})
        appointment.action_book()
        return appointment

    def test_utilisation_per_room_and_day(self):
        self._book(7, self.room1)
        self._book(8, self.room1)
        self._book(12, self.room2)
        cancelled = self._book(14, self.room1)
        cancelled.action_cancel_by_clinic()
        Usage = self.env["clinic.resource.usage"]
        Usage._refresh(date(2030, 3, 11), date(2030, 3, 12))
        rows = Usage.search([("date", "=", date(2030, 3, 11))])
        self.assertRecordValues(
            rows.sorted(lambda r: r.resource_id.id),
            [
                {
                    "resource_id": self.room1.id,
                    "available_hours": 8.0,
                    "booked_hours": 2.0,
                    "utilisation": 25.0,
                },
                {
                    "resource_id": self.room2.id,
                    "available_hours": 4.0,
                    "booked_hours": 1.0,
                    "utilisation": 25.0,
                },
            ],
        )
        # the group's utilisation is its booked over its available hours:
        # Monday 3 of 12 hours, Monday and Tuesday 3 of 28
        (monday,) = Usage.read_group(
            [("date", "=", date(2030, 3, 11))], ["utilisation"], ["kind_id"]
        )
        self.assertAlmostEqual(monday["utilisation"], 25.0)
        (both,) = Usage.read_group([], ["utilisation:avg", "booked_hours:sum"], ["kind_id"])
        self.assertAlmostEqual(both["utilisation"], 100.0 * 3 / 28)
        self.assertEqual(both["booked_hours"], 3.0)
        # refreshed again, the same rows: nothing counted twice
        Usage._refresh(date(2030, 3, 11), date(2030, 3, 12))
        self.assertEqual(Usage.search_count([]), 4)

    def test_only_managers_open_it(self):
        self._book(7, self.room1)
        action = self.env["clinic.resource.usage"].with_user(self.manager).action_open()
        self.assertEqual(action["res_model"], "clinic.resource.usage")
        self.assertTrue(
            self.env["clinic.resource.usage"]
            .with_user(self.manager)
            .search([("resource_id", "=", self.room1.id), ("date", "=", date(2030, 3, 11))])
        )
        for user in (self.front_desk, self.practitioner):
            with self.assertRaises(AccessError):
                self.env["clinic.resource.usage"].with_user(user).search([])
            with self.assertRaises(AccessError):
                self.env["clinic.resource.usage"].with_user(user).action_open()
        with self.assertRaises(AccessError):
            self.env["clinic.resource.usage"].with_user(self.manager).create(
                {"date": date(2030, 3, 11), "resource_id": self.room1.id}
            )

    def test_a_room_of_every_company_has_each_companys_rows(self):
        shared = self.env["resource.resource"].create(
            {
                "name": "Shared room",
                "resource_type": "material",
                "clinic_kind_id": self.kind.id,
                "calendar_id": self.room1.calendar_id.id,
                "company_id": False,
            }
        )
        other = self.env["res.company"].create({"name": "Usage other clinic"})
        Usage = self.env["clinic.resource.usage"]
        Usage._refresh(date(2030, 3, 11), date(2030, 3, 11))
        Usage._refresh(date(2030, 3, 11), date(2030, 3, 11), company=other)
        Usage._refresh(date(2030, 3, 11), date(2030, 3, 11))
        rows = Usage.search([("resource_id", "=", shared.id)])
        self.assertEqual(sorted(rows.company_id.ids), sorted((self.company | other).ids))
