"""Queries and time per booking and per auto-cancelled appointment, with 100
and with 10,000 existing appointments. Run with `make bench`.

It works in a throw-away database (a copy of the test database) and prints:
scale, queries and milliseconds per booking, per cron item, and the ratio
between the large and the small scale.
"""

import argparse
import statistics
import time
from datetime import datetime, timedelta

import odoo
from odoo import SUPERUSER_ID, Command, api

SAMPLE = 20  # bookings and cancellations measured at each scale


def populate(env, count, practitioners, patients, treatment, offset=0):
    """``count`` existing confirmed appointments, spread over time."""
    base = datetime(2031, 1, 6, 8, 0)
    batch = []
    for i in range(offset, offset + count):
        slot = i // len(practitioners)
        batch.append(
            {
                "patient_id": patients[i % len(patients)].id,
                "treatment_id": treatment.id,
                "practitioner_id": practitioners[i % len(practitioners)].id,
                "start": base + timedelta(hours=slot),
                "state": "confirmed",
            }
        )
        if len(batch) == 1000:
            env["clinic.appointment"].create(batch)
            batch = []
    if batch:
        env["clinic.appointment"].create(batch)
    env.flush_all()


def measure(env, practitioner, patients, treatment, day):
    Appointment = env["clinic.appointment"]
    start = datetime.now().replace(microsecond=0, second=0, minute=0) + timedelta(days=day)
    env.invalidate_all()
    queries, began = env.cr.sql_log_count, time.perf_counter()
    booked = Appointment
    for i in range(SAMPLE):
        appointment = Appointment.create(
            {
                "patient_id": patients[i].id,
                "treatment_id": treatment.id,
                "practitioner_id": practitioner.id,
                "start": start + timedelta(hours=i),
            }
        )
        appointment.action_book()
        booked |= appointment
    env.flush_all()
    book = (
        (env.cr.sql_log_count - queries) / SAMPLE,
        (time.perf_counter() - began) * 1000 / SAMPLE,
    )

    # their deadline passes
    env.cr.execute(
        "UPDATE clinic_appointment"
        "   SET payment_deadline = now() at time zone 'utc' - interval '1 hour'"
        " WHERE id IN %s",
        [tuple(booked.ids)],
    )
    env.invalidate_all()
    queries, began = env.cr.sql_log_count, time.perf_counter()
    done = Appointment._cron_cancel_unpaid()
    cron = ((env.cr.sql_log_count - queries) / done, (time.perf_counter() - began) * 1000 / done)
    assert done == SAMPLE, done
    return book, cron


def fill_events(env, practitioner, count, existing):
    """``count`` more busy 50-minute calendar events of ``practitioner``,
    one every three hours going back from two weeks ahead (so the measured
    week has its share, and history grows), by SQL."""
    env.cr.execute(
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
    env.cr.execute("ANALYZE calendar_event")
    env.cr.execute("ANALYZE calendar_attendee")


def measure_slots(env, treatment, practitioner, runs=5):
    """Queries and ms of one practitioner-week of the booking page's slots,
    cold cache, as the public visitor's request computes it."""
    monday = datetime.now().replace(hour=0, minute=0, second=0, microsecond=0)
    monday += timedelta(days=7 - monday.weekday())
    timings, queries = [], 0
    for _run in range(runs):
        env.invalidate_all()
        before, began = env.cr.sql_log_count, time.perf_counter()
        slots = treatment._get_free_slots(monday, monday + timedelta(days=7), practitioner)
        timings.append((time.perf_counter() - began) * 1000)
        queries = env.cr.sql_log_count - before
    assert slots, "the bench practitioner has free time next week"
    return queries, min(timings), statistics.median(timings)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--scales", default="100,10000")
    parser.add_argument("--event-scales", default="10000,1500000")
    args = parser.parse_args()
    odoo.tools.config.parse_config(["-c", args.config, "-d", args.database, "--log-level=warn"])
    registry = odoo.modules.registry.Registry(args.database)
    results = {}
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
        group = env.ref("clinic_prepay.group_clinic_user")
        practitioners = env["res.users"].create(
            [
                {
                    "name": f"Bench Dr {i}",
                    "login": f"bench_dr_{i}",
                    "groups_id": [Command.set(group.ids)],
                }
                for i in range(21)
            ]
        )
        patients = env["res.partner"].create(
            [{"name": f"Bench Patient {i}", "email": f"bench{i}@example.com"} for i in range(200)]
        )
        product = env["product.product"].create(
            {"name": "Bench peel", "type": "service", "list_price": 100.0}
        )
        treatment = env["clinic.treatment"].create(
            {
                "name": "Bench peel",
                "product_id": product.id,
                "deposit_type": "fixed",
                "deposit_fixed": 30.0,
            }
        )
        # warm-up: the first bookings fill Odoo's caches, measure after them
        measure(env, practitioners[20], patients, treatment, day=1)
        cr.commit()
        existing = 0
        for index, scale in enumerate(int(s) for s in args.scales.split(",")):
            populate(env, scale - existing, practitioners[:20], patients, treatment, existing)
            existing = scale
            cr.commit()
            results[scale] = measure(env, practitioners[20], patients, treatment, day=3 + index)
            cr.commit()
        # the booking page: one practitioner-week with a growing calendar
        doctor = practitioners[20]
        env["resource.resource"].create(
            {
                "name": doctor.name,
                "user_id": doctor.id,
                "calendar_id": env.company.resource_calendar_id.id,
            }
        )
        treatment.practitioner_ids = doctor
        slot_results = {}
        filled = 0
        for scale in (int(s) for s in args.event_scales.split(",")):
            fill_events(env, doctor, scale - filled, filled)
            filled = scale
            cr.commit()
            slot_results[scale] = measure_slots(env, treatment, doctor)
    print(
        f"{'existing':>9} | {'queries/booking':>15} | {'ms/booking':>10} | "
        f"{'queries/cron item':>17} | {'ms/cron item':>12}"
    )
    for scale, (book, cron) in results.items():
        row = [f"{scale:>9}", f"{book[0]:>15.1f}", f"{book[1]:>10.1f}"]
        row += [f"{cron[0]:>17.1f}", f"{cron[1]:>12.1f}"]
        print(" | ".join(row))
    small, large = (results[s] for s in (min(results), max(results)))
    print(
        f"ratio {max(results)}/{min(results)}: queries/booking {large[0][0] / small[0][0]:.2f}, "
        f"ms/booking {large[0][1] / small[0][1]:.2f}, queries/cron item "
        f"{large[1][0] / small[1][0]:.2f}, ms/cron item {large[1][1] / small[1][1]:.2f}"
    )

    print()
    print(f"{'events':>9} | {'queries/week':>12} | {'ms min':>8} | {'ms median':>9}")
    for scale, (queries, fastest, median) in slot_results.items():
        print(f"{scale:>9} | {queries:>12} | {fastest:>8.1f} | {median:>9.1f}")
    small, large = (slot_results[s] for s in (min(slot_results), max(slot_results)))
    print(
        f"ratio {max(slot_results)}/{min(slot_results)}: queries {large[0] / small[0]:.2f},"
        f" ms (median) {large[2] / small[2]:.2f}"
    )


if __name__ == "__main__":
    main()
