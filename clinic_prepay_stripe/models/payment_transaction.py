# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    clinic_card_hold = fields.Boolean(
        readonly=True,
        help="An authorization hold on a card on file: captured on a no-show, else released.",
    )

    def _clinic_capture_hold(self):
        """Capture the hold (the whole amount held) and return it."""
        self.ensure_one()
        self._send_capture_request()
        return self

    def _stripe_prepare_payment_intent_payload(self):
        payload = super()._stripe_prepare_payment_intent_payload()
        # Odoo's manual capture is provider-wide; a hold is captured by itself
        if self.clinic_card_hold:
            payload["capture_method"] = "manual"
        return payload

    def _clinic_stripe_dispute_other(self, dispute, provider):
        """A dispute on a charge that paid neither a deposit nor a card fee:
        the add-on that made the charge applies it and returns the record
        it landed on (see ``clinic.deposit._clinic_stripe_dispute``)."""
        return False
