# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""No-show protection with a card on file.

The card is a ``payment.token`` of the provider the clinic configured,
saved with the patient's consent during the deposit payment (tokenization
is then required, see ``payment.provider._is_tokenization_required``) or,
without a deposit, by a validation transaction on the appointment's page.
On a no-show or a late cancellation a scheduled job charges the policy fee
off-session with that token through Odoo's payment framework.
"""

import logging
from datetime import datetime, time, timedelta

import pytz

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.fields import Command
from odoo.osv import expression
from odoo.tools import SQL

from .clinic_appointment import invoice_payment_link

_logger = logging.getLogger(__name__)

# A fee whose request got no answer (its job died during the provider call)
# is asked again, with the same transaction and so the same idempotency key,
# once it has waited STALE_FEE_MINUTES; after FEE_ATTEMPTS requests it is a
# manager's to check.
STALE_FEE_MINUTES = 10
FEE_ATTEMPTS = 3


class ClinicAppointment(models.Model):
    # one file per feature of the booking
    _inherit = "clinic.appointment"  # pylint: disable=consider-merging-classes-inherited

    card_required = fields.Boolean(
        string="Card on File Required",
        compute="_compute_card_required",
        store=True,
        help="The treatment's policy, at the time of booking, protects it with a saved card.",
    )
    card_token_id = fields.Many2one(
        "payment.token",
        string="Card on File",
        readonly=True,
        copy=False,
        ondelete="set null",
        index="btree_not_null",
        help="The card the patient saved for this booking, at the payment provider (Odoo"
        " stores no card data).",
    )
    card_missing = fields.Boolean(
        compute="_compute_card_missing",
        search="_search_card_missing",
        help="A card on file is asked and none is saved.",
    )
    card_summary = fields.Char(string="Saved Card", compute="_compute_card_missing")
    card_consent_text = fields.Text(
        string="Card Consent",
        readonly=True,
        copy=False,
        help="The exact text the patient agreed to when saving the card.",
    )
    card_consent_date = fields.Datetime(readonly=True, copy=False)
    card_fee_state = fields.Selection(
        [
            ("due", "To Charge"),
            ("pending", "Processing"),
            ("paid", "Charged"),
            ("failed", "Payment Link Sent"),
            ("none", "Nothing to Charge"),
        ],
        string="Card Fee",
        readonly=True,
        copy=False,
        index=True,
        tracking=True,
    )
    card_fee_due = fields.Datetime(
        readonly=True,
        copy=False,
        help="A no-show is charged once it can no longer be undone (the end of its day).",
    )
    card_fee_amount = fields.Monetary(readonly=True, copy=False)
    card_fee_invoice_id = fields.Many2one(
        "account.move", readonly=True, copy=False, index="btree_not_null"
    )
    card_fee_attempts = fields.Integer(
        readonly=True, copy=False, help="Requests of the fee sent to the provider."
    )
    card_fee_to_check = fields.Boolean(
        readonly=True,
        copy=False,
        help="The provider's answer to the fee is unknown: a manager checks the charge.",
    )
    card_transaction_ids = fields.One2many(
        "payment.transaction", "clinic_appointment_id", string="Card Transactions", readonly=True
    )

    @api.depends("treatment_id.no_show_protection", "prepayment_rule")
    def _compute_card_required(self):
        # the policy of the booking is the one accepted at the time of booking;
        # an exempt patient leaves no card
        for appointment in self:
            if appointment.state not in (False, "draft"):
                continue
            appointment.card_required = bool(
                appointment.treatment_id
                and appointment.treatment_id._requires_card()
                and appointment.prepayment_rule != "exempt"
            )

    @api.depends("card_required", "card_token_id.active", "state")
    def _compute_card_missing(self):
        for appointment in self:
            appointment.card_missing = appointment._card_needed()
            token = appointment.sudo().card_token_id
            appointment.card_summary = token.active and (
                f"{token.payment_details or ''} ({token.provider_id.name})"
            )

    def _search_card_missing(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on a missing card."))
        # the patients' tokens, whatever the user may read of them
        removed = (
            self.env["payment.token"]
            .sudo()
            .with_context(active_test=False)
            ._search([("active", "=", False)])
        )
        domain = expression.normalize_domain(
            [
                ("card_required", "=", True),
                ("state", "in", ("awaiting_payment", "confirmed")),
                "|",
                ("card_token_id", "=", False),
                ("card_token_id", "in", removed),
            ]
        )
        return domain if (operator == "=") == value else ["!", *domain]

    # ------------------------------------------------------------------------
    # Saving the card
    # ------------------------------------------------------------------------

    def _card_needed(self):
        """A card is asked and none is saved (or the patient removed it)."""
        self.ensure_one()
        return (
            self.card_required
            and self.state in ("awaiting_payment", "confirmed")
            and not self.sudo().card_token_id.active
        )

    def _card_ready_to_save(self):
        """The patient agreed: the next payment saves the card."""
        self.ensure_one()
        return self._card_needed() and bool(self.card_consent_date)

    def _record_card_consent(self, text=None):
        """The patient agreed to save a card under the policy ``text`` (the
        policy as shown now by default)."""
        self.ensure_one()
        if not self._card_needed():
            raise UserError(self.env._("%(ref)s does not need a card.", ref=self.name))
        text = text or "\n".join(self._get_policy_lines())
        self.sudo().write({"card_consent_text": text, "card_consent_date": fields.Datetime.now()})
        return True

    def _on_card_saved(self, token):
        """``token`` was saved by a payment or a validation of this booking."""
        self.ensure_one()
        if not self.card_required or self.sudo().card_token_id == token:
            return
        if token.sudo().partner_id.commercial_partner_id != self.patient_id.commercial_partner_id:
            # someone else's card (a deposit paid from another account): not
            # the patient's consent to keep it
            return
        self.sudo().card_token_id = token
        self.sudo().message_post(
            body=self.env._(
                "Card on file saved: %(card)s (%(provider)s).",
                card=token.sudo().payment_details or token.sudo().display_name,
                provider=token.sudo().provider_id.name,
            )
        )
        # without a deposit the booking waited only for the card
        if self.state == "awaiting_payment" and not self.deposit_ids.filtered(
            lambda d: d.state == "pending"
        ):
            self._set_state("confirmed")
            self._send_mail("clinic_prepay.mail_template_appointment_confirmed")

    @api.model
    def _from_payment_context(self, invoice_id=None, clinic_appointment_id=None, **kwargs):
        """The booking a payment form is for, when that payment must save a
        card (``invoice_id``: a deposit invoice; ``clinic_appointment_id``:
        the card page)."""
        appointment = self.sudo().browse()
        if clinic_appointment_id:
            appointment = self.sudo().browse(int(clinic_appointment_id)).exists()
        elif invoice_id:
            invoice = self.env["account.move"].sudo().browse(int(invoice_id)).exists()
            appointment = invoice.clinic_deposit_id.appointment_id
        return appointment if appointment and appointment._card_ready_to_save() else self.browse()

    def _get_card_setup_url(self):
        """The page where the patient saves a card without paying."""
        self.ensure_one()
        return self.get_portal_url(suffix="/card")

    # ------------------------------------------------------------------------
    # Charging the fee
    # ------------------------------------------------------------------------

    def _schedule_card_fee(self, due):
        """The policy charges the card at ``due`` (the job does it): only a
        card the patient saved (the cancellation page announces no charge
        otherwise)."""
        self.filtered(lambda a: a.card_required and a.sudo().card_token_id.active).sudo().write(
            {"card_fee_state": "due", "card_fee_due": due}
        )

    def _cancel_card_fee(self):
        self.filtered(lambda a: a.card_fee_state == "due").sudo().write(
            {"card_fee_state": False, "card_fee_due": False}
        )

    def _get_no_show_fee_due(self):
        """The end of the clinic's day of the no-show: until then it may be undone."""
        self.ensure_one()
        tz = pytz.timezone(self._get_tz())
        today = datetime.now(tz).date()
        midnight = tz.localize(datetime.combine(today + timedelta(days=1), time.min))
        return midnight.astimezone(pytz.utc).replace(tzinfo=None)

    def _get_card_fee_kind(self):
        self.ensure_one()
        if self.state == "no_show":
            return "no_show"
        if self.state == "cancelled" and self.cancel_reason == "late":
            return "late"
        return False

    def _compute_card_fee(self):
        """The policy amount less what the deposit already kept: the card
        never pays more than the policy."""
        self.ensure_one()
        kind = self._get_card_fee_kind()
        if not kind:
            return 0.0
        treatment = self.treatment_id
        if kind == "no_show":
            percent = treatment.no_show_forfeit_percent
        else:
            # the tier of the moment the patient cancelled
            percent = treatment._get_cancel_terms(self.price, self.start, self.cancel_date)[
                "percent"
            ]
        return treatment._get_card_fee(self.price, self.amount_forfeited, percent)

    @api.model
    def _cron_charge_card_fees(self, limit=50):
        """Charge the due card fees, one appointment at a time.

        Each appointment is taken with ``FOR UPDATE SKIP LOCKED``; its fee
        invoice, its transaction and the state "pending" are committed
        *before* the provider is called: whatever happens after the call (a
        crash, an error), the appointment never comes back to "due", so no
        job charges it again (the provider's notification settles a charge
        whose answer was lost). The transaction reference is the
        appointment's (``<ref>-FEE``) and the provider's idempotency key
        derives from it: a run that dies before that commit sends the same
        key again. A failure before the call gives the patient a payment link;
        one after it leaves the fee "pending" with a manager activity.
        """
        due = SQL(
            """
            SELECT id FROM clinic_appointment
             WHERE card_fee_state = 'due' AND card_fee_due <= %(now)s
             ORDER BY card_fee_due, id
             LIMIT 1
               FOR UPDATE SKIP LOCKED
            """,
            now=fields.Datetime.now(),
        )
        # fees whose request got no answer: the job died during the call
        unanswered = SQL(
            """
            SELECT a.id FROM clinic_appointment a
             WHERE a.card_fee_state = 'pending'
               AND NOT COALESCE(a.card_fee_to_check, false)
               AND EXISTS (
                   SELECT 1 FROM account_invoice_transaction_rel r
                     JOIN payment_transaction t ON t.id = r.transaction_id
                    WHERE r.invoice_id = a.card_fee_invoice_id
                      AND t.operation = 'offline' AND t.state = 'draft'
                      AND t.write_date < %(stale)s
               )
             ORDER BY a.id
             LIMIT 1
               FOR UPDATE OF a SKIP LOCKED
            """,
            stale=fields.Datetime.now() - timedelta(minutes=STALE_FEE_MINUTES),
        )
        done = 0
        for query, charge in ((due, "_charge_card_fee"), (unanswered, "_retry_card_fee")):
            while done < limit:
                self.env.flush_all()
                self.env.cr.execute(query)
                row = self.env.cr.fetchone()
                if not row:
                    break
                appointment = self.browse(row[0])
                appointment.invalidate_recordset()
                getattr(appointment, charge)(commit=True)
                done += 1
                if self._can_commit():
                    self.env.cr.commit()  # pylint: disable=invalid-commit
        return done

    def _charge_card_fee(self, commit=False):
        """Charge the policy fee to the card on file, off-session; the job
        (``commit``) commits before calling the provider."""
        self.ensure_one()
        self = self.sudo()
        amount = self._compute_card_fee()
        if self.currency_id.is_zero(amount):
            self.write({"card_fee_state": "none", "card_fee_amount": 0.0})
            return
        try:
            with self.env.cr.savepoint():
                invoice = self._create_card_fee_invoice(amount)
                self.write(
                    {
                        "card_fee_amount": amount,
                        "card_fee_invoice_id": invoice.id,
                        "card_fee_state": "pending",
                    }
                )
                send = self._prepare_card_fee_charge(amount, invoice)
        except (UserError, ValidationError) as error:
            # nothing was sent: the patient pays through a link
            self.write({"card_fee_amount": amount})
            self._on_card_fee_failed(str(error))
            return
        if not send:
            self._on_card_fee_failed(self.env._("No card on file can pay it."))
            return
        self._send_card_fee(send, amount, commit=commit)

    def _retry_card_fee(self, commit=False):
        """Ask the provider again for a fee whose request got no answer: the
        same transaction, so the same reference and idempotency key (the
        provider answers the first request, never charges twice)."""
        self.ensure_one()
        self = self.sudo()
        tx = self.card_fee_invoice_id.transaction_ids.filtered(
            lambda t: t.operation == "offline" and t.state == "draft"
        )[:1]
        if not tx:
            return
        if not tx.provider_id._clinic_token_request_is_idempotent():
            self._card_fee_to_check(
                self.env._(
                    "no answer, and %(provider)s may charge a request sent again twice",
                    provider=tx.provider_id.name,
                )
            )
            return
        if self.card_fee_attempts >= FEE_ATTEMPTS:
            self._card_fee_to_check(
                self.env._("no answer after %(count)s requests", count=self.card_fee_attempts)
            )
            return
        _logger.info("Card fee of %s: no answer from the provider, asking again", self.name)

        def send():
            tx._send_payment_request()
            return tx

        self._send_card_fee(send, self.card_fee_amount, commit=commit)

    def _send_card_fee(self, send, amount, commit=False):
        """Send the fee's request once the attempt is committed (``commit``),
        then process the provider's answer."""
        self.card_fee_attempts += 1
        if commit and self._can_commit():
            self.env.cr.commit()  # pylint: disable=invalid-commit
        try:
            with self.env.cr.savepoint():
                tx = send()
                if tx.state == "done":
                    tx._post_process()
                elif tx.state not in ("pending", "authorized"):
                    # the bank asks the patient to authenticate, or declined
                    self._on_card_fee_failed(tx.state_message or "")
        except Exception as error:
            _logger.exception("Card fee of %s: the provider's answer was not processed", self.name)
            self._card_fee_to_check(str(error), amount)

    def _card_fee_to_check(self, error, amount=None):
        """The fee was sent but its outcome is unknown: a manager checks the
        charge; no job asks the provider again."""
        self.card_fee_to_check = True
        self._schedule_manager_activity(
            self.env._("Card fee: check the charge"),
            self.env._(
                "The %(amount)s fee of %(ref)s was sent to the provider but its answer could"
                " not be processed (%(error)s). Check the transaction before asking the"
                " patient again.",
                amount=self.currency_id.format(amount or self.card_fee_amount),
                ref=self.name,
                error=error,
            ),
        )

    def _prepare_card_fee_charge(self, amount, invoice):
        """What charges the fee once committed: a function returning its
        transaction, or nothing when no card can pay it."""
        tx = self._capture_card_fee(amount, invoice)
        if tx:
            return tx._clinic_capture_hold
        token = self.card_token_id
        if not token.active or token.provider_id.state == "disabled":
            return None
        tx = self.env["payment.transaction"].create(
            {
                "provider_id": token.provider_id.id,
                "payment_method_id": token.payment_method_id.id,
                "reference": self._get_card_reference("FEE"),
                "amount": amount,
                "currency_id": self.currency_id.id,
                "partner_id": self.patient_id.id,
                "token_id": token.id,
                "operation": "offline",
                "invoice_ids": [Command.set(invoice.ids)],
                "clinic_appointment_id": self.id,
            }
        )

        def send():
            tx._send_payment_request()
            return tx

        return send

    def _capture_card_fee(self, amount, invoice):
        """Hook: the transaction holding money already authorized on the card
        for this fee (an authorization hold), linked to ``invoice``; its
        ``_clinic_capture_hold`` captures it. Nothing to charge the card anew."""
        return self.env["payment.transaction"]

    def _get_card_reference(self, kind):
        """``<appointment>-<kind>``, or ``-1``, ``-2``... when taken: the same
        reference again after a rolled-back attempt, so the provider's
        idempotency key (derived from it) stops a second charge."""
        self.ensure_one()
        return self.env["payment.transaction"]._compute_reference(
            "none", prefix=f"{self.name}-{kind}"
        )

    def _create_card_fee_invoice(self, amount):
        """A draft invoice of the fee, on the fee income account: posted when
        its money arrives, by the card or later by the payment link."""
        self.ensure_one()
        company = self.company_id
        company._clinic_ensure_accounting()
        if self.card_fee_invoice_id.state == "draft":
            self.card_fee_invoice_id.invoice_line_ids.price_unit = amount
            return self.card_fee_invoice_id
        label = {
            "no_show": self.env._("No-show fee: %(ref)s", ref=self.name),
            "late": self.env._("Late cancellation fee: %(ref)s", ref=self.name),
        }[self._get_card_fee_kind()]
        return (
            self.env["account.move"]
            .sudo()
            .with_company(company)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.patient_id.id,
                    "company_id": company.id,
                    "currency_id": company.currency_id.id,
                    "journal_id": company.clinic_journal_id.id,
                    "invoice_origin": self.name,
                    "ref": f"{self.name}-FEE",
                    "payment_reference": f"{self.name}-FEE",
                    "clinic_fee_appointment_id": self.id,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "name": label,
                                "quantity": 1.0,
                                "price_unit": amount,
                                "account_id": company.clinic_fee_account_id.id,
                                "tax_ids": [Command.clear()],
                            }
                        )
                    ],
                }
            )
        )

    def _record_fee_refund(self, refund_tx, label=None):
        """Money of the card fee that went back outside the clinic (refunded
        in the provider's dashboard, or lost in a dispute), paid out by the
        ``refund_tx``'s payment: a credit note of the fee invoice, on the fee
        income account, reconciled with that payment, and a manager told."""
        self.ensure_one()
        invoice = self.card_fee_invoice_id.sudo()
        payment = refund_tx.payment_id
        amount = self.currency_id.round(-refund_tx.amount)
        credit_note = self._credit_card_fee(
            amount,
            label
            or self.env._(
                "Fee refunded at %(provider)s (%(ref)s)",
                provider=refund_tx.provider_id.name,
                ref=refund_tx.provider_reference or refund_tx.reference,
            ),
            payment.partner_id.commercial_partner_id,
        )
        self.env["clinic.deposit"]._reconcile_receivables(payment.move_id | credit_note)
        self.message_post(
            body=self.env._(
                "%(amount)s of the fee %(invoice)s went back to the patient at %(provider)s;"
                " recorded with the credit note %(note)s.",
                amount=self.currency_id.format(amount),
                invoice=invoice.name,
                provider=refund_tx.provider_id.name,
                note=credit_note.name,
            )
        )
        self._schedule_manager_activity(
            self.env._("Fee refunded at the provider"),
            self.env._(
                "%(amount)s of the %(ref)s fee was refunded at %(provider)s. Check the booking.",
                amount=self.currency_id.format(amount),
                ref=self.name,
                provider=refund_tx.provider_id.name,
            ),
        )
        return credit_note

    def _credit_card_fee(self, amount, label, partner):
        """Post a credit note of ``amount`` on the fee invoice (no taxes on
        the fee): it debits the fee income account."""
        invoice = self.card_fee_invoice_id.sudo()
        credit_note = invoice._reverse_moves([{"ref": label, "partner_id": partner.id}])
        credit_note.invoice_line_ids.price_unit = amount
        self.env["clinic.deposit"]._fit_total(credit_note, amount)
        credit_note.action_post()
        return credit_note

    def _on_card_fee_failed(self, reason):
        """The card could not be charged: the patient pays through a link
        (where the bank can ask them to authenticate), the manager follows."""
        self.ensure_one()
        self.sudo().card_fee_state = "failed"
        self._send_mail("clinic_prepay.mail_template_appointment_card_fee_failed")
        self._schedule_manager_activity(
            self.env._("Card fee not charged"),
            self.env._(
                "The %(amount)s fee of %(ref)s could not be charged to the card on file"
                " (%(reason)s). The patient received a payment link.",
                amount=self.currency_id.format(self.card_fee_amount),
                ref=self.name,
                reason=reason or self.env._("no reason given"),
            ),
        )

    def _on_card_fee_paid(self):
        """The fee invoice is paid (card, payment link, or any other way)."""
        for appointment in self.filtered(lambda a: a.card_fee_state != "paid"):
            appointment.sudo().card_fee_state = "paid"
            appointment._send_mail("clinic_prepay.mail_template_appointment_card_fee_paid")

    def _get_card_fee_payment_link(self):
        """Odoo's payment link for the fee still due."""
        self.ensure_one()
        invoice = self.sudo().card_fee_invoice_id
        if self.card_fee_state != "failed" or invoice.state != "draft":
            return False
        return invoice_payment_link(self.env, invoice, invoice.amount_total)
