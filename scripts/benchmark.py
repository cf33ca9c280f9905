"""What a user's request costs, next to the core Odoo work it composes.

Run with `make bench` (a throw-away database). Each flow runs as the user who
does it (the front desk; the payment and the cron as the superuser, as
Odoo's payment routes and scheduler run them), with tracking on, an empty
record cache, and the final flush and precommit (tracking values) counted.
The core Odoo operations the flow composes run in the same way, by an
accountant, interleaved with the flow's samples. For each: queries, ms (min
and median), and the ratios flow/core.

Then the scale part, with 100,000 appointments: a booking (same queries as
with 100), a calendar week of one and of all practitioners, the list view's
first page, the portal list of a patient with 1,000 appointments, and the
job cancelling 500 overdue bookings; then the booking page's slots for one
practitioner-week with 10,000 and 1,500,000 calendar events.
"""

import argparse
import statistics
import time
from datetime import datetime, timedelta

import odoo
from odoo import SUPERUSER_ID, Command, api

SAMPLES = 7


class Bench:
    def __init__(self, cr):
        self.cr = cr
        self.su = api.Environment(cr, SUPERUSER_ID, {})
        self.next_start = {}

    # ------------------------------------------------------------------
    # Set-up (superuser, not measured)
    # ------------------------------------------------------------------

    def setup(self):
        env = self.su
        env.company._clinic_ensure_accounting()
        clinic_user = env.ref("clinic_prepay.group_clinic_user")
        self.practitioners = env["res.users"].create(
            [
                {
                    "name": f"Bench Dr {i}",
                    "login": f"bench_dr_{i}",
                    "groups_id": [Command.set(clinic_user.ids)],
                }
                # 0-19 fill the calendar, 20 books, 21 has working hours for the slots
                for i in range(22)
            ]
        )
        self.desk = env["res.users"].create(
            {
                "name": "Bench Desk",
                "login": "bench_desk",
                "groups_id": [Command.set(clinic_user.ids)],
            }
        )
        self.manager = env["res.users"].create(
            {
                "name": "Bench Manager",
                "login": "bench_manager",
                "groups_id": [Command.set(env.ref("clinic_prepay.group_clinic_manager").ids)],
            }
        )
        self.accountant = env["res.users"].create(
            {
                "name": "Bench Accountant",
                "login": "bench_accountant",
                "groups_id": [Command.set(env.ref("account.group_account_manager").ids)],
            }
        )
        self.patients = env["res.partner"].create(
            [{"name": f"Bench Patient {i}", "email": f"bench{i}@example.com"} for i in range(200)]
        )
        self.loyal = env["res.users"].create(
            {
                "name": "Bench Loyal Patient",
                "login": "bench_loyal",
                "email": "loyal@example.com",
                "groups_id": [Command.set(env.ref("base.group_portal").ids)],
            }
        )
        product = env["product.product"].create(
            {"name": "Bench peel", "type": "service", "list_price": 100.0}
        )
        self.product = product
        self.treatment = env["clinic.treatment"].create(
            {
                "name": "Bench peel",
                "product_id": product.id,
                "duration": 1.0,
                "deposit_type": "fixed",
                "deposit_fixed": 30.0,
                "practitioner_ids": [Command.set(self.practitioners.ids)],
            }
        )
        self.bank = env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", env.company.id)], limit=1
        )
        self.provider = env.ref("payment.payment_provider_demo")
        self.provider.write({"state": "test", "is_published": True})
        self.method = env.ref("payment_demo.payment_method_demo")
        self.course_card = self.gift_card = None
        if "clinic_wallet_card_id" in env["account.move"]._fields:
            # the wallet: a patient with a course of the treatment, paid
            course = env["loyalty.program"].create(
                {
                    "name": "Bench peel course",
                    "program_type": "clinic_course",
                    "clinic_treatment_ids": [Command.set(self.treatment.ids)],
                    "clinic_session_count": 1000,
                    "clinic_price": 50000.0,
                }
            )
            self.course_card = env["loyalty.card"]._clinic_sell_course(course, self.patients[1])
            self.course_card._clinic_register_desk_payment(self.bank)
            # a gift card large enough for every sample
            gift_program = env["loyalty.program"].create(
                {
                    "name": "Bench gift card",
                    "program_type": "gift_card",
                    "clinic_gift_card": True,
                    "clinic_amount_min": 10.0,
                    "clinic_amount_max": 100000.0,
                }
            )
            self.gift_card = env["loyalty.card"]._clinic_sell_gift_card(
                gift_program, self.patients[2], 50000.0, "Bench", "bench@example.com", ""
            )
            self.gift_card._clinic_register_desk_payment(self.bank)
        self.cr.commit()

    def _start(self, practitioner, days=3):
        """The practitioner's next free hour, ``days`` ahead or later."""
        base = datetime.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=days)
        start = max(self.next_start.get(practitioner.id, base), base)
        self.next_start[practitioner.id] = start + timedelta(hours=1)
        return start

    def _book(self, practitioner=None, patient=None, days=3):
        practitioner = practitioner or self.practitioners[20]
        appointment = self.su["clinic.appointment"].create(
            {
                "patient_id": (patient or self.patients[0]).id,
                "treatment_id": self.treatment.id,
                "practitioner_id": practitioner.id,
                "start": self._start(practitioner, days),
            }
        )
        appointment.action_book()
        return appointment

    def _pay(self, appointment):
        tx = self._draft_tx(appointment.deposit_ids.invoice_id)
        tx._handle_notification_data(
            "demo", {"reference": tx.reference, "simulated_state": "done"}
        )
        tx._post_process()

    def _deposit_line(self, env, price=30.0):
        """An invoice line as the deposit's: its product, account and price."""
        company = env.company
        return Command.create(
            {
                "product_id": company.clinic_deposit_product_id.id,
                "account_id": company.clinic_deposit_account_id.id,
                "price_unit": price,
            }
        )

    def _draft_invoice(self, price=30.0, lines=None):
        """A draft invoice as the deposit's (its journal, product, account),
        made outside the measure."""
        return (
            self.su["account.move"]
            .with_context(tracking_disable=True)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.patients[1].id,
                    "journal_id": self.su.company.clinic_journal_id.id,
                    "invoice_line_ids": lines or [self._deposit_line(self.su, price)],
                }
            )
        )

    def _draft_tx(self, invoice):
        Transaction = self.su["payment.transaction"]
        return Transaction.create(
            {
                "provider_id": self.provider.id,
                "payment_method_id": self.method.id,
                "amount": invoice.amount_total,
                "currency_id": invoice.currency_id.id,
                "partner_id": invoice.partner_id.id,
                "reference": Transaction._compute_reference(
                    "demo", invoice_ids=[Command.set(invoice.ids)]
                ),
                "operation": "online_redirect",
                "invoice_ids": [Command.set(invoice.ids)],
            }
        )

    # ------------------------------------------------------------------
    # Measuring
    # ------------------------------------------------------------------

    def run(self, user, func, arg, items=1):
        """Queries and ms of ``func(env, arg)`` as ``user`` (tracking on, cold
        cache, final flush and precommit included), per item."""
        self.su.flush_all()
        self.cr.commit()
        env = api.Environment(self.cr, user.id if user else SUPERUSER_ID, {})
        env.invalidate_all()
        queries, began = self.cr.sql_log_count, time.perf_counter()
        func(env, arg)
        env.flush_all()
        self.cr.precommit.run()
        elapsed = (time.perf_counter() - began) * 1000
        queries = self.cr.sql_log_count - queries
        self.cr.commit()
        return queries / items, elapsed / items

    def compare(self, name, flow, core, samples=SAMPLES):
        """``flow`` and ``core``: (user, prepare, func, items); interleaved."""
        results = {"flow": [], "core": []}
        for _sample in range(samples):
            for key, (user, prepare, func, items) in (("flow", flow), ("core", core)):
                arg = prepare()
                results[key].append(self.run(user, func, arg, items))
        # the first sample fills Odoo's caches (views, rules, sequences)
        flow_q = statistics.median(q for q, _ms in results["flow"][1:])
        core_q = statistics.median(q for q, _ms in results["core"][1:])
        flow_ms = [ms for _q, ms in results["flow"][1:]]
        core_ms = [ms for _q, ms in results["core"][1:]]
        return {
            "name": name,
            "flow_q": flow_q,
            "core_q": core_q,
            "flow_ms": (min(flow_ms), statistics.median(flow_ms)),
            "core_ms": (min(core_ms), statistics.median(core_ms)),
        }

    # ------------------------------------------------------------------
    # Flows and the core work they compose
    # ------------------------------------------------------------------

    def flows(self):
        doctor, patient = self.practitioners[20], self.patients[0]
        rows = []

        def book(env, start):
            appointment = env["clinic.appointment"].create(
                {
                    "patient_id": patient.id,
                    "treatment_id": self.treatment.id,
                    "practitioner_id": doctor.id,
                    "start": start,
                }
            )
            appointment.action_book()

        def core_book(env, start):
            # as the flow does it: the event belongs to the practitioner
            env["calendar.event"].sudo().with_context(
                no_mail_to_attendees=True, mail_create_nolog=True
            ).create(
                {
                    "name": "Bench peel - Bench Patient",
                    "start": start,
                    "stop": start + timedelta(hours=1),
                    "user_id": doctor.id,
                    "partner_ids": [Command.set((doctor.partner_id | patient).ids)],
                    "privacy": "private",
                }
            )
            env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": patient.id,
                    "journal_id": env.company.clinic_journal_id.id,
                    "invoice_line_ids": [self._deposit_line(env)],
                }
            )

        rows.append(
            self.compare(
                "booking with deposit",
                (self.desk, lambda: self._start(doctor), book, 1),
                (self.accountant, lambda: self._start(self.practitioners[19]), core_book, 1),
            )
        )

        if self.course_card:
            course_patient, card_id = self.patients[1], self.course_card.id

            def book_course(env, start):
                appointment = env["clinic.appointment"].create(
                    {
                        "patient_id": course_patient.id,
                        "treatment_id": self.treatment.id,
                        "practitioner_id": doctor.id,
                        "start": start,
                    }
                )
                appointment.action_book()

            def core_course(env, start):
                # the event, and a loyalty card spending one point with its history
                env["calendar.event"].sudo().with_context(
                    no_mail_to_attendees=True, mail_create_nolog=True
                ).create(
                    {
                        "name": "Bench peel - Bench Patient",
                        "start": start,
                        "stop": start + timedelta(hours=1),
                        "user_id": doctor.id,
                        "partner_ids": [Command.set((doctor.partner_id | course_patient).ids)],
                        "privacy": "private",
                    }
                )
                card = env["loyalty.card"].sudo().browse(card_id)
                card.points -= 1
                env["loyalty.history"].sudo().create(
                    {"card_id": card_id, "description": "Bench session", "used": 1}
                )

            rows.append(
                self.compare(
                    "booking with a course",
                    (self.desk, lambda: self._start(doctor), book_course, 1),
                    (self.accountant, lambda: self._start(self.practitioners[18]), core_course, 1),
                )
            )

        def desk_pay(env, appointment):
            action = env["clinic.appointment"].browse(appointment.id).action_register_payment()
            wizard = (
                env[action["res_model"]]
                .with_context(**action["context"])
                .create({"journal_id": self.bank.id})
            )
            wizard.action_confirm()

        def core_pay(env, invoice):
            invoice = env["account.move"].browse(invoice.id)
            invoice.action_post()
            env["account.payment.register"].with_context(
                active_model="account.move", active_ids=invoice.ids
            ).create({"journal_id": self.bank.id}).action_create_payments()

        rows.append(
            self.compare(
                "desk payment",
                (self.desk, self._book, desk_pay, 1),
                (self.accountant, self._draft_invoice, core_pay, 1),
            )
        )

        if self.gift_card:
            code = self.gift_card.code

            def gift_pay(env, appointment):
                wizard = env["clinic.gift.card.pay"].create(
                    {"appointment_id": appointment.id, "code": code}
                )
                wizard.action_confirm()

            def core_gift_pay(env, invoice):
                # the deposit's invoice posted, an entry from the gift cards
                # account to the receivable, the two reconciled
                invoice = env["account.move"].browse(invoice.id)
                invoice.action_post()
                company = env.company
                receivable = invoice.line_ids.filtered(
                    lambda line: line.account_id.account_type == "asset_receivable"
                )
                move = env["account.move"].create(
                    {
                        "move_type": "entry",
                        "journal_id": company.clinic_forfeit_journal_id.id,
                        "line_ids": [
                            Command.create(
                                {
                                    "account_id": company.clinic_gift_card_account_id.id,
                                    "partner_id": self.patients[2].id,
                                    "debit": invoice.amount_total,
                                }
                            ),
                            Command.create(
                                {
                                    "account_id": receivable.account_id.id,
                                    "partner_id": invoice.partner_id.id,
                                    "credit": invoice.amount_total,
                                }
                            ),
                        ],
                    }
                )
                move.action_post()
                (
                    receivable
                    | move.line_ids.filtered(lambda line: line.account_id == receivable.account_id)
                ).reconcile()

            rows.append(
                self.compare(
                    "paying with a gift card",
                    (self.desk, self._book, gift_pay, 1),
                    (self.accountant, self._draft_invoice, core_gift_pay, 1),
                )
            )

        def online_pay(env, tx):
            tx = env["payment.transaction"].browse(tx.id)
            tx._handle_notification_data(
                "demo", {"reference": tx.reference, "simulated_state": "done"}
            )
            tx._post_process()

        rows.append(
            self.compare(
                "online payment (payment_demo)",
                (None, lambda: self._draft_tx(self._book().deposit_ids.invoice_id), online_pay, 1),
                (None, lambda: self._draft_tx(self._draft_invoice()), online_pay, 1),
            )
        )

        def paid_and_started():
            appointment = self._book()
            self._pay(appointment)
            # the visit started an hour ago
            self.su.flush_all()
            self.cr.execute(
                "UPDATE clinic_appointment SET start = start - (start - now() at time zone"
                " 'utc') - interval '1 hour', stop = stop - (start - now() at time zone 'utc')"
                " - interval '1 hour' WHERE id = %s",
                [appointment.id],
            )
            self.su.invalidate_all()
            return appointment

        def no_show(env, appointment):
            env["clinic.appointment"].browse(appointment.id).action_no_show()

        def core_entry(env, _arg):
            company = env.company
            move = env["account.move"].create(
                {
                    "move_type": "entry",
                    "journal_id": company.clinic_forfeit_journal_id.id,
                    "line_ids": [
                        Command.create(
                            {
                                "account_id": company.clinic_deposit_account_id.id,
                                "partner_id": patient.id,
                                "debit": 30.0,
                            }
                        ),
                        Command.create(
                            {
                                "account_id": company.clinic_fee_account_id.id,
                                "partner_id": patient.id,
                                "credit": 30.0,
                            }
                        ),
                    ],
                }
            )
            move.action_post()

        rows.append(
            self.compare(
                "no-show with forfeit",
                (self.desk, paid_and_started, no_show, 1),
                (self.accountant, lambda: None, core_entry, 1),
            )
        )

        def done(env, appointment):
            env["clinic.appointment"].browse(appointment.id).action_done()

        def core_invoice(env, _arg):
            company = env.company
            move = env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": patient.id,
                    "invoice_line_ids": [
                        Command.create({"product_id": self.product.id, "price_unit": 100.0}),
                        Command.create(
                            {
                                "name": "Deposit",
                                "account_id": company.clinic_deposit_account_id.id,
                                "price_unit": -30.0,
                                "tax_ids": [Command.clear()],
                            }
                        ),
                    ],
                }
            )
            move.action_post()

        def paid():
            appointment = self._book()
            self._pay(appointment)
            return appointment

        rows.append(
            self.compare(
                "final invoice",
                (self.desk, paid, done, 1),
                (self.accountant, lambda: None, core_invoice, 1),
            )
        )

        batch = 10

        def overdue():
            appointments = self.su["clinic.appointment"]
            for _i in range(batch):
                appointments |= self._book()
            self.su.flush_all()
            self.cr.execute(
                "UPDATE clinic_appointment SET payment_deadline = now() at time zone 'utc'"
                " - interval '1 minute' WHERE id IN %s",
                [tuple(appointments.ids)],
            )
            return appointments

        def cron(env, _appointments):
            env["clinic.appointment"]._cron_cancel_unpaid()

        def draft_and_event():
            # the core work of the job's cancellations, for a batch of the
            # same size, as Odoo's own actions do it
            invoices = self.su["account.move"]
            events = self.su["calendar.event"]
            for _i in range(batch):
                start = self._start(self.practitioners[19])
                events |= (
                    self.su["calendar.event"]
                    .with_context(no_mail_to_attendees=True)
                    .create(
                        {
                            "name": "Bench",
                            "start": start,
                            "stop": start + timedelta(hours=1),
                            "partner_ids": [Command.set((doctor.partner_id | patient).ids)],
                        }
                    )
                )
                invoices |= self._draft_invoice()
            return invoices, events

        def core_cancel(env, records):
            invoices, events = records
            env["account.move"].browse(invoices.ids).button_cancel()
            env["calendar.event"].browse(events.ids).write({"active": False})

        rows.append(
            self.compare(
                "auto-cancel, per item",
                (None, overdue, cron, batch),
                (None, draft_and_event, core_cancel, batch),
                samples=4,
            )
        )
        return rows

    # ------------------------------------------------------------------
    # Scale
    # ------------------------------------------------------------------

    def fill_appointments(self, first, last, total):
        """Appointments ``first`` to ``last`` of ``total`` past and future ones
        (up to a week ahead), with their calendar events, by SQL; one in a
        hundred is the loyal patient's."""
        env = self.su
        env.flush_all()
        doctors = self.practitioners[:20]
        self.cr.execute(
            """
            CREATE TEMP TABLE bench_fill ON COMMIT DROP AS
            SELECT n,
                   (%(doctors)s::int[])[1 + n %% 20] AS practitioner_id,
                   CASE WHEN n %% 100 = 0 THEN %(loyal)s
                        ELSE (%(patients)s::int[])[1 + n %% 200] END AS patient_id,
                   -- each practitioner sees 8 patients a day, up to a week ahead
                   date_trunc('day', now() at time zone 'utc')
                       - %(days)s * interval '1 day'
                       + (n / 20 / 8) * interval '1 day'
                       + (8 + n / 20 %% 8) * interval '1 hour' AS start,
                   (ARRAY['confirmed','done','cancelled','no_show','done'])[1 + n %% 5] AS state
              FROM generate_series(%(first)s, %(last)s) AS n;
            ALTER TABLE bench_fill ADD COLUMN event_id int;
            WITH events AS (
                INSERT INTO calendar_event (name, start, stop, user_id, privacy, show_as,
                                            active, res_model_id, create_date, write_date)
                SELECT 'Bench ' || n, start, start + interval '1 hour', practitioner_id,
                       'private', 'busy', state != 'cancelled', %(model)s, now(), now()
                  FROM bench_fill ORDER BY n
                RETURNING id, name
            )
            UPDATE bench_fill f SET event_id = e.id
              FROM events e WHERE e.name = 'Bench ' || f.n;
            INSERT INTO calendar_attendee (event_id, partner_id, state, common_name)
            SELECT f.event_id, p.partner_id, 'accepted', 'Bench'
              FROM bench_fill f
              JOIN LATERAL (
                SELECT u.partner_id FROM res_users u WHERE u.id = f.practitioner_id
                UNION ALL SELECT f.patient_id
              ) p ON TRUE;
            INSERT INTO calendar_event_res_partner_rel (calendar_event_id, res_partner_id)
            SELECT event_id, partner_id FROM calendar_attendee
             WHERE event_id IN (SELECT event_id FROM bench_fill);
            INSERT INTO clinic_appointment (
                name, patient_id, treatment_id, practitioner_id, start, stop, source, state,
                company_id, price, deposit_required, amount_paid, amount_due,
                amount_forfeited, amount_refundable, amount_refunded, payment_status,
                color, event_id, create_date, write_date, create_uid, write_uid)
            SELECT 'BENCH/' || n, patient_id, %(treatment)s, practitioner_id, start,
                   start + interval '1 hour', 'phone', state, %(company)s, 100, 30,
                   CASE WHEN state = 'cancelled' THEN 0 ELSE 30 END, 0, 0, 0, 0,
                   CASE WHEN state = 'cancelled' THEN 'unpaid' ELSE 'paid' END,
                   0, event_id, now(), now(), 1, 1
              FROM bench_fill;
            UPDATE calendar_event e SET res_id = a.id
              FROM clinic_appointment a WHERE a.event_id = e.id AND e.res_id IS NULL;
            """,
            {
                "first": first,
                "last": last,
                "days": total // 20 // 8 - 7,
                "doctors": doctors.ids,
                "patients": self.patients.ids,
                "loyal": self.loyal.partner_id.id,
                "treatment": self.treatment.id,
                "company": env.company.id,
                "model": env["ir.model"]._get_id("clinic.appointment"),
            },
        )
        for table in ("clinic_appointment", "calendar_event", "calendar_attendee"):
            self.cr.execute(f"ANALYZE {table}")
        self.cr.commit()
        env.invalidate_all()

    def read_timings(self, user, func, runs=5):
        results = [self.run(user, func, None) for _run in range(runs)]
        return (
            results[-1][0],
            min(ms for _q, ms in results),
            statistics.median(ms for _q, ms in results),
        )

    def scale(self):
        rows = []
        monday = datetime.now().replace(hour=0, minute=0, second=0, microsecond=0)
        monday -= timedelta(days=monday.weekday() + 7)
        week = [("start", "<=", monday + timedelta(days=7)), ("stop", ">=", monday)]
        calendar_fields = [
            "display_name",
            "start",
            "stop",
            "patient_id",
            "treatment_id",
            "practitioner_id",
            "state",
            "payment_status",
            "amount_paid",
            "deposit_required",
            "color",
        ]

        def calendar_one(env, _arg):
            env["clinic.appointment"].search_read(
                [*week, ("practitioner_id", "=", self.practitioners[3].id)], calendar_fields
            )

        def calendar_all(env, _arg):
            env["clinic.appointment"].search_read(week, calendar_fields)

        def list_page(env, _arg):
            env["clinic.appointment"].web_search_read(
                [],
                {name: {} for name in calendar_fields if name not in ("display_name",)},
                limit=80,
                count_limit=10001,
            )

        def portal_list(env, _arg):
            Appointment = env["clinic.appointment"]
            partner = env.user.partner_id
            domain = [("patient_id", "child_of", partner.commercial_partner_id.ids)]
            Appointment.search_count(domain)
            # what the page shows of its 20 rows (prefetched together)
            page = Appointment.search(domain, order="start desc", limit=20)
            page.read(["name", "start", "state", "treatment_id", "amount_paid", "amount_due"])
            page.treatment_id.mapped("display_name")

        rows.append(
            ("calendar week, one practitioner", self.read_timings(self.desk, calendar_one))
        )
        rows.append(
            ("calendar week, all practitioners", self.read_timings(self.desk, calendar_all))
        )
        rows.append(("list view, first page", self.read_timings(self.desk, list_page)))
        rows.append(
            ("portal list, 1,000 appointments", self.read_timings(self.loyal, portal_list))
        )

        def figures(groupby):
            def read(env, _arg):
                Report = env["clinic.appointment.report"]
                measures = [
                    name
                    for name, field in Report._fields.items()
                    if field.type in ("integer", "float", "monetary") and name != "id"
                ]
                Report.read_group([], measures, groupby, lazy=False)

            return read

        rows.append(
            (
                "figures by month, every measure",
                self.read_timings(self.manager, figures(["date:month"])),
            )
        )
        rows.append(
            (
                "figures by treatment x practitioner",
                self.read_timings(self.manager, figures(["treatment_id", "practitioner_id"])),
            )
        )
        return rows

    def cron_500(self):
        appointments = self.su["clinic.appointment"]
        for index in range(500):
            appointments |= self._book(self.practitioners[index % 20], days=40)
        self.su.flush_all()
        self.cr.execute(
            "UPDATE clinic_appointment SET payment_deadline = now() at time zone 'utc'"
            " - interval '1 minute' WHERE id IN %s",
            [tuple(appointments.ids)],
        )
        self.cr.commit()
        return self.run(
            None, lambda env, _a: env["clinic.appointment"]._cron_cancel_unpaid(), None, 500
        )

    def booking_queries(self, samples=5):
        doctor = self.practitioners[20]

        def book(env, start):
            appointment = env["clinic.appointment"].create(
                {
                    "patient_id": self.patients[0].id,
                    "treatment_id": self.treatment.id,
                    "practitioner_id": doctor.id,
                    "start": start,
                }
            )
            appointment.action_book()

        results = [self.run(self.desk, book, self._start(doctor)) for _i in range(samples)]
        return statistics.median(q for q, _ms in results[1:]), statistics.median(
            ms for _q, ms in results[1:]
        )

    # ------------------------------------------------------------------
    # The booking page's slots
    # ------------------------------------------------------------------

    def fill_events(self, practitioner, count, existing):
        """``count`` more busy 50-minute events of ``practitioner``, one every
        three hours going back from two weeks ahead, by SQL."""
        self.cr.execute(
            """
            WITH events AS (
                INSERT INTO calendar_event (name, start, stop, show_as, active, user_id, privacy)
                SELECT 'Bench meeting', ts, ts + interval '50 minutes', 'busy', true, %(user)s,
                       'public'
                  FROM (
                    SELECT date_trunc('day', now() at time zone 'utc') + interval '14 days'
                           - (3 * n || ' hours')::interval AS ts
                      FROM generate_series(%(first)s, %(last)s) AS n
                  ) AS t
                RETURNING id
            )
            INSERT INTO calendar_attendee (event_id, partner_id, state)
            SELECT id, %(partner)s, 'accepted' FROM events
            """,
            {
                "user": practitioner.id,
                "partner": practitioner.partner_id.id,
                "first": existing + 1,
                "last": existing + count,
            },
        )
        self.cr.execute("ANALYZE calendar_event")
        self.cr.execute("ANALYZE calendar_attendee")
        self.cr.commit()

    def slots(self, scales):
        doctor = self.practitioners[21]
        self.su["resource.resource"].create(
            {
                "name": doctor.name,
                "user_id": doctor.id,
                "calendar_id": self.su.company.resource_calendar_id.id,
            }
        )
        monday = datetime.now().replace(hour=0, minute=0, second=0, microsecond=0)
        monday += timedelta(days=7 - monday.weekday())
        public = self.su.ref("base.public_user")

        def week(env, _arg):
            treatment = env["clinic.treatment"].sudo().browse(self.treatment.id)
            assert treatment._get_free_slots(monday, monday + timedelta(days=7), doctor)

        results, filled = {}, 0
        for scale in scales:
            if scale > filled:
                self.fill_events(doctor, scale - filled, filled)
                filled = scale
            results[scale] = self.read_timings(public, week)
        return results

    def resource_slots(self, booked_per_resource=1000):
        """The same practitioner-week for a treatment that also needs one of
        10 rooms and one of 10 lasers (20 resources), each with
        ``booked_per_resource`` earlier bookings, next to the practitioner-
        only treatment measured in the same run."""
        env = self.su
        doctor = self.practitioners[21]
        Kind = env["clinic.resource.kind"]
        kinds = Kind.create([{"name": "Bench room"}, {"name": "Bench laser"}])
        calendar = env.company.resource_calendar_id
        resources = env["resource.resource"].create(
            [
                {
                    "name": f"{kind.name} {i}",
                    "resource_type": "material",
                    "clinic_kind_id": kind.id,
                    "calendar_id": calendar.id,
                }
                for kind in kinds
                for i in range(10)
            ]
        )
        treatment = env["clinic.treatment"].create(
            {
                "name": "Bench laser peel",
                "product_id": self.product.id,
                "duration": 1.0,
                "deposit_type": "fixed",
                "deposit_fixed": 30.0,
                "practitioner_ids": [Command.set(doctor.ids)],
                "resource_kind_ids": [Command.set(kinds.ids)],
            }
        )
        # earlier bookings of each resource, one an hour long every two hours
        # going back from today, each on its own appointment
        total = booked_per_resource * len(resources)
        self.cr.execute(
            """
            WITH appointments AS (
                SELECT id, row_number() OVER (ORDER BY id) - 1 AS n
                  FROM clinic_appointment
                 LIMIT %(total)s
            ), resources AS (
                SELECT id, clinic_kind_id, row_number() OVER (ORDER BY id) - 1 AS r
                  FROM resource_resource WHERE id IN %(resources)s
            )
            INSERT INTO clinic_appointment_resource
                   (appointment_id, kind_id, resource_id, company_id, start, stop, booked)
            SELECT a.id, res.clinic_kind_id, res.id, %(company)s, ts, ts + interval '1 hour', true
              FROM appointments a
              JOIN resources res ON res.r = a.n %% %(count)s
              CROSS JOIN LATERAL (
                  SELECT date_trunc('day', now() at time zone 'utc')
                         - (2 * (a.n / %(count)s) || ' hours')::interval AS ts
              ) t
            ON CONFLICT DO NOTHING
            """,
            {
                "total": total,
                "resources": tuple(resources.ids),
                "count": len(resources),
                "company": env.company.id,
            },
        )
        self.cr.execute("ANALYZE clinic_appointment_resource")
        self.cr.commit()
        self.cr.execute("SELECT count(*) FROM clinic_appointment_resource")
        (lines,) = self.cr.fetchone()
        monday = datetime.now().replace(hour=0, minute=0, second=0, microsecond=0)
        monday += timedelta(days=7 - monday.weekday())
        public = self.su.ref("base.public_user")

        def week(env, treatment_id):
            treatment = env["clinic.treatment"].sudo().browse(treatment_id)
            assert treatment._get_free_slots(monday, monday + timedelta(days=7), doctor)

        plain = self.read_timings(public, lambda env, _arg: week(env, self.treatment.id))
        rooms = self.read_timings(public, lambda env, _arg: week(env, treatment.id))
        return lines, plain, rooms


# what each flow is compared with, done by an accountant in the same run
# (the flow's own products, accounts, journal and batch size)
CORE_WORK = {
    "booking with deposit": "calendar event with 2 attendees + draft 1-line invoice of the"
    " deposit product on the deposit account",
    "booking with a course": "calendar event with 2 attendees + the card's points and a"
    " history line",
    "desk payment": "post the deposit's draft invoice + register a payment (reconciled)",
    "paying with a gift card": "post the deposit's draft invoice + a 2-line entry from the gift"
    " cards account to the receivable + reconcile",
    "online payment (payment_demo)": "a demo transaction of a deposit-like invoice: done +"
    " post-processed",
    "no-show with forfeit": "a 2-line entry (deposits to fee income) created and posted",
    "final invoice": "a 2-line invoice (treatment product with its taxes, deposit deducted)"
    " created and posted",
    "auto-cancel, per item": "the job's batch of cancellations: its draft invoices cancelled"
    " and its events archived, batched, per item",
}


def print_flows(rows):
    print(
        f"{'flow':<30} | {'queries':>7} | {'core':>5} | {'ratio':>5} | {'ms min/med':>13} |"
        f" {'core ms min/med':>15} | {'ratio':>5}"
    )
    for row in rows:
        print(
            f"{row['name']:<30} | {row['flow_q']:>7.1f} | {row['core_q']:>5.1f} |"
            f" {row['flow_q'] / row['core_q']:>5.2f} |"
            f" {row['flow_ms'][0]:>6.1f}/{row['flow_ms'][1]:<6.1f} |"
            f" {row['core_ms'][0]:>7.1f}/{row['core_ms'][1]:<7.1f} |"
            f" {row['flow_ms'][1] / row['core_ms'][1]:>5.2f}"
        )
    print("core work of each row:")
    for row in rows:
        print(f"  {row['name']:<30} {CORE_WORK.get(row['name'], '')}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--appointments", type=int, default=100000)
    parser.add_argument("--event-scales", default="10000,1500000")
    args = parser.parse_args()
    odoo.tools.config.parse_config(["-c", args.config, "-d", args.database, "--log-level=warn"])
    registry = odoo.modules.registry.Registry(args.database)
    with registry.cursor() as cr:
        bench = Bench(cr)
        bench.setup()
        began = time.perf_counter()
        rows = bench.flows()
        print("Flows, as their users run them, next to the core Odoo work they compose")
        print("(median queries; ms min/median; ratios flow/core):")
        print_flows(rows)
        # a hundred appointments, then a hundred thousand
        filled = 100 - bench.su["clinic.appointment"].search_count([])
        bench.fill_appointments(1, filled, args.appointments)
        count = bench.su["clinic.appointment"].search_count([])
        small = bench.booking_queries()
        print()
        print("The booking page: one practitioner-week of free slots (public visitor)")
        results = bench.slots(int(s) for s in args.event_scales.split(","))
        for scale, (queries, fastest, median) in results.items():
            print(f"  {scale:>9,} events: {queries:.0f} queries, {fastest:.1f} / {median:.1f} ms")
        low, high = (results[s] for s in (min(results), max(results)))
        print(
            f"  ratio {max(results):,}/{min(results):,}: queries {high[0] / low[0]:.2f},"
            f" ms (median) {high[2] / low[2]:.2f}"
        )
        existing = bench.su["clinic.appointment"].search_count([])
        bench.fill_appointments(
            filled + 1, filled + args.appointments - existing, args.appointments
        )
        large = bench.booking_queries()
        total = bench.su["clinic.appointment"].search_count([])
        print()
        print("The booking page at that size, the practitioner-week above:")
        lines, plain, rooms = bench.resource_slots()
        print(
            f"  needing one of 10 rooms and one of 10 lasers"
            f" ({lines:,} room and laser bookings): {rooms[0]:.0f} queries,"
            f" {rooms[1]:.1f} / {rooms[2]:.1f} ms; practitioner only, same run:"
            f" {plain[0]:.0f} queries, {plain[1]:.1f} / {plain[2]:.1f} ms;"
            f" ratio (median ms) {rooms[2] / plain[2]:.2f}"
        )
        print()
        print(
            f"booking: {small[0]:.0f} queries, {small[1]:.1f} ms with {count:,} appointments;"
            f" {large[0]:.0f} queries, {large[1]:.1f} ms with {total:,}"
        )
        print(f"With {total:,} appointments (queries; ms min/median):")
        for name, (queries, fastest, median) in bench.scale():
            print(f"  {name:<34} {queries:>4.0f} q  {fastest:>7.1f} / {median:.1f} ms")
        queries, ms = bench.cron_500()
        print(f"  {'job cancelling 500 overdue':<34} {queries:>4.1f} q/item  {ms:.1f} ms/item")
        print(f"\n(bench ran {time.perf_counter() - began:.0f} s)")


if __name__ == "__main__":
    main()
