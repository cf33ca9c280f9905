# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, models


class PaymentProvider(models.Model):
    _inherit = "payment.provider"

    def _is_tokenization_required(self, **kwargs):
        # a membership's period saves the card the next ones are charged to
        if self.env["clinic.membership"]._from_payment_context(**kwargs):
            return True
        return super()._is_tokenization_required(**kwargs)


class PaymentMethod(models.Model):
    _inherit = "payment.method"

    @api.model
    def _get_compatible_payment_methods(
        self, provider_ids, partner_id, currency_id=None, force_tokenization=False, **kwargs
    ):
        # only methods that can be saved pay a membership
        force_tokenization = force_tokenization or bool(
            self.env["clinic.membership"]._from_payment_context(**kwargs)
        )
        return super()._get_compatible_payment_methods(
            provider_ids,
            partner_id,
            currency_id=currency_id,
            force_tokenization=force_tokenization,
            **kwargs,
        )
