# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Sites: a booking is at one site; practitioners, rooms and devices work at
a site (always, or per line of working hours); times read in the site's
time zone."""

from contextlib import contextmanager
from datetime import datetime, timedelta

import pytz
from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import NOW, ClinicPaymentCommon

# Monday 11 March 2030: Brussels is UTC+1; New York is UTC-4 (its summer
# time began the day before, Brussels' only on 31 March)
MONDAY = datetime(2030, 3, 11)
TUESDAY = MONDAY + timedelta(days=1)


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestSites(ClinicPaymentCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.clinic_slot_minutes = 60
        Site = cls.env["clinic.site"]
        cls.brussels = Site.create(
            {
                "name": "Sablon",
                "tz": "Europe/Brussels",
                "partner_id": cls.env["res.partner"]
                .create({"name": "Sablon", "street": "1 Rue des Minimes", "city": "Brussels"})
                .id,
            }
        )
        cls.new_york = Site.create(
            {
                "name": "Hudson",
                "tz": "America/New_York",
                "partner_id": cls.env["res.partner"]
                .create({"name": "Hudson", "street": "5 Hudson Street", "city": "New York"})
                .id,
            }
        )
        Calendar = cls.env["resource.calendar"]
        cls.hours_bxl = Calendar.create({"name": "Sablon hours", "tz": "Europe/Brussels"})
        cls.hours_nyc = Calendar.create({"name": "Hudson hours", "tz": "America/New_York"})
        Resource = cls.env["resource.resource"]
        Resource.create(
            {
                "name": cls.practitioner.name,
                "user_id": cls.practitioner.id,
                "calendar_id": cls.hours_bxl.id,
                "tz": "Europe/Brussels",
                "clinic_site_id": cls.brussels.id,
            }
        )
        Resource.create(
            {
                "name": cls.practitioner2.name,
                "user_id": cls.practitioner2.id,
                "calendar_id": cls.hours_nyc.id,
                "tz": "America/New_York",
                "clinic_site_id": cls.new_york.id,
            }
        )
        cls.kind_room = cls.env["clinic.resource.kind"].create({"name": "Site room"})
        cls.room_bxl, cls.room_nyc = Resource.create(
            [
                {
                    "name": name,
                    "resource_type": "material",
                    "clinic_kind_id": cls.kind_room.id,
                    "calendar_id": calendar.id,
                    "tz": calendar.tz,
                    "clinic_site_id": site.id,
                }
                for name, calendar, site in (
                    ("Sablon room", cls.hours_bxl, cls.brussels),
                    ("Hudson room", cls.hours_nyc, cls.new_york),
                )
            ]
        )
        product = cls._create_service("Peel", 120.0)
        cls.treatment = cls.env["clinic.treatment"].create(
            {
                "name": "Peel",
                "product_id": product.id,
                "duration": 1.0,
                "deposit_type": "fixed",
                "deposit_fixed": 30.0,
                "practitioner_ids": [Command.set((cls.practitioner | cls.practitioner2).ids)],
                "resource_kind_ids": [Command.set(cls.kind_room.ids)],
                "min_notice_hours": 2.0,
                "max_days_ahead": 60,
            }
        )

    @contextmanager
    def _refused(self, pattern):
        with self.assertRaises(ValidationError) as catcher:
            yield
        self.assertRegex(str(catcher.exception), pattern)

    def _slots(self, day=MONDAY, treatment=None, site=None):
        return (treatment or self.treatment)._get_free_slots(
            day, day + timedelta(days=1), site=site
        )

    def _local(self, slots, site):
        return [
            (
                pytz.utc.localize(slot["start"])
                .astimezone(pytz.timezone(site.tz))
                .strftime("%H:%M"),
                slot["practitioner_id"],
            )
            for slot in slots
            if slot["site_id"] == site.id
        ]

    def test_two_sites_in_two_time_zones(self):
        # each site's times are its own practitioners' hours in its own zone
        bxl = self._slots(site=self.brussels)
        nyc = self._slots(site=self.new_york)
        self.assertEqual({s["practitioner_id"] for s in bxl}, {self.practitioner.id})
        self.assertEqual({s["practitioner_id"] for s in nyc}, {self.practitioner2.id})
        self.assertEqual(bxl[0]["start"], MONDAY.replace(hour=7), "08:00 in Brussels")
        self.assertEqual(nyc[0]["start"], MONDAY.replace(hour=12), "08:00 in New York")
        self.assertEqual(self._local(bxl, self.brussels)[0][0], "08:00")
        self.assertEqual(self._local(nyc, self.new_york)[0][0], "08:00")
        self.assertEqual(
            [slot[0] for slot in self._local(nyc, self.new_york)],
            ["08:00", "09:00", "10:00", "11:00", "13:00", "14:00", "15:00", "16:00"],
        )
        # without a site: both, each slot with its site
        both = self._slots()
        self.assertEqual(len(both), len(bxl) + len(nyc))
        self.assertEqual(
            {(s["start"], s["site_id"]) for s in both},
            {(s["start"], s["site_id"]) for s in bxl + nyc},
        )
        # a booking at New York: its site from its practitioner, its times
        # in the site's zone, its room there, and the mail says where
        appointment = self._appointment(
            MONDAY.replace(hour=12),
            self.treatment,
            practitioner=self.practitioner2,
            user=self.front_desk,
        )
        self.assertEqual(appointment.site_id, self.new_york)
        appointment.with_user(self.front_desk).action_book()
        self.assertEqual(appointment.state, "awaiting_payment")
        self.assertEqual(appointment.resource_ids, self.room_nyc)
        self.assertIn("8:00", appointment._format_start())
        self.assertIn("America/New_York", appointment._format_start())
        self._pay_at_desk(appointment)
        self.assertEqual(appointment.state, "confirmed")
        body = "".join(self._patient_mails(appointment, "is confirmed").mapped("body"))
        self.assertIn("Hudson", body)
        self.assertIn("5 Hudson Street", body)
        self.assertIn("New York", body)
        # the Hudson room is taken at 08:00 New York time; Brussels is not
        self.assertNotIn(MONDAY.replace(hour=12), [s["start"] for s in nyc[1:]])
        self.assertNotIn(
            MONDAY.replace(hour=12), [s["start"] for s in self._slots(site=self.new_york)]
        )

    def test_a_booking_at_a_site_where_its_practitioner_does_not_work(self):
        # the Brussels practitioner at New York: refused, nothing written
        appointment = self._appointment(
            MONDAY.replace(hour=12), self.treatment, user=self.front_desk
        )
        self.assertEqual(appointment.site_id, self.brussels)
        appointment.with_user(self.front_desk).site_id = self.new_york
        with self.assertRaisesRegex(UserError, "does not work at that time"):
            appointment.with_user(self.front_desk).action_book()
        self.assertEqual(appointment.state, "draft")
        self.assertFalse(appointment.event_id)
        # a treatment offered at Brussels only: nothing at New York
        self.treatment.site_ids = self.brussels
        self.assertFalse(self._slots(site=self.new_york))
        self.assertFalse([s for s in self._slots() if s["site_id"] == self.new_york.id])
        there = self._appointment(
            MONDAY.replace(hour=12),
            self.treatment,
            practitioner=self.practitioner2,
            user=self.front_desk,
        )
        self.assertEqual(there.site_id, self.brussels, "the treatment's one site")
        there.with_user(self.front_desk).site_id = self.new_york
        with self._refused("Peel is not offered at Hudson"):
            there.with_user(self.front_desk).action_book()
        self.assertEqual(there.state, "draft")
        self.assertFalse(there.resource_line_ids.filtered("booked"))

    def test_the_desk_picks_the_site_when_nothing_says_it(self):
        self.practitioner.sudo().resource_ids.clinic_site_id = False
        self.hours_bxl.attendance_ids.clinic_site_id = self.brussels
        appointment = self._appointment(
            MONDAY.replace(hour=7), self.treatment, user=self.front_desk
        )
        self.assertFalse(appointment.site_id, "two sites, a practitioner of none")
        with self._refused("pick the site of the visit"):
            appointment.with_user(self.front_desk).action_book()
        self.assertEqual(appointment.state, "draft")
        appointment.with_user(self.front_desk).site_id = self.brussels
        appointment.with_user(self.front_desk).action_book()
        self.assertEqual(appointment.resource_ids, self.room_bxl)

    def test_practitioners_and_devices_at_a_site_on_given_days(self):
        kind_laser = self.env["clinic.resource.kind"].create({"name": "Site laser"})
        rota = self.env["resource.calendar"].create(
            {
                "name": "Laser rota",
                "tz": "Europe/Brussels",
                "attendance_ids": [
                    Command.create(
                        {
                            "name": "Monday at Sablon",
                            "dayofweek": "0",
                            "hour_from": 8,
                            "hour_to": 17,
                            "clinic_site_id": self.brussels.id,
                        }
                    ),
                    Command.create(
                        {
                            "name": "Tuesday at Hudson",
                            "dayofweek": "1",
                            "hour_from": 14,
                            "hour_to": 23,
                            "clinic_site_id": self.new_york.id,
                        }
                    ),
                ],
            }
        )
        laser = self.env["resource.resource"].create(
            {
                "name": "Travelling laser",
                "resource_type": "material",
                "clinic_kind_id": kind_laser.id,
                "calendar_id": rota.id,
                "tz": "Europe/Brussels",
            }
        )
        self.treatment.resource_kind_ids = [Command.link(kind_laser.id)]
        # Monday: the laser is at Sablon only
        self.assertTrue(self._slots(site=self.brussels))
        self.assertFalse(self._slots(site=self.new_york))
        # Tuesday: at Hudson from 14:00 Brussels time, 09:00 in New York
        self.assertFalse(self._slots(TUESDAY, site=self.brussels))
        nyc = self._slots(TUESDAY, site=self.new_york)
        self.assertEqual(self._local(nyc, self.new_york)[0][0], "09:00")
        booking = self._appointment(
            nyc[0]["start"], self.treatment, practitioner=self.practitioner2, user=self.front_desk
        )
        booking.with_user(self.front_desk).action_book()
        self.assertEqual(booking.resource_ids, self.room_nyc | laser)
        # on Monday the laser cannot be taken at Hudson
        monday = self._appointment(
            MONDAY.replace(hour=13),
            self.treatment,
            practitioner=self.practitioner2,
            user=self.front_desk,
        )
        with self._refused("Travelling laser is not at Hudson at that time"):
            monday.with_user(self.front_desk).action_book()
        self.assertEqual(monday.state, "draft")
        self.assertFalse(monday.resource_line_ids.filtered("booked"))

    def test_a_move_to_another_site_takes_its_rooms(self):
        # a practitioner of both sites, per day
        self.practitioner.sudo().resource_ids.clinic_site_id = False
        self.room_bxl.calendar_id = self.hours_bxl.copy({"name": "Sablon room hours"})
        monday = self.hours_bxl.attendance_ids.filtered(lambda a: a.dayofweek == "0")
        monday.clinic_site_id = self.brussels
        tuesday = self.hours_bxl.attendance_ids.filtered(lambda a: a.dayofweek == "1")
        tuesday.clinic_site_id = self.new_york
        appointment = self._appointment(
            MONDAY.replace(hour=7), self.treatment, user=self.front_desk
        )
        appointment.with_user(self.front_desk).site_id = self.brussels
        appointment.with_user(self.front_desk).action_book()
        self.assertEqual(appointment.resource_ids, self.room_bxl)
        # Tuesday the practitioner is at Hudson (its room opens at 08:00
        # New York time): the move there takes its room
        appointment.with_user(self.front_desk).write(
            {"start": TUESDAY.replace(hour=13), "site_id": self.new_york.id}
        )
        self.assertEqual(appointment.resource_ids, self.room_nyc)
        self.assertEqual(appointment.resource_line_ids.start, TUESDAY.replace(hour=13))
        # back to Sablon on a Tuesday: the practitioner is not there, refused
        # (the request's transaction rolls back, as a savepoint here)
        with (
            self.assertRaisesRegex(UserError, "does not work at that time"),
            self.env.cr.savepoint(),
        ):
            appointment.with_user(self.front_desk).write({"site_id": self.brussels.id})
        appointment.invalidate_recordset()
        self.assertEqual(appointment.site_id, self.new_york)
        self.assertEqual(appointment.resource_ids, self.room_nyc)

    def test_a_resource_is_at_one_site_at_a_time(self):
        # hours at two sites at once on one calendar
        calendar = self.env["resource.calendar"].create(
            {"name": "Split", "tz": "Europe/Brussels", "attendance_ids": []}
        )
        with self._refused("at Sablon and Hudson at once"):
            calendar.attendance_ids = [
                Command.create(
                    {
                        "name": "Morning",
                        "dayofweek": "0",
                        "hour_from": 8,
                        "hour_to": 13,
                        "clinic_site_id": self.brussels.id,
                    }
                ),
                Command.create(
                    {
                        "name": "Overlap",
                        "dayofweek": "0",
                        "hour_from": 12,
                        "hour_to": 17,
                        "clinic_site_id": self.new_york.id,
                    }
                ),
            ]
            calendar.flush_recordset()
        # back to back is fine: morning here, afternoon there
        calendar.attendance_ids = [
            Command.create(
                {
                    "name": "Morning",
                    "dayofweek": "0",
                    "hour_from": 8,
                    "hour_to": 12,
                    "clinic_site_id": self.brussels.id,
                }
            ),
            Command.create(
                {
                    "name": "Afternoon",
                    "dayofweek": "0",
                    "hour_from": 12,
                    "hour_to": 17,
                    "clinic_site_id": self.new_york.id,
                }
            ),
        ]
        # a room of Sablon on hours that put it at Hudson
        with self._refused("Sablon room works at Sablon, but its working hours"):
            self.room_bxl.calendar_id = calendar
        with self._refused("Sablon room works at Sablon, but Sablon hours would put it"):
            self.hours_bxl.attendance_ids[:1].clinic_site_id = self.new_york
        # a treatment offered at another company's site
        other = self.env["res.company"].create({"name": "Other clinic"})
        foreign = self.env["clinic.site"].create(
            {
                "name": "Elsewhere",
                "company_id": other.id,
                "partner_id": other.partner_id.id,
                "tz": "UTC",
            }
        )
        with self._refused("another company's sites"):
            self.treatment.site_ids = foreign

    def test_sites_are_set_up_by_managers(self):
        Site = self.env["clinic.site"]
        vals = {"name": "Annex", "partner_id": self.patient.id, "tz": "UTC"}
        for user in (self.front_desk, self.practitioner):
            with self.assertRaises(AccessError):
                Site.with_user(user).create(vals)
            with self.assertRaises(AccessError):
                self.brussels.with_user(user).write({"tz": "UTC"})
            self.assertEqual(self.brussels.with_user(user).name, "Sablon")
        annex = Site.with_user(self.manager).create(vals)
        self.assertIn(annex, self.treatment._get_sites(), "a treatment of every site")
        annex.with_user(self.manager).active = False
        self.assertNotIn(annex, self.treatment._get_sites())

    def test_the_first_site_is_where_earlier_bookings_were(self):
        company = self.env["res.company"].create({"name": "Growing clinic"})
        self.env.user.company_ids |= company
        Appointment = self.env["clinic.appointment"].with_company(company)
        product = self._create_service("Growing consult", 50.0)
        treatment = (
            self.env["clinic.treatment"]
            .with_company(company)
            .create(
                {
                    "name": "Growing consult",
                    "product_id": product.id,
                    "company_id": company.id,
                    "deposit_type": "none",
                    "practitioner_ids": [Command.set(self.practitioner.ids)],
                }
            )
        )
        booked = Appointment.create(
            {
                "patient_id": self.patient.id,
                "treatment_id": treatment.id,
                "practitioner_id": self.practitioner.id,
                "start": MONDAY.replace(hour=7),
                "company_id": company.id,
            }
        )
        self.assertFalse(booked.site_id)
        Site = self.env["clinic.site"]
        first = Site.create(
            {"name": "Old house", "company_id": company.id, "partner_id": company.partner_id.id}
        )
        self.assertEqual(booked.site_id, first)
        second = Site.create(
            {"name": "New wing", "company_id": company.id, "partner_id": company.partner_id.id}
        )
        self.assertEqual(booked.site_id, first, "the second site changes nothing")
        self.assertEqual(treatment._get_sites(), first | second)
        # only that company's bookings take its first site
        self.assertEqual(
            self.env["clinic.appointment"].search([("site_id", "=", first.id)]), booked
        )

    def test_nobody_is_booked_at_a_site_they_are_not_at_not_even_by_a_manager(self):
        # the Brussels practitioner at New York, booked by a manager (who may
        # book outside working hours, but not somewhere else)
        appointment = self._appointment(MONDAY.replace(hour=13), self.treatment, user=self.manager)
        appointment.with_user(self.manager).site_id = self.new_york
        with self._refused("Dr. Paula Practitioner works at Sablon, not at Hudson"):
            appointment.with_user(self.manager).action_book()
        self.assertEqual(appointment.state, "draft")
        # a New York booking where the manager picks the Brussels room
        there = self._appointment(
            MONDAY.replace(hour=13),
            self.treatment,
            practitioner=self.practitioner2,
            user=self.manager,
        )
        with self._refused("Sablon room is not at Hudson"):
            there.with_user(self.manager).write({"resource_ids": [Command.set(self.room_bxl.ids)]})

    def test_a_freed_time_is_offered_at_the_site_that_freed_it(self):
        # a practitioner of both sites, whose hours name none
        self.practitioner.sudo().resource_ids.clinic_site_id = False
        entry = self.env["clinic.waitlist"].create(
            {"patient_id": self.patient2.id, "treatment_id": self.treatment.id}
        )
        # 12:00 UTC is in both sites' hours; the booking is at Sablon
        appointment = self._appointment(MONDAY.replace(hour=12), self.treatment)
        appointment.site_id = self.brussels
        appointment.action_book()
        self.assertEqual(appointment.resource_ids, self.room_bxl)
        appointment.with_user(self.front_desk).action_cancel_by_clinic()
        offer = entry.offer_ids
        self.assertEqual((offer.start, offer.site_id), (appointment.start, self.brussels))
        claimed = offer._claim("policy")
        self.assertEqual((claimed.site_id, claimed.resource_ids), (self.brussels, self.room_bxl))

    def test_a_visit_that_took_place_keeps_its_site(self):
        appointment = self._appointment(MONDAY.replace(hour=7), self.treatment)
        appointment.action_book()
        self._pay_at_desk(appointment)
        with freeze_time(MONDAY.replace(hour=9)):
            appointment.action_done()
        with self.assertRaisesRegex(UserError, "cannot be rescheduled"):
            appointment.with_user(self.front_desk).write({"site_id": self.new_york.id})
        self.assertEqual(appointment.site_id, self.brussels)
