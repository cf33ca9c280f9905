# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from .account_move import _refuse


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    clinic_appointment_id = fields.Many2one(
        "clinic.appointment",
        readonly=True,
        index="btree_not_null",
        help="The booking whose card this transaction saves or charges.",
    )

    def write(self, vals):
        # a deposit transaction's money facts come from the provider, not a user
        if (
            not self.env.su
            and {
                "state",
                "amount",
                "currency_id",
                "invoice_ids",
                "partner_id",
                "provider_reference",
                "is_post_processed",
                "operation",
                "source_transaction_id",
                "payment_id",
                "token_id",
                "clinic_appointment_id",
            }
            & set(vals)
            and (
                self.clinic_appointment_id
                or "clinic_appointment_id" in vals
                or self._clinic_deposits()
                or self.source_transaction_id._clinic_deposits()
                or self.env["clinic.refund.request"]
                .sudo()
                .search_count([("refund_transaction_id", "in", self.ids)])
            )
        ):
            _refuse(self.env)
        return super().write(vals)

    def _set_canceled(self, state_message=None, extra_allowed_states=()):
        txs = super()._set_canceled(
            state_message=state_message, extra_allowed_states=extra_allowed_states
        )
        self._clinic_refund_failed()
        return txs

    def _set_error(self, state_message, extra_allowed_states=()):
        txs = super()._set_error(state_message, extra_allowed_states=extra_allowed_states)
        self._clinic_refund_failed()
        return txs

    def _clinic_refund_failed(self):
        failed = self.filtered(
            lambda tx: tx.operation == "refund" and tx.state in ("cancel", "error")
        )
        if failed:
            requests = (
                self.env["clinic.refund.request"]
                .sudo()
                .search(
                    [
                        ("refund_transaction_id", "in", failed.ids),
                        ("state", "in", ("in_progress", "done")),
                    ]
                )
            )
            for request in requests:
                if request.state == "done":
                    # confirmed first, reported failed later
                    request._on_done_refund_failed()
                else:
                    request._on_refund_transaction_failed()

    def action_refund(self, amount_to_refund=None):
        # Odoo's refund wizard: deposit money goes back through refund requests
        if not self.env.su and self._clinic_deposits():
            _refuse(self.env)
        return super().action_refund(amount_to_refund=amount_to_refund)

    def _clinic_deposits(self):
        return self.invoice_ids.sudo().clinic_deposit_id

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and any(vals.get("clinic_appointment_id") for vals in vals_list):
            _refuse(self.env)
        txs = super().create(vals_list)
        # The amount of a deposit payment is set by the clinic, not by the
        # browser: Odoo's invoice payment route takes it from the request.
        for tx in txs.filtered(lambda t: t.operation not in ("refund", "validation")):
            fees = tx.invoice_ids.sudo().filtered("clinic_fee_appointment_id")
            for fee in fees:
                # a fee is paid whole, once: the amount is the clinic's
                due = fee.amount_total if fee.state == "draft" else fee.amount_residual
                if fee.state == "cancel" or fee.currency_id.compare_amounts(tx.amount, due):
                    raise ValidationError(
                        self.env._(
                            "The fee of %(ref)s is %(due)s; nothing else can be paid on it.",
                            ref=fee.clinic_fee_appointment_id.name,
                            due=fee.currency_id.format(due),
                        )
                    )
            deposits = tx._clinic_deposits()
            if not deposits:
                continue
            expired = deposits.appointment_id.filtered(
                lambda a: a.hold_expires and a.hold_expires < fields.Datetime.now()
            )
            if expired:
                raise ValidationError(
                    self.env._(
                        "The time held for %(ref)s has passed; please book again.",
                        ref=expired[0].name,
                    )
                )
            try:
                deposits._check_payable(tx.amount)
            except UserError as error:
                raise ValidationError(error.args[0]) from None
        return txs

    @api.model
    def _compute_reference_prefix(self, provider_code, separator, **values):
        # a draft deposit invoice has no number yet: the deposit names the payment
        command_list = values.get("invoice_ids")
        if command_list:
            invoice_ids = self._fields["invoice_ids"].convert_to_cache(command_list, self)
            invoices = self.env["account.move"].sudo().browse(invoice_ids)
            deposits = invoices.clinic_deposit_id
            if deposits and any(inv.state != "posted" for inv in invoices):
                return separator.join(deposits.mapped("name"))
            fees = invoices.clinic_fee_appointment_id
            if fees and any(inv.state != "posted" for inv in invoices):
                return separator.join(f"{name}-FEE" for name in fees.mapped("name"))
        return super()._compute_reference_prefix(provider_code, separator, **values)

    def _post_process(self):
        # The money arrived: before Odoo posts the transaction's invoices and
        # reconciles its payment with them, the deposit puts in the ledger an
        # invoice of exactly that money (the draft request, a cancelled one
        # when the payment completes after the booking was cancelled, or a
        # new one for money the deposit no longer asks); the deposit then
        # decides what the money is for.
        done = self.filtered(
            lambda tx: tx.state == "done" and tx.operation != "refund" and not tx.payment_id
        )
        deposits = done._clinic_deposits()
        # Lock the appointments first, in the order the cancellation job
        # does, so that a payment racing the job waits instead of deadlocking.
        deposits.appointment_id._lock_for_update()
        for tx in done.sudo():
            deposit = tx._clinic_deposits()[:1]
            if deposit:
                deposit.invalidate_recordset()
                tx.invoice_ids = deposit._invoice_for_money(tx.amount)
        res = super()._post_process()
        # Odoo creates no payment for a transaction with a done child (made
        # for partial captures and voids); a refund done before the
        # payment's own success reached Odoo is such a child: the money
        # received is still recorded
        for tx in done.sudo().filtered(
            lambda t: (
                not t.payment_id
                and t.operation != "validation"
                and t.child_transaction_ids.filtered(lambda c: c.state in ("done", "cancel"))
                and all(
                    c.operation == "refund"
                    for c in t.child_transaction_ids.filtered(
                        lambda c: c.state in ("done", "cancel")
                    )
                )
            )
        ):
            tx.with_company(tx.company_id)._create_payment()
        deposits._sync_money()
        self._clinic_save_cards()
        refunds = self.filtered(lambda tx: tx.state == "done" and tx.operation == "refund")
        if refunds:
            requests = (
                self.env["clinic.refund.request"]
                .sudo()
                .search([("refund_transaction_id", "in", refunds.ids)])
            )
            for request in requests:
                request._on_refund_transaction_done(request.refund_transaction_id)
            (refunds - requests.refund_transaction_id)._clinic_record_provider_refunds()
        # refunds made at the provider before the payment's own success
        # reached Odoo (Stripe does not promise the order of its events)
        # were left for now: the money they give back is in the books
        done._clinic_waiting_refunds()._clinic_record_provider_refunds()
        return res

    def _clinic_waiting_refunds(self):
        """The done refunds of these transactions, made at the provider,
        that the clinic has not recorded yet."""
        refunds = self.sudo().child_transaction_ids.filtered(
            lambda tx: tx.operation == "refund" and tx.state == "done" and tx.is_post_processed
        )
        if not refunds:
            return refunds
        recorded = (
            self.env["clinic.refund.request"]
            .sudo()
            .search([("refund_transaction_id", "in", refunds.ids)])
            .refund_transaction_id
        )
        return refunds - recorded

    def _clinic_record_provider_refunds(self):
        """Refunds made at the provider (its dashboard) land on the deposit or
        the card fee whose charge they give back, once that charge is in the
        books: a refund that arrives before it waits for it."""
        for refund_tx in self.sudo():
            source = refund_tx.source_transaction_id
            if not refund_tx.payment_id or source.state != "done" or not source.is_post_processed:
                continue
            deposit = source._clinic_deposits()[:1]
            if deposit:
                deposit.appointment_id._lock_for_update()
                deposit._record_provider_refund(refund_tx)
                continue
            # a card fee refunded at the provider
            fee_of = source.invoice_ids.clinic_fee_appointment_id[:1]
            if fee_of:
                fee_of._lock_for_update()
                fee_of._record_fee_refund(refund_tx)

    def _clinic_save_cards(self):
        """A card saved by a deposit payment or by a booking's card page
        becomes that booking's card on file."""
        for tx in self.sudo().filtered(lambda t: t.state in ("done", "authorized") and t.token_id):
            if tx.operation == "validation":
                appointments = tx.clinic_appointment_id
            else:
                appointments = tx._clinic_deposits().appointment_id
            for appointment in appointments.filtered("card_required"):
                if appointment._card_needed():
                    appointment._on_card_saved(tx.token_id)
