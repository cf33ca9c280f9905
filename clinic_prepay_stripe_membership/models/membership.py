# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import datetime

from odoo import Command, fields, models
from odoo.addons.clinic_prepay_stripe.models.clinic_deposit import DISPUTE_STATES
from odoo.addons.payment import utils as payment_utils
from odoo.exceptions import UserError


class ClinicMembershipPeriod(models.Model):
    """A card dispute on the charge of a period, as on a deposit: opened, a
    manager answers it in Stripe's dashboard before the deadline (an
    activity on the membership); won, the mark is cleared; lost, the money
    the bank took back is booked as clinic_prepay_stripe books it (an
    outbound payment in the provider's journal, the dispute fee an expense)
    and credited on the period's invoice as a refund made at the provider."""

    _inherit = "clinic.membership.period"

    dispute_state = fields.Selection(
        DISPUTE_STATES, string="Dispute", readonly=True, copy=False, index="btree_not_null"
    )
    dispute_reference = fields.Char(readonly=True, copy=False)
    dispute_reason = fields.Char(readonly=True, copy=False)
    dispute_amount = fields.Monetary(string="Amount Disputed", readonly=True, copy=False)
    dispute_due = fields.Datetime(
        string="Evidence Due", readonly=True, copy=False, help="Stripe's deadline for evidence."
    )
    dispute_move_ids = fields.Many2many(
        "account.move",
        "clinic_membership_period_dispute_move_rel",
        "period_id",
        "move_id",
        string="Dispute Entries",
        readonly=True,
        copy=False,
    )

    def _clinic_dispute_summary(self):
        return self.env._("Answer the card dispute")

    def _clinic_stripe_dispute(self, dispute, tx, provider):
        """Apply a Stripe dispute object (``charge.dispute.*``) to the period
        whose charge ``tx`` is. A closed dispute is final: a replay, or a late
        "created" or "updated" event, changes nothing after it."""
        self.ensure_one()
        period = self.sudo()
        period.membership_id._lock()
        period.invalidate_recordset()
        if period.dispute_state in ("won", "lost"):
            return period
        status = dispute.get("status")
        closed = {"won": "won", "lost": "lost", "warning_closed": "won"}.get(status)
        if closed == "lost" and period.invoice_id.state != "posted":
            # the charge is not in the books yet: Stripe sends the event again
            raise UserError(
                self.env._(
                    "The charge of %(period)s is not in the books yet: its lost dispute waits.",
                    period=period.name,
                )
            )
        due = (dispute.get("evidence_details") or {}).get("due_by")
        amount = payment_utils.to_major_currency_units(dispute.get("amount") or 0, tx.currency_id)
        if not period.dispute_state:
            period.write(
                {
                    "dispute_state": "open",
                    "dispute_reference": dispute["id"],
                    "dispute_reason": dispute.get("reason"),
                    "dispute_amount": amount,
                    "dispute_due": due and datetime.utcfromtimestamp(due),
                }
            )
            period._clinic_dispute_opened()
        if closed:
            if closed == "lost":
                period._clinic_dispute_lost(dispute, tx, amount)
            period.dispute_state = closed
            period._clinic_dispute_closed()
        return period

    def _clinic_dispute_opened(self):
        self.ensure_one()
        membership = self.membership_id
        currency = self.currency_id
        membership.message_post(
            body=self.env._(
                "The member's bank disputes %(amount)s of %(period)s (%(reason)s).",
                amount=currency.format(self.dispute_amount),
                period=self.name,
                reason=self.dispute_reason or "-",
            )
        )
        membership._manager_activity(
            self._clinic_dispute_summary(),
            self.env._(
                "%(amount)s of %(period)s is disputed (%(ref)s, %(reason)s). Send the evidence"
                " (the terms accepted, the charges and the credits used) in the Stripe dashboard"
                " before the deadline.",
                amount=currency.format(self.dispute_amount),
                period=self.name,
                ref=self.dispute_reference,
                reason=self.dispute_reason or "-",
            ),
            date_deadline=self.dispute_due and self.dispute_due.date(),
        )

    def _clinic_dispute_closed(self):
        self.ensure_one()
        membership = self.membership_id.sudo()
        message = (
            self.env._("The dispute on %(period)s was won: the money stays.", period=self.name)
            if self.dispute_state == "won"
            else self.env._(
                "The dispute on %(period)s was lost: %(amount)s went back to the member's bank,"
                " with the dispute fee.",
                period=self.name,
                amount=self.currency_id.format(self.dispute_amount),
            )
        )
        membership.activity_ids.filtered(
            lambda a: a.summary == self._clinic_dispute_summary()
        ).action_feedback(feedback=message)
        membership.message_post(body=message)

    def _clinic_dispute_lost(self, dispute, tx, amount):
        """What the bank took back: clinic_prepay_stripe's outbound payment
        and dispute fee, the payment reconciled with the period's credit
        note (see ``_record_money_back``)."""
        self.ensure_one()
        period = self.sudo()
        moves = self.env["clinic.deposit"]._clinic_book_lost_dispute(
            dispute,
            tx,
            amount,
            period.partner_id.commercial_partner_id,
            lambda payment, reason, label: period._record_money_back(
                amount, payment, reason, label=label
            ),
        )
        period.dispute_move_ids = [Command.link(move.id) for move in moves]
