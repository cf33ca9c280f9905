# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models
from odoo.tools import SQL


class ClinicAppointmentReport(models.Model):
    """The clinic's figures: one row per booking (drafts aside), with 0/1
    columns that add up to counts at any grouping (month, treatment,
    practitioner, booking source) and the money of its deposits.

    The no-show rate is 100 for a no-show, 0 for a visit, empty otherwise:
    its average is the rate among the bookings that reached their time. The
    time to pay is aggregated by its median (see ``_read_group_select``).
    """

    _name = "clinic.appointment.report"
    _description = "Clinic Figures"
    _auto = False
    _order = "date desc"
    _rec_name = "appointment_id"

    appointment_id = fields.Many2one("clinic.appointment", readonly=True)
    date = fields.Datetime(string="Appointment Date", readonly=True)
    booked_date = fields.Datetime(string="Booked On", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    treatment_id = fields.Many2one("clinic.treatment", readonly=True)
    practitioner_id = fields.Many2one("res.users", readonly=True)
    patient_id = fields.Many2one("res.partner", readonly=True)
    source = fields.Selection(
        selection=lambda self: self.env["clinic.appointment"]._fields["source"].selection,
        readonly=True,
    )
    state = fields.Selection(
        selection=lambda self: self.env["clinic.appointment"]._fields["state"].selection,
        readonly=True,
    )
    booking_count = fields.Integer(string="Bookings", readonly=True)
    unpaid_cancel_count = fields.Integer(string="Auto-cancelled Unpaid", readonly=True)
    paid_count = fields.Integer(string="Paid", readonly=True)
    attended_count = fields.Integer(string="Attended", readonly=True)
    no_show_count = fields.Integer(string="No-shows", readonly=True)
    late_cancel_count = fields.Integer(string="Late Cancellations", readonly=True)
    no_show_rate = fields.Float(
        string="No-show Rate (%)",
        readonly=True,
        aggregator="avg",
        help="No-shows among the bookings that reached their time (visits and no-shows).",
    )
    deposit_collected = fields.Monetary(string="Deposits Collected", readonly=True)
    deposit_forfeited = fields.Monetary(string="Deposits Forfeited", readonly=True)
    deposit_refunded = fields.Monetary(string="Deposits Refunded", readonly=True)
    deposit_credited = fields.Monetary(string="Deposits Kept as Credit", readonly=True)
    card_fee_collected = fields.Monetary(string="Card Fees Collected", readonly=True)
    time_to_pay_hours = fields.Float(
        string="Median Time to Pay (hours)",
        readonly=True,
        aggregator="median",
        help="From the booking to the deposit paid in full.",
    )

    def _read_group_select(self, aggregate_spec, query):
        # the median time to pay, whatever the grouping
        if aggregate_spec == "time_to_pay_hours:median":
            return SQL(
                "percentile_cont(0.5) WITHIN GROUP (ORDER BY %s)",
                self._field_to_sql(self._table, "time_to_pay_hours", query),
            )
        return super()._read_group_select(aggregate_spec, query)

    @property
    def _table_query(self):
        # the deposits' and credit refunds' figures aggregated once, joined by
        # hash: no per-row subquery over the appointments
        return SQL(
            """
            SELECT a.id,
                   a.id AS appointment_id,
                   a.start AS date,
                   a.booked_date,
                   a.company_id,
                   c.currency_id,
                   a.treatment_id,
                   a.practitioner_id,
                   a.patient_id,
                   a.source,
                   a.state,
                   1 AS booking_count,
                   (a.state = 'cancelled' AND a.cancel_reason = 'unpaid')::int
                       AS unpaid_cancel_count,
                   (a.amount_paid > 0)::int AS paid_count,
                   (a.state = 'done')::int AS attended_count,
                   (a.state = 'no_show')::int AS no_show_count,
                   (a.state = 'cancelled' AND a.cancel_reason = 'late')::int
                       AS late_cancel_count,
                   CASE a.state WHEN 'no_show' THEN 100.0 WHEN 'done' THEN 0.0 END
                       AS no_show_rate,
                   -- money received: what the patient's credit paid came earlier
                   a.amount_paid - COALESCE(dep.from_credit, 0) AS deposit_collected,
                   a.amount_forfeited AS deposit_forfeited,
                   a.amount_refunded - COALESCE(credit.amount, 0) AS deposit_refunded,
                   COALESCE(credit.amount, 0) AS deposit_credited,
                   CASE WHEN a.card_fee_state = 'paid' THEN a.card_fee_amount ELSE 0 END
                       AS card_fee_collected,
                   EXTRACT(EPOCH FROM dep.paid_date - COALESCE(a.booked_date, a.create_date))
                       / 3600.0 AS time_to_pay_hours
              FROM clinic_appointment a
              JOIN res_company c ON c.id = a.company_id
              LEFT JOIN (
                   SELECT appointment_id,
                          min(paid_date) AS paid_date,
                          sum(amount_from_credit) AS from_credit
                     FROM clinic_deposit
                    GROUP BY appointment_id
              ) dep ON dep.appointment_id = a.id
              LEFT JOIN (
                   SELECT d.appointment_id, sum(r.amount) AS amount
                     FROM clinic_refund_request r
                     JOIN clinic_deposit d ON d.id = r.deposit_id
                    WHERE r.state = 'done' AND r.method = 'credit'
                    GROUP BY d.appointment_id
              ) credit ON credit.appointment_id = a.id
             WHERE a.state != 'draft'
            """
        )
