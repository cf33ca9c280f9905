# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging
from datetime import datetime

from odoo import api, fields, models
from odoo.addons.payment import utils as payment_utils
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from .clinic_deposit import DISPUTE_STATES

_logger = logging.getLogger(__name__)


class ClinicAppointment(models.Model):
    _inherit = "clinic.appointment"

    dispute_state = fields.Selection(
        DISPUTE_STATES, compute="_compute_dispute_state", search="_search_dispute_state"
    )
    card_fee_dispute_state = fields.Selection(
        DISPUTE_STATES, string="Fee Dispute", readonly=True, copy=False, index=True
    )
    card_fee_dispute_reference = fields.Char(readonly=True, copy=False)

    @api.depends("card_fee_dispute_state")
    def _compute_dispute_state(self):
        """The dispute of the appointment's deposit or of its card fee."""
        for appointment in self:
            appointment.dispute_state = (
                appointment.deposit_ids.sudo()[:1].dispute_state
                or appointment.card_fee_dispute_state
            )

    def _search_dispute_state(self, operator, value):
        negative = operator in ("!=", "not in") or (operator == "=" and not value)
        return [
            "&" if negative else "|",
            ("deposit_ids.dispute_state", operator, value),
            ("card_fee_dispute_state", operator, value),
        ]

    def _clinic_stripe_fee_dispute(self, dispute, tx, provider):
        """A Stripe dispute on the charge of this appointment's card fee (the
        no-show or late-cancellation fee, or the hold captured for it): a
        manager answers it before the evidence deadline; when it is lost the
        money and the dispute fee leave the books as for a deposit. A closed
        dispute is final."""
        self.ensure_one()
        self._lock_for_update()
        if self.card_fee_dispute_state in ("won", "lost"):
            return
        Deposit = self.env["clinic.deposit"]
        status = dispute.get("status")
        closed = {"won": "won", "lost": "lost", "warning_closed": "won"}.get(status)
        amount = payment_utils.to_major_currency_units(dispute.get("amount") or 0, tx.currency_id)
        due = (dispute.get("evidence_details") or {}).get("due_by")
        summary = self.env._("Answer the card dispute")
        if not self.card_fee_dispute_state:
            self.sudo().write(
                {"card_fee_dispute_state": "open", "card_fee_dispute_reference": dispute["id"]}
            )
            self.sudo().message_post(
                body=self.env._(
                    "The patient's bank disputes %(amount)s of the fee %(invoice)s (%(reason)s).",
                    amount=self.currency_id.format(amount),
                    invoice=self.card_fee_invoice_id.name,
                    reason=dispute.get("reason") or "-",
                )
            )
            self._schedule_manager_activity(
                summary,
                self.env._(
                    "%(amount)s of the %(ref)s fee is disputed (%(dispute)s, %(reason)s). Send"
                    " the evidence (booking, policy accepted, no-show) in the Stripe dashboard"
                    " before the deadline.",
                    amount=self.currency_id.format(amount),
                    ref=self.name,
                    dispute=dispute["id"],
                    reason=dispute.get("reason") or "-",
                ),
                date_deadline=due and datetime.utcfromtimestamp(due).date(),
            )
        if not closed:
            return
        if closed == "lost":
            label = self.env._("Dispute %(ref)s", ref=dispute["id"])
            payment = Deposit._clinic_dispute_payment(dispute, tx, amount, self.patient_id)
            credit_note = self._credit_card_fee(amount, label, payment.partner_id)
            Deposit._reconcile_receivables(payment.move_id | credit_note)
            fee = payment_utils.to_major_currency_units(
                sum(bt.get("fee") or 0 for bt in dispute.get("balance_transactions") or []),
                tx.currency_id,
            )
            if self.currency_id.compare_amounts(fee, 0.0) > 0:
                Deposit._clinic_post_provider_fee(fee, dispute["id"], payment)
            message = self.env._(
                "The dispute on the fee %(invoice)s was lost: %(amount)s went back to the"
                " patient's bank, with the dispute fee.",
                invoice=self.card_fee_invoice_id.name,
                amount=self.currency_id.format(amount),
            )
        else:
            message = self.env._(
                "The dispute on the fee %(invoice)s was won: the money stays.",
                invoice=self.card_fee_invoice_id.name,
            )
        self.sudo().card_fee_dispute_state = closed
        self.sudo().activity_ids.filtered(lambda a: a.summary == summary).action_feedback(
            feedback=message
        )
        self.sudo().message_post(body=message)

    # ------------------------------------------------------------------------
    # Authorization holds on cards on file. A few days before a protected
    # visit (the company's ``clinic_card_hold_days``; Stripe keeps a hold
    # about 7 days, 5 for some cards) the job authorizes the no-show fee on
    # the saved card without capturing it: the card is checked while there is
    # time to replace it, and the money is there on a no-show. The hold is
    # captured on a no-show, released when the visit happens or the booking
    # is cancelled or moved.
    # ------------------------------------------------------------------------

    card_hold_state = fields.Selection(
        [
            ("held", "Held"),
            ("to_release", "To Release"),
            ("released", "Released"),
            ("captured", "Captured"),
            ("failed", "Declined"),
            ("none", "Not Needed"),
        ],
        string="Card Hold",
        readonly=True,
        copy=False,
        index=True,
        tracking=True,
    )
    card_hold_transaction_id = fields.Many2one(
        "payment.transaction", readonly=True, copy=False, index="btree_not_null"
    )
    card_hold_amount = fields.Monetary(related="card_hold_transaction_id.amount")

    def _compute_hold_amount(self):
        """What a no-show would charge the card: the policy less what the
        deposit paid would keep."""
        self.ensure_one()
        treatment = self.treatment_id
        percent = treatment.no_show_forfeit_percent
        paid = sum(d._get_unaccounted() for d in self.deposit_ids)
        kept = treatment._get_kept_amount(paid, percent)
        return treatment._get_card_fee(self.price, kept, percent)

    @api.model
    def _cron_card_holds(self, limit=50):
        """Release the holds no longer needed, then place the holds due.

        One appointment per transaction, taken ``FOR UPDATE SKIP LOCKED`` and
        committed at once (each is a call to the provider): a second worker
        never holds or releases the same card twice. A release the provider
        refuses stays for the next run.
        """
        done = 0
        skip = [0]
        queries = (
            """
            SELECT a.id FROM clinic_appointment a
             WHERE a.card_hold_state = 'to_release' AND a.id != ALL(%(skip)s)
             ORDER BY a.id
             LIMIT 1
               FOR UPDATE SKIP LOCKED
            """,
            """
            SELECT a.id FROM clinic_appointment a
              JOIN res_company c ON c.id = a.company_id
             WHERE a.state = 'confirmed' AND a.card_required
               AND a.card_token_id IS NOT NULL AND a.card_hold_state IS NULL
               AND c.clinic_card_hold_days > 0
               AND a.start > %(now)s
               AND a.start <= %(now)s + c.clinic_card_hold_days * interval '1 day'
               AND a.id != ALL(%(skip)s)
             ORDER BY a.start, a.id
             LIMIT 1
               FOR UPDATE OF a SKIP LOCKED
            """,
        )
        for query, method in zip(queries, ("_release_card_hold", "_place_card_hold"), strict=True):
            while done < limit:
                self.env.flush_all()
                self.env.cr.execute(
                    SQL(query, now=fields.Datetime.now(), skip=skip)  # pylint: disable=sql-injection
                )
                row = self.env.cr.fetchone()
                if not row:
                    break
                appointment = self.browse(row[0])
                appointment.invalidate_recordset()
                try:
                    with self.env.cr.savepoint():
                        getattr(appointment, method)()
                except (UserError, ValidationError) as error:
                    _logger.warning("%s of %s failed: %s", method, appointment.name, error)
                    skip.append(appointment.id)
                done += 1
                if self._can_commit():
                    self.env.cr.commit()  # pylint: disable=invalid-commit
        return done

    def _place_card_hold(self):
        self.ensure_one()
        self = self.sudo()
        token = self.card_token_id
        amount = self._compute_hold_amount()
        if (
            not token.active
            or token.provider_id.code != "stripe"
            or self.currency_id.is_zero(amount)
        ):
            self.card_hold_state = "none"
            return
        tx = self.env["payment.transaction"].create(
            {
                "provider_id": token.provider_id.id,
                "payment_method_id": token.payment_method_id.id,
                "reference": self._get_card_reference("HOLD"),
                "amount": amount,
                "currency_id": self.currency_id.id,
                "partner_id": self.patient_id.id,
                "token_id": token.id,
                "operation": "offline",
                "clinic_appointment_id": self.id,
                "clinic_card_hold": True,
            }
        )
        self.write({"card_hold_transaction_id": tx.id, "card_hold_state": "held"})
        tx._send_payment_request()
        if tx.state not in ("authorized", "pending"):
            self._on_card_hold_failed(tx.state_message or "")

    def _on_card_hold_failed(self, reason):
        """The bank refused to hold the fee days before the visit: the card is
        no longer good for this booking. The patient saves another one (the
        mail links their appointment's page), the manager follows."""
        self.ensure_one()
        self.sudo().write({"card_hold_state": "failed", "card_token_id": False})
        self.sudo().message_post(
            body=self.env._("The card on file was declined when held: %(reason)s", reason=reason)
        )
        self._send_mail("clinic_prepay_stripe.mail_template_appointment_card_declined")
        self._schedule_manager_activity(
            self.env._("Card on file declined"),
            self.env._(
                "The bank declined the hold on the card of %(ref)s (%(reason)s); the patient"
                " was asked to save another card.",
                ref=self.name,
                reason=reason or self.env._("no reason given"),
            ),
        )

    def _release_card_hold(self):
        self.ensure_one()
        self = self.sudo()
        tx = self.card_hold_transaction_id
        if tx.state == "authorized":
            tx._send_void_request()
        # a booking still ahead is held again when its (new) time comes near
        ahead = self.state == "confirmed" and self.start > fields.Datetime.now()
        self.card_hold_state = False if ahead else "released"

    def _capture_card_fee(self, amount, invoice):
        """A no-show's fee is the money held: the hold is captured (marked so
        before the call, which comes after a commit: a capture is never
        followed by a second charge)."""
        tx = self.sudo().card_hold_transaction_id
        if (
            self.card_hold_state == "held"
            and self.state == "no_show"
            and tx.state == "authorized"
            and self.currency_id.compare_amounts(tx.amount, amount) == 0
        ):
            tx.invoice_ids = invoice
            self.sudo().card_hold_state = "captured"
            return tx
        return super()._capture_card_fee(amount, invoice)

    def _charge_card_fee(self, commit=False):
        res = super()._charge_card_fee(commit=commit)
        # a hold the fee did not use is given back
        if self.card_hold_state == "held":
            self.sudo().card_hold_state = "to_release"
        return res

    def _release_holds_of_ended(self):
        self.filtered(lambda a: a.card_hold_state == "held").sudo().card_hold_state = "to_release"

    def action_done(self):
        res = super().action_done()
        self._release_holds_of_ended()
        return res

    def _cancel(self, reason, forfeit_percent, **kwargs):
        res = super()._cancel(reason, forfeit_percent, **kwargs)
        self._release_holds_of_ended()
        return res

    def _on_rescheduled(self):
        res = super()._on_rescheduled()
        self._release_holds_of_ended()
        return res

    def _on_card_saved(self, token):
        res = super()._on_card_saved(token)
        # a new card after a declined hold is held again
        if self.card_hold_state == "failed" and self.card_token_id == token:
            self.sudo().card_hold_state = False
        return res
