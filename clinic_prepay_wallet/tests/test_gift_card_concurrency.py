# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""One gift card's balance, spent by two workers at once on two deposits.
The test commits in its own cursors and cleans up what it committed."""

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
class TestGiftCardConcurrency(BaseCase):
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
                {"name": "Race peel", "type": "service", "list_price": 100.0}
            )
            treatment = env["clinic.treatment"].create(
                {
                    "name": "Race peel",
                    "product_id": product.id,
                    "deposit_type": "fixed",
                    "deposit_fixed": 50.0,
                }
            )
            self.treatment_id = treatment.id
            self.practitioner_id = (
                env["res.users"]
                .create(
                    {
                        "name": "Dr. Gift Race",
                        "login": f"dr_gift_race_{uuid.uuid4().hex}",
                        "groups_id": [Command.set(env.ref("clinic_prepay.group_clinic_user").ids)],
                    }
                )
                .id
            )
            patient = env["res.partner"].create({"name": "Gift Racer"})
            program = env["loyalty.program"].create(
                {"name": "Race gift card", "program_type": "gift_card", "clinic_gift_card": True}
            )
            self.program_id = program.id
            card = env["loyalty.card"]._clinic_sell_gift_card(
                program, patient, 50.0, "Gift Racer", False, False
            )
            journal = env["account.journal"].search(
                [("type", "=", "bank"), ("company_id", "=", card.company_id.id)], limit=1
            )
            card._clinic_register_desk_payment(journal)
            self.code = card.code
            self.card_id = card.id
            self.appointment_ids = []
            for days in (400, 401):
                appointment = env["clinic.appointment"].create(
                    {
                        "patient_id": patient.id,
                        "treatment_id": treatment.id,
                        "practitioner_id": self.practitioner_id,
                        "start": NOW + timedelta(days=days),
                    }
                )
                appointment.action_book()
                self.appointment_ids.append(appointment.id)
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.registry.cursor() as cr:
            env = self._env(cr)
            appointments = env["clinic.appointment"].browse(self.appointment_ids)
            appointments.filtered(lambda a: a.state != "cancelled").write({"state": "cancelled"})
            env["clinic.appointment.mail"].search(
                [("appointment_id", "in", appointments.ids)]
            ).unlink()
            env["res.users"].browse(self.practitioner_id).active = False
            env["clinic.treatment"].browse(self.treatment_id).active = False
            env["loyalty.program"].browse(self.program_id).active = False

    def _pay(self, env, index):
        appointment = env["clinic.appointment"].browse(self.appointment_ids[index])
        return appointment._clinic_pay_with_gift_card(self.code)

    def test_two_workers_cannot_spend_one_balance_twice(self):
        outcome = {}
        with closing(self.registry.cursor()) as cr1, closing(self.registry.cursor()) as cr2:
            env1, env2 = self._env(cr1), self._env(cr2)
            self.assertEqual(self._pay(env1, 0), 50.0)

            def second_worker():
                # as the RPC layer runs a request: retried on a serialization failure
                try:
                    retrying(lambda: self._pay(env2, 1), env2)
                    outcome["paid"] = True
                except UserError as error:
                    outcome["error"] = str(error)
                except Exception as error:  # reported by the assertions below
                    outcome["unexpected"] = repr(error)

            thread = threading.Thread(target=second_worker)
            thread.start()
            time.sleep(1.0)
            self.assertTrue(thread.is_alive(), "the second payment waits for the card's lock")
            cr1.commit()
            thread.join(30)
            self.assertFalse(thread.is_alive())
            cr2.rollback()
        self.assertNotIn("paid", outcome)
        self.assertNotIn("unexpected", outcome)
        self.assertIn("used up", outcome["error"])
        with closing(self.registry.cursor()) as cr:
            env = self._env(cr)
            card = env["loyalty.card"].browse(self.card_id)
            self.assertEqual((card.points, card.clinic_value), (0.0, 0.0))
            states = env["clinic.appointment"].browse(self.appointment_ids).mapped("state")
            self.assertEqual(states, ["confirmed", "awaiting_payment"])
