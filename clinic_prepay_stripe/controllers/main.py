# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json
import logging

from werkzeug.exceptions import BadRequest, Forbidden

from odoo import http
from odoo.addons.payment_stripe import utils as stripe_utils
from odoo.addons.payment_stripe.const import HANDLED_WEBHOOK_EVENTS
from odoo.addons.payment_stripe.controllers.main import StripeController
from odoo.http import request

from ..models.payment_provider import CLINIC_EVENTS

_logger = logging.getLogger(__name__)


class ClinicStripeController(StripeController):
    @http.route(
        StripeController._webhook_url, type="http", methods=["POST"], auth="public", csrf=False
    )
    def stripe_webhook(self):
        """Every event is checked before anything is read or written: its
        signature on the raw body with a provider's webhook secret (none
        configured, or a missing or bad signature: 403), then its id is
        recorded once; a replay is acknowledged and changes nothing."""
        payload = request.httprequest.get_data()
        signature = request.httprequest.headers.get("Stripe-Signature")
        provider = (
            request.env["payment.provider"]
            .sudo()
            ._clinic_stripe_verified_provider(payload, signature)
        )
        if not provider:
            raise Forbidden()
        try:
            event = json.loads(payload)
            event_type = event["type"]
            stripe_object = event["data"]["object"]
        except (ValueError, KeyError, TypeError):
            raise BadRequest() from None
        if not request.env["clinic.stripe.event"].sudo()._claim(event, provider):
            _logger.info("Stripe event %s already handled: acknowledged", event.get("id"))
            return request.make_json_response("")
        if event_type in CLINIC_EVENTS:
            request.env["clinic.deposit"].sudo()._clinic_stripe_dispute(stripe_object, provider)
            return request.make_json_response("")
        if event_type == "charge.refunded":
            return self._clinic_charge_refunded(stripe_object, provider)
        if event_type in HANDLED_WEBHOOK_EVENTS:
            return super().stripe_webhook()
        return request.make_json_response("")

    def _verify_notification_signature(self, tx_sudo):
        """Odoo's check keeps only the last ``v1`` of the header; while a
        clinic rolls its webhook secret Stripe signs with both secrets, in
        any order. Any ``v1`` made with the transaction's provider secret
        is accepted, as Stripe's own libraries do."""
        provider = tx_sudo.provider_id
        if not stripe_utils.get_webhook_secret(provider):
            return super()._verify_notification_signature(tx_sudo)
        if not provider._clinic_stripe_signature_ok(
            request.httprequest.get_data(), request.httprequest.headers.get("Stripe-Signature")
        ):
            raise Forbidden()

    def _clinic_charge_refunded(self, charge, provider):
        """Refunds of a charge: the source transaction's row is locked first,
        so that a refund the clinic is sending right now (same lock) is seen
        as recorded rather than as one made in the dashboard; a refund a
        clinic request asked for but never committed is adopted by that
        request; the rest are dashboard refunds, recorded by Odoo's
        framework and then by the clinic on their deposit."""
        env = request.env
        env.cr.execute(
            """
            SELECT id FROM payment_transaction
             WHERE provider_id = %s AND provider_reference = %s AND operation != 'refund'
               FOR UPDATE
            """,
            [provider.id, charge.get("payment_intent")],
        )
        response = super().stripe_webhook()
        named = {
            refund["id"]: (refund.get("metadata") or {}).get("clinic_refund_request")
            for refund in (charge.get("refunds") or {}).get("data", [])
        }
        named = {ref: name for ref, name in named.items() if name}
        if named:
            txs = (
                env["payment.transaction"]
                .sudo()
                .search(
                    [
                        ("provider_id", "=", provider.id),
                        ("operation", "=", "refund"),
                        ("provider_reference", "in", list(named)),
                    ]
                )
            )
            requests = (
                env["clinic.refund.request"]
                .sudo()
                .search(
                    [("name", "in", list(named.values())), ("refund_transaction_id", "=", False)]
                )
            )
            for tx in txs:
                refund_request = requests.filtered(
                    lambda r, tx=tx: (
                        r.name == named[tx.provider_reference]
                        and r.deposit_id in tx.source_transaction_id._clinic_deposits()
                    )
                )
                refund_request._adopt_refund_transaction(tx)
        return response
