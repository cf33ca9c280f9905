# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Compare the clinic's figures (Clinic > Reports) with counts computed
independently from the appointments, per month and treatment, on a database
(the demo clinic's by default). Run: ``bash scripts/check_figures.sh``.
Prints both and exits 1 on any difference."""

import statistics
import sys
from collections import defaultdict


def independent(env):
    """Per (month, treatment): counts and sums from the appointments."""
    rows = defaultdict(lambda: defaultdict(float))
    times = defaultdict(list)
    for a in env["clinic.appointment"].search([("state", "!=", "draft")]):
        key = (a.start.strftime("%Y-%m"), a.treatment_id.id)
        row = rows[key]
        row["booking_count"] += 1
        row["unpaid_cancel_count"] += a.cancel_reason == "unpaid"
        row["paid_count"] += a.amount_paid > 0
        row["attended_count"] += a.state == "done"
        row["no_show_count"] += a.state == "no_show"
        row["late_cancel_count"] += a.cancel_reason == "late"
        credited = sum(
            r.amount
            for r in a.deposit_ids.refund_request_ids
            if r.state == "done" and r.method == "credit"
        )
        row["deposit_collected"] += a.amount_paid - sum(a.deposit_ids.mapped("amount_from_credit"))
        row["deposit_forfeited"] += a.amount_forfeited
        row["deposit_refunded"] += a.amount_refunded - credited
        row["deposit_credited"] += credited
        row["_reached"] += a.state in ("done", "no_show")
        paid = [d.paid_date for d in a.deposit_ids if d.paid_date]
        if paid:
            booked = a.booked_date or a.create_date
            times[key].append((min(paid) - booked).total_seconds() / 3600)
    for key, row in rows.items():
        row["no_show_rate"] = (
            100.0 * row["no_show_count"] / row["_reached"] if row["_reached"] else 0.0
        )
        row["time_to_pay_hours"] = statistics.median(times[key]) if times[key] else 0.0
        del row["_reached"]
    return rows


def main(env):
    expected = independent(env)
    measures = sorted(next(iter(expected.values())).keys()) if expected else []
    # months in UTC, as counted above
    groups = (
        env["clinic.appointment.report"]
        .with_context(tz="UTC")
        .read_group([], measures, ["date:month", "treatment_id"], lazy=False)
    )
    # the report's months are labelled by name: take the month from the domain
    failures = 0
    print(f"{'month':8} {'treatment':22} {'measure':20} {'report':>10} {'counted':>10}")
    for group in groups:
        start = next(
            term[2] for term in group["__domain"] if term[0] == "date" and term[1] == ">="
        )
        key = (start[:7], group["treatment_id"][0])
        row = expected.pop(key, {})
        for measure in measures:
            got, want = group[measure] or 0.0, row.get(measure, 0.0)
            ok = abs(got - want) < 0.01
            failures += not ok
            print(
                f"{key[0]:8} {group['treatment_id'][1][:22]:22} {measure:20}"
                f" {got:10.2f} {want:10.2f}{'' if ok else '  <-- differs'}"
            )
    failures += len(expected)
    print(f"{len(groups)} groups, {failures} differences")
    return failures


if __name__ == "__main__":
    sys.exit(1 if main(env) else 0)  # noqa: F821 (odoo shell's env)
