# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class ClinicStripeEvent(models.Model):
    """A Stripe webhook event the clinic acted on, once.

    Its row is inserted in the transaction that applies the event, under a
    unique constraint: a second delivery of the same event (Stripe retries,
    or two workers receiving it at once) waits for the first one's commit
    and then finds the row, so it changes nothing.
    """

    _name = "clinic.stripe.event"
    _description = "Stripe Event"
    _order = "id desc"
    _rec_name = "event_id"

    event_id = fields.Char(required=True, readonly=True)
    event_type = fields.Char(string="Type", required=True, readonly=True, index=True)
    object_id = fields.Char(readonly=True, index=True)
    provider_id = fields.Many2one("payment.provider", readonly=True, ondelete="set null")
    livemode = fields.Boolean(readonly=True)

    _sql_constraints = [
        ("event_id_unique", "UNIQUE(event_id)", "A Stripe event is recorded once."),
    ]

    def _claim(self, event, provider):
        """Record ``event``; False when it was already recorded (a replay)."""
        obj = (event.get("data") or {}).get("object") or {}
        self.env.cr.execute(
            """
            INSERT INTO clinic_stripe_event
                (event_id, event_type, object_id, provider_id, livemode,
                 create_uid, create_date, write_uid, write_date)
            VALUES (%s, %s, %s, %s, %s, %s, now() at time zone 'utc', %s,
                    now() at time zone 'utc')
            ON CONFLICT (event_id) DO NOTHING
            RETURNING id
            """,
            [
                event["id"],
                event["type"],
                obj.get("id"),
                provider.id,
                bool(event.get("livemode")),
                self.env.uid,
                self.env.uid,
            ],
        )
        return bool(self.env.cr.fetchone())
