# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, models
from odoo.exceptions import ValidationError


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    @api.model_create_multi
    def create(self, vals_list):
        txs = super().create(vals_list)
        # a course is paid whole, once: the amount is the clinic's
        for tx in txs.filtered(lambda t: t.operation not in ("refund", "validation")):
            for invoice in tx.invoice_ids.sudo().filtered("clinic_wallet_card_id"):
                card = invoice.clinic_wallet_card_id
                if (
                    card.clinic_state != "pending"
                    or invoice.state != "draft"
                    or invoice.currency_id.compare_amounts(tx.amount, invoice.amount_total)
                ):
                    raise ValidationError(
                        self.env._(
                            "The course %(code)s costs %(due)s and is paid once.",
                            code=card.code,
                            due=invoice.currency_id.format(invoice.amount_total),
                        )
                    )
        return txs

    @api.model
    def _compute_reference_prefix(self, provider_code, separator, **values):
        # a draft course invoice has no number yet: the course names the payment
        command_list = values.get("invoice_ids")
        if command_list:
            invoice_ids = self._fields["invoice_ids"].convert_to_cache(command_list, self)
            invoices = self.env["account.move"].sudo().browse(invoice_ids)
            cards = invoices.clinic_wallet_card_id
            if cards and any(inv.state != "posted" for inv in invoices):
                return separator.join(f"COURSE-{card.id}" for card in cards)
        return super()._compute_reference_prefix(provider_code, separator, **values)

    def _clinic_record_provider_refunds(self):
        """Refunds made at the provider of a course's or gift card's charge
        land on that card, once its sale is in the books."""
        res = super()._clinic_record_provider_refunds()
        recorded = (
            self.env["clinic.refund.request"]
            .sudo()
            .search([("refund_transaction_id", "in", self.ids)])
            .refund_transaction_id
        )
        for refund_tx in self.sudo() - recorded:
            source = refund_tx.source_transaction_id
            if not refund_tx.payment_id or source.state != "done" or not source.is_post_processed:
                continue
            card = source.invoice_ids.clinic_wallet_card_id[:1]
            if card and card.clinic_state not in (False, "pending", "cancelled"):
                card._clinic_record_provider_refund(refund_tx)
        return res
