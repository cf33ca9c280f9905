# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json
import time
import uuid
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from unittest.mock import patch

import requests
import stripe

from odoo import Command
from odoo.addons.clinic_prepay.tests.common import ClinicCommon
from odoo.tests import HttpCase

from .stripe_peer import API_KEY, LocalStripe

WEBHOOK_SECRET = "whsec_clinic_prepay_test"
FIXTURES = Path(__file__).parent / "fixtures"


class ClinicStripeCase(ClinicCommon, HttpCase):
    """Odoo's Stripe provider, in test mode, talking to the local Stripe
    peer (localstripe on 127.0.0.1): Odoo's own requests to Stripe's API are
    sent to the peer, the SDK too. Webhook events are posted to the real
    route, signed with the provider's webhook secret by the SDK's scheme."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.peer = LocalStripe().start()
        cls.addClassCleanup(cls.peer.stop)
        peer_url = cls.peer.url

        def to_peer(method, url, **kwargs):
            timeout = kwargs.pop("timeout", 60)
            return requests.request(
                method, url.replace("https://api.stripe.com", peer_url), timeout=timeout, **kwargs
            )

        cls.startClassPatcher(
            patch(
                "odoo.addons.payment_stripe.models.payment_provider.requests",
                SimpleNamespace(request=to_peer, exceptions=requests.exceptions),
            )
        )
        cls.stripe = cls.env.ref("payment.payment_provider_stripe")
        cls.stripe.write(
            {
                "state": "test",
                "is_published": True,
                "stripe_secret_key": API_KEY,
                "stripe_publishable_key": "pk_test_clinic_prepay",
                "stripe_webhook_secret": WEBHOOK_SECRET,
            }
        )
        cls.card = cls.env.ref("payment.payment_method_card")
        cls.card.active = True
        cls.stripe_journal = cls.stripe.journal_id

    def setUp(self):
        super().setUp()
        # The peer, like Stripe, answers a repeated idempotency key with its
        # first answer. Keys derive from the database's uuid and the
        # transaction's reference; references restart in each test's
        # rolled-back transaction (on a fresh database even the sequence's
        # date range does), so each test gets a database uuid of its own, as
        # if it were its own database.
        self.env["ir.config_parameter"].sudo().set_param("database.uuid", str(uuid.uuid4()))

    # -- helpers -----------------------------------------------------------

    def _booked(self, days=3, treatment=None):
        """A booking at the first bookable time at least ``days`` ahead."""
        treatment = treatment or self.treatment_botox
        appointment = self._appointment(
            self._bookable_time(treatment, not_before=timedelta(days=days)),
            treatment=treatment,
        )
        appointment.action_book()
        return appointment

    def _peer_card(self, number="4242424242424242", customer=None):
        method = stripe.PaymentMethod.create(
            type="card", card={"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"}
        )
        if customer:
            stripe.PaymentMethod.attach(method.id, customer=customer)
        return method

    def _peer_get(self, path):
        return requests.get(
            self.peer.url + "/v1/" + path,
            headers={"Authorization": f"Bearer {API_KEY}"},
            timeout=10,
        ).json()

    def _pay_with_stripe(self, appointment, card="4242424242424242", **post):
        """The patient pays the deposit on Stripe's form."""
        deposit = appointment.deposit_ids
        return self._pay_invoice_with_stripe(
            deposit.invoice_id, deposit.amount_residual, card, **post
        )

    def _paid_at_stripe(self, invoice, amount, card="4242424242424242"):
        """Odoo creates the transaction of ``amount`` for ``invoice`` and its
        PaymentIntent at the peer, and the card confirms it there; nothing is
        told to Odoo yet. Returns the transaction and the succeeded intent."""
        tx = (
            self.env["payment.transaction"]
            .sudo()
            .create(
                {
                    "provider_id": self.stripe.id,
                    "payment_method_id": self.card.id,
                    "amount": amount,
                    "currency_id": invoice.currency_id.id,
                    "partner_id": invoice.partner_id.id,
                    "reference": self.env["payment.transaction"]._compute_reference(
                        "stripe", invoice_ids=[Command.set(invoice.ids)]
                    ),
                    "operation": "online_direct",
                    "invoice_ids": [Command.set(invoice.ids)],
                }
            )
        )
        secret = tx._get_processing_values()["client_secret"]
        intent_id = secret.split("_secret_")[0]
        intent = self._peer_get(f"payment_intents/{intent_id}")
        method = self._peer_card(card, customer=intent["customer"])
        stripe.PaymentIntent.modify(intent_id, payment_method=method.id)
        stripe.PaymentIntent.confirm(intent_id)
        return tx, self._peer_get(f"payment_intents/{intent_id}?expand[]=payment_method")

    def _pay_invoice_with_stripe(self, invoice, amount, card="4242424242424242", **post):
        """The patient pays ``amount`` of ``invoice`` on Stripe's form, and
        Stripe's signed ``payment_intent.succeeded`` reaches the webhook."""
        tx, intent = self._paid_at_stripe(invoice, amount, card)
        response = self._post_event("payment_intent.succeeded", intent, **post)
        self.assertEqual(response.status_code, 200)
        self._post_process()
        tx.invalidate_recordset()
        return tx

    def _post_process(self):
        """What Odoo's post-processing job does (it commits, so tests call
        the transactions' ``_post_process`` themselves)."""
        self.env["payment.transaction"].search(
            [("state", "=", "done"), ("is_post_processed", "=", False)]
        )._post_process()

    def _dispute(self, tx, status, dispute_id="dp_1QclinicDisputeA", fee=1500):
        """A recorded Stripe dispute object, on ``tx``'s charge."""
        dispute = json.loads((FIXTURES / "dispute.json").read_text())
        dispute.update(
            id=dispute_id,
            status=status,
            amount=round(tx.amount * 100),
            charge=self._charge_id(tx),
            payment_intent=tx.provider_reference,
            created=int(time.time()),
        )
        dispute["evidence_details"]["due_by"] = int(time.time()) + 7 * 86400
        for balance_tx in dispute["balance_transactions"]:
            balance_tx.update(source=dispute_id, amount=-dispute["amount"], fee=fee)
        return dispute

    def _charge(self, tx):
        """The charge of ``tx`` as the peer has it now (with its refunds)."""
        return self._peer_get(f"charges/{self._charge_id(tx)}")

    def _charge_id(self, tx):
        charge = self._peer_get(f"payment_intents/{tx.provider_reference}")["latest_charge"]
        return charge["id"] if isinstance(charge, dict) else charge

    def _event(self, event_type, obj, event_id=None):
        return {
            "id": event_id or f"evt_{obj['id']}_{event_type}_{time.monotonic_ns()}",
            "object": "event",
            "type": event_type,
            "created": int(time.time()),
            "livemode": False,
            "data": {"object": obj},
        }

    def _post_event(
        self, event_type, obj, event=None, secret=WEBHOOK_SECRET, signed=True, signature=None
    ):
        """Post a Stripe event to the webhook as Stripe does: the raw JSON,
        signed ``t=<time>,v1=<HMAC-SHA256>`` with the webhook secret (or the
        header ``signature(payload)`` gives)."""
        payload = json.dumps(event or self._event(event_type, obj))
        headers = {"Content-Type": "application/json"}
        if signature:
            headers["Stripe-Signature"] = signature(payload)
        elif signed:
            headers["Stripe-Signature"] = stripe.WebhookSignature.generate_signature_header(
                payload, secret
            )
        response = self.url_open("/payment/stripe/webhook", data=payload, headers=headers)
        self.env.invalidate_all()  # the server wrote through the same cursor
        return response
