# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models


class PaymentProvider(models.Model):
    _inherit = "payment.provider"

    def _is_tokenization_required(self, **kwargs):
        # a booking protected by a card on file saves the card it is paid with
        if self.env["clinic.appointment"]._from_payment_context(**kwargs):
            return True
        return super()._is_tokenization_required(**kwargs)
