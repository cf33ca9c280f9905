# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, models
from odoo.exceptions import UserError, ValidationError

from .account_move import _refuse


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    def action_refund(self, amount_to_refund=None):
        # Odoo's refund wizard: deposit money goes back through refund requests
        if not self.env.su and self._clinic_deposits():
            _refuse(self.env)
        return super().action_refund(amount_to_refund=amount_to_refund)

    def _clinic_deposits(self):
        return self.invoice_ids.sudo().clinic_deposit_ids

    @api.model_create_multi
    def create(self, vals_list):
        txs = super().create(vals_list)
        # The amount of a deposit payment is set by the clinic, not by the
        # browser: Odoo's invoice payment route takes it from the request.
        for tx in txs.filtered(lambda t: t.operation not in ("refund", "validation")):
            deposits = tx._clinic_deposits()
            if not deposits:
                continue
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
            deposits = self.env["account.move"].sudo().browse(invoice_ids).clinic_deposit_ids
            if deposits and any(inv.state != "posted" for inv in deposits.invoice_id):
                return separator.join(deposits.mapped("name"))
        return super()._compute_reference_prefix(provider_code, separator, **values)

    def _post_process(self):
        # Odoo posts the (draft) deposit invoice and reconciles the payment
        # with it. A payment completing after its booking was cancelled finds
        # the draft cancelled: put it back to draft so the money is posted
        # and reconciled too; the deposit then makes it refundable.
        done = self.filtered(lambda tx: tx.state == "done" and tx.operation != "refund")
        deposits = done._clinic_deposits()
        # Lock the appointments first, in the order the cancellation job
        # does, so that a payment racing the job waits instead of deadlocking.
        deposits.appointment_id._lock_for_update()
        deposits.invoice_id.filtered(lambda inv: inv.state == "cancel").button_draft()
        res = super()._post_process()
        deposits._sync_money()
        refunds = self.filtered(lambda tx: tx.state == "done" and tx.operation == "refund")
        if refunds:
            requests = (
                self.env["clinic.refund.request"]
                .sudo()
                .search([("refund_transaction_id", "in", refunds.ids)])
            )
            for request in requests:
                request._on_refund_transaction_done(request.refund_transaction_id)
        return res
