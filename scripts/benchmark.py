"""Queries and time per booking and per auto-cancelled appointment, with 100
and with 10,000 existing appointments. Run with `make bench`.

It works in a throw-away database (a copy of the test database) and prints:
scale, queries and milliseconds per booking, per cron item, and the ratio
between the large and the small scale.
"""

import argparse
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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--scales", default="100,10000")
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


if __name__ == "__main__":
    main()
