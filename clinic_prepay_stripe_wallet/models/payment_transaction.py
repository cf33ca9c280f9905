# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    def _clinic_stripe_dispute_other(self, dispute, provider):
        """A dispute on the charge of a course or a gift card applies to
        that card."""
        card = self.sudo().invoice_ids.clinic_wallet_card_id[:1]
        if card and card.clinic_state not in (False, "pending", "cancelled"):
            return card._clinic_stripe_dispute(dispute, self, provider)
        return super()._clinic_stripe_dispute_other(dispute, provider)
