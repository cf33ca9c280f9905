# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""One course's last session, booked by two workers at once. The test
commits in its own cursors and cleans up what it committed."""

import threading
import time
import uuid
from contextlib import closing
from datetime import timedelta

from odoo import SUPERUSER_ID, Command, api
from odoo.addons.clinic_prepay.tests.common import NOW
from odoo.exceptions import UserError
from odoo.modules.registry import Registry
from odoo.service.model import retrying
from odoo.tests import BaseCase, tagged
from odoo.tests.common import get_db_name


@tagged("post_install", "-at_install")
class TestCourseConcurrency(BaseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry = Registry(get_db_name())

    def _env(self, cr):
        return api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})

    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            env = self._env(cr)
            product = env["product.product"].create(
                {"name": "Race laser", "type": "service", "list_price": 100.0}
            )
            treatment = env["clinic.treatment"].create(
                {"name": "Race laser", "product_id": product.id, "deposit_type": "none"}
            )
            self.treatment_id = treatment.id
            self.practitioner_id = (
                env["res.users"]
                .create(
                    {
                        "name": "Dr. Course Race",
                        "login": f"dr_course_race_{uuid.uuid4().hex}",
                        "groups_id": [Command.set(env.ref("clinic_prepay.group_clinic_user").ids)],
                    }
                )
                .id
            )
            self.patient_id = env["res.partner"].create({"name": "Course Racer"}).id
            program = env["loyalty.program"].create(
                {
                    "name": "One race laser",
                    "program_type": "clinic_course",
                    "clinic_treatment_ids": [Command.set(treatment.ids)],
                    "clinic_session_count": 1,
                    "clinic_price": 80.0,
                    "clinic_validity_months": 120,
                }
            )
            card = env["loyalty.card"]._clinic_sell_course(
                program, env["res.partner"].browse(self.patient_id)
            )
            journal = env["account.journal"].search(
                [("type", "=", "bank"), ("company_id", "=", card.company_id.id)], limit=1
            )
            card._clinic_register_desk_payment(journal)
            self.card_id = card.id
            self.program_id = program.id
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.registry.cursor() as cr:
            env = self._env(cr)
            appointments = env["clinic.appointment"].search(
                [("practitioner_id", "=", self.practitioner_id)]
            )
            appointments.filtered(lambda a: a.state != "cancelled").write({"state": "cancelled"})
            env["clinic.appointment.mail"].search(
                [("appointment_id", "in", appointments.ids)]
            ).unlink()
            env["res.users"].browse(self.practitioner_id).active = False
            env["clinic.treatment"].browse(self.treatment_id).active = False
            env["loyalty.program"].browse(self.program_id).active = False

    def _book(self, env, days):
        appointment = env["clinic.appointment"].create(
            {
                "patient_id": self.patient_id,
                "treatment_id": self.treatment_id,
                "practitioner_id": self.practitioner_id,
                "start": NOW + timedelta(days=days),
                "wallet_card_id": self.card_id,
            }
        )
        appointment.action_book()
        return appointment

    def test_two_workers_cannot_spend_one_session_twice(self):
        outcome = {}
        with closing(self.registry.cursor()) as cr1, closing(self.registry.cursor()) as cr2:
            env1, env2 = self._env(cr1), self._env(cr2)
            self._book(env1, 400)

            def second_worker():
                # as the RPC layer runs a request: retried on a serialization failure
                try:
                    retrying(lambda: self._book(env2, 401), env2)
                    outcome["booked"] = True
                except UserError as error:
                    outcome["error"] = str(error)
                except Exception as error:  # reported by the assertions below
                    outcome["unexpected"] = repr(error)

            thread = threading.Thread(target=second_worker)
            thread.start()
            time.sleep(1.0)
            self.assertTrue(thread.is_alive(), "the second booking waits for the course's lock")
            cr1.commit()
            thread.join(30)
            self.assertFalse(thread.is_alive())
            cr2.rollback()
        self.assertNotIn("booked", outcome)
        self.assertNotIn("unexpected", outcome)
        self.assertIn("no session left", outcome["error"])
        with closing(self.registry.cursor()) as cr:
            env = self._env(cr)
            card = env["loyalty.card"].browse(self.card_id)
            self.assertEqual(card.points, 0)
            self.assertEqual(
                env["clinic.appointment"].search_count(
                    [("wallet_card_id", "=", self.card_id), ("state", "=", "confirmed")]
                ),
                1,
            )
