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
