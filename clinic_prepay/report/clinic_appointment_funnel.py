# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.osv import expression
from odoo.tools import SQL

# each step of a booking, in the funnel's order, from the figures' 0/1 columns
STEPS = [
    ("1_booked", "booking_count"),
    ("2_paid", "paid_count"),
    ("3_attended", "attended_count"),
    ("4_unpaid_cancelled", "unpaid_cancel_count"),
    ("5_no_show", "no_show_count"),
    ("6_late_cancel", "late_cancel_count"),
]


class ClinicAppointmentFunnel(models.Model):
    """The deposit funnel: one row per booking and step it reached (booked,
    paid before its deadline, attended; or cancelled unpaid, a no-show, a
    late cancellation), from the clinic's figures. Grouped by step it draws
    the funnel; a step's rate is its bookings over the bookings of the same
    group (month, treatment, practitioner...)."""

    _name = "clinic.appointment.funnel"
    _description = "Clinic Deposit Funnel"
    _auto = False
    _order = "step, date desc"
    _rec_name = "appointment_id"
    _depends = {"clinic.appointment.report": ["appointment_id"]}

    appointment_id = fields.Many2one("clinic.appointment", readonly=True)
    date = fields.Datetime(string="Appointment Date", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    treatment_id = fields.Many2one("clinic.treatment", readonly=True)
    practitioner_id = fields.Many2one("res.users", readonly=True)
    source = fields.Selection(
        selection=lambda self: self.env["clinic.appointment"]._fields["source"].selection,
        readonly=True,
    )
    step = fields.Selection(
        [
            ("1_booked", "Booked"),
            ("2_paid", "Paid"),
            ("3_attended", "Attended"),
            ("4_unpaid_cancelled", "Auto-cancelled Unpaid"),
            ("5_no_show", "No-show"),
            ("6_late_cancel", "Late Cancellation"),
        ],
        readonly=True,
    )
    rate = fields.Float(
        string="Rate (%)",
        readonly=True,
        aggregator="sum",
        help="The step's bookings over the bookings of the same group.",
    )

    @property
    def _table_query(self):
        report = self.env["clinic.appointment.report"]
        values = SQL(", ").join(
            SQL("(%s, %s, r.%s)", index, step, SQL.identifier(column))
            for index, (step, column) in enumerate(STEPS, start=1)
        )
        return SQL(
            """
            SELECT r.id * %(count)s + s.sequence AS id,
                   r.appointment_id, r.date, r.company_id, r.treatment_id,
                   r.practitioner_id, r.source, s.step, 0.0 AS rate
              FROM (%(report)s) r
             CROSS JOIN LATERAL (VALUES %(values)s) AS s(sequence, step, hit)
             WHERE s.hit > 0
            """,
            count=len(STEPS) + 1,
            report=report._table_query,
            values=values,
        )

    @api.model
    def read_group(self, domain, fields, groupby, offset=0, limit=None, orderby=False, lazy=True):
        """Grouped by step, each group's rate is its count over the bookings
        of the same other groups."""
        groups = super().read_group(
            domain, fields, groupby, offset=offset, limit=limit, orderby=orderby, lazy=lazy
        )
        groupby = [groupby] if isinstance(groupby, str) else list(groupby)
        used = groupby[:1] if lazy else groupby
        names = {spec.split(":")[0].split("(")[0].strip() for spec in fields}
        if "rate" not in names:
            return groups
        if "step" not in used:
            # several steps together have no rate
            for group in groups:
                group["rate"] = None
            return groups
        others = [spec for spec in used if spec != "step"]
        booked = super().read_group(
            expression.AND([domain, [("step", "=", "1_booked")]]), ["step"], others, lazy=False
        )

        def key(group):
            # a many2one's group value is (id, name)
            return tuple(
                group[spec][0] if isinstance(group[spec], tuple) else group[spec]
                for spec in others
            )

        base = {key(group): group["__count"] for group in booked}
        for group in groups:
            count = group.get("__count", group.get("step_count", 0))
            total = base.get(key(group)) or 0
            group["rate"] = 100.0 * count / total if total else 0.0
        return groups
