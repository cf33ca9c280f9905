# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A clinic with two sites online: the booking page asks where first, then
shows that site's times in its time zone; a laser treatment is offered only
where the laser is free."""

import re
from datetime import datetime, timedelta

from odoo import Command, fields
from odoo.tests import new_test_user, tagged

from .common import OnlineBookingCase


class TwoSitesCase(OnlineBookingCase):
    """Sablon (Brussels) and Canary Wharf (London); a room at each, the one
    laser at Canary Wharf; one practitioner at each site."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Site = cls.env["clinic.site"]
        Partner = cls.env["res.partner"]
        cls.sablon = Site.create(
            {
                "name": "Sablon",
                "tz": "Europe/Brussels",
                "partner_id": Partner.create(
                    {"name": "Sablon", "street": "1 Rue des Minimes", "city": "Brussels"}
                ).id,
            }
        )
        cls.wharf = Site.create(
            {
                "name": "Canary Wharf",
                "tz": "Europe/London",
                "partner_id": Partner.create(
                    {"name": "Canary Wharf", "street": "7 Bank Street", "city": "London"}
                ).id,
            }
        )
        cls.london_hours = cls.env["resource.calendar"].create(
            {"name": "London hours", "tz": "Europe/London"}
        )
        Resource = cls.env["resource.resource"]
        # Dr. Web (of the common fixture) works at Sablon
        cls.doctor.resource_ids.clinic_site_id = cls.sablon
        cls.doctor_london = new_test_user(
            cls.env,
            login="web_doctor_london",
            name="Dr. Wharf",
            groups="clinic_prepay.group_clinic_user",
        )
        Resource.create(
            {
                "name": "Dr. Wharf",
                "user_id": cls.doctor_london.id,
                "calendar_id": cls.london_hours.id,
                "tz": "Europe/London",
                "clinic_site_id": cls.wharf.id,
            }
        )
        Kind = cls.env["clinic.resource.kind"]
        cls.kind_room = Kind.create({"name": "Web room"})
        cls.kind_laser = Kind.create({"name": "Web laser"})
        for name, kind, calendar, site in (
            ("Sablon room", cls.kind_room, cls.calendar, cls.sablon),
            ("Wharf room", cls.kind_room, cls.london_hours, cls.wharf),
            ("Wharf laser", cls.kind_laser, cls.london_hours, cls.wharf),
        ):
            Resource.create(
                {
                    "name": name,
                    "resource_type": "material",
                    "clinic_kind_id": kind.id,
                    "calendar_id": calendar.id,
                    "tz": calendar.tz,
                    "clinic_site_id": site.id,
                }
            )
        product = cls.env["product.product"].create(
            {
                "name": "Tour Laser",
                "type": "service",
                "list_price": 200.0,
                "taxes_id": [Command.clear()],
            }
        )
        cls.laser_treatment = cls.env["clinic.treatment"].create(
            {
                "name": "Tour Laser",
                "product_id": product.id,
                "duration": 1.0,
                "deposit_type": "fixed",
                "deposit_fixed": 50.0,
                "online_booking": True,
                "practitioner_ids": [Command.set((cls.doctor | cls.doctor_london).ids)],
                "resource_kind_ids": [Command.set((cls.kind_room | cls.kind_laser).ids)],
                "min_notice_hours": 2.0,
                "max_days_ahead": 30,
            }
        )
        # the facial of the common fixture is offered at Sablon only
        cls.treatment.site_ids = cls.sablon

    def _week_slots(self, site):
        monday = self._next_monday()
        start = datetime.combine(monday, datetime.min.time()) - timedelta(hours=2)
        return self.laser_treatment._get_free_slots(start, start + timedelta(days=7), site=site)


@tagged("post_install", "-at_install")
class TestTwoSitesOnline(TwoSitesCase):
    def test_the_site_comes_first_then_its_times_in_its_zone(self):
        page = self.url_open(f"/book/{self.laser_treatment.id}")
        self.assertEqual(page.status_code, 200)
        sites = re.findall(r'data-site="(\d+)"', page.text)
        self.assertEqual(sites, [str(self.wharf.id), str(self.sablon.id)], "by name")
        self.assertIn("7 Bank Street", page.text)
        self.assertNotIn("o_clinic_slot", page.text)
        # the laser is at Canary Wharf: no free time at Sablon
        sablon = self.url_open(
            f"/book/{self.laser_treatment.id}?site={self.sablon.id}&week={self._next_monday()}"
        ).text
        self.assertIn("Europe/Brussels", sablon)
        self.assertNotIn('class="btn btn-outline-primary o_clinic_slot"', sablon)
        wharf = self.url_open(
            f"/book/{self.laser_treatment.id}?site={self.wharf.id}&week={self._next_monday()}"
        ).text
        self.assertIn("Europe/London", wharf)
        self.assertIn("Canary Wharf", wharf)
        self.assertNotIn("Dr. Web", wharf, "only the practitioners of the site are offered")
        first = self._week_slots(self.wharf)[0]
        self.assertEqual(first["practitioner_id"], self.doctor_london.id)
        token = fields.Datetime.to_string(first["start"]).replace(" ", "T")
        self.assertIn(f'data-start="{token}"', wharf)
        # 08:00 in London is shown as 08:00
        self.assertRegex(wharf, rf'data-start="{token}"[^>]*>\s*08:00')
        # a single-site treatment goes straight to its times
        facial = self.url_open(f"/book/{self.treatment.id}?week={self._next_monday()}").text
        self.assertIn("o_clinic_slot", facial)
        self.assertIn("Sablon", facial)
        # the JSON slots say each slot's site
        response = self.make_jsonrpc_request(
            f"/book/{self.laser_treatment.id}/slots",
            {"week": str(self._next_monday()), "site": str(self.wharf.id)},
        )
        self.assertEqual({slot["site_id"] for slot in response}, {self.wharf.id})

    def test_a_guest_books_at_the_site_they_picked(self):
        slot = self._week_slots(self.wharf)[0]
        token = fields.Datetime.to_string(slot["start"]).replace(" ", "T")
        details = self.url_open(
            f"/book/{self.laser_treatment.id}/details?start={token}"
            f"&practitioner={self.doctor_london.id}&site={self.wharf.id}"
        )
        self.assertIn("7 Bank Street", details.text)
        self.assertIn(f'name="site" value="{self.wharf.id}"', details.text)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', details.text).group(1)
        data = {
            "csrf_token": csrf,
            "start": token,
            "practitioner": self.doctor_london.id,
            "name": "Sam Site",
            "email": "sam@example.com",
            "consent": "1",
        }
        Appointment = self.env["clinic.appointment"]
        before = Appointment.search_count([])
        partners = self.env["res.partner"].search_count([])
        # the same time posted for Sablon, where the laser is not: refused,
        # nothing written
        refused = self.url_open(
            f"/book/{self.laser_treatment.id}/confirm",
            data={**data, "site": self.sablon.id},
            allow_redirects=False,
        )
        self.assertIn("taken=1", refused.headers["Location"])
        self.assertIn(f"site={self.sablon.id}", refused.headers["Location"])
        self.assertEqual(Appointment.search_count([]), before)
        self.assertEqual(self.env["res.partner"].search_count([]), partners)
        # no site given for a treatment of two sites: back to the choice
        nowhere = self.url_open(
            f"/book/{self.laser_treatment.id}/confirm", data=data, allow_redirects=False
        )
        self.assertTrue(nowhere.headers["Location"].endswith(f"/book/{self.laser_treatment.id}"))
        self.assertEqual(Appointment.search_count([]), before)
        booked = self.url_open(
            f"/book/{self.laser_treatment.id}/confirm",
            data={**data, "site": self.wharf.id},
            allow_redirects=False,
        )
        self.assertIn("/my/appointments/", booked.headers["Location"])
        appointment = Appointment.search([("patient_id.email", "=", "sam@example.com")])
        self.assertEqual(appointment.site_id, self.wharf)
        self.assertEqual(appointment.state, "awaiting_payment")
        self.assertEqual(
            sorted(appointment.resource_ids.mapped("name")), ["Wharf laser", "Wharf room"]
        )
        self.assertIn("(Europe/London)", appointment._format_start())
        self.assertIn(" 8:00", appointment._format_start())
        page = self.url_open(booked.headers["Location"]).text
        self.assertIn("Tour Laser", page)
        # the time is gone at the wharf
        self.assertNotIn(slot["start"], [s["start"] for s in self._week_slots(self.wharf)])


@tagged("post_install", "-at_install")
class TestTwoSitesPhone(TwoSitesCase):
    browser_size = "390x844"
    touch_enabled = True

    def test_a_patient_picks_a_site_and_books_a_laser_treatment_on_a_phone(self):
        patient = new_test_user(
            self.env, login="site_patient", name="Lea Laser", groups="base.group_portal"
        )
        self.start_tour("/book", "clinic_prepay_website_site_phone_tour", login="site_patient")
        appointment = self.env["clinic.appointment"].search(
            [("patient_id", "=", patient.partner_id.id)]
        )
        self.assertEqual(len(appointment), 1)
        self.assertEqual(appointment.site_id, self.wharf)
        self.assertEqual(appointment.state, "confirmed")
        self.assertEqual(appointment.practitioner_id, self.doctor_london)
        self.assertEqual(
            sorted(appointment.resource_ids.mapped("name")), ["Wharf laser", "Wharf room"]
        )
        self.assertEqual(appointment.deposit_ids.amount_paid, 50.0)
        confirmed = self._patient_mails(appointment, "confirmed")
        self.assertIn("7 Bank Street", confirmed.body)
