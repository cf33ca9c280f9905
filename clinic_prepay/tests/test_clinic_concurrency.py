# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Races between workers, with real concurrent PostgreSQL transactions.

These tests commit in their own cursors (the test transaction cannot see
other transactions' work), so each one cleans up what it committed.
"""

import threading
import time
import uuid
from contextlib import closing
from datetime import timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo import SUPERUSER_ID, Command, api
from odoo.exceptions import UserError, ValidationError
from odoo.modules.registry import Registry
from odoo.service.model import retrying
from odoo.tests import BaseCase, tagged
from odoo.tests.common import get_db_name

from .common import NOW


@tagged("post_install", "-at_install")
class TestClinicConcurrency(BaseCase):
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
            self.treatment_id = (
                env["clinic.treatment"]
                .create(
                    {
                        "name": "Race peel",
                        "product_id": product.id,
                        "deposit_type": "fixed",
                        "deposit_fixed": 40.0,
                        "payment_hours": 1.0,
                    }
                )
                .id
            )
            self.practitioner_id = (
                env["res.users"]
                .create(
                    {
                        "name": "Dr. Race",
                        "login": f"dr_race_{uuid.uuid4().hex}",
                        "groups_id": [Command.set(env.ref("clinic_prepay.group_clinic_user").ids)],
                    }
                )
                .id
            )
            self.patient_ids = (
                env["res.partner"].create([{"name": "Racer One"}, {"name": "Racer Two"}]).ids
            )
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.registry.cursor() as cr:
            env = self._env(cr)
            appointments = env["clinic.appointment"].search(
                [("practitioner_id", "=", self.practitioner_id)]
            )
            # keep the ledger as it is (posted entries stay); free the slots
            appointments.filtered(
                lambda a: a.state in ("draft", "awaiting_payment", "confirmed")
            ).write({"state": "cancelled"})
            # their patients' mails are not for the other tests' job runs
            env["clinic.appointment.mail"].search(
                [("appointment_id", "in", appointments.ids)]
            ).unlink()
            env["res.users"].browse(self.practitioner_id).active = False
            env["clinic.treatment"].browse(self.treatment_id).active = False

    def _vals(self, patient_index=0, start=None):
        return {
            "patient_id": self.patient_ids[patient_index],
            "treatment_id": self.treatment_id,
            "practitioner_id": self.practitioner_id,
            "start": start or NOW + timedelta(days=400),
        }

    def test_two_workers_cannot_take_one_slot(self):
        """Both pass the Python check; PostgreSQL lets only one row in."""
        outcome = {}
        with closing(self.registry.cursor()) as cr1, closing(self.registry.cursor()) as cr2:
            env1, env2 = self._env(cr1), self._env(cr2)
            env1["clinic.appointment"].create(self._vals(0)).action_book()

            def second_worker():
                try:
                    env2["clinic.appointment"].create(
                        self._vals(1, start=NOW + timedelta(days=400, minutes=15))
                    ).action_book()
                    outcome["created"] = True
                except ValidationError as error:
                    outcome["error"] = str(error)

            # a refusal reported to the user is no error in the server log
            with self.assertNoLogs("odoo.sql_db", level="ERROR"):
                thread = threading.Thread(target=second_worker)
                thread.start()
                time.sleep(1.0)
                self.assertTrue(thread.is_alive(), "the second insert waits for the first")
                cr1.commit()
                thread.join(30)
            self.assertFalse(thread.is_alive())
            cr2.rollback()
        self.assertNotIn("created", outcome)
        self.assertIn("just booked at that time by someone else", outcome["error"])
        with closing(self.registry.cursor()) as cr:
            count = self._env(cr)["clinic.appointment"].search_count(
                [("practitioner_id", "=", self.practitioner_id)]
            )
        self.assertEqual(count, 1)

    def _committed_awaiting_appointment(self):
        with self.registry.cursor() as cr, freeze_time(NOW):
            env = self._env(cr)
            appointment = env["clinic.appointment"].create(
                self._vals(0, start=NOW + timedelta(days=3))
            )
            appointment.action_book()
            return appointment.id

    def _pay_at_desk(self, env, appointment_id):
        appointment = env["clinic.appointment"].browse(appointment_id)
        journal = env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", appointment.company_id.id)], limit=1
        )
        appointment.deposit_ids._register_desk_payment(journal)

    def test_cron_skips_a_booking_whose_payment_is_in_flight(self):
        """A payment holding the row wins; the job does not wait or cancel it."""
        appointment_id = self._committed_awaiting_appointment()
        later = NOW + timedelta(hours=2)  # past the 1-hour deadline
        with (
            closing(self.registry.cursor()) as cr_pay,
            closing(self.registry.cursor()) as cr_cron,
            freeze_time(later),
        ):
            env_pay, env_cron = self._env(cr_pay), self._env(cr_cron)
            self._pay_at_desk(env_pay, appointment_id)  # confirms and row-locks
            self.assertEqual(
                env_pay["clinic.appointment"].browse(appointment_id).state, "confirmed"
            )
            started = time.monotonic()
            self.assertEqual(env_cron["clinic.appointment"]._cron_cancel_unpaid(), 0)
            self.assertLess(time.monotonic() - started, 5, "SKIP LOCKED: no waiting")
            cr_pay.commit()
            cr_cron.rollback()  # the job's next run, in a new transaction
            self.assertEqual(env_cron["clinic.appointment"]._cron_cancel_unpaid(), 0)
            cr_cron.commit()
        with closing(self.registry.cursor()) as cr:
            appointment = self._env(cr)["clinic.appointment"].browse(appointment_id)
            self.assertEqual(appointment.state, "confirmed")
            self.assertEqual(appointment.deposit_ids.state, "paid")

    def test_payment_waits_for_the_job_then_reconfirms(self):
        """The job holds the row and cancels; the payment racing it is
        refused by PostgreSQL (concurrent update), retried like every Odoo
        request, and lands on the cancelled booking: the slot is still free,
        so the appointment is confirmed again with its deposit paid."""
        appointment_id = self._committed_awaiting_appointment()
        with self.registry.cursor() as cr:
            env = self._env(cr)
            invoice = env["clinic.appointment"].browse(appointment_id).deposit_ids.invoice_id
            provider = env.ref("payment.payment_provider_demo")
            provider.write({"state": "test"})
            tx = env["payment.transaction"].create(
                {
                    "provider_id": provider.id,
                    "payment_method_id": env.ref("payment_demo.payment_method_demo").id,
                    "amount": 40.0,
                    "currency_id": invoice.currency_id.id,
                    "partner_id": invoice.partner_id.id,
                    "reference": f"RACE-{appointment_id}",
                    "operation": "online_redirect",
                    "invoice_ids": [Command.set(invoice.ids)],
                }
            )
            tx_id = tx.id
        outcome = {}
        later = NOW + timedelta(hours=2)
        with (
            closing(self.registry.cursor()) as cr_cron,
            closing(self.registry.cursor()) as cr_pay,
            freeze_time(later),
        ):
            env_cron, env_pay = self._env(cr_cron), self._env(cr_pay)
            self.assertEqual(env_cron["clinic.appointment"]._cron_cancel_unpaid(), 1)

            def pay():
                def process():
                    tx = env_pay["payment.transaction"].browse(tx_id)
                    tx._handle_notification_data(
                        "demo", {"reference": tx.reference, "simulated_state": "done"}
                    )
                    tx._post_process()
                    # what the patient's request reads back
                    return env_pay["clinic.appointment"].browse(appointment_id).state

                try:
                    outcome["state"] = retrying(process, env_pay)
                    outcome["tx"] = (
                        env_pay["payment.transaction"].browse(tx_id).read(["state", "payment_id"])
                    )
                except Exception as error:  # reported by the assertions below
                    outcome["error"] = repr(error)

            thread = threading.Thread(target=pay)
            thread.start()
            time.sleep(1.5)
            cr_cron.commit()
            thread.join(60)
            self.assertFalse(thread.is_alive())
            cr_pay.commit()
        self.assertNotIn("error", outcome)
        self.assertEqual(outcome["state"], "confirmed", outcome)
        with closing(self.registry.cursor()) as cr:
            appointment = self._env(cr)["clinic.appointment"].browse(appointment_id)
            self.assertEqual(appointment.state, "confirmed")
            self.assertEqual(appointment.deposit_ids.state, "paid")
            self.assertEqual(appointment.deposit_ids.amount_paid, 40.0)
            self.assertEqual(appointment.deposit_ids.invoice_id.state, "posted")

    def _desk_payment_in_thread(self, cr, appointment_id, outcome):
        """A clerk submits the desk payment wizard in another worker; the
        request is retried on serialization failures, as Odoo does."""
        env = self._env(cr)

        def process():
            appointment = env["clinic.appointment"].browse(appointment_id)
            journal = env["account.journal"].search(
                [("type", "=", "cash"), ("company_id", "=", appointment.company_id.id)], limit=1
            )
            wizard = env["clinic.deposit.payment"].create(
                {"deposit_id": appointment.deposit_ids.id, "journal_id": journal.id}
            )
            wizard.action_confirm()
            return appointment.state

        def run():
            try:
                outcome["state"] = retrying(process, env)
                cr.commit()  # pylint: disable=invalid-commit
            except UserError as error:
                outcome["refused"] = str(error)
                cr.rollback()
            except Exception as error:  # reported by the assertions
                outcome["error"] = repr(error)
                cr.rollback()

        thread = threading.Thread(target=run)
        thread.start()
        return thread

    def _payments_of(self, appointment_id):
        with closing(self.registry.cursor()) as cr:
            appointment = self._env(cr)["clinic.appointment"].browse(appointment_id)
            return appointment.state, appointment.deposit_ids.payment_ids.ids

    def test_desk_payment_racing_the_job_posts_nothing_on_a_cancelled_booking(self):
        """The job cancels while a clerk submits the payment: the payment
        waits for the job's row lock, then sees the cancellation and posts
        nothing (the clerk is told; no money on a cancelled booking)."""
        appointment_id = self._committed_awaiting_appointment()
        outcome = {}
        with (
            closing(self.registry.cursor()) as cr_cron,
            closing(self.registry.cursor()) as cr_pay,
            freeze_time(NOW + timedelta(hours=2)),
        ):
            self.assertEqual(self._env(cr_cron)["clinic.appointment"]._cron_cancel_unpaid(), 1)
            # the retried contention is no error in the server log
            with self.assertNoLogs("odoo.sql_db", level="ERROR"):
                thread = self._desk_payment_in_thread(cr_pay, appointment_id, outcome)
                time.sleep(1.5)
                self.assertTrue(thread.is_alive(), "the payment waits for the job's lock")
                cr_cron.commit()
                thread.join(60)
            self.assertFalse(thread.is_alive())
        self.assertNotIn("error", outcome)
        self.assertIn("no longer awaits a payment", outcome.get("refused", ""), outcome)
        state, payments = self._payments_of(appointment_id)
        self.assertEqual((state, payments), ("cancelled", []))

    def test_two_desk_payments_on_one_deposit_post_one(self):
        """Two clerks (or a double click) submit the payment at once: the
        second waits for the first, then finds nothing due."""
        appointment_id = self._committed_awaiting_appointment()
        second = {}
        with (
            closing(self.registry.cursor()) as cr1,
            closing(self.registry.cursor()) as cr2,
            freeze_time(NOW + timedelta(minutes=10)),
        ):
            # the first clerk's payment is posted, not committed yet
            env1 = self._env(cr1)
            appointment = env1["clinic.appointment"].browse(appointment_id)
            journal = env1["account.journal"].search(
                [("type", "=", "cash"), ("company_id", "=", appointment.company_id.id)], limit=1
            )
            env1["clinic.deposit.payment"].create(
                {"deposit_id": appointment.deposit_ids.id, "journal_id": journal.id}
            ).action_confirm()
            thread = self._desk_payment_in_thread(cr2, appointment_id, second)
            time.sleep(1.5)
            self.assertTrue(thread.is_alive(), "the second payment waits for the first")
            cr1.commit()
            thread.join(60)
            self.assertFalse(thread.is_alive())
        self.assertNotIn("error", second)
        self.assertIn("no longer awaits a payment", second.get("refused", ""), second)
        state, payments = self._payments_of(appointment_id)
        self.assertEqual(state, "confirmed")
        self.assertEqual(len(payments), 1)

    def test_two_job_runs_send_each_patient_mail_once(self):
        """The mail job takes its rows with SKIP LOCKED: a second worker
        running meanwhile leaves a mail being sent alone."""
        with self.registry.cursor() as cr:
            # whatever other committed work queued is sent first
            self._env(cr)["clinic.appointment.mail"]._cron_send()
        with self.registry.cursor() as cr:
            env = self._env(cr)
            patient = env["res.partner"].create(
                {"name": "Mailed Racer", "email": "mailed.racer@example.com"}
            )
            appointment = env["clinic.appointment"].create(
                dict(self._vals(start=NOW + timedelta(days=401)), patient_id=patient.id)
            )
            appointment.action_book()
            appointment.action_cancel_by_clinic()
            appointment_id = appointment.id
        with closing(self.registry.cursor()) as cr1, closing(self.registry.cursor()) as cr2:
            env1, env2 = self._env(cr1), self._env(cr2)
            # the first worker has taken the mail; its transaction is open
            cr1.execute(
                "SELECT id FROM clinic_appointment_mail WHERE appointment_id = %s FOR UPDATE",
                [appointment_id],
            )
            env2["clinic.appointment.mail"]._cron_send()
            cr2.commit()
            env1["clinic.appointment.mail"]._cron_send()
            cr1.commit()
            # a third run finds nothing left
            env2["clinic.appointment.mail"]._cron_send()
            cr2.commit()
        with self.registry.cursor() as cr:
            messages = (
                self._env(cr)["clinic.appointment"]
                .browse(appointment_id)
                .message_ids.filtered(lambda m: "is cancelled" in (m.subject or ""))
            )
            self.assertEqual(len(messages), 1)

    def test_mail_jobs_racing_the_desk_lose_no_mail(self):
        """Two workers run the mail job on one queue while the appointments
        are written and committed by another transaction after the first
        worker's snapshot: every patient still gets their mail, once."""
        with self.registry.cursor() as cr:
            self._env(cr)["clinic.appointment.mail"]._cron_send()
        with self.registry.cursor() as cr:
            env = self._env(cr)
            patient = env["res.partner"].create(
                {"name": "Written Racer", "email": "written.racer@example.com"}
            )
            appointments = env["clinic.appointment"].create(
                [
                    dict(
                        self._vals(start=NOW + timedelta(days=402, hours=h)), patient_id=patient.id
                    )
                    for h in (0, 2, 4)
                ]
            )
            appointments.action_book()
            # bookings whose portal link was never sent yet, paid at the
            # desk: their confirmation mails link to the portal
            appointments.write({"access_token": False})
            journal = env["account.journal"].search(
                [("type", "=", "bank"), ("company_id", "=", env.company.id)], limit=1
            )
            for appointment in appointments:
                appointment.deposit_ids._register_desk_payment(journal)
            ids = appointments.ids
        with (
            closing(self.registry.cursor()) as cr1,
            closing(self.registry.cursor()) as cr2,
            closing(self.registry.cursor()) as desk,
        ):
            env1, env2 = self._env(cr1), self._env(cr2)
            # the first worker's snapshot is taken...
            cr1.execute("SELECT count(*) FROM clinic_appointment_mail")
            # ...then another transaction updates the appointments and commits
            desk.execute(
                "UPDATE clinic_appointment SET write_date = now() WHERE id = ANY(%s)", [ids]
            )
            desk.commit()
            env1["clinic.appointment.mail"]._cron_send()
            cr1.commit()
            env2["clinic.appointment.mail"]._cron_send()
            cr2.commit()
        with self.registry.cursor() as cr:
            env = self._env(cr)
            for appointment in env["clinic.appointment"].browse(ids):
                self.assertEqual(appointment.state, "confirmed")
                mails = appointment.message_ids.filtered(
                    lambda m: "is confirmed" in (m.subject or "")
                )
                self.assertEqual(len(mails), 1, appointment.name)
            self.assertFalse(
                env["clinic.appointment.mail"].search([("appointment_id", "in", ids)])
            )

    def test_two_workers_charge_a_no_show_fee_once(self):
        """Two runs of the card fee job at once: the second skips the
        appointment the first is charging, without waiting."""
        with self.registry.cursor() as cr, freeze_time(NOW):
            env = self._env(cr)
            provider = env.ref("payment.payment_provider_demo")
            method = env.ref("payment_demo.payment_method_demo")
            treatment = env["clinic.treatment"].browse(self.treatment_id)
            treatment.write(
                {
                    "deposit_type": "none",
                    "no_show_protection": "card",
                    "no_show_forfeit_percent": 50,
                }
            )
            appointment = env["clinic.appointment"].create(
                self._vals(0, start=NOW + timedelta(days=2))
            )
            appointment.action_book()
            token = env["payment.token"].create(
                {
                    "provider_id": provider.id,
                    "payment_method_id": method.id,
                    "partner_id": appointment.patient_id.id,
                    "payment_details": "4242",
                    "provider_ref": "race",
                    "demo_simulated_state": "done",
                }
            )
            appointment._on_card_saved(token)
            appointment_id, provider_state = appointment.id, provider.state
            provider.state = "test"
        self.addCleanup(self._restore_provider, provider_state)
        with self.registry.cursor() as cr, freeze_time(NOW + timedelta(days=2, hours=1)):
            appointment = self._env(cr)["clinic.appointment"].browse(appointment_id)
            appointment.action_no_show()
            due = appointment.card_fee_due
        with (
            closing(self.registry.cursor()) as cr1,
            closing(self.registry.cursor()) as cr2,
            freeze_time(due + timedelta(minutes=1)),
        ):
            env1, env2 = self._env(cr1), self._env(cr2)
            self.assertEqual(env1["clinic.appointment"]._cron_charge_card_fees(), 1)
            started = time.monotonic()
            self.assertEqual(env2["clinic.appointment"]._cron_charge_card_fees(), 0)
            self.assertLess(time.monotonic() - started, 5, "SKIP LOCKED: no waiting")
            cr1.commit()
            cr2.rollback()  # the second worker's next run
            self.assertEqual(env2["clinic.appointment"]._cron_charge_card_fees(), 0)
            cr2.commit()
        with self.registry.cursor() as cr:
            appointment = self._env(cr)["clinic.appointment"].browse(appointment_id)
            self.assertEqual(appointment.card_fee_state, "paid")
            charges = appointment.card_transaction_ids.filtered(lambda t: t.operation == "offline")
            self.assertEqual((len(charges), charges.amount), (1, 50.0))

    def _restore_provider(self, state):
        with self.registry.cursor() as cr:
            self._env(cr).ref("payment.payment_provider_demo").state = state

    def _committed_confirmed(self, count, start):
        """``count`` confirmed bookings (no deposit) a few days ahead."""
        with self.registry.cursor() as cr, freeze_time(NOW):
            env = self._env(cr)
            env["clinic.treatment"].browse(self.treatment_id).deposit_type = "none"
            env.company.clinic_visit_reminder_hours = 24
            patients = env["res.partner"].create(
                [
                    {"name": f"Reminded {i}", "email": f"reminded{i}@example.com"}
                    for i in range(count)
                ]
            )
            appointments = env["clinic.appointment"].create(
                [
                    dict(self._vals(start=start + timedelta(hours=i)), patient_id=patient.id)
                    for i, patient in enumerate(patients)
                ]
            )
            appointments.action_book()
            return appointments.ids

    def _reminder_counts(self, ids):
        with self.registry.cursor() as cr:
            cr.execute(
                """
                SELECT a.id,
                       (SELECT count(*) FROM clinic_appointment_reminder r
                         WHERE r.appointment_id = a.id AND r.kind = 'visit'),
                       (SELECT count(*) FROM clinic_appointment_mail m
                         WHERE m.appointment_id = a.id AND m.template_id = %s)
                  FROM clinic_appointment a WHERE a.id = ANY(%s)
                """,
                [
                    self._env(cr).ref("clinic_prepay.mail_template_appointment_visit_reminder").id,
                    ids,
                ],
            )
            return {row[0]: row[1:] for row in cr.fetchall()}

    def test_reminders_once_after_a_crash_mid_batch(self):
        """Each batch commits its reminders with their mails: a worker killed
        in the second batch loses that batch only, and the next run sends
        it; nobody gets two."""
        start = NOW + timedelta(days=402)
        ids = self._committed_confirmed(3, start)
        Appointment = self.registry["clinic.appointment"]
        calls = []
        original = Appointment._send_reminder

        def crash_on_second(records, kind, xmlid):
            calls.append(records.ids)
            if len(calls) == 2:
                raise RuntimeError("worker killed")
            return original(records, kind, xmlid)

        at = start - timedelta(hours=20)
        with (
            patch.object(Appointment, "_can_commit", lambda self: True),
            patch.object(Appointment, "_send_reminder", crash_on_second),
            freeze_time(at),
            closing(self.registry.cursor()) as cr,
        ):
            with self.assertRaises(RuntimeError):
                self._env(cr)["clinic.appointment"]._cron_send_reminders(batch_size=1)
            cr.rollback()
        counts = self._reminder_counts(ids)
        self.assertEqual(sorted(counts.values()), [(0, 0), (0, 0), (1, 1)])
        with (
            patch.object(Appointment, "_can_commit", lambda self: True),
            freeze_time(at + timedelta(minutes=15)),
            closing(self.registry.cursor()) as cr,
        ):
            self.assertEqual(self._env(cr)["clinic.appointment"]._cron_send_reminders(), 2)
            cr.commit()  # pylint: disable=invalid-commit
            self.assertEqual(self._env(cr)["clinic.appointment"]._cron_send_reminders(), 0)
            cr.commit()  # pylint: disable=invalid-commit
        self.assertEqual(set(self._reminder_counts(ids).values()), {(1, 1)})

    def test_two_workers_send_each_reminder_once(self):
        start = NOW + timedelta(days=403)
        ids = self._committed_confirmed(2, start)
        with (
            closing(self.registry.cursor()) as cr1,
            closing(self.registry.cursor()) as cr2,
            freeze_time(start - timedelta(hours=20)),
        ):
            env1, env2 = self._env(cr1), self._env(cr2)
            self.assertEqual(env1["clinic.appointment"]._cron_send_reminders(), 2)
            started = time.monotonic()
            # the first worker's rows are locked: skipped, not waited for
            self.assertEqual(env2["clinic.appointment"]._cron_send_reminders(), 0)
            self.assertLess(time.monotonic() - started, 5, "SKIP LOCKED: no waiting")
            cr1.commit()
            cr2.rollback()
            self.assertEqual(env2["clinic.appointment"]._cron_send_reminders(), 0)
            cr2.commit()
        self.assertEqual(set(self._reminder_counts(ids).values()), {(1, 1)})
