# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models
from odoo.tools import SQL


class ClinicWalletReport(models.Model):
    """The wallet's figures, read from the ledger: every posted journal item
    of a course's or gift card's liability account is a row, its money in
    the column of what it did (sold, used, expired, refunded, adjusted),
    and every card has one more row per month with what it still held at
    the month's end (liability outstanding).

    What an item did is the card's history event of its entry (a reversal
    takes the event of the entry it reverses); sums of the flows of a month
    are the change of the outstanding liability over it.
    """

    _name = "clinic.wallet.report"
    _description = "Wallet Figures"
    _auto = False
    _order = "date desc"
    _rec_name = "card_id"

    date = fields.Date(readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    card_id = fields.Many2one("loyalty.card", readonly=True)
    program_id = fields.Many2one("loyalty.program", string="Course or Gift Card", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Bought By", readonly=True)
    card_type = fields.Selection(
        [("course", "Course"), ("gift_card", "Gift Card")], string="Type", readonly=True
    )
    kind = fields.Selection(
        [
            ("sold", "Sold"),
            ("used", "Used"),
            ("expired", "Expired"),
            ("refunded", "Refunded"),
            ("adjusted", "Adjusted"),
            ("outstanding", "Month's End"),
        ],
        string="Event",
        readonly=True,
    )
    move_id = fields.Many2one("account.move", string="Entry", readonly=True)
    liability_outstanding = fields.Monetary(
        readonly=True,
        help="What the cards still held at the end of the month; for several months, at the"
        " end of the last of them.",
    )
    amount_sold = fields.Monetary(string="Sold", readonly=True)
    amount_used = fields.Monetary(
        string="Used",
        readonly=True,
        help="Moved to revenue: sessions, gift card payments, what a refund's policy keeps.",
    )
    amount_expired = fields.Monetary(string="Expired (Breakage)", readonly=True)
    amount_refunded = fields.Monetary(string="Refunded", readonly=True)
    amount_adjusted = fields.Monetary(
        string="Adjusted",
        readonly=True,
        help="Value a manager added (positive) or took off (negative).",
    )

    def _read_group_select(self, aggregate_spec, query):
        # a balance, not a flow: a group of months reads its last month's
        if aggregate_spec == "liability_outstanding:sum":
            value, date, kind = (
                self._field_to_sql(self._table, name, query)
                for name in ("liability_outstanding", "date", "kind")
            )
            month_end = SQL("%s = 'outstanding'", kind)
            return SQL(
                """(SELECT COALESCE(sum(v.value), 0)
                      FROM unnest(array_agg(%(value)s) FILTER (WHERE %(month_end)s),
                                  array_agg(%(date)s) FILTER (WHERE %(month_end)s))
                           AS v(value, month)
                     WHERE v.month = max(%(date)s) FILTER (WHERE %(month_end)s))""",
                value=value,
                date=date,
                month_end=month_end,
            )
        return super()._read_group_select(aggregate_spec, query)

    @property
    def _table_query(self):
        return SQL(
            """
            WITH move_event AS (
                -- each entry's event in a card's history
                SELECT DISTINCT ON (clinic_move_id) clinic_move_id, clinic_kind
                  FROM loyalty_history
                 WHERE clinic_move_id IS NOT NULL
                 ORDER BY clinic_move_id, id
            ),
            item AS (
                SELECT l.id AS line_id,
                       l.date,
                       l.company_id,
                       c.currency_id,
                       card.id AS card_id,
                       card.program_id,
                       card.partner_id,
                       CASE WHEN p.clinic_gift_card THEN 'gift_card' ELSE 'course' END
                           AS card_type,
                       m.id AS move_id,
                       -- the entry's own event (a single-purpose gift card
                       -- pays with a credit note); else a credit note is a
                       -- refund, a reversal takes its entry's event, and an
                       -- entry of no event (what a refund's policy keeps)
                       -- moved money to revenue
                       COALESCE(
                           h.clinic_kind,
                           CASE WHEN m.move_type = 'out_refund' THEN 'refunded' END,
                           rh.clinic_kind,
                           'used'
                       ) AS kind,
                       -l.balance AS held
                  FROM account_move_line l
                  JOIN account_move m ON m.id = l.move_id
                  JOIN res_company c ON c.id = l.company_id
                  JOIN loyalty_card card ON card.id = m.clinic_wallet_card_id
                  JOIN loyalty_program p ON p.id = card.program_id
                  LEFT JOIN move_event h ON h.clinic_move_id = m.id
                  LEFT JOIN move_event rh ON rh.clinic_move_id = m.reversed_entry_id
                 WHERE l.parent_state = 'posted'
                   AND l.account_id IN (c.clinic_wallet_account_id, c.clinic_gift_card_account_id)
            ),
            card_month AS (
                SELECT card_id,
                       generate_series(
                           date_trunc('month', min(date)),
                           date_trunc(
                               'month',
                               greatest((SELECT max(date) FROM item), now() AT TIME ZONE 'UTC')
                           ),
                           interval '1 month'
                       )::date AS month
                  FROM item
                 GROUP BY card_id
            )
            SELECT row_number() OVER (ORDER BY card_id, date, kind, move_id) AS id, * FROM (
                SELECT date, company_id, currency_id, card_id, program_id, partner_id,
                       card_type, kind, move_id,
                       0.0 AS liability_outstanding,
                       CASE kind WHEN 'sold' THEN held ELSE 0.0 END AS amount_sold,
                       CASE kind WHEN 'used' THEN -held ELSE 0.0 END AS amount_used,
                       CASE kind WHEN 'expired' THEN -held ELSE 0.0 END AS amount_expired,
                       CASE kind WHEN 'refunded' THEN -held ELSE 0.0 END AS amount_refunded,
                       CASE WHEN kind NOT IN ('sold', 'used', 'expired', 'refunded')
                            THEN held ELSE 0.0 END AS amount_adjusted
                  FROM item
                 UNION ALL
                SELECT (cm.month + interval '1 month' - interval '1 day')::date AS date,
                       i.company_id, i.currency_id, i.card_id, i.program_id,
                       i.partner_id, i.card_type, 'outstanding' AS kind, NULL AS move_id,
                       sum(i.held) AS liability_outstanding,
                       0.0, 0.0, 0.0, 0.0, 0.0
                  FROM card_month cm
                  JOIN item i ON i.card_id = cm.card_id
                   AND i.date < cm.month + interval '1 month'
                 GROUP BY cm.month, i.company_id, i.currency_id, i.card_id, i.program_id,
                          i.partner_id, i.card_type
            ) rows
            """
        )
