# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models
from odoo.tools import SQL


class ClinicMembershipReport(models.Model):
    """The memberships' figures by month, read from their periods: a row per
    membership and month with what it was at the month's end (active on a
    paid period, with its monthly share of that period's fee) and what
    happened to it that month (joined, ended, a charge failed, a failed
    charge was paid)."""

    _name = "clinic.membership.report"
    _description = "Membership Figures"
    _auto = False
    _order = "date desc"
    _rec_name = "membership_id"
    # what the view reads is flushed before it is queried
    _depends = {
        "clinic.membership": [
            "company_id",
            "date_end",
            "date_start",
            "partner_id",
            "plan_id",
            "state",
        ],
        "clinic.membership.period": [
            "date_from",
            "date_to",
            "failed_date",
            "invoice_id",
            "membership_id",
            "paid_date",
            "plan_id",
            "recovered",
            "state",
        ],
        "clinic.membership.plan": ["interval", "period"],
        "account.move": ["amount_untaxed"],
    }

    date = fields.Date(string="Month", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    membership_id = fields.Many2one("clinic.membership", readonly=True)
    plan_id = fields.Many2one("clinic.membership.plan", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Member", readonly=True)
    active_count = fields.Integer(
        string="Active Members", readonly=True, help="On a paid period at the month's end."
    )
    mrr = fields.Monetary(
        string="Monthly Recurring Revenue",
        readonly=True,
        help="The active members' fees (untaxed) for one month: a yearly fee counts a twelfth.",
    )
    new_count = fields.Integer(string="New Members", readonly=True)
    cancelled_count = fields.Integer(
        string="Cancelled (Churn)", readonly=True, help="Memberships that ended that month."
    )
    failed_count = fields.Integer(
        string="Failed Charges",
        readonly=True,
        help="Periods whose first charge failed that month.",
    )
    recovered_count = fields.Integer(
        string="Recovered Charges",
        readonly=True,
        help="Periods paid that month after a failed charge (a retry or the payment link).",
    )

    @property
    def _table_query(self):
        return SQL(
            """
            WITH event AS (
                -- at each month's end: the paid period running then
                SELECT p.membership_id, month::date AS date, 1 AS active_count,
                       COALESCE(mv.amount_untaxed, 0)
                           / (pl.interval * CASE WHEN pl.period = 'year' THEN 12 ELSE 1 END)
                           AS mrr,
                       0 AS new_count, 0 AS cancelled_count,
                       0 AS failed_count, 0 AS recovered_count
                  FROM clinic_membership_period p
                  JOIN clinic_membership pm ON pm.id = p.membership_id
                  JOIN clinic_membership_plan pl ON pl.id = p.plan_id
                  -- a free first period has no invoice
                  LEFT JOIN account_move mv ON mv.id = p.invoice_id
                 CROSS JOIN LATERAL generate_series(
                       date_trunc('month', p.date_from),
                       date_trunc('month', p.date_to - 1),
                       interval '1 month'
                 ) AS month
                 WHERE p.state = 'paid'
                   AND (month + interval '1 month - 1 day')::date >= p.date_from
                   AND (month + interval '1 month - 1 day')::date < p.date_to
                   -- a membership ended before the month's end (at once) is not active
                   AND (pm.date_end IS NULL
                        OR (month + interval '1 month - 1 day')::date < pm.date_end)
                UNION ALL
                SELECT m.id, date_trunc('month', m.date_start)::date, 0, 0, 1, 0, 0, 0
                  FROM clinic_membership m
                 WHERE m.date_start IS NOT NULL
                UNION ALL
                SELECT m.id, date_trunc('month', m.date_end)::date, 0, 0, 0, 1, 0, 0
                  FROM clinic_membership m
                 WHERE m.state = 'cancelled' AND m.date_start IS NOT NULL
                   AND m.date_end IS NOT NULL
                UNION ALL
                SELECT p.membership_id, date_trunc('month', p.failed_date)::date, 0, 0, 0, 0, 1, 0
                  FROM clinic_membership_period p
                 WHERE p.failed_date IS NOT NULL
                UNION ALL
                SELECT p.membership_id, date_trunc('month', p.paid_date)::date, 0, 0, 0, 0, 0, 1
                  FROM clinic_membership_period p
                 WHERE p.recovered AND p.paid_date IS NOT NULL
            )
            SELECT row_number() OVER (ORDER BY e.date, e.membership_id) AS id,
                   e.date, m.company_id, c.currency_id, e.membership_id, m.plan_id,
                   m.partner_id,
                   sum(e.active_count) AS active_count,
                   sum(e.mrr) AS mrr,
                   sum(e.new_count) AS new_count,
                   sum(e.cancelled_count) AS cancelled_count,
                   sum(e.failed_count) AS failed_count,
                   sum(e.recovered_count) AS recovered_count
              FROM event e
              JOIN clinic_membership m ON m.id = e.membership_id
              JOIN res_company c ON c.id = m.company_id
             GROUP BY e.date, e.membership_id, m.company_id, c.currency_id, m.plan_id,
                      m.partner_id
            """
        )
