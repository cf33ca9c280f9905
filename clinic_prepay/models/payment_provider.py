# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models


class PaymentProvider(models.Model):
    _inherit = "payment.provider"

    def _is_tokenization_required(self, **kwargs):
        # a booking protected by a card on file saves the card it is paid with
        if self.env["clinic.appointment"]._from_payment_context(**kwargs):
            return True
        return super()._is_tokenization_required(**kwargs)

    def _clinic_token_request_is_idempotent(self):
        """Whether sending a token payment request again with the same
        transaction can never charge twice: Odoo sends these providers an
        idempotency key derived from the reference (the demo provider moves
        no money). The card fee job asks them again when a request got no
        answer; a fee with another provider goes to a manager instead."""
        self.ensure_one()
        return self.code in ("stripe", "adyen", "demo")
