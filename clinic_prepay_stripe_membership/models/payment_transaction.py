# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging

from odoo import models
from odoo.exceptions import ValidationError

_logger = logging.getLogger(__name__)


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

    def _clinic_abandon_charge(self):
        """The PaymentIntent waiting for the member's authentication is
        cancelled at Stripe, so that it can never be paid besides the link."""
        for tx in self.filtered(
            lambda t: (
                t.provider_code == "stripe" and (t.provider_reference or "").startswith("pi_")
            )
        ):
            try:
                tx.provider_id._stripe_make_request(
                    f"payment_intents/{tx.provider_reference}/cancel", offline=True
                )
            except ValidationError:
                _logger.warning(
                    "Stripe did not cancel %s of %s", tx.provider_reference, tx.reference
                )
        return super()._clinic_abandon_charge()
