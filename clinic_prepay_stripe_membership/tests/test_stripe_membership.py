# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import uuid
from datetime import date, timedelta

import stripe

from odoo import Command
from odoo.addons.clinic_prepay_membership.tests.common import MembershipCommon
from odoo.addons.clinic_prepay_stripe.tests.common import ClinicStripeCase
from odoo.tests import tagged

GOOD_CARD = "4242424242424242"
# Stripe's test cards: saved fine, then every charge declined (the stale
# card); and one whose bank asks for authentication (3-D Secure) every time
DECLINING_CARD = "4000000000000341"
AUTHENTICATION_CARD = "4000002760003184"


class StripeMembershipCase(MembershipCommon, ClinicStripeCase):
    """Memberships whose card on file is a Stripe card: Odoo's Stripe
    provider, in test mode, talks to the local Stripe peer; the clock is
    frozen on the membership tests' dates (the requests to the peer and the
    webhook deliveries happen in real time, signed at the frozen time)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.stripe.allow_tokenization = True

    def _event(self, event_type, obj, event_id=None):
        # the frozen clock stops time.monotonic_ns(), which names the events
        return super()._event(event_type, obj, event_id or f"evt_{uuid.uuid4().hex}")

    def _pay_period_with_stripe(self, period, card=GOOD_CARD):
        """The member pays ``period`` on Odoo's payment form with Stripe (the
        form saves the card: a membership's invoice requires it): the
        PaymentIntent is confirmed at the peer with ``card``, and Stripe's
        signed ``payment_intent.succeeded`` reaches the webhook."""
        invoice = period.invoice_id
        self.assertTrue(self.stripe._is_tokenization_required(invoice_id=invoice.id))
        Tx = self.env["payment.transaction"].sudo()
        tx = Tx.create(
            {
                "provider_id": self.stripe.id,
                "payment_method_id": self.card.id,
                "amount": invoice.amount_total,
                "currency_id": invoice.currency_id.id,
                "partner_id": invoice.partner_id.id,
                "reference": Tx._compute_reference(
                    "stripe", invoice_ids=[Command.set(invoice.ids)]
                ),
                "operation": "online_direct",
                "tokenize": True,
                "invoice_ids": [Command.set(invoice.ids)],
            }
        )
        secret = tx._get_processing_values()["client_secret"]
        intent_id = secret.split("_secret_")[0]
        intent = self._peer_get(f"payment_intents/{intent_id}")
        self.assertEqual(intent["setup_future_usage"], "off_session")
        method = self._peer_card(card, customer=intent["customer"])
        stripe.PaymentIntent.modify(intent_id, payment_method=method.id)
        stripe.PaymentIntent.confirm(intent_id)
        intent = self._peer_get(f"payment_intents/{intent_id}")
        self.assertEqual(intent["status"], "succeeded")
        # as Stripe sends it: Odoo fetches the card it tokenizes itself
        self.assertEqual(self._post_event("payment_intent.succeeded", intent).status_code, 200)
        self._post_process()
        tx.invalidate_recordset()
        self.assertEqual(tx.state, "done")
        self.assertEqual(tx.token_id.stripe_payment_method, method.id)
        return tx

    def _stripe_member(self):
        """Signed up at ``NOW`` and the first period paid with a Stripe card,
        saved as the card the next periods are charged to."""
        membership = self._sign_up()
        tx = self._pay_period_with_stripe(membership.period_ids)
        self.assertEqual(membership.state, "active")
        self.assertEqual(membership.token_id, tx.token_id)
        self.assertEqual(membership.token_id.provider_id, self.stripe)
        self.assertTrue(membership.token_id.provider_ref.startswith("cus_"))
        return membership

    def _card_on_file_answers_as(self, membership, number):
        """The member's card at Stripe (the same customer) now answers as the
        test card ``number`` does."""
        token = membership.token_id
        method = self._peer_card(number, customer=token.provider_ref)
        token.stripe_payment_method = method.id
        return method

    def _period_intents(self, period, customer):
        """The PaymentIntents at the peer charging ``period`` (their
        description is the transaction's reference) to ``customer``."""
        intents = self._peer_get("payment_intents?limit=100")["data"]
        return sorted(
            (
                intent
                for intent in intents
                if intent["customer"] == customer
                and (intent.get("description") or "").startswith(period.name)
            ),
            key=lambda intent: intent["description"],
        )

    def _failed_mails(self, membership, subject):
        return membership.message_ids.filtered(lambda m: subject in (m.subject or ""))

    def _cents(self, invoice):
        return round(invoice.amount_total * 100)


@tagged("post_install", "-at_install")
class TestStripeMembership(StripeMembershipCase):
    def test_renewal_charges_one_payment_intent(self):
        """The job charges the new period once to the saved card, off-session:
        one PaymentIntent at Stripe, the invoice posted and paid in the Stripe
        journal; a rerun and Stripe's own event change nothing."""
        membership = self._stripe_member()
        token = membership.token_id
        first = membership.period_ids
        at = self._next_charge(membership)
        self.assertEqual(self._job(at), 1)
        self.assertEqual(self._job(at + timedelta(minutes=30)), 0)
        period = membership.period_ids - first
        self.assertEqual(period.name, f"{membership.name}-2030-04")
        self.assertEqual((period.state, period.attempts), ("paid", 1))
        self.assertFalse(period.recovered)
        self.assertEqual(membership.state, "active")
        self.assertEqual((membership.period_end, membership.paid_periods), (date(2030, 5, 4), 2))
        self.assertEqual(membership.credits_left, 2, "one rolled over and one new")
        invoice = period.invoice_id
        intents = self._period_intents(period, token.provider_ref)
        self.assertEqual(len(intents), 1)
        intent = intents[0]
        self.assertEqual(
            (intent["amount"], intent["status"], intent["description"]),
            (self._cents(invoice), "succeeded", period.name),
        )
        self.assertEqual(intent["payment_method"], token.stripe_payment_method)
        charge = self._peer_get(f"charges?customer={token.provider_ref}&limit=100")["data"]
        charge = [c for c in charge if c["payment_intent"] == intent["id"]]
        self.assertEqual(len(charge), 1)
        self.assertEqual(
            (charge[0]["status"], charge[0]["amount"]), ("succeeded", intent["amount"])
        )
        tx = invoice.transaction_ids
        self.assertEqual(
            (tx.reference, tx.operation, tx.state, tx.provider_reference),
            (period.name, "offline", "done", intent["id"]),
        )
        self.assertEqual(tx.token_id, token)
        self.assertEqual((invoice.state, invoice.payment_state), ("posted", "paid"))
        self.assertEqual(tx.payment_id.journal_id, self.stripe_journal)
        self.assertEqual(tx.payment_id.amount, invoice.amount_total)
        # Stripe's own event for the charge changes nothing more
        intent = self._peer_get(f"payment_intents/{intent['id']}?expand[]=payment_method")
        self.assertEqual(self._post_event("payment_intent.succeeded", intent).status_code, 200)
        self._post_process()
        self.assertEqual(
            len(self.env["account.payment"].search([("payment_transaction_id", "=", tx.id)])), 1
        )
        self.assertEqual((period.state, membership.paid_periods), ("paid", 2))
        self.assertEqual(len(self._period_intents(period, token.provider_ref)), 1)

    def test_crashed_run_does_not_charge_twice(self):
        """The job sent the charge and died before committing: the next run
        sends the same reference, hence the same idempotency key, and Stripe
        answers with the first PaymentIntent."""
        membership = self._stripe_member()
        customer = membership.token_id.provider_ref
        at = self._next_charge(membership)
        name = f"{membership.name}-2030-04"
        with self.assertRaises(RuntimeError), self.env.cr.savepoint():
            self.assertEqual(self._job(at), 1)
            intents = self._period_intents(membership.period_ids[:1], customer)
            self.assertEqual([i["description"] for i in intents], [name])
            raise RuntimeError("the worker died before committing")
        self.env.invalidate_all()
        self.assertEqual(len(membership.period_ids), 1)
        self.assertEqual(membership.period_end, date(2030, 4, 4))
        self.assertEqual(self._job(at + timedelta(minutes=5)), 1)
        period = membership.period_ids.sorted("date_from")[-1]
        self.assertEqual((period.name, period.state), (name, "paid"))
        intents = self._period_intents(period, customer)
        self.assertEqual(len(intents), 1, "charged once")
        self.assertEqual(period.invoice_id.transaction_ids.provider_reference, intents[0]["id"])
        self.assertEqual(period.invoice_id.payment_state, "paid")

    def test_declined_renewal_is_retried_then_suspended_and_the_link_restores(self):
        membership = self._stripe_member()
        first_token = membership.token_id
        customer = first_token.provider_ref
        stale = self._card_on_file_answers_as(membership, DECLINING_CARD)
        self.assertEqual(self._job(self._next_charge(membership)), 1)
        period = membership.open_period_id
        self.assertEqual(period.name, f"{membership.name}-2030-04")
        self.assertEqual((period.state, period.failures), ("failed", 1))
        self.assertEqual(membership.state, "past_due")
        tx = period.invoice_id.transaction_ids
        self.assertEqual((tx.reference, tx.operation, tx.state), (period.name, "offline", "error"))
        self.assertIn("declined", tx.state_message)
        self.assertEqual(period.invoice_id.state, "draft", "a declined charge posts nothing")
        self.assertEqual(period.next_retry_at, membership._start_of(date(2030, 4, 5)))
        mail = self._failed_mails(membership, "the payment failed")
        self.assertEqual(len(mail), 1)
        link = membership._get_payment_link()
        self.assertTrue(link)
        self.assertIn(link.replace("&", "&amp;"), mail.body)

        # retried on days 1, 3 and 7 after the first failure, not before
        retry_days = [date(2030, 4, 5), date(2030, 4, 7), date(2030, 4, 11)]
        for number, day in enumerate(retry_days, start=2):
            self.assertEqual(self._job(membership._start_of(day) - timedelta(minutes=1)), 0)
            self.assertEqual(self._job(membership._start_of(day) + timedelta(hours=2)), 1)
            self.assertEqual(period.failures, number)
            self.assertEqual(membership.state, "past_due" if number < 4 else "suspended")
        self.assertFalse(period.next_retry_at)
        self.assertEqual(len(self._failed_mails(membership, "the payment failed")), 1)
        # each try is a transaction of its own: a new reference, so a new
        # idempotency key and a new PaymentIntent, declined at Stripe
        charges = period.invoice_id.transaction_ids
        references = [period.name] + [f"{period.name}-{n}" for n in (1, 2, 3)]
        self.assertEqual(sorted(charges.mapped("reference")), references)
        self.assertEqual(set(charges.mapped("state")), {"error"})
        self.assertEqual(set(charges.mapped("operation")), {"offline"})
        intents = self._period_intents(period, customer)
        self.assertEqual([i["description"] for i in intents], references)
        self.assertEqual({i["status"] for i in intents}, {"requires_payment_method"})
        self.assertEqual({i["payment_method"] for i in intents}, {stale.id})
        self.assertEqual({i["amount"] for i in intents}, {self._cents(period.invoice_id)})
        # suspended: a manager told, nothing in the ledger for the period
        self.assertEqual(period.state, "failed")
        activity = membership.activity_ids.filtered(lambda a: a.summary == "Membership suspended")
        self.assertEqual(len(activity), 1)
        self.assertTrue(activity.user_id.has_group("clinic_prepay.group_clinic_manager"))
        self.assertEqual(len(self._failed_mails(membership, "is suspended")), 1)
        self.assertEqual(period.invoice_id.state, "draft")
        self.assertFalse(
            self.env["account.move"].search(
                [("clinic_membership_period_id", "=", period.id), ("state", "=", "posted")]
            )
        )
        self.assertFalse(charges.payment_id)
        # a suspended membership is not charged on
        self.assertEqual(self._job(membership._start_of(date(2030, 5, 10))), 0)
        self.assertEqual(len(membership.period_ids), 2)

        # the member opens the link and pays with another card: restored
        self._travel(membership._start_of(date(2030, 5, 10)) + timedelta(hours=10))
        link = membership._get_payment_link()
        self.authenticate(None, None)
        response = self.url_open(link)
        self.assertEqual(response.status_code, 200)
        self.assertIn("o_payment_form", response.text)
        tx = self._pay_period_with_stripe(period, GOOD_CARD)
        self.assertEqual(tx.reference, f"{period.name}-4")
        self.assertEqual(tx.payment_id.journal_id, self.stripe_journal)
        self.assertEqual(period.state, "paid")
        self.assertTrue(period.recovered)
        self.assertEqual(membership.state, "active")
        self.assertEqual(period.invoice_id.state, "posted")
        self.assertEqual(period.invoice_id.payment_state, "paid")
        self.assertEqual(len(self._failed_mails(membership, "active again")), 1)
        # the period ran out while suspended: paid, it runs from today
        self.assertEqual(
            (period.date_from, period.date_to), (date(2030, 5, 10), date(2030, 6, 10))
        )
        self.assertEqual(membership.period_end, date(2030, 6, 10))
        # the card just saved is the one charged next
        new_token = membership.token_id
        self.assertEqual(new_token, tx.token_id)
        self.assertNotEqual(new_token, first_token)
        self.assertEqual(self._job(self._next_charge(membership)), 1)
        renewal = membership.period_ids.sorted("date_from")[-1]
        self.assertEqual((renewal.name, renewal.state), (f"{membership.name}-2030-06", "paid"))
        intents = self._period_intents(renewal, new_token.provider_ref)
        self.assertEqual([i["status"] for i in intents], ["succeeded"])
        self.assertEqual(intents[0]["payment_method"], new_token.stripe_payment_method)
        self.assertFalse(self._period_intents(renewal, customer), "the old card is left alone")

    def test_authentication_required_on_renewal_sends_the_link(self):
        """The bank asks the member to authenticate the off-session charge
        (Stripe's ``requires_action``): no money, the membership is past due
        and the member gets the link, where they pay on-session."""
        membership = self._stripe_member()
        customer = membership.token_id.provider_ref
        self._card_on_file_answers_as(membership, AUTHENTICATION_CARD)
        self.assertEqual(self._job(self._next_charge(membership)), 1)
        period = membership.open_period_id
        intents = self._period_intents(period, customer)
        self.assertEqual(len(intents), 1)
        self.assertFalse(intents[0]["latest_charge"], "nothing charged")
        tx = period.invoice_id.transaction_ids
        self.assertEqual((tx.reference, tx.operation), (period.name, "offline"))
        self.assertEqual(tx.provider_reference, intents[0]["id"])
        # abandoned, here and at Stripe: it can never be paid besides the link
        self.assertEqual(tx.state, "cancel")
        self.assertEqual(intents[0]["status"], "canceled")
        self.assertEqual((period.state, period.failures), ("failed", 1))
        self.assertEqual(membership.state, "past_due")
        self.assertEqual(period.next_retry_at, membership._start_of(date(2030, 4, 5)))
        self.assertEqual(period.invoice_id.state, "draft")
        self.assertFalse(tx.payment_id)
        mail = self._failed_mails(membership, "the payment failed")
        self.assertEqual(len(mail), 1)
        link = membership._get_payment_link()
        self.assertIn(link.replace("&", "&amp;"), mail.body)
        # the member pays the link the next day: active again, no retry left
        self._travel(membership._start_of(date(2030, 4, 4)) + timedelta(hours=12))
        paid = self._pay_period_with_stripe(period, GOOD_CARD)
        self.assertEqual(paid.reference, f"{period.name}-1")
        self.assertEqual((membership.state, period.state), ("active", "paid"))
        self.assertTrue(period.recovered)
        self.assertEqual(period.invoice_id.payment_state, "paid")
        self.assertEqual(self._job(membership._start_of(date(2030, 4, 6))), 0)
