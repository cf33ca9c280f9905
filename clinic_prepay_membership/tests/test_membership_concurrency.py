# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The billing job in two workers at once, with real concurrent PostgreSQL
transactions that commit as in production (each row's charge is committed
before the provider is called). Each test ends what it committed."""

import threading
import time
import uuid
from contextlib import closing
from datetime import timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo import SUPERUSER_ID, Command, api
from odoo.addons.clinic_prepay.tests.common import NOW
from odoo.modules.registry import Registry
from odoo.tests import BaseCase, tagged
from odoo.tests.common import get_db_name

MEMBERS = 6


@tagged("post_install", "-at_install")
class TestMembershipConcurrency(BaseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry = Registry(get_db_name())

    def _env(self, cr):
        return api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})

    def setUp(self):
        super().setUp()
        self.addCleanup(self._cleanup)
        self.membership_ids = []
        self.sent = []
        with self.registry.cursor() as cr, freeze_time(NOW):
            env = self._env(cr)
            provider = env.ref("payment.payment_provider_demo")
            self.provider_state = provider.state
            provider.write({"state": "test", "allow_tokenization": True})
            method = env.ref("payment_demo.payment_method_demo")
            self.plan_id = (
                env["clinic.membership.plan"]
                .create({"name": f"Race plan {uuid.uuid4().hex[:6]}", "price": 30.0})
                .id
            )
            plan = env["clinic.membership.plan"].browse(self.plan_id)
            Tx = env["payment.transaction"]
            for index in range(MEMBERS):
                partner = env["res.partner"].create(
                    {"name": f"Racing member {index}", "email": f"race{index}@example.com"}
                )
                membership = env["clinic.membership"]._clinic_sign_up(plan, partner)
                invoice = membership.period_ids.invoice_id
                tx = Tx.create(
                    {
                        "provider_id": provider.id,
                        "payment_method_id": method.id,
                        "amount": invoice.amount_total,
                        "currency_id": invoice.currency_id.id,
                        "partner_id": partner.id,
                        "reference": Tx._compute_reference(
                            "demo", invoice_ids=[Command.set(invoice.ids)]
                        ),
                        "operation": "online_redirect",
                        "tokenize": True,
                        "invoice_ids": [Command.set(invoice.ids)],
                    }
                )
                tx._handle_notification_data(
                    "demo",
                    {
                        "reference": tx.reference,
                        "simulated_state": "done",
                        "payment_details": "4242",
                    },
                )
                tx._post_process()
                assert membership.state == "active" and membership.token_id
                self.membership_ids.append(membership.id)
            self.at = membership.next_charge_at + timedelta(hours=1)

    def _cleanup(self):
        with self.registry.cursor() as cr:
            env = self._env(cr)
            memberships = env["clinic.membership"].browse(self.membership_ids)
            # the ledger stays as it is; the job has nothing more to bill
            for membership in memberships.filtered(lambda m: m.state != "cancelled"):
                membership._end(membership.period_end)
            env["clinic.membership.plan"].browse(self.plan_id).active = False
            env.ref("payment.payment_provider_demo").state = self.provider_state

    def _workers(self, count=2, send=None):
        """``count`` workers run the job at once, each in its own cursor;
        returns what each billed and the errors they met."""
        Transaction = self.registry["payment.transaction"]
        original = Transaction._send_payment_request
        start = threading.Barrier(count)
        results, errors = [], []

        def slow_send(tx):
            self.sent.append(tx.reference)
            time.sleep(0.05)  # the provider's answer takes time: the workers overlap
            return (send or original)(tx)

        def worker():
            try:
                with closing(self.registry.cursor()) as cr:
                    env = self._env(cr)
                    start.wait(10)
                    results.append(env["clinic.membership"]._cron_bill())
                    cr.commit()  # pylint: disable=invalid-commit
            except BaseException as error:
                errors.append(error)

        with (
            freeze_time(self.at),
            patch.object(Transaction, "_send_payment_request", slow_send),
            # the job commits as in production
            patch.object(self.registry["clinic.appointment"], "_can_commit", lambda self: True),
        ):
            threads = [threading.Thread(target=worker) for _i in range(count)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(120)
        self.assertFalse([t for t in threads if t.is_alive()], "a worker hangs")
        return results, errors

    def _charges(self):
        """Per membership: its periods' states and the offline charges sent."""
        with self.registry.cursor() as cr:
            env = self._env(cr)
            out = {}
            for membership in env["clinic.membership"].browse(self.membership_ids):
                periods = membership.period_ids.sorted("date_from")
                charges = periods.invoice_id.transaction_ids.filtered(
                    lambda t: t.operation == "offline"
                )
                out[membership.id] = (periods.mapped("state"), charges.mapped("reference"))
            return out

    def test_two_workers_charge_each_period_once(self):
        results, errors = self._workers()
        self.assertFalse(errors)
        self.assertEqual(sum(results), MEMBERS)
        self.assertTrue(all(results), f"both workers billed (SKIP LOCKED): {results}")
        self.assertEqual(len(self.sent), MEMBERS)
        for membership_id, (states, references) in self._charges().items():
            self.assertEqual(states, ["paid", "paid"], membership_id)
            self.assertEqual(len(references), 1, membership_id)
        # a rerun of the job bills nothing more
        results, errors = self._workers()
        self.assertEqual((sum(results), errors), (0, []))
        self.assertEqual({len(refs) for _s, refs in self._charges().values()}, {1})

    def test_a_worker_dying_after_the_commit_is_never_charged_twice(self):
        """One worker dies during the provider call of its first charge; the
        other goes on with the other members. The committed charge waits,
        unanswered, and the job sends the same transaction again once it is
        stale: the provider gets one idempotency key per period."""

        class WorkerDied(BaseException):
            pass

        lock = threading.Lock()
        original = self.registry["payment.transaction"]._send_payment_request
        died = []

        def die_once(tx):
            with lock:
                first = not died
                died.append(tx.reference)
            if first:
                raise WorkerDied()
            return original(tx)

        results, errors = self._workers(send=die_once)
        self.assertEqual(len(errors), 1)
        self.assertIsInstance(errors[0], WorkerDied)
        self.assertEqual(sum(results), MEMBERS - 1)
        charges = self._charges()
        pending = [m for m, (states, _refs) in charges.items() if states[-1] == "pending"]
        self.assertEqual(len(pending), 1)
        # a rerun soon after: the dead worker's charge may still be answered
        results, errors = self._workers()
        self.assertEqual((sum(results), errors), (0, []))
        self.at += timedelta(minutes=15)
        results, errors = self._workers()
        self.assertEqual((sum(results), errors), (1, []))
        charges = self._charges()
        for membership_id, (states, references) in charges.items():
            self.assertEqual(states, ["paid", "paid"], membership_id)
            self.assertEqual(len(references), 1, membership_id)
        # the dead worker's reference was sent twice, the others once each
        self.assertEqual(charges[pending[0]][1], [died[0]])
        self.assertEqual(self.sent.count(died[0]), 2)
        self.assertEqual(len(self.sent), MEMBERS + 1)
        self.assertEqual(len(set(self.sent)), MEMBERS)
