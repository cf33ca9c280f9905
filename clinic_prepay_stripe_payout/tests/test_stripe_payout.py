# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A Stripe payout imported with OCA's online statements, matched line by
line on journal items.

The ledger is built the real way: deposits paid through the Stripe provider
from recorded ``payment_intent.succeeded`` events, a refund made at Stripe from
its ``charge.refunded`` event, a lost dispute's payment and fee entry. The
balance transactions come from a recording of Stripe's API served on
127.0.0.1 (the local Stripe peer has no balance transactions).
"""

import json
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from freezegun import freeze_time

from odoo import Command
from odoo.addons.clinic_prepay.tests.common import NOW, ClinicCommon
from odoo.addons.payment_stripe.controllers.main import StripeController
from odoo.tests import new_test_user, tagged
from odoo.tools import file_open

API_KEY = "sk_test_51RcKz0AlCFm536g8clinicPayoutReplay"
FIXTURES = "clinic_prepay_stripe_payout/tests/fixtures"
PAYOUT = "po_1RcZx2AlCFm536g8PayoutM5"
DISPUTE = "dp_1RcZ4qAlCFm536g8DisputeA"
# The recorded payout covers these two days (UTC); the unknown charge is later.
PAYOUT_PERIOD = (datetime(2030, 3, 4), datetime(2030, 3, 6))
UNKNOWN_PERIOD = (datetime(2030, 3, 7), datetime(2030, 3, 8))


def _load(name):
    with file_open(f"{FIXTURES}/{name}") as fixture:
        return json.load(fixture)


class _StripeApiReplay(BaseHTTPRequestHandler):
    """``GET /v1/balance_transactions`` as Stripe answers it, from the
    recording: bearer key checked, ``created`` range, ``expand[]`` and
    ``starting_after`` honoured, pages of ``limit`` (10 by default)."""

    transactions = []

    def do_GET(self):
        url = urlparse(self.path)
        if self.headers.get("Authorization") != f"Bearer {API_KEY}":
            return self._reply(401, {"error": {"type": "invalid_request_error"}})
        if url.path != "/v1/balance_transactions":
            return self._reply(404, {"error": {"type": "invalid_request_error"}})
        query = parse_qs(url.query)
        since = int(query.get("created[gte]", ["0"])[0])
        until = int(query.get("created[lt]", [str(2**40)])[0])
        rows = [txn for txn in self.transactions if since <= txn["created"] < until]
        if "data.source" not in query.get("expand[]", []):
            rows = [dict(txn, source=txn["source"]["id"]) for txn in rows]
        after = query.get("starting_after", [None])[0]
        if after:
            ids = [txn["id"] for txn in rows]
            rows = rows[ids.index(after) + 1 :]
        limit = int(query.get("limit", ["10"])[0])
        body = {
            "object": "list",
            "url": "/v1/balance_transactions",
            "has_more": len(rows) > limit,
            "data": rows[:limit],
        }
        return self._reply(200, body)

    def _reply(self, status, body):
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@freeze_time(NOW)
@tagged("post_install", "-at_install")
class TestStripePayout(ClinicCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        _StripeApiReplay.transactions = _load("balance_transactions.json")["data"]
        server = ThreadingHTTPServer(("127.0.0.1", 0), _StripeApiReplay)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        cls.addClassCleanup(thread.join)
        cls.addClassCleanup(server.server_close)
        cls.addClassCleanup(server.shutdown)
        cls.events = _load("webhook_events.json")

        cls.stripe_journal = cls.env["account.journal"].create(
            {"name": "Stripe", "code": "STRP", "type": "bank"}
        )
        cls.stripe = cls.env.ref("payment.payment_provider_stripe")
        cls.stripe.write(
            {
                "state": "test",
                "stripe_secret_key": API_KEY,
                "stripe_publishable_key": "pk_test_51RcKz0AlCFm536g8clinicPayout",
                "stripe_webhook_secret": "whsec_clinicPayoutReplay",
                "journal_id": cls.stripe_journal.id,
            }
        )
        cls.card = cls.env.ref("payment.payment_method_card")
        cls.statement_provider = cls.env["online.bank.statement.provider"].create(
            {
                "journal_id": cls.stripe_journal.id,
                "service": "stripe",
                "api_base": f"http://127.0.0.1:{server.server_address[1]}/v1",
                "password": API_KEY,
                "statement_creation_mode": "daily",
                "tz": "UTC",
            }
        )
        cls.bank_fee_account = cls.statement_provider.stripe_fee_account_id
        cls.transfer_account = cls.company.transfer_account_id
        cls.accountant = new_test_user(
            cls.env,
            login="clinic_accountant",
            name="Ada Accountant",
            groups="account.group_account_user",
        )

    def setUp(self):
        super().setUp()
        self.appointment_a, self.tx_a = self._pay_through_stripe(
            self.events["deposit_a"], NOW + timedelta(days=3), self.patient
        )
        self.appointment_b, self.tx_b = self._pay_through_stripe(
            self.events["deposit_b"], NOW + timedelta(days=4), self.patient2
        )
        self.refund_tx = self._refund_at_stripe(self.tx_b, self.events["refund_b"])

    # ------------------------------------------------------------------------
    # The ledger, built through Odoo's payment framework
    # ------------------------------------------------------------------------

    def _pay_through_stripe(self, event, start, patient):
        """The patient pays the deposit; Stripe notifies the PaymentIntent."""
        appointment = self._appointment(start, patient=patient)
        appointment.action_book()
        invoice = appointment.deposit_ids.invoice_id
        tx = (
            self.env["payment.transaction"]
            .sudo()
            .create(
                {
                    "provider_id": self.stripe.id,
                    "payment_method_id": self.card.id,
                    "amount": appointment.deposit_ids.amount_residual,
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
        intent = dict(event["data"]["object"], description=tx.reference)
        data = {"reference": tx.reference, "event_type": event["type"], "object_id": intent["id"]}
        StripeController._include_payment_intent_in_notification_data(intent, data)
        tx._handle_notification_data("stripe", data)
        tx._post_process()
        self.assertEqual(appointment.state, "confirmed")
        self.assertEqual(tx.provider_reference, intent["id"])
        return appointment, tx

    def _refund_at_stripe(self, source_tx, event):
        """A refund made in the Stripe dashboard, as its webhook records it."""
        charge = dict(event["data"]["object"], description=source_tx.reference)
        refund = charge["refunds"]["data"][0]
        data = {"reference": source_tx.reference, "event_type": event["type"]}
        refund_tx = StripeController._create_refund_tx_from_refund(source_tx, refund)
        StripeController._include_refund_in_notification_data(refund, data)
        refund_tx._handle_notification_data("stripe", data)
        refund_tx._post_process()
        self.assertEqual(refund_tx.provider_reference, refund["id"])
        self.assertEqual(refund_tx.payment_id.payment_type, "outbound")
        return refund_tx

    def _lose_dispute(self):
        """Deposit A's charge is disputed and lost: Stripe's closing event,
        handled by clinic_prepay_stripe, posts the money and Stripe's dispute
        fee that left the Stripe account."""
        dispute = {
            "id": DISPUTE,
            "object": "dispute",
            "amount": 5000,
            "currency": "eur",
            "payment_intent": self.tx_a.provider_reference,
            "reason": "fraudulent",
            "status": "lost",
            "evidence_details": {"due_by": 1900000000},
            "balance_transactions": [
                {"id": "txn_dispute", "amount": -5000, "fee": 1500, "source": DISPUTE}
            ],
        }
        with freeze_time("2030-03-05 12:00:00"):
            deposit = self.env["clinic.deposit"]._clinic_stripe_dispute(dispute, self.stripe)
        self.assertEqual(deposit.dispute_state, "lost")
        payment = deposit.refund_request_ids.payment_id
        fee_move = deposit.dispute_move_ids.filtered(lambda move: not move.origin_payment_id)
        self.assertEqual(payment.payment_reference, DISPUTE)
        self.assertEqual(fee_move.ref, DISPUTE)
        return payment, fee_move

    def _import(self, period=PAYOUT_PERIOD):
        """The accountant pulls the period with OCA's wizard, opened from the
        provider's form."""
        provider = self.statement_provider
        wizard = (
            self.env["online.bank.statement.pull.wizard"]
            .with_user(self.accountant)
            .with_context(active_model=provider._name, active_id=provider.id)
            .create({"date_since": period[0], "date_until": period[1]})
        )
        wizard.action_pull()
        return self.env["account.bank.statement.line"].search(
            [("journal_id", "=", self.stripe_journal.id)]
        )

    @staticmethod
    def _outstanding(moves):
        """The open items a Stripe line settles: outstanding receipts or payments."""
        return moves.line_ids.filtered(
            lambda line: (
                line.account_id.reconcile
                and line.account_id.account_type not in ("asset_receivable", "liability_payable")
            )
        )

    def _line(self, st_lines, source_id, fee=False):
        return st_lines.filtered(
            lambda line: (
                line.stripe_source_id == source_id
                and line.unique_import_id.endswith("_fee") == fee
            )
        )

    # ------------------------------------------------------------------------
    # Tests
    # ------------------------------------------------------------------------

    def test_fee_account_defaults_to_bank_fees(self):
        expected = self.env["account.chart.template"].ref("expense_finance")
        self.assertEqual(self.bank_fee_account, expected)
        # the same account as the dispute fees clinic_prepay_stripe posts
        self.assertEqual(self.company.clinic_provider_fee_account_id, expected)

    def test_payout_lines_all_reconcile(self):
        dispute_payment, dispute_fee = self._lose_dispute()
        st_lines = self._import()
        # 2 charges and the dispute with their fee lines, the refund, the payout
        self.assertEqual(len(st_lines), 8)
        self.assertEqual(st_lines.mapped("is_reconciled"), [True] * 8)
        self.assertFalse(any(st_lines.mapped("amount_residual")))
        self.assertEqual(self.currency.round(sum(st_lines.mapped("amount"))), 0)

        # each document's outstanding item is settled by its Stripe line
        payments = self.tx_a.payment_id | self.tx_b.payment_id | self.refund_tx.payment_id
        outstanding = self._outstanding(payments.move_id | dispute_payment.move_id | dispute_fee)
        self.assertEqual(len(outstanding), 5)
        self.assertEqual(outstanding.mapped("reconciled"), [True] * 5)
        self.assertFalse(any(outstanding.mapped("amount_residual")))
        charge_a = self._line(st_lines, "ch_3RcL1nAlCFm536g80aDepA1x")
        self.assertEqual(
            self._outstanding(self.tx_a.payment_id.move_id).full_reconcile_id,
            charge_a.move_id.line_ids.full_reconcile_id,
        )
        refund_line = self._line(st_lines, "re_3RcL9kAlCFm536g81rFnd01z")
        self.assertRecordValues(
            refund_line.move_id.line_ids.sorted("balance"),
            [
                {
                    "account_id": self.stripe_journal.default_account_id.id,
                    "balance": -20.0,
                    "reconciled": False,
                },
                {
                    "account_id": self._outstanding(
                        self.refund_tx.payment_id.move_id
                    ).account_id.id,
                    "balance": 20.0,
                    "reconciled": True,
                },
            ],
        )
        self.assertTrue(self._line(st_lines, DISPUTE).is_reconciled)

        # the fees: 1.75 on each charge, then the 15.00 dispute fee
        fee_lines = (st_lines.move_id | dispute_fee).line_ids.filtered(
            lambda line: line.account_id == self.bank_fee_account
        )
        self.assertEqual(sorted(fee_lines.mapped("balance")), [1.75, 1.75, 15.0])

        # the payout waits on the transfer account for the bank
        payout = self._line(st_lines, PAYOUT)
        self.assertRecordValues(
            payout.move_id.line_ids.sorted("balance"),
            [
                {"account_id": self.stripe_journal.default_account_id.id, "balance": -11.5},
                {"account_id": self.transfer_account.id, "balance": 11.5},
            ],
        )
        transfer = payout.move_id.line_ids.filtered(
            lambda line: line.account_id == self.transfer_account
        )
        self.assertEqual((transfer.amount_residual, transfer.reconciled), (11.5, False))
        # the Stripe balance is paid out: nothing is left on its account
        stripe_cash = st_lines.move_id.line_ids.filtered(
            lambda line: line.account_id == self.stripe_journal.default_account_id
        )
        self.assertEqual(self.currency.round(sum(stripe_cash.mapped("balance"))), 0.0)

    def test_payout_arrives_on_the_bank(self):
        self._lose_dispute()
        st_lines = self._import()
        bank_line = self.env["account.bank.statement.line"].create(
            {
                "journal_id": self.bank_journal.id,
                "date": "2030-03-07",
                "payment_ref": f"STRIPE PAYOUT {PAYOUT}",
                "amount": 11.5,
            }
        )
        self.assertTrue(bank_line.is_reconciled)
        transfer = (st_lines.move_id | bank_line.move_id).line_ids.filtered(
            lambda line: line.account_id == self.transfer_account
        )
        self.assertEqual(sorted(transfer.mapped("balance")), [-11.5, 11.5])
        self.assertEqual(transfer.mapped("reconciled"), [True, True])
        self.assertEqual(len(transfer.full_reconcile_id), 1)

    def test_bank_line_before_the_payout_import(self):
        self._lose_dispute()
        bank_line = self.env["account.bank.statement.line"].create(
            {
                "journal_id": self.bank_journal.id,
                "date": "2030-03-07",
                "payment_ref": f"STRIPE {PAYOUT} TRANSFER",
                "amount": 11.5,
            }
        )
        self.assertFalse(bank_line.is_reconciled)
        self._import()
        self.assertTrue(bank_line.is_reconciled)

    def test_second_import_creates_nothing(self):
        self._lose_dispute()
        st_lines = self._import()
        partials = self.env["account.partial.reconcile"].search_count([])
        moves = self.env["account.move"].search_count([])
        self.assertEqual(self._import(), st_lines)
        st_lines.action_stripe_match()
        self.assertEqual(self.env["account.partial.reconcile"].search_count([]), partials)
        self.assertEqual(self.env["account.move"].search_count([]), moves)
        self.assertEqual(st_lines.mapped("is_reconciled"), [True] * 8)

    def test_dispute_lost_after_the_import(self):
        """The dispute's lines wait for the accountant until its documents
        exist; matching the lines again then reconciles them."""
        st_lines = self._import()
        dispute_lines = self._line(st_lines, DISPUTE) | self._line(st_lines, DISPUTE, fee=True)
        self.assertEqual(len(dispute_lines), 2)
        self.assertEqual(dispute_lines.mapped("is_reconciled"), [False, False])
        self.assertEqual((st_lines - dispute_lines).mapped("is_reconciled"), [True] * 6)
        dispute_payment, dispute_fee = self._lose_dispute()
        st_lines.with_user(self.accountant).action_stripe_match()
        self.assertEqual(dispute_lines.mapped("is_reconciled"), [True, True])
        self.assertEqual(
            self._outstanding(dispute_payment.move_id | dispute_fee).mapped("reconciled"),
            [True, True],
        )

    def test_unknown_charge_stays_open(self):
        st_lines = self._import(UNKNOWN_PERIOD)
        charge = self._line(st_lines, "ch_3RdA7cAlCFm536g82zUnkn0w")
        fee = self._line(st_lines, "ch_3RdA7cAlCFm536g82zUnkn0w", fee=True)
        self.assertEqual((charge.amount, fee.amount), (80.0, -2.62))
        self.assertFalse(charge.is_reconciled)
        self.assertEqual(charge.amount_residual, -80.0)
        suspense = charge.move_id.line_ids.filtered(
            lambda line: line.account_id == self.stripe_journal.suspense_account_id
        )
        self.assertEqual(suspense.balance, -80.0)
        # its fee is a fee all the same
        self.assertTrue(fee.is_reconciled)
        self.assertEqual(
            fee.move_id.line_ids.filtered(
                lambda line: line.account_id == self.bank_fee_account
            ).balance,
            2.62,
        )
