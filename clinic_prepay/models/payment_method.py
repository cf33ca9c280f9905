# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, models


class PaymentMethod(models.Model):
    _inherit = "payment.method"

    @api.model
    def _get_compatible_payment_methods(
        self, provider_ids, partner_id, currency_id=None, force_tokenization=False, **kwargs
    ):
        # only methods that can be saved pay a booking needing a card on file
        force_tokenization = force_tokenization or bool(
            self.env["clinic.appointment"]._from_payment_context(**kwargs)
        )
        return super()._get_compatible_payment_methods(
            provider_ids,
            partner_id,
            currency_id=currency_id,
            force_tokenization=force_tokenization,
            **kwargs,
        )
