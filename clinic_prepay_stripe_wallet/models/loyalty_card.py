# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import datetime

from odoo import Command, fields, models
from odoo.addons.clinic_prepay_stripe.models.clinic_deposit import DISPUTE_STATES
from odoo.addons.payment import utils as payment_utils


class LoyaltyCard(models.Model):
    """A card dispute on the charge that paid a course or a gift card, as on
    a deposit: opened, a manager answers it in Stripe's dashboard before the
    deadline; lost, the money the bank took back is a credit note of the
    sale reconciled with an outbound payment in the provider's journal, the
    dispute fee an expense, and the card gives up what went back."""

    _inherit = "loyalty.card"

    clinic_dispute_state = fields.Selection(
        DISPUTE_STATES, string="Dispute", readonly=True, copy=False, index="btree_not_null"
    )
    clinic_dispute_reference = fields.Char(string="Dispute Reference", readonly=True, copy=False)
    clinic_dispute_reason = fields.Char(string="Dispute Reason", readonly=True, copy=False)
    clinic_dispute_amount = fields.Monetary(string="Amount Disputed", readonly=True, copy=False)
    clinic_dispute_due = fields.Datetime(
        string="Evidence Due", readonly=True, copy=False, help="Stripe's deadline for evidence."
    )
    clinic_dispute_move_ids = fields.Many2many(
        "account.move", string="Dispute Entries", readonly=True, copy=False
    )

    def _clinic_stripe_dispute(self, dispute, tx, provider):
        """Apply a Stripe dispute object (``charge.dispute.*``) to the card
        whose sale ``tx`` paid. A closed dispute is final: a late "created"
        or "updated" event changes nothing after it."""
        self.ensure_one()
        card = self.sudo()
        card._clinic_lock()
        if card.clinic_dispute_state in ("won", "lost"):
            return card
        status = dispute.get("status")
        closed = {"won": "won", "lost": "lost", "warning_closed": "won"}.get(status)
        due = (dispute.get("evidence_details") or {}).get("due_by")
        amount = payment_utils.to_major_currency_units(dispute.get("amount") or 0, tx.currency_id)
        if not card.clinic_dispute_state:
            card.write(
                {
                    "clinic_dispute_state": "open",
                    "clinic_dispute_reference": dispute["id"],
                    "clinic_dispute_reason": dispute.get("reason"),
                    "clinic_dispute_amount": amount,
                    "clinic_dispute_due": due and datetime.utcfromtimestamp(due),
                }
            )
            card._clinic_dispute_opened()
        if closed:
            if closed == "lost":
                card._clinic_dispute_lost(dispute, tx, amount)
            card.clinic_dispute_state = closed
            card._clinic_dispute_closed()
        return card

    def _clinic_dispute_opened(self):
        self.ensure_one()
        card = self.sudo()
        card.message_post(
            body=self.env._(
                "The buyer's bank disputes %(amount)s of %(card)s (%(reason)s).",
                amount=card.currency_id.format(card.clinic_dispute_amount),
                card=card.display_name,
                reason=card.clinic_dispute_reason or "-",
            )
        )
        # cards have no activities: the manager's is on the sale invoice
        card.clinic_invoice_id.activity_schedule(
            "mail.mail_activity_data_todo",
            summary=self.env._("Answer the card dispute"),
            note=self.env._(
                "%(amount)s of %(card)s is disputed (%(ref)s, %(reason)s). Send the evidence"
                " (the sale, the sessions or payments the card made) in the Stripe dashboard"
                " before the deadline.",
                amount=card.currency_id.format(card.clinic_dispute_amount),
                card=card.display_name,
                ref=card.clinic_dispute_reference,
                reason=card.clinic_dispute_reason or "-",
            ),
            date_deadline=card.clinic_dispute_due and card.clinic_dispute_due.date(),
            user_id=card._clinic_manager_user().id,
        )

    def _clinic_dispute_closed(self):
        self.ensure_one()
        card = self.sudo()
        message = (
            self.env._("The dispute on %(card)s was won: the money stays.", card=card.display_name)
            if card.clinic_dispute_state == "won"
            else self.env._(
                "The dispute on %(card)s was lost: %(amount)s went back to the buyer's bank,"
                " with the dispute fee.",
                card=card.display_name,
                amount=card.currency_id.format(card.clinic_dispute_amount),
            )
        )
        card.clinic_invoice_id.activity_ids.filtered(
            lambda a: a.summary == self.env._("Answer the card dispute")
        ).action_feedback(feedback=message)
        card.message_post(body=message)

    def _clinic_dispute_lost(self, dispute, tx, amount):
        self.ensure_one()
        card = self.sudo()
        moves = self.env["clinic.deposit"]._clinic_book_lost_dispute(
            dispute,
            tx,
            amount,
            card._get_refund_partner(),
            lambda payment, reason, label: card._clinic_record_outside_refund(
                amount, payment, reason, label=label
            ),
        )
        card.clinic_dispute_move_ids = [Command.link(move.id) for move in moves]
