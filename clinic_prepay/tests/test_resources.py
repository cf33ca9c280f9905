# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Rooms and devices: a booking takes its practitioner and one free resource
of each kind its treatment needs; the database refuses two bookings of one
resource at once."""

import threading
import uuid
from contextlib import closing, contextmanager
from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo import SUPERUSER_ID, Command, api
from odoo.exceptions import AccessError, ValidationError
from odoo.modules.registry import Registry
from odoo.service.model import retrying
from odoo.tests import BaseCase, tagged
from odoo.tests.common import get_db_name

from .common import NOW, ClinicPaymentCommon

# Monday 11 March 2030, Brussels is UTC+1: work 8-12 and 13-17 local time
MONDAY = datetime(2030, 3, 11)


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestResources(ClinicPaymentCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.calendar = cls.env["resource.calendar"].create(
            {"name": "Clinic hours", "tz": "Europe/Brussels"}
        )
        for practitioner in (cls.practitioner, cls.practitioner2):
            cls.env["resource.resource"].create(
                {
                    "name": practitioner.name,
                    "user_id": practitioner.id,
                    "calendar_id": cls.calendar.id,
                    "tz": "Europe/Brussels",
                }
            )
        cls.company.clinic_slot_minutes = 30
        Kind = cls.env["clinic.resource.kind"]
        cls.kind_room = Kind.create({"name": "Test treatment room"})
        cls.kind_laser = Kind.create({"name": "Test laser"})
        cls.room1, cls.room2, cls.room3 = cls._resources(
            cls.kind_room, "Room 1", "Room 2", "Room 3"
        )
        cls.laser = cls._resources(cls.kind_laser, "Laser")
        product = cls._create_service("Resurfacing", 200.0)
        both = [Command.set((cls.practitioner | cls.practitioner2).ids)]
        cls.treatment_laser = cls.env["clinic.treatment"].create(
            {
                "name": "Resurfacing",
                "product_id": product.id,
                "duration": 1.0,
                "practitioner_ids": both,
                "resource_kind_ids": [Command.set((cls.kind_room | cls.kind_laser).ids)],
                "min_notice_hours": 2.0,
                "max_days_ahead": 60,
            }
        )
        cls.treatment_room = cls.env["clinic.treatment"].create(
            {
                "name": "Facial",
                "product_id": product.id,
                "duration": 1.0,
                "practitioner_ids": both,
                "resource_kind_ids": [Command.set(cls.kind_room.ids)],
                "min_notice_hours": 2.0,
                "max_days_ahead": 60,
            }
        )

    @classmethod
    def _resources(cls, kind, *names):
        return cls.env["resource.resource"].create(
            [
                {
                    "name": name,
                    "resource_type": "material",
                    "clinic_kind_id": kind.id,
                    "calendar_id": cls.calendar.id,
                    "tz": "Europe/Brussels",
                }
                for name in names
            ]
        )

    def _slots(self, treatment=None, practitioners=None, day=MONDAY):
        treatment = treatment or self.treatment_laser
        return treatment._get_free_slots(
            day, day + timedelta(days=1), practitioners or treatment.practitioner_ids
        )

    def _starts(self, treatment=None, practitioners=None):
        return [
            (slot["start"].strftime("%H:%M"), slot["practitioner_id"])
            for slot in self._slots(treatment, practitioners)
        ]

    def _book(self, hour, treatment=None, practitioner=None, patient=None, user=None, **vals):
        appointment = self._appointment(
            MONDAY.replace(hour=int(hour), minute=int(hour % 1 * 60)),
            treatment=treatment or self.treatment_laser,
            practitioner=practitioner,
            patient=patient,
            user=user,
        )
        if vals:
            appointment.with_user(user or self.env.user).write(vals)
        appointment.with_user(user or self.env.user).action_book()
        return appointment

    @contextmanager
    def _refused(self, pattern):
        """A clear ValidationError matching ``pattern``, nothing written."""
        with self.assertRaises(ValidationError) as catcher:
            yield
        self.assertRegex(str(catcher.exception), pattern)

    def _leave(self, resource, hour_from, hour_to, name="Maintenance"):
        return self.env["resource.calendar.leaves"].create(
            {
                "name": name,
                "resource_id": resource.id,
                "calendar_id": self.calendar.id,
                "date_from": MONDAY.replace(hour=hour_from),
                "date_to": MONDAY.replace(hour=hour_to),
            }
        )

    def test_one_laser_shared_by_two_practitioners_is_offered_once(self):
        doctors = self.practitioner | self.practitioner2
        # a room for each: both practitioners are offered each time
        rooms = self._starts(self.treatment_room)
        self.assertIn(("07:00", self.practitioner.id), rooms)
        self.assertIn(("07:00", self.practitioner2.id), rooms)
        # one laser: its time is offered once
        starts = self._starts()
        self.assertEqual([p for t, p in starts if t == "07:00"], [self.practitioner.id])
        self.assertEqual(len(starts), len({t for t, _p in starts}))
        self.assertEqual(starts[0], ("07:00", self.practitioner.id))
        # asked for the second practitioner alone, the laser is theirs to offer
        self.assertIn(("07:00", self.practitioner2.id), self._starts(practitioners=doctors[1]))
        # booked with one, the laser's hour is gone for the other too
        appointment = self._book(7, practitioner=self.practitioner)
        self.assertEqual(appointment.resource_ids, self.room1 | self.laser)
        # the desk opens the calendar of its room and laser
        action = appointment.with_user(self.front_desk).action_view_resource_calendar()
        ((_field, _operator, ids),) = action["domain"]
        self.assertEqual(set(ids), set((self.room1 | self.laser).ids))
        other = [t for t, _p in self._starts(practitioners=self.practitioner2)]
        for taken in ("06:30", "07:00", "07:30"):
            self.assertNotIn(taken, other)
        self.assertIn("08:00", other)
        # the practitioner is free: a room-only treatment is still offered
        self.assertIn(("07:00", self.practitioner2.id), self._starts(self.treatment_room))

    def test_buffers_and_working_hours_of_resources(self):
        self.treatment_laser.buffer_after = 0.5
        self._book(7, practitioner=self.practitioner)  # laser 07:00-08:00, +30 min
        other = [t for t, _p in self._starts(practitioners=self.practitioner2)]
        self.assertNotIn("08:00", other, "the buffer runs to 08:30")
        self.assertIn("08:30", other)
        # the laser works mornings only: no afternoon slots
        laser_hours = self.env["resource.calendar"].create(
            {
                "name": "Laser mornings",
                "tz": "Europe/Brussels",
                "attendance_ids": [
                    Command.create(
                        {"name": "Mon", "dayofweek": "0", "hour_from": 8, "hour_to": 12}
                    )
                ],
            }
        )
        self.laser.calendar_id = laser_hours
        self.assertFalse([t for t, _p in self._starts() if t >= "12:00"])
        self.assertIn(("12:00", self.practitioner.id), self._starts(self.treatment_room))

    def test_a_resource_on_leave(self):
        # all afternoon for the laser: nothing then
        self._leave(self.laser, 12, 17)
        starts = [t for t, _p in self._starts()]
        self.assertEqual(starts[-1], "10:00")
        # room 1 on leave in the morning: the booking takes room 2
        self._leave(self.room1, 6, 12, name="Repairs")
        self.assertIn("07:00", [t for t, _p in self._starts(self.treatment_room)])
        appointment = self._book(7, self.treatment_room)
        self.assertEqual(appointment.resource_ids, self.room2)
        # every room on leave: no slots
        self._leave(self.room2, 6, 12)
        self._leave(self.room3, 6, 12)
        self.assertFalse([t for t, _p in self._starts(self.treatment_room) if t < "11:00"])

    def test_a_booking_on_a_resource_on_leave_is_refused(self):
        self._leave(self.laser, 6, 9, name="Laser maintenance")
        appointment = self._appointment(MONDAY.replace(hour=7), self.treatment_laser)
        with self._refused("Laser maintenance"):
            appointment.with_user(self.front_desk).action_book()
        self.assertEqual(appointment.state, "draft")
        self.assertFalse(appointment.resource_line_ids)
        self.assertFalse(appointment.event_id)

    def test_least_used_first(self):
        rooms = [
            self._book(hour, self.treatment_room, patient=self.patient2).resource_ids
            for hour in (7, 9, 12)
        ]
        self.assertEqual(rooms, [self.room1, self.room2, self.room3])
        # all used an hour today: by id
        self.assertEqual(self._book(14, self.treatment_room).resource_ids, self.room1)
        # at 09:00 room 2 is taken; room 3 is used less than room 1 today
        long = self._book(9, self.treatment_room, practitioner=self.practitioner2)
        self.assertEqual(long.resource_ids, self.room3)
        line = long.resource_line_ids
        self.assertRecordValues(
            line,
            [
                {
                    "resource_id": self.room3.id,
                    "kind_id": self.kind_room.id,
                    "start": MONDAY.replace(hour=9),
                    "stop": MONDAY.replace(hour=10),
                    "booked": True,
                }
            ],
        )
        long.action_cancel_by_clinic()
        self.assertFalse(line.booked, "a cancelled booking holds nothing")
        self.assertEqual(line.resource_id, self.room3, "its room stays on record")
        # its time is free again
        self.assertIn(
            ("09:00", self.practitioner2.id),
            self._starts(self.treatment_room, practitioners=self.practitioner2),
        )

    def test_a_move_keeps_its_resources_when_free_and_takes_others_when_not(self):
        appointment = self._book(
            7, user=self.front_desk, resource_ids=[Command.set(self.room3.ids)]
        )
        self.assertEqual(appointment.resource_ids, self.room3 | self.laser)
        # moved by the desk (a calendar drag writes start): room 3 is still free
        appointment.with_user(self.front_desk).write({"start": MONDAY.replace(hour=8)})
        self.assertEqual(appointment.resource_ids, self.room3 | self.laser)
        self.assertEqual(set(appointment.resource_line_ids.mapped("start")), {appointment.start})
        # room 3 is taken at 09:00 by another booking: the move takes room 1
        self._book(
            9,
            self.treatment_room,
            practitioner=self.practitioner2,
            patient=self.patient2,
            user=self.front_desk,
            resource_ids=[Command.set(self.room3.ids)],
        )
        appointment.with_user(self.front_desk).write({"start": MONDAY.replace(hour=9)})
        self.assertEqual(appointment.resource_ids, self.room1 | self.laser)
        # the laser is taken at 12:00: the move is refused, nothing changes
        self._book(12, practitioner=self.practitioner2, patient=self.patient2)
        with self._refused("No Test laser is free"):
            appointment.with_user(self.front_desk).write({"start": MONDAY.replace(hour=12)})
        self.assertEqual(appointment.start, MONDAY.replace(hour=9))
        self.assertEqual(appointment.resource_ids, self.room1 | self.laser)
        self.assertEqual(set(appointment.resource_line_ids.mapped("booked")), {True})
        # the patient's online reschedule is offered only times the laser is free
        self.assertFalse(
            self.treatment_laser._find_free_slot(
                MONDAY.replace(hour=12), self.practitioner, exclude=appointment
            )
        )
        self.assertTrue(
            self.treatment_laser._find_free_slot(
                MONDAY.replace(hour=14), self.practitioner, exclude=appointment
            )
        )
        appointment._reschedule_by_patient(MONDAY.replace(hour=14), self.practitioner)
        self.assertEqual(
            appointment.resource_line_ids.mapped("start"), [MONDAY.replace(hour=14)] * 2
        )

    def test_a_treatment_needing_a_kind_nobody_has(self):
        cryo = self.env["clinic.resource.kind"].create({"name": "Cryo chamber"})
        with self._refused("no active room or device of that kind"):
            self.treatment_laser.resource_kind_ids = [Command.link(cryo.id)]
        self.assertNotIn(cryo, self.treatment_laser.resource_kind_ids)
        # the only laser is archived after the treatment was set up
        appointment = self._appointment(MONDAY.replace(hour=7), self.treatment_laser)
        self.laser.active = False
        self.assertEqual(self._slots(), [])
        with self._refused("the clinic has no active Test laser"):
            appointment.with_user(self.front_desk).action_book()
        self.assertEqual(appointment.state, "draft")
        self.assertFalse(appointment.resource_line_ids)

    def test_the_desks_pick_is_checked(self):
        desk = self.front_desk
        appointment = self._book(7, user=desk, resource_ids=[Command.set(self.room2.ids)])
        self.assertEqual(appointment.resource_ids, self.room2 | self.laser, "the laser is taken")
        draft = self._appointment(
            MONDAY.replace(hour=7),
            self.treatment_laser,
            patient=self.patient2,
            practitioner=self.practitioner2,
        ).with_user(desk)
        with self._refused("takes one Test treatment room"):
            draft.resource_ids = self.room1 | self.room3
        with self._refused("does not need"):
            draft.write({"resource_ids": [Command.set(self.practitioner.resource_ids.ids)]})
        with self._refused("Room 2 is already booked"):
            draft.resource_ids = self.room2
        self._leave(self.room3, 6, 9, name="Repairs")
        with self._refused("Repairs"):
            draft.resource_ids = self.room3
        draft.resource_ids = self.room1
        self.assertFalse(draft.resource_line_ids.booked, "a draft holds nothing")
        # the laser is the first booking's: refused at booking, clearly
        with self._refused("Laser is already booked"):
            draft.action_book()
        self.assertEqual(draft.state, "draft")
        # a later time: the pick is kept
        draft.start = MONDAY.replace(hour=9)
        draft.action_book()
        self.assertEqual(draft.resource_ids, self.room1 | self.laser)

    def test_an_expired_hold_frees_the_laser(self):
        self.treatment_laser.write({"deposit_type": "fixed", "deposit_fixed": 50.0})
        hold = self._appointment(MONDAY.replace(hour=7), self.treatment_laser)
        hold._book_online("policy", ip="127.0.0.1")
        self.assertEqual(hold.state, "awaiting_payment")
        self.assertNotIn("07:00", [t for t, _p in self._starts(practitioners=self.practitioner2)])
        with freeze_time(NOW + timedelta(minutes=20)):
            self.assertIn("07:00", [t for t, _p in self._starts(practitioners=self.practitioner2)])
            other = self._book(7, practitioner=self.practitioner2, patient=self.patient2)
        self.assertEqual((hold.state, hold.cancel_reason), ("cancelled", "unpaid"))
        self.assertIn(self.laser, other.resource_ids)
        self.assertFalse(hold.resource_line_ids.filtered("booked"))

    def test_rights(self):
        appointment = self._book(7)
        lines = appointment.resource_line_ids.with_user(self.front_desk)
        self.assertEqual(len(lines.read(["resource_id", "start"])), 2)
        with self.assertRaises(AccessError):
            lines.write({"booked": False})
        with self.assertRaises(AccessError):
            self.env["clinic.resource.kind"].with_user(self.front_desk).create({"name": "Desk"})
        kind = self.env["clinic.resource.kind"].with_user(self.manager).create({"name": "Cryo"})
        room = (
            self.env["resource.resource"]
            .with_user(self.manager)
            .create({"name": "Cryo 1", "resource_type": "material", "clinic_kind_id": kind.id})
        )
        self.assertEqual(kind.resource_count, 1)
        self.assertEqual(room.clinic_kind_id, kind)

    def test_queries_do_not_grow_with_the_bookings(self):
        def count():
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            self.treatment_laser._get_free_slots(MONDAY, MONDAY + timedelta(days=5))
            return self.cr.sql_log_count - before

        count()
        small = count()
        for day in range(20):
            for hour in (7, 9, 12, 14):
                self._appointment(
                    MONDAY + timedelta(days=7 + day, hours=hour),
                    self.treatment_laser,
                    patient=self.patient2,
                ).action_book()
        self._book(7)
        self.assertEqual(count(), small)

    # ------------------------------------------------------------------------
    # The waitlist: a freed time is offered only with its rooms and devices
    # ------------------------------------------------------------------------

    def _wait(self, treatment, patient=None):
        """``patient`` (a new one by default) joins the waitlist of
        ``treatment``, any practitioner, at the desk."""
        treatment.online_booking = True
        patient = patient or self.env["res.partner"].create(
            {"name": "Wanda Waiting", "email": "wanda@example.com"}
        )
        return (
            self.env["clinic.waitlist"]
            .with_user(self.front_desk)
            .create({"patient_id": patient.id, "treatment_id": treatment.id})
        )

    def _offer_mails(self, entry):
        return entry.message_ids.filtered(lambda m: "A time is free" in (m.subject or ""))

    def _only_room1(self):
        """Rooms 2 and 3 closed: room 1 is the clinic's only room."""
        (self.room2 | self.room3).active = False
        self.assertEqual(
            self.env["clinic.scheduler"]._get_kind_resources(self.treatment_room)[self.kind_room],
            self.room1,
        )

    def test_a_freed_time_whose_laser_is_taken_is_not_offered(self):
        """The practitioner's time frees, but the only laser is another
        practitioner's then (the desk squeezed their booking in on the
        laser's cleaning time): the waitlist is not offered it."""
        self.treatment_laser.buffer_after = 0.5  # the laser is cleaned 30 min
        entry = self._wait(self.treatment_laser)
        cancelled = self._book(7, practitioner=self.practitioner)
        other = self._book(
            8, practitioner=self.practitioner2, patient=self.patient2, user=self.front_desk
        )
        self.assertIn(self.laser, other.resource_ids)
        cancelled.with_user(self.front_desk).action_cancel_by_clinic()
        self.assertEqual(cancelled.state, "cancelled")
        self.assertFalse(cancelled.resource_line_ids.filtered("booked"))
        # the practitioner is free at 07:00, the laser is not (07:00-08:30):
        # but for the other booking, the time would be free
        freed = MONDAY.replace(hour=7)
        self.assertFalse(self.treatment_laser._find_free_slot(freed, self.practitioner))
        self.assertTrue(
            self.treatment_laser._find_free_slot(freed, self.practitioner, exclude=other)
        )
        self.assertIn(
            ("07:00", self.practitioner.id), self._starts(self.treatment_room, self.practitioner)
        )
        self.assertEqual(entry.state, "waiting")
        self.assertFalse(entry.offer_ids)
        self.assertFalse(
            self.env["clinic.waitlist.offer"].search([("waitlist_id", "=", entry.id)])
        )
        self.assertFalse(self._offer_mails(entry))
        # the other booking cancelled too: its time and the laser are free, offered
        other.with_user(self.front_desk).action_cancel_by_clinic()
        self.assertEqual(entry.state, "offered")
        self.assertRecordValues(
            entry.offer_ids,
            [
                {
                    "practitioner_id": self.practitioner2.id,
                    "start": MONDAY.replace(hour=8),
                    "state": "open",
                }
            ],
        )
        self.assertEqual(len(self._offer_mails(entry)), 1)

    def test_a_freed_time_whose_only_room_is_taken_is_not_offered(self):
        """The only room is held during the freed time by another
        practitioner's booking (its preparation, from 09:30, overlaps the
        freed 09:00-10:00): no offer, no mail."""
        self._only_room1()
        self.treatment_room.buffer_before = 0.5  # the room is prepared 30 min
        entry = self._wait(self.treatment_room)
        cancelled = self._book(9, self.treatment_room, practitioner=self.practitioner)
        other = self._book(
            10,
            self.treatment_room,
            practitioner=self.practitioner2,
            patient=self.patient2,
            user=self.front_desk,
        )
        self.assertEqual((cancelled.resource_ids, other.resource_ids), (self.room1, self.room1))
        cancelled.with_user(self.front_desk).action_cancel_by_clinic()
        # the room is prepared for the other booking from 09:30
        freed = MONDAY.replace(hour=9)
        self.assertFalse(self.treatment_room._find_free_slot(freed, self.practitioner))
        self.assertTrue(
            self.treatment_room._find_free_slot(freed, self.practitioner, exclude=other)
        )
        self.assertEqual(
            (entry.state, entry.offer_ids), ("waiting", self.env["clinic.waitlist.offer"])
        )
        self.assertFalse(self._offer_mails(entry))

    def test_a_freed_time_with_a_free_room_is_offered_and_the_claim_takes_it(self):
        entry = self._wait(self.treatment_laser)
        cancelled = self._book(7, practitioner=self.practitioner)
        # another practitioner's booking at that time has a room, not the laser
        other = self._book(
            7, self.treatment_room, practitioner=self.practitioner2, patient=self.patient2
        )
        self.assertEqual(cancelled.resource_ids, self.room1 | self.laser)
        self.assertEqual(other.resource_ids, self.room2)
        cancelled.with_user(self.front_desk).action_cancel_by_clinic()
        offer = entry.offer_ids
        self.assertEqual(entry.state, "offered")
        self.assertRecordValues(
            offer,
            [
                {
                    "practitioner_id": self.practitioner.id,
                    "start": MONDAY.replace(hour=7),
                    "state": "open",
                    "expires_at": NOW + timedelta(hours=2),
                }
            ],
        )
        mail = self._offer_mails(entry)
        self.assertEqual(len(mail), 1)
        self.assertIn(offer._get_claim_url().replace("&", "&amp;"), mail.body)
        # the patient claims it: the booking takes a free room and the laser
        appointment = offer._claim("policy")
        self.assertEqual((appointment.state, appointment.source), ("confirmed", "online"))
        self.assertEqual((offer.state, entry.state), ("taken", "booked"))
        self.assertEqual(entry.appointment_id, appointment)
        self.assertEqual(appointment.resource_ids, self.room1 | self.laser)
        self.assertRecordValues(
            appointment.resource_line_ids.sorted(lambda line: line.resource_id.id),
            [
                {
                    "resource_id": resource.id,
                    "kind_id": resource.clinic_kind_id.id,
                    "start": MONDAY.replace(hour=7),
                    "stop": MONDAY.replace(hour=8),
                    "booked": True,
                }
                for resource in (self.room1 | self.laser).sorted("id")
            ],
        )
        self.assertNotIn(
            ("07:00", self.practitioner2.id), self._starts(practitioners=self.practitioner2)
        )

    def test_a_claim_whose_room_was_taken_meanwhile_is_refused(self):
        self._only_room1()
        entry = self._wait(self.treatment_room)
        waiting = entry.patient_id
        cancelled = self._book(7, self.treatment_room, practitioner=self.practitioner)
        cancelled.with_user(self.front_desk).action_cancel_by_clinic()
        offer = entry.offer_ids
        self.assertEqual((offer.start, offer.state), (MONDAY.replace(hour=7), "open"))
        self.assertEqual(len(self._offer_mails(entry)), 1)
        # meanwhile another practitioner's booking takes the only room
        other = self._book(
            7, self.treatment_room, practitioner=self.practitioner2, patient=self.patient2
        )
        self.assertEqual(other.resource_ids, self.room1)
        Appointment = self.env["clinic.appointment"]
        before = Appointment.search_count([])
        with self._refused("This time was just taken; please choose another."):
            offer._claim("policy")
        # nothing written: no booking, the offer still open, the room the other's
        self.assertEqual(Appointment.search_count([]), before)
        self.assertFalse(Appointment.search([("patient_id", "=", waiting.id)]))
        self.assertFalse(Appointment.search([("waitlist_offer_id", "=", offer.id)]))
        self.assertEqual((offer.state, offer.appointment_id), ("open", Appointment))
        self.assertEqual((entry.state, entry.appointment_id), ("offered", Appointment))
        self.assertEqual(
            self.env["clinic.appointment.resource"].search(
                [("resource_id", "=", self.room1.id), ("booked", "=", True)]
            ),
            other.resource_line_ids,
        )
        # the room freed again, the same offer books it
        other.with_user(self.front_desk).action_cancel_by_clinic()
        appointment = offer._claim("policy")
        self.assertEqual(appointment.patient_id, waiting)
        self.assertEqual(appointment.resource_ids, self.room1)
        self.assertTrue(appointment.resource_line_ids.booked)


@tagged("post_install", "-at_install")
class TestResourceConcurrency(BaseCase):
    """Bookings racing for one laser, in committed concurrent transactions
    (each test cleans up what it committed)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry = Registry(get_db_name())

    def _env(self, cr):
        return api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})

    def setUp(self):
        super().setUp()
        tag = uuid.uuid4().hex[:8]
        with self.registry.cursor() as cr:
            env = self._env(cr)
            self.kind_id = env["clinic.resource.kind"].create({"name": f"Race laser {tag}"}).id
            self.laser_id = (
                env["resource.resource"]
                .create(
                    {
                        "name": f"Race laser {tag}",
                        "resource_type": "material",
                        "clinic_kind_id": self.kind_id,
                    }
                )
                .id
            )
            self.practitioner_ids = (
                env["res.users"]
                .create(
                    [
                        {
                            "name": f"Dr. Race {i}",
                            "login": f"dr_race_laser_{tag}_{i}",
                            "groups_id": [
                                Command.set(env.ref("clinic_prepay.group_clinic_user").ids)
                            ],
                        }
                        for i in range(5)
                    ]
                )
                .ids
            )
            product = env["product.product"].create(
                {"name": "Race laser", "type": "service", "list_price": 100.0}
            )
            self.treatment_id = (
                env["clinic.treatment"]
                .create(
                    {
                        "name": "Race laser",
                        "product_id": product.id,
                        "practitioner_ids": [Command.set(self.practitioner_ids)],
                        "resource_kind_ids": [Command.set([self.kind_id])],
                    }
                )
                .id
            )
            self.patient_ids = (
                env["res.partner"].create([{"name": f"Laser racer {i}"} for i in range(50)]).ids
            )
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.registry.cursor() as cr:
            env = self._env(cr)
            appointments = env["clinic.appointment"].search(
                [("treatment_id", "=", self.treatment_id)]
            )
            # free the laser and the practitioners' time
            appointments.filtered(
                lambda a: a.state in ("draft", "awaiting_payment", "confirmed")
            ).write({"state": "cancelled"})
            env["clinic.appointment.mail"].search(
                [("appointment_id", "in", appointments.ids)]
            ).unlink()
            env["res.users"].browse(self.practitioner_ids).write({"active": False})
            env["clinic.treatment"].browse(self.treatment_id).active = False
            env["resource.resource"].browse(self.laser_id).active = False
            env["clinic.resource.kind"].browse(self.kind_id).active = False

    def _book(self, env, patient, practitioner, start):
        appointment = env["clinic.appointment"].create(
            {
                "patient_id": patient,
                "treatment_id": self.treatment_id,
                "practitioner_id": practitioner,
                "start": start,
            }
        )
        appointment.action_book()
        return appointment.state

    def _laser_bookings(self):
        with closing(self.registry.cursor()) as cr:
            cr.execute(
                """
                SELECT r.start, count(*) FROM clinic_appointment_resource r
                 WHERE r.resource_id = %s AND r.booked GROUP BY r.start
                """,
                [self.laser_id],
            )
            return dict(cr.fetchall())

    def test_two_bookings_for_the_last_free_laser(self):
        """Two practitioners, one laser: both pass the Python check; the
        database lets one in, the other is told clearly."""
        start = NOW + timedelta(days=500)
        outcome = {}
        with closing(self.registry.cursor()) as cr1, closing(self.registry.cursor()) as cr2:
            env1, env2 = self._env(cr1), self._env(cr2)
            self._book(env1, self.patient_ids[0], self.practitioner_ids[0], start)

            def second_worker():
                try:
                    outcome["state"] = self._book(
                        env2,
                        self.patient_ids[1],
                        self.practitioner_ids[1],
                        start + timedelta(minutes=30),
                    )
                except ValidationError as error:
                    outcome["error"] = str(error)

            with self.assertNoLogs("odoo.sql_db", level="ERROR"):
                thread = threading.Thread(target=second_worker)
                thread.start()
                thread.join(1.0)
                self.assertTrue(thread.is_alive(), "the second booking waits for the first")
                cr1.commit()
                thread.join(30)
            self.assertFalse(thread.is_alive())
            cr2.rollback()
        self.assertNotIn("state", outcome)
        self.assertIn("just booked at that time by someone else", outcome["error"])
        self.assertEqual(self._laser_bookings(), {start: 1})

    def test_fifty_clients_for_ten_laser_times(self):
        """50 patients book at once (five practitioners, each time wanted by
        five of them), each in its own transaction, retried as Odoo retries
        requests: one booking per laser time, every other one refused clearly."""
        times = [NOW + timedelta(days=501, hours=2 * i) for i in range(10)]
        results = []
        barrier = threading.Barrier(50)

        def client(index):
            with closing(self.registry.cursor()) as cr:
                env = self._env(cr)
                barrier.wait(30)
                try:
                    retrying(
                        lambda: self._book(
                            env,
                            self.patient_ids[index],
                            self.practitioner_ids[index % 5],
                            times[index // 5],
                        ),
                        env,
                    )
                    cr.commit()  # pylint: disable=invalid-commit
                    results.append("booked")
                except ValidationError as error:
                    cr.rollback()
                    results.append(str(error))
                except Exception as error:  # reported by the assertions
                    cr.rollback()
                    results.append(repr(error))

        threads = [threading.Thread(target=client, args=(i,)) for i in range(50)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        self.assertFalse([t for t in threads if t.is_alive()])
        self.assertEqual(results.count("booked"), 10, results)
        refusals = [r for r in results if r != "booked"]
        self.assertEqual(len(refusals), 40)
        for refusal in refusals:
            self.assertRegex(refusal, "just booked at that time by someone else|is already booked")
        self.assertEqual(self._laser_bookings(), dict.fromkeys(times, 1))
