# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging

import stripe

from odoo import models
from odoo.addons.payment_stripe import utils as stripe_utils

_logger = logging.getLogger(__name__)

# Stripe signs each delivery with a timestamp; older ones are replays.
WEBHOOK_TOLERANCE = 10 * 60

# Events the clinic acts on beyond those Odoo's Stripe provider handles.
CLINIC_EVENTS = ("charge.dispute.created", "charge.dispute.updated", "charge.dispute.closed")


class PaymentProvider(models.Model):
    _inherit = "payment.provider"

    def _stripe_make_request(
        self, endpoint, payload=None, method="POST", offline=False, idempotency_key=None
    ):
        # A refund asked by a clinic refund request names it and carries a
        # key derived from it: a retried execution gets the same refund back.
        if endpoint == "webhook_endpoints" and method == "POST" and payload:
            # the webhook Odoo creates also sends the events the clinic acts on
            events = payload.get("enabled_events[]") or []
            payload = {
                **payload,
                "enabled_events[]": [*events, *(e for e in CLINIC_EVENTS if e not in events)],
            }
        request_id = self.env.context.get("clinic_refund_request_id")
        if endpoint == "refunds" and method == "POST" and request_id:
            refund_request = self.env["clinic.refund.request"].sudo().browse(request_id)
            payload = {
                **(payload or {}),
                "metadata[clinic_refund_request]": refund_request.name,
            }
            idempotency_key = refund_request._get_provider_idempotency_key()
        return super()._stripe_make_request(
            endpoint,
            payload=payload,
            method=method,
            offline=offline,
            idempotency_key=idempotency_key,
        )

    def _clinic_stripe_verified_provider(self, payload, signature):
        """The Stripe provider whose webhook secret signed ``payload``, or an
        empty recordset: no signature, a bad or stale one, or no provider
        with a webhook secret (an unsigned event is never trusted)."""
        if not signature:
            return self.browse()
        providers = self.sudo().search([("code", "=", "stripe"), ("state", "!=", "disabled")])
        for provider in providers:
            if provider._clinic_stripe_signature_ok(payload, signature):
                return provider
        _logger.warning("Stripe webhook refused: no provider's webhook secret signed it")
        return self.browse()

    def _clinic_stripe_signature_ok(self, payload, signature):
        """Whether one of the ``v1`` signatures of the header was made with
        this provider's webhook secret, recently (Stripe's SDK checks every
        ``v1``: while a secret is rolled, events carry one per secret)."""
        self.ensure_one()
        secret = stripe_utils.get_webhook_secret(self)
        if not secret or not signature:
            return False
        try:
            stripe.WebhookSignature.verify_header(
                payload, signature, secret, tolerance=WEBHOOK_TOLERANCE
            )
        except stripe.SignatureVerificationError:
            return False
        return True
