# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import datetime

from odoo import Command, api, fields, models
from odoo.addons.payment import utils as payment_utils

DISPUTE_STATES = [("open", "Disputed"), ("won", "Dispute won"), ("lost", "Dispute lost")]


class ClinicDeposit(models.Model):
    _inherit = "clinic.deposit"

    dispute_state = fields.Selection(DISPUTE_STATES, readonly=True, copy=False, index=True)
    dispute_reference = fields.Char(readonly=True, copy=False, index="btree_not_null")
    dispute_reason = fields.Char(readonly=True, copy=False)
    dispute_amount = fields.Monetary(readonly=True, copy=False)
    dispute_due = fields.Datetime(
        string="Evidence Due", readonly=True, copy=False, help="Stripe's deadline for evidence."
    )
    dispute_move_ids = fields.Many2many(
        "account.move", string="Dispute Entries", readonly=True, copy=False
    )

    @api.model
    def _clinic_stripe_dispute(self, dispute, provider):
        """Apply a Stripe dispute object (``charge.dispute.*``) to the deposit
        it was opened on. A closed dispute is final: a late "created" or
        "updated" event changes nothing after it."""
        tx = (
            self.env["payment.transaction"]
            .sudo()
            .search(
                [
                    ("provider_id", "=", provider.id),
                    ("provider_reference", "=", dispute.get("payment_intent")),
                    ("operation", "!=", "refund"),
                ],
                limit=1,
            )
        )
        deposit = tx._clinic_deposits()[:1]
        fee_of = tx.invoice_ids.clinic_fee_appointment_id[:1]
        if tx and not deposit and fee_of:
            fee_of._clinic_stripe_fee_dispute(dispute, tx, provider)
            return fee_of
        if tx and not deposit:
            return tx._clinic_stripe_dispute_other(dispute, provider)
        if not tx:
            return False
        deposit.appointment_id._lock_for_update()
        deposit.invalidate_recordset()
        if deposit.dispute_state in ("won", "lost"):
            return deposit
        status = dispute.get("status")
        closed = {"won": "won", "lost": "lost", "warning_closed": "won"}.get(status)
        due = (dispute.get("evidence_details") or {}).get("due_by")
        amount = payment_utils.to_major_currency_units(dispute.get("amount") or 0, tx.currency_id)
        if not deposit.dispute_state:
            deposit.sudo().write(
                {
                    "dispute_state": "open",
                    "dispute_reference": dispute["id"],
                    "dispute_reason": dispute.get("reason"),
                    "dispute_amount": amount,
                    "dispute_due": due and datetime.utcfromtimestamp(due),
                }
            )
            deposit._clinic_dispute_opened()
        if closed:
            if closed == "lost":
                deposit._clinic_dispute_lost(dispute, tx, amount)
            deposit.sudo().dispute_state = closed
            deposit._clinic_dispute_closed()
        return deposit

    def _clinic_dispute_opened(self):
        self.ensure_one()
        appointment = self.appointment_id
        appointment.sudo().message_post(
            body=self.env._(
                "The patient's bank disputes %(amount)s of %(deposit)s (%(reason)s).",
                amount=self.dispute_amount,
                deposit=self.name,
                reason=self.dispute_reason or "-",
            )
        )
        appointment._schedule_manager_activity(
            self.env._("Answer the card dispute"),
            self.env._(
                "%(amount)s of %(deposit)s is disputed (%(ref)s, %(reason)s). Send the evidence"
                " (booking, policy accepted, attendance) in the Stripe dashboard before the"
                " deadline.",
                amount=self.dispute_amount,
                deposit=self.name,
                ref=self.dispute_reference,
                reason=self.dispute_reason or "-",
            ),
            date_deadline=self.dispute_due and self.dispute_due.date(),
        )

    def _clinic_dispute_closed(self):
        self.ensure_one()
        appointment = self.appointment_id
        won = self.dispute_state == "won"
        message = (
            self.env._("The dispute on %(deposit)s was won: the money stays.", deposit=self.name)
            if won
            else self.env._(
                "The dispute on %(deposit)s was lost: %(amount)s went back to the patient's"
                " bank, with the dispute fee.",
                deposit=self.name,
                amount=self.dispute_amount,
            )
        )
        activities = appointment.sudo().activity_ids.filtered(
            lambda a: a.summary == self.env._("Answer the card dispute")
        )
        activities.action_feedback(feedback=message)
        appointment.sudo().message_post(body=message)

    def _clinic_dispute_lost(self, dispute, tx, amount):
        """The bank took the money back: in the ledger, a credit note of the
        deposit reconciled with an outbound payment in the provider's
        journal (what Stripe withdrew), and the dispute fee as an expense;
        the deposit counts the money as refunded. A forfeited deposit gives
        back what was forfeited first."""
        self.ensure_one()
        currency = self.currency_id
        partner = self._get_refund_partner()
        held = currency.round(self.amount_refundable + self._get_unaccounted())
        excess = currency.round(min(amount - held, self.amount_forfeited))
        if currency.compare_amounts(excess, 0.0) > 0:
            self._clinic_unforfeit(excess)
        moves = self._clinic_book_lost_dispute(
            dispute,
            tx,
            amount,
            partner,
            lambda payment, reason, label: self._record_outside_refund(
                amount, payment, reason, label=label
            ),
        )
        self.sudo().dispute_move_ids = [Command.link(move.id) for move in moves]

    @api.model
    def _clinic_book_lost_dispute(self, dispute, tx, amount, partner, record_refund):
        """The books of a lost dispute on any charge the clinic made: an
        outbound payment of what the bank took back, handed to
        ``record_refund(payment, reason, label)`` (which credits the charge's
        document and reconciles), and the dispute fee as an expense. Returns
        the payment's and the fee's entries."""
        payment = self._clinic_dispute_payment(dispute, tx, amount, partner)
        record_refund(
            payment,
            self.env._(
                "Card dispute %(ref)s lost (%(reason)s).",
                ref=dispute["id"],
                reason=dispute.get("reason") or "-",
            ),
            self.env._("Dispute %(ref)s", ref=dispute["id"]),
        )
        fee = payment_utils.to_major_currency_units(
            sum(bt.get("fee") or 0 for bt in dispute.get("balance_transactions") or []),
            tx.currency_id,
        )
        moves = payment.move_id
        if tx.currency_id.compare_amounts(fee, 0.0) > 0:
            moves |= self._clinic_post_provider_fee(fee, dispute["id"], payment)
        return moves

    @api.model
    def _clinic_dispute_payment(self, dispute, tx, amount, partner):
        """What the bank took back for a lost dispute: an outbound payment of
        ``amount`` to ``partner`` in the provider's journal, posted."""
        journal = tx.provider_id.journal_id
        payment = (
            self.env["account.payment"]
            .sudo()
            .create(
                {
                    "payment_type": "outbound",
                    "partner_type": "customer",
                    "partner_id": partner.id,
                    "amount": amount,
                    "currency_id": tx.currency_id.id,
                    "journal_id": journal.id,
                    "payment_method_line_id": journal.outbound_payment_method_line_ids[:1].id,
                    "payment_reference": dispute["id"],
                    "memo": self.env._("Dispute %(ref)s", ref=dispute["id"]),
                }
            )
        )
        payment.action_post()
        return payment

    @api.model
    def _clinic_post_provider_fee(self, fee, ref, payment):
        """The fee the provider kept, as an expense paid from its journal
        (on the same outstanding account as the money it withdrew)."""
        company = payment.company_id
        journal = payment.journal_id
        outstanding = payment.outstanding_account_id
        label = self.env._("Dispute fee %(ref)s", ref=ref)
        move = (
            self.env["account.move"]
            .sudo()
            .create(
                {
                    "move_type": "entry",
                    "journal_id": journal.id,
                    "ref": ref,
                    "line_ids": [
                        Command.create(
                            {
                                "name": label,
                                "account_id": company.clinic_provider_fee_account_id.id,
                                "debit": fee,
                            }
                        ),
                        Command.create(
                            {"name": label, "account_id": outstanding.id, "credit": fee}
                        ),
                    ],
                }
            )
        )
        move.action_post()
        return move

    def _clinic_unforfeit(self, amount):
        """Give back ``amount`` of forfeited money (a lost dispute): the fee
        income goes back to the deposit account, and the money is
        refundable again."""
        self.ensure_one()
        vals = self._prepare_forfeit_move_vals(amount)
        for _command, _id, line in vals["line_ids"]:
            line["debit"], line["credit"] = line.get("credit", 0.0), line.get("debit", 0.0)
        vals["ref"] = self.env._("Forfeit given back: %(ref)s", ref=vals["ref"])
        move = self.env["account.move"].sudo().create(vals)
        move.action_post()
        self._set_amounts(forfeited=-amount, refundable=amount)
        self.sudo().dispute_move_ids = [Command.link(move.id)]
        return move
