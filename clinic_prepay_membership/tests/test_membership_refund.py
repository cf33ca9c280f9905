# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta
from unittest.mock import patch

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.service.model import get_public_method
from odoo.tests import new_test_user, tagged

from .common import MembershipCommon


@tagged("post_install", "-at_install")
class TestMembershipRefund(MembershipCommon):
    """A period's charge refunded at the provider (its dashboard, here the
    demo provider): recorded on the period, with a credit note of its
    invoice reconciled with the refund's payment, not on the member's
    credits card as if it were a course sold; a done request of the method
    "outside", so that the provider reporting it failed later undoes it. A
    manager's End Now and Refund: a refund request of the last paid period,
    approved and executed as any refund."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # nobody approves their own refund: a second manager does
        cls.manager2 = new_test_user(
            cls.env,
            login="member_manager2",
            name="Nora Manager",
            groups="clinic_prepay.group_clinic_manager",
        )

    def _refund_at_provider(self, tx, amount, post_process=True):
        refund_tx = tx._create_child_transaction(amount, is_refund=True)
        refund_tx._set_done()
        if post_process:
            refund_tx._post_process()
        return refund_tx

    def _open_receivable(self, moves):
        return moves.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable" and not line.reconciled
        )

    def _card_requests(self, card):
        return self.env["clinic.refund.request"].search([("wallet_card_id", "=", card.id)])

    def _period_requests(self, period):
        return self.env["clinic.refund.request"].search([("membership_period_id", "=", period.id)])

    def _end_and_refund(self, membership, amount=None, reason="Moving abroad", user=None):
        """A manager's End Now and Refund, through its wizard."""
        action = membership.with_user(user or self.manager).action_end_and_refund()
        self.assertEqual(action["res_model"], "clinic.membership.change")
        wizard = (
            self.env["clinic.membership.change"]
            .with_user(user or self.manager)
            .with_context(**action["context"])
            .create({"reason": reason})
        )
        if amount is not None:
            wizard.amount = amount
        result = wizard.action_confirm()
        request = self.env["clinic.refund.request"].browse(result["res_id"])
        self.assertEqual(result["res_model"], "clinic.refund.request")
        return wizard, request

    def _execute_with_a_slow_provider(self, request):
        """The provider accepts the refund now and confirms (or refuses) it
        later."""

        def send_refund_request(tx, amount_to_refund=None):
            return tx._create_child_transaction(amount_to_refund, is_refund=True)

        Tx = self.registry["payment.transaction"]
        with patch.object(Tx, "_send_refund_request", send_refund_request):
            request.with_user(self.manager2).action_execute()

    def _patient_subjects(self, request):
        return request.message_ids.filtered(lambda m: m.partner_ids == self.patient).mapped(
            "subject"
        )

    def _activity(self, membership, summary):
        return membership.activity_ids.filtered(lambda a: a.summary == summary)

    def _history(self, card):
        return card.sudo().history_ids.sorted("id").mapped("clinic_kind")

    def _by_account(self, move):
        return {
            line.account_id: line.balance
            for line in move.line_ids
            if line.display_type != "payment_term"
        }

    def _given_back_activity(self, membership):
        return membership.activity_ids.filtered(
            lambda a: a.summary == "Membership charge given back"
        )

    def test_whole_charge_refunded_reverses_the_period(self):
        membership = self._member()
        period = membership.period_ids
        invoice = period.invoice_id
        tx = invoice.transaction_ids
        card = membership.card_id
        self.assertEqual((card.points, card.clinic_value), (1, 40.0))
        refund_tx = self._refund_at_provider(tx, 69.0)
        self.assertEqual(
            (refund_tx.state, refund_tx.payment_id.payment_type), ("done", "outbound")
        )
        # on the period, not on the wallet card
        self.assertFalse(self._card_requests(card))
        self.assertEqual(period.refunded_amount, 69.0)
        self.assertEqual(period.refund_transaction_ids, refund_tx)
        credit_note = period.refund_move_ids
        self.assertEqual(len(credit_note), 1)
        self.assertEqual(
            (credit_note.move_type, credit_note.state, credit_note.reversed_entry_id),
            ("out_refund", "posted", invoice),
        )
        self.assertEqual(credit_note.amount_total, 69.0)
        # the reversal of the invoice: its fee and its credit
        self.assertEqual(
            self._by_account(credit_note), {self.plan_income: 29.0, self.wallet_account: 40.0}
        )
        self.assertFalse(self._open_receivable(credit_note | refund_tx.payment_id.move_id))
        self.assertFalse(self._open_receivable(invoice | tx.payment_id.move_id))
        # a done request of the method "outside", carrying those documents
        request = self._period_requests(period)
        self.assertEqual(
            (request.state, request.method, request.amount, request.amount_recorded),
            ("done", "outside", 69.0, 69.0),
        )
        self.assertEqual(
            (request.refund_transaction_id, request.credit_note_id, request.payment_id),
            (refund_tx, credit_note, refund_tx.payment_id),
        )
        self.assertEqual(
            (request.patient_id, request.membership_credits_withdrawn), (self.patient, 1)
        )
        self.assertEqual(period._get_refundable_left(), 0.0)
        self.assertEqual(self._balance(self.plan_income), 0.0)
        self.assertEqual(self._balance(self.wallet_account), 0.0)
        # the credit it gave left the card with its value
        self.assertEqual(
            (card.points, card.clinic_value, card.clinic_sessions_refunded), (0, 0.0, 1)
        )
        self.assertEqual(period.state, "paid")
        self.assertEqual(membership.state, "active", "the manager decides")
        activity = self._given_back_activity(membership)
        self.assertEqual(len(activity), 1)
        self.assertTrue(activity.user_id.has_group("clinic_prepay.group_clinic_manager"))
        self.assertIn(period.name, activity.note)
        self.assertTrue(
            membership.message_ids.filtered(lambda m: credit_note.name in (m.body or ""))
        )
        # the same notification again records nothing more
        refund_tx._post_process()
        (tx | refund_tx)._clinic_record_provider_refunds()
        period._record_provider_refund(refund_tx)
        self.assertEqual(len(period.refund_move_ids), 1)
        self.assertEqual(period.refunded_amount, 69.0)
        self.assertEqual(len(self._given_back_activity(membership)), 1)
        self.assertEqual(card.points, 0)
        self.assertEqual(self._period_requests(period), request)

    def test_part_of_the_charge_refunded_credits_the_fee(self):
        membership = self._member()
        period = membership.period_ids
        tx = period.invoice_id.transaction_ids
        card = membership.card_id
        refund_tx = self._refund_at_provider(tx, 20.0)
        self.assertFalse(self._card_requests(card))
        credit_note = period.refund_move_ids
        self.assertEqual((credit_note.state, credit_note.amount_total), ("posted", 20.0))
        self.assertEqual(self._by_account(credit_note), {self.plan_income: 20.0})
        self.assertFalse(self._open_receivable(credit_note | refund_tx.payment_id.move_id))
        self.assertEqual(period.refunded_amount, 20.0)
        self.assertEqual(self._balance(self.plan_income), -9.0)
        # the credit is still the member's, and still owed
        self.assertEqual((card.points, card.clinic_value), (1, 40.0))
        self.assertEqual(self._balance(self.wallet_account), -40.0)
        self.assertEqual(len(self._given_back_activity(membership)), 1)
        # a second refund, of the rest, is a credit note on the fee too
        second = self._refund_at_provider(tx, 49.0)
        self.assertEqual(period.refunded_amount, 69.0)
        self.assertEqual(period.refund_transaction_ids, refund_tx | second)
        self.assertEqual(len(period.refund_move_ids), 2)
        requests = self._period_requests(period)
        self.assertEqual(requests.mapped("state"), ["done", "done"])
        self.assertEqual(requests.credit_note_id, period.refund_move_ids)
        self.assertEqual(requests.refund_transaction_id, refund_tx | second)
        self.assertEqual(period._get_refundable_left(), 0.0)
        self.assertFalse(
            self._open_receivable(period.refund_move_ids | (refund_tx | second).payment_id.move_id)
        )
        self.assertEqual((card.points, card.clinic_value), (1, 40.0))

    def test_refund_before_the_charge_is_in_the_books(self):
        """The refund's notification comes first: it waits for the charge,
        then lands on the period."""
        membership = self._sign_up()
        period = membership.period_ids
        invoice = period.invoice_id
        Tx = self.env["payment.transaction"].sudo()
        tx = Tx.create(
            {
                "provider_id": self.provider.id,
                "payment_method_id": self.payment_method.id,
                "amount": invoice.amount_total,
                "currency_id": invoice.currency_id.id,
                "partner_id": period.partner_id.id,
                "reference": Tx._compute_reference("demo", invoice_ids=[Command.set(invoice.ids)]),
                "operation": "online_redirect",
                "invoice_ids": [Command.set(invoice.ids)],
            }
        )
        tx._handle_notification_data(
            "demo", {"reference": tx.reference, "simulated_state": "done"}
        )
        refund_tx = self._refund_at_provider(tx, 69.0)
        self.assertFalse(period.refund_move_ids)
        self.assertFalse(self._period_requests(period))
        self.assertEqual(invoice.state, "draft")
        tx._post_process()
        self.assertEqual((period.state, membership.state), ("paid", "active"))
        card = membership.card_id
        self.assertEqual(period.refund_transaction_ids, refund_tx)
        self.assertEqual(period.refunded_amount, 69.0)
        self.assertFalse(self._card_requests(card))
        request = self._period_requests(period)
        self.assertEqual((request.state, request.refund_transaction_id), ("done", refund_tx))
        moves = invoice | period.refund_move_ids | (tx | refund_tx).payment_id.move_id
        self.assertFalse(self._open_receivable(moves), "nothing open on the member")
        self.assertEqual((card.points, card.clinic_value), (0, 0.0))
        self.assertEqual(self._balance(self.wallet_account), 0.0)

    def test_whole_refund_after_the_credit_was_used(self):
        """The credit was spent on a visit: its value is the treatment's
        income already; the reversal's prepaid debit is written off against
        breakage, the card's account ends at zero."""
        membership = self._member()
        start = self._bookable_time(not_before=timedelta(days=1))
        appointment = self._appointment(start, user=self.front_desk)
        appointment.with_user(self.front_desk).action_book()
        self._travel(start + timedelta(minutes=5))
        appointment.with_user(self.front_desk).action_done()
        card = membership.card_id
        self.assertEqual((card.points, card.clinic_value), (0, 0.0))
        tx = membership.period_ids.invoice_id.transaction_ids
        self._refund_at_provider(tx, 69.0)
        self.assertEqual((card.points, card.clinic_value), (0, 0.0))
        self.assertEqual(self._balance(self.wallet_account), 0.0)
        self.assertEqual(self._balance(self.breakage_account), 40.0)
        self.assertEqual(membership.period_ids.refunded_amount, 69.0)
        request = self._period_requests(membership.period_ids)
        self.assertEqual((request.state, request.membership_credits_withdrawn), ("done", 0))
        write_off = request.membership_write_off_id
        self.assertEqual(
            self._by_account(write_off), {self.wallet_account: -40.0, self.breakage_account: 40.0}
        )

    # -- End Now and Refund ---------------------------------------------------

    def test_manager_ends_now_with_a_full_refund_to_the_card(self):
        membership = self._member()
        period = membership.period_ids
        invoice = period.invoice_id
        tx = invoice.transaction_ids
        card = membership.card_id
        self.assertEqual((card.points, card.clinic_value), (1, 40.0))
        wizard, request = self._end_and_refund(membership)
        # the whole last paid period by default
        self.assertEqual((wizard.refund_period_id, wizard.refund_left), (period, 69.0))
        self.assertEqual(wizard.amount, 69.0)
        # ended at once, as End Now does: nothing more charged, credits expired
        self.assertEqual(
            (membership.state, membership.date_end, membership.next_charge_at),
            ("cancelled", membership._clinic_today(), False),
        )
        self.assertEqual((card.points, card.clinic_sessions_expired), (0, 1))
        self.assertEqual(self._balance(self.breakage_account), -40.0)
        # a submitted request, back to the card the period was paid with
        self.assertEqual(
            (request.state, request.amount, request.method, request.reason),
            ("submitted", 69.0, "provider", "Moving abroad"),
        )
        self.assertEqual(
            (request.membership_period_id, request.patient_id, request.requested_by_id),
            (period, self.patient, self.manager),
        )
        self.assertEqual(request._get_source_transaction(), tx)
        self.assertIn("your membership Glow, period", request._get_refund_about())
        self.assertIn(request, period.refund_request_ids)
        self.assertEqual(membership.refund_request_count, 1)
        self.assertEqual(membership.action_view_refund_requests()["res_id"], request.id)
        self.assertTrue(membership.message_ids.filtered(lambda m: request.name in (m.body or "")))
        # nothing left to refund: the request claims it all
        self.assertEqual(period._get_refundable_left(), 0.0)
        with self.assertRaisesRegex(UserError, "already ended"):
            membership.with_user(self.manager).action_end_and_refund()
        # the normal approval: not by its requester
        with self.assertRaisesRegex(UserError, "Nobody approves their own"):
            request.with_user(self.manager).action_approve()
        request.with_user(self.manager2).action_approve()
        self.assertEqual(request.state, "approved")
        request.with_user(self.manager2).action_execute()
        self.assertEqual(request.state, "done")
        # the demo provider refunded it at once
        refund_tx = request.refund_transaction_id
        self.assertEqual(
            (
                refund_tx.operation,
                refund_tx.state,
                refund_tx.amount,
                refund_tx.source_transaction_id,
            ),
            ("refund", "done", -69.0, tx),
        )
        payment = request.payment_id
        self.assertEqual(payment, refund_tx.payment_id)
        self.assertEqual(
            (payment.payment_type, payment.amount, payment.move_id.state),
            ("outbound", 69.0, "posted"),
        )
        # the credit note reverses the invoice, fee and credit, reconciled
        # with the outbound payment
        credit_note = request.credit_note_id
        self.assertEqual(
            (credit_note.move_type, credit_note.state, credit_note.reversed_entry_id),
            ("out_refund", "posted", invoice),
        )
        self.assertEqual(
            self._by_account(credit_note), {self.plan_income: 29.0, self.wallet_account: 40.0}
        )
        receivable = credit_note.line_ids.filtered(
            lambda line: line.display_type == "payment_term"
        )
        self.assertEqual((receivable.balance, receivable.reconciled), (-69.0, True))
        self.assertEqual(receivable.full_reconcile_id, payment.move_id.line_ids.full_reconcile_id)
        self.assertFalse(self._open_receivable(invoice | credit_note | payment.move_id))
        self.assertEqual(self._balance(self.patient.property_account_receivable_id), 0.0)
        # the credit had expired with the membership: the value the refund
        # gave back for it is written back off the breakage income
        self.assertEqual(request.membership_credits_withdrawn, 0)
        self.assertEqual(
            self._by_account(request.membership_write_off_id),
            {self.wallet_account: -40.0, self.breakage_account: 40.0},
        )
        self.assertEqual((card.points, card.clinic_value), (0, 0.0))
        self.assertEqual(self._balance(self.wallet_account), 0.0)
        self.assertEqual(self._balance(self.breakage_account), 0.0)
        self.assertEqual(self._balance(self.plan_income), 0.0)
        self.assertEqual(self._history(card), ["sold", "expired", "refunded", "adjusted"])
        # on the period
        self.assertEqual(period.refunded_amount, 69.0)
        self.assertEqual(period.refund_move_ids, credit_note)
        self.assertEqual(period.refund_transaction_ids, refund_tx)
        self.assertEqual(period._get_refundable_left(), 0.0)
        # the manager decided: no "given back" activity to decide on
        self.assertFalse(self._given_back_activity(membership))
        self.assertTrue(
            membership.message_ids.filtered(lambda m: credit_note.name in (m.body or ""))
        )
        # the patient heard of each step
        subjects = self._patient_subjects(request)
        self.assertTrue(any("is approved" in s for s in subjects), subjects)
        self.assertTrue(any("on its way" in s for s in subjects), subjects)
        mail = request.message_ids.filtered(lambda m: m.subject and "on its way" in m.subject)
        self.assertIn("your membership Glow", mail.body)
        # executed again: nothing twice
        moves = self.env["account.move"].search_count([])
        request.with_user(self.manager2).action_execute()
        self.assertEqual(self.env["account.move"].search_count([]), moves)
        (tx | refund_tx)._clinic_record_provider_refunds()
        self.assertEqual(self._period_requests(period), request)
        self.assertEqual(period.refunded_amount, 69.0)

    def test_manager_ends_now_with_part_of_the_period_refunded(self):
        membership = self._member()
        period = membership.period_ids
        card = membership.card_id
        _wizard, request = self._end_and_refund(membership, amount=20.0)
        self.assertEqual(
            (membership.state, request.state, request.amount), ("cancelled", "submitted", 20.0)
        )
        self.assertEqual(period._get_refundable_left(), 49.0)
        request.with_user(self.manager2).action_approve()
        request.with_user(self.manager2).action_execute()
        self.assertEqual(request.state, "done")
        self.assertEqual(
            (request.refund_transaction_id.state, request.refund_transaction_id.amount),
            ("done", -20.0),
        )
        # part of the fee: the credit note is on the fee's income only
        credit_note = request.credit_note_id
        self.assertEqual((credit_note.state, credit_note.amount_total), ("posted", 20.0))
        self.assertEqual(self._by_account(credit_note), {self.plan_income: 20.0})
        self.assertFalse(self._open_receivable(credit_note | request.payment_id.move_id))
        self.assertEqual(self._balance(self.patient.property_account_receivable_id), 0.0)
        self.assertEqual(self._balance(self.plan_income), -9.0)
        # the credit expired with the membership, its breakage stays
        self.assertEqual((card.points, card.clinic_value), (0, 0.0))
        self.assertEqual(self._balance(self.wallet_account), 0.0)
        self.assertEqual(self._balance(self.breakage_account), -40.0)
        self.assertFalse(request.membership_write_off_id)
        self.assertEqual((period.refunded_amount, period._get_refundable_left()), (20.0, 49.0))
        self.assertEqual(period.refund_move_ids, credit_note)
        # the rest may be refunded later, by a request of the period
        rest = (
            self.env["clinic.refund.request"]
            .with_user(self.front_desk)
            .create({"membership_period_id": period.id, "reason": "The rest"})
        )
        self.assertEqual((rest.amount, rest.method), (49.0, "provider"))
        with self.assertRaisesRegex(ValidationError, "more than the"):
            rest.with_user(self.front_desk).write({"amount": 50.0})

    def test_the_desk_cannot_end_with_a_refund(self):
        membership = self._member()
        self.assertTrue(get_public_method(membership, "action_end_and_refund"))
        for name in ("_end_and_refund", "_get_refund_period"):
            with self.assertRaises(AccessError, msg=f"{name} is not callable over RPC"):
                get_public_method(membership, name)
        for name in (
            "_record_refund",
            "_record_outside_refund",
            "_create_credit_note",
            "_withdraw_credits",
            "_take_back",
        ):
            with self.assertRaises(AccessError, msg=f"{name} is not callable over RPC"):
                get_public_method(membership.period_ids, name)
        desk = membership.with_user(self.front_desk)
        for call in (desk.action_end_and_refund, lambda: desk._end_and_refund(69.0)):
            with self.assertRaisesRegex(AccessError, "Only a clinic manager"):
                call()
        with self.assertRaises(AccessError), self.env.cr.savepoint():
            self.env["clinic.membership.change"].with_user(self.front_desk).create(
                {"membership_id": membership.id, "mode": "refund", "amount": 69.0}
            )
        # a draft of the desk waits for a manager: it neither ends nor pays
        request = (
            self.env["clinic.refund.request"]
            .with_user(self.front_desk)
            .create({"membership_period_id": membership.period_ids.id, "reason": "Asked"})
        )
        request.with_user(self.front_desk).action_submit()
        with self.assertRaises(AccessError):
            request.with_user(self.front_desk).action_approve()
        with self.assertRaises(AccessError):
            request.with_user(self.front_desk).action_execute()
        with self.assertRaises(AccessError):
            request.with_user(self.front_desk).write({"membership_credits_withdrawn": 5})
        self.assertEqual((membership.state, request.state), ("active", "submitted"))
        self.assertEqual(membership.card_id.points, 1)

    def test_a_refund_above_what_is_refundable_is_refused(self):
        membership = self._member()
        period = membership.period_ids
        card = membership.card_id
        messages = len(membership.message_ids)
        manager = membership.with_user(self.manager)
        for amount in (69.01, 100.0, 0.0, -5.0, float("nan"), True, "69"):
            with self.subTest(amount=amount), self.assertRaises(ValidationError):
                manager._end_and_refund(amount)
        # through the wizard too
        action = manager.action_end_and_refund()
        wizard = (
            self.env["clinic.membership.change"]
            .with_user(self.manager)
            .with_context(**action["context"])
            .create({"amount": 70.0})
        )
        with self.assertRaisesRegex(ValidationError, "more than the"):
            wizard.action_confirm()
        # nothing was written
        self.assertEqual((membership.state, membership.date_end), ("active", False))
        self.assertTrue(membership.next_charge_at)
        self.assertFalse(self._period_requests(period))
        self.assertEqual((card.points, card.clinic_value), (1, 40.0))
        self.assertEqual(len(membership.message_ids), messages)
        # what went back already is not refundable again
        tx = period.invoice_id.transaction_ids
        self._refund_at_provider(tx, 20.0)
        self.assertEqual(period._get_refundable_left(), 49.0)
        with self.assertRaisesRegex(ValidationError, "more than the"):
            manager._end_and_refund(50.0)
        self.assertEqual(membership.state, "active")
        _wizard, request = self._end_and_refund(membership)
        self.assertEqual((request.amount, membership.state), (49.0, "cancelled"))

    def test_a_refund_the_provider_refuses_is_undone(self):
        membership = self._member()
        period = membership.period_ids
        card = membership.card_id
        _wizard, request = self._end_and_refund(membership)
        request.with_user(self.manager2).action_approve()
        self._execute_with_a_slow_provider(request)
        refund_tx = request.refund_transaction_id
        credit_note = request.credit_note_id
        self.assertEqual((request.state, refund_tx.state), ("in_progress", "draft"))
        self.assertEqual(credit_note.state, "posted")
        self.assertEqual(period.refunded_amount, 0.0, "not until the money left")
        refund_tx._set_error("Card expired")
        # back to approved: no money left, the credit note is cancelled
        self.assertEqual(request.state, "approved")
        self.assertFalse(request.credit_note_id)
        self.assertEqual(credit_note.state, "cancel")
        self.assertEqual(
            (period.refunded_amount, period.refund_move_ids), (0.0, credit_note.browse())
        )
        self.assertEqual(self._balance(self.patient.property_account_receivable_id), 0.0)
        self.assertEqual(self._balance(self.plan_income), -29.0)
        self.assertEqual((card.points, card.clinic_value), (0, 0.0))
        self.assertIn(
            "Refund failed at the provider", request.sudo().activity_ids.mapped("summary")
        )
        # refunded by transfer instead: approved again, then paid by the bank
        request.with_user(self.manager2).write({"method": "manual"})
        self.assertEqual(request.state, "submitted")
        request.with_user(self.manager2).action_approve()
        request.with_user(self.manager2).action_execute()
        self.assertEqual(request.state, "done")
        payment = request.payment_id
        self.assertEqual((payment.payment_type, payment.amount), ("outbound", 69.0))
        self.assertFalse(payment.payment_transaction_id)
        self.assertFalse(self._open_receivable(request.credit_note_id | payment.move_id))
        self.assertEqual(period.refunded_amount, 69.0)
        self.assertEqual(period.refund_move_ids, request.credit_note_id)
        self.assertEqual(self._balance(self.plan_income), 0.0)
        self.assertEqual(self._balance(self.wallet_account), 0.0)
        self.assertEqual(self._balance(self.breakage_account), 0.0)

    def test_a_refund_reported_failed_after_done_is_undone(self):
        """A request of the desk on a running membership: the whole period
        refunded takes its credit off the card; the provider then reports
        the refund failed: all of it comes back."""
        membership = self._member()
        period = membership.period_ids
        card = membership.card_id
        request = (
            self.env["clinic.refund.request"]
            .with_user(self.front_desk)
            .create({"membership_period_id": period.id, "reason": "Charged by mistake"})
        )
        self.assertEqual((request.amount, request.method), (69.0, "provider"))
        request.with_user(self.front_desk).action_submit()
        request.with_user(self.manager).action_approve()
        request.with_user(self.manager).action_execute()
        self.assertEqual(request.state, "done")
        self.assertEqual(membership.state, "active", "a refund alone does not end it")
        # the credit left the card with its value
        self.assertEqual(request.membership_credits_withdrawn, 1)
        self.assertFalse(request.membership_write_off_id)
        self.assertEqual(
            (card.points, card.clinic_value, card.clinic_sessions_refunded), (0, 0.0, 1)
        )
        self.assertEqual(self._balance(self.wallet_account), 0.0)
        self.assertEqual(self._balance(self.plan_income), 0.0)
        credit_note = request.credit_note_id
        payment = request.payment_id
        # the provider's notification, as the webhook runs it
        request.refund_transaction_id.sudo()._set_error(
            "The bank returned it", extra_allowed_states=("done",)
        )
        self.assertEqual(request.state, "failed")
        self.assertEqual(payment.state, "canceled")
        reversal = credit_note.reversal_move_ids
        self.assertEqual((reversal.state, credit_note.state), ("posted", "posted"))
        self.assertEqual(
            self._by_account(reversal), {self.plan_income: -29.0, self.wallet_account: -40.0}
        )
        self.assertFalse(self._open_receivable(credit_note | reversal))
        self.assertEqual(self._balance(self.patient.property_account_receivable_id), 0.0)
        # the period is paid again, the credit back on the card with its value
        self.assertEqual((period.refunded_amount, period._get_refundable_left()), (0.0, 69.0))
        self.assertFalse(period.refund_move_ids)
        self.assertEqual(
            (card.points, card.clinic_value, card.clinic_sessions_refunded), (1, 40.0, 0)
        )
        self.assertEqual(self._balance(self.wallet_account), -40.0)
        self.assertEqual(self._balance(self.plan_income), -29.0)
        self.assertEqual(self._history(card), ["sold", "refunded", "adjusted"])
        activity = self._activity(membership, "Refund failed at the provider")
        self.assertEqual(len(activity), 1)
        self.assertIn(request.name, activity.note)

    def test_a_dashboard_refund_reported_failed_later_is_undone(self):
        membership = self._member()
        period = membership.period_ids
        invoice = period.invoice_id
        tx = invoice.transaction_ids
        card = membership.card_id
        refund_tx = self._refund_at_provider(tx, 69.0)
        request = self._period_requests(period)
        self.assertEqual((request.state, request.method), ("done", "outside"))
        credit_note = request.credit_note_id
        payment = request.payment_id
        self.assertEqual((card.points, card.clinic_value), (0, 0.0))
        # Stripe's charge.refund.updated, as the webhook runs it
        refund_tx.sudo()._set_error("The refund failed", extra_allowed_states=("done",))
        self.assertEqual(request.state, "failed")
        self.assertEqual(payment.state, "canceled")
        self.assertEqual(credit_note.reversal_move_ids.state, "posted")
        self.assertFalse(
            self._open_receivable(invoice | credit_note | credit_note.reversal_move_ids)
        )
        self.assertEqual(self._balance(self.patient.property_account_receivable_id), 0.0)
        self.assertEqual(
            (period.refunded_amount, period.refund_move_ids), (0.0, credit_note.browse())
        )
        self.assertEqual((card.points, card.clinic_value), (1, 40.0))
        self.assertEqual(self._balance(self.wallet_account), -40.0)
        self.assertEqual(self._balance(self.plan_income), -29.0)
        self.assertEqual(len(self._activity(membership, "Refund failed at the provider")), 1)
        # the same notifications again change nothing
        refund_tx._post_process()
        (tx | refund_tx)._clinic_record_provider_refunds()
        self.assertEqual(self._period_requests(period), request)
        self.assertEqual((period.refunded_amount, card.points), (0.0, 1))
        # the whole period is refundable again
        self.assertEqual(period._get_refundable_left(), 69.0)

    def test_a_dashboard_refund_failed_after_the_credit_was_used(self):
        """The write-off of the credit already spent is reversed with it."""
        membership = self._member()
        start = self._bookable_time(not_before=timedelta(days=1))
        appointment = self._appointment(start, user=self.front_desk)
        appointment.with_user(self.front_desk).action_book()
        self._travel(start + timedelta(minutes=5))
        appointment.with_user(self.front_desk).action_done()
        card = membership.card_id
        tx = membership.period_ids.invoice_id.transaction_ids
        refund_tx = self._refund_at_provider(tx, 69.0)
        self.assertEqual(self._balance(self.breakage_account), 40.0)
        request = self._period_requests(membership.period_ids)
        write_off = request.membership_write_off_id
        refund_tx.sudo()._set_error("The refund failed", extra_allowed_states=("done",))
        self.assertEqual(request.state, "failed")
        self.assertEqual(write_off.reversal_move_ids.state, "posted")
        self.assertEqual(self._balance(self.breakage_account), 0.0)
        self.assertEqual(self._balance(self.wallet_account), 0.0)
        self.assertEqual((card.points, card.clinic_value), (0, 0.0))
