# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import socket
from contextlib import closing

import stripe

from odoo.tests import BaseCase, tagged

from .stripe_peer import LocalStripe


@tagged("post_install", "-at_install")
class TestLocalStripePeer(BaseCase):
    """The local Stripe peer the Stripe tests rely on."""

    def test_sdk_talks_to_loopback_peer_from_scratch(self):
        with LocalStripe() as peer:
            self.assertEqual(stripe.api_base, peer.url)
            self.assertTrue(peer.url.startswith("http://127.0.0.1:"))
            self.assertEqual(stripe.max_network_retries, 0)
            self.assertEqual(stripe.Customer.list().data, [], "starts from scratch")
            customer = stripe.Customer.create(email="patient@example.com", name="Pat")
            intent = stripe.PaymentIntent.create(
                amount=5000, currency="eur", customer=customer.id, payment_method_types=["card"]
            )
            fetched = stripe.PaymentIntent.retrieve(intent.id)
            self.assertEqual(fetched.amount, 5000)
            self.assertEqual(fetched.customer, customer.id)
            port = peer.port
        # stopped: the SDK is restored and nothing listens any more
        self.assertNotEqual(stripe.api_base, peer.url)
        with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
            self.assertNotEqual(sock.connect_ex(("127.0.0.1", port)), 0)

    def test_each_peer_is_fresh(self):
        with LocalStripe():
            stripe.Customer.create(email="first@example.com")
        with LocalStripe():
            self.assertEqual(stripe.Customer.list().data, [])
