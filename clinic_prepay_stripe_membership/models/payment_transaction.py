# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    def _clinic_stripe_dispute_other(self, dispute, provider):
        """A dispute on the charge of a membership period applies to that
        period, before the wallet's handler (which would take the member's
        credits card for a course sold)."""
        period = self.sudo().invoice_ids.clinic_membership_period_id[:1]
        if period:
            return period._clinic_stripe_dispute(dispute, self, provider)
        return super()._clinic_stripe_dispute_other(dispute, provider)
