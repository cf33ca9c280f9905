# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import WalletCommon


@tagged("post_install", "-at_install")
class TestCourseRefund(WalletCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.course.clinic_refund_keep_percent = 10.0

    def _two_done(self, card):
        first = self._bookable_time()
        second = self._bookable_time(not_before=first + timedelta(days=1))
        for start in (first, second):
            self._book_course(start, card=card).with_user(self.front_desk).action_done()
        return second

    def test_refunded_pro_rata_by_transfer(self):
        card = self._sell_paid()
        self._two_done(card)
        request = card.with_user(self.front_desk).action_request_refund()
        self.assertEqual(request.state, "submitted")
        self.assertEqual(request.requested_by_id, self.front_desk)
        # four unused sessions: 400, of which the policy keeps 10 %
        self.assertEqual(request.amount, 360.0)
        self.assertEqual(request.patient_id, self.patient)
        self.assertEqual(request.company_id, self.company)
        self.assertEqual(request.method, "manual")
        self.assertEqual((card.points, card.clinic_sessions_refunded), (0, 4))
        kept = card.clinic_move_ids.filtered(
            lambda m: m.line_ids.filtered(lambda line: line.account_id == self.fee_account)
        )
        self.assertEqual(
            kept.line_ids.filtered(lambda line: line.account_id == self.fee_account).credit, 40.0
        )
        self.assertEqual(self._wallet_balance(card), 360.0)
        self.assertEqual(card.clinic_value, 360.0)

        with self.assertRaises(UserError):
            request.with_user(self.front_desk).action_approve()
        request.with_user(self.manager).action_approve()
        request.with_user(self.manager).action_execute()
        self.assertEqual(request.state, "done")
        credit_note = request.credit_note_id
        self.assertEqual(credit_note.move_type, "out_refund")
        self.assertEqual(credit_note.clinic_wallet_card_id, card)
        wallet_line = credit_note.line_ids.filtered(
            lambda line: line.account_id == self.wallet_account
        )
        self.assertEqual(wallet_line.debit, 360.0)
        payment = request.payment_id
        self.assertEqual((payment.payment_type, payment.amount), ("outbound", 360.0))
        self.assertEqual(payment.partner_id, self.patient)
        self.assertEqual(payment.journal_id, self.bank_journal, "paid back where it came in")
        self.assertIn(credit_note.payment_state, ("paid", "in_payment"))
        self.assertEqual(card.clinic_state, "refunded")
        self.assertEqual(
            (card.clinic_amount_refunded, card.clinic_amount_refundable), (360.0, 0.0)
        )
        self.assertEqual((card.clinic_value, self._wallet_balance(card)), (0.0, 0.0))
        mail = request.message_ids.filtered(lambda m: "on its way" in (m.subject or ""))
        self.assertIn("your course Six Botox", mail.body)

    def test_refunded_to_the_card_that_paid(self):
        card = self._sell()
        self._pay_course_online(card)
        request = card.with_user(self.front_desk).action_request_refund()
        self.assertEqual(request.method, "provider")
        self.assertEqual(request.amount, 540.0)
        request.with_user(self.manager).action_approve()
        request.with_user(self.manager).action_execute()
        refund_tx = request.refund_transaction_id.sudo()
        self.assertEqual(refund_tx.operation, "refund")
        self.assertEqual(refund_tx.amount, -540.0)
        if request.state == "in_progress":
            refund_tx._set_done()
            refund_tx._post_process()
        self.assertEqual(request.state, "done")
        self.assertEqual(card.clinic_state, "refunded")
        self.assertEqual(self._wallet_balance(card), 0.0)

    def test_taxes_come_back_pro_rata(self):
        tax = self.company.account_sale_tax_id
        self.product_botox.taxes_id = [Command.set(tax.ids)]
        course = self.env["loyalty.program"].create(
            {
                "name": "Taxed Botox",
                "program_type": "clinic_course",
                "clinic_treatment_ids": [Command.set(self.treatment_botox.ids)],
                "clinic_session_count": 4,
                "clinic_price": 400.0,
            }
        )
        card = self._sell_paid(course=course)
        total = card.clinic_invoice_id.amount_total
        self._book_course(self._bookable_time(), card=card).with_user(
            self.front_desk
        ).action_done()
        request = card.with_user(self.front_desk).action_request_refund()
        self.assertAlmostEqual(request.amount, total * 3 / 4, places=2)
        request.with_user(self.manager).action_approve()
        request.with_user(self.manager).action_execute()
        credit_note = request.credit_note_id
        self.assertEqual(credit_note.amount_total, request.amount)
        self.assertGreater(credit_note.amount_tax, 0.0)
        self.assertEqual((card.clinic_value, self._wallet_balance(card)), (0.0, 0.0))

    def test_booked_session_stays(self):
        card = self._sell_paid()
        second = self._two_done(card)
        booked = self._book_course(
            self._bookable_time(not_before=second + timedelta(days=1)), card=card
        )
        request = card.with_user(self.front_desk).action_request_refund()
        # three unused of the four left: 300 less 10 %
        self.assertEqual(request.amount, 270.0)
        self.assertEqual(card.points, 0)
        self.assertEqual(booked.wallet_session_state, "reserved")
        request.with_user(self.manager).action_approve()
        request.with_user(self.manager).action_execute()
        self.assertEqual(card.clinic_state, "active")
        booked.with_user(self.front_desk).action_done()
        self.assertEqual(booked.wallet_session_state, "used")
        self.assertEqual(card.clinic_state, "used")
        self.assertEqual((card.clinic_value, self._wallet_balance(card)), (0.0, 0.0))

    def test_expired_refundable_course(self):
        self.company.clinic_wallet_expiry = "refundable"
        self.course.clinic_refund_keep_percent = 0.0
        card = self._sell_paid()
        card._clinic_expire()
        self.assertEqual(card.clinic_state, "expired")
        request = card.with_user(self.front_desk).action_request_refund()
        self.assertEqual(request.amount, 600.0)

    def test_refusals(self):
        card = self._sell()
        with self.assertRaisesRegex(UserError, "no unused session"):
            card.with_user(self.front_desk).action_request_refund()
        paid = self._sell_paid()
        with self.assertRaises(AccessError):
            paid.with_user(self.internal_user).action_request_refund()
        request = paid.with_user(self.front_desk).action_request_refund()
        # nothing more to refund; the request's amount stays within it
        with self.assertRaisesRegex(UserError, "no unused session"):
            paid.with_user(self.front_desk).action_request_refund()
        with self.assertRaises(UserError):
            request.with_user(self.manager).write({"amount": 1000.0})
        with self.assertRaises(UserError):
            self.env["clinic.refund.request"].with_user(self.front_desk).create(
                {"wallet_card_id": paid.id, "amount": 10.0, "reason": "more"}
            )
        with self.assertRaises(AccessError):
            paid.with_user(self.front_desk).write({"clinic_amount_refundable": 900.0})

    def test_refund_failed_after_done_is_undone(self):
        """The provider reports a confirmed refund as failed: the course is
        refundable again and its value back in the account."""
        card = self._sell()
        self._pay_course_online(card)
        request = card.with_user(self.front_desk).action_request_refund()
        request.with_user(self.manager).action_approve()
        request.with_user(self.manager).action_execute()
        refund_tx = request.refund_transaction_id.sudo()
        if request.state == "in_progress":
            refund_tx._set_done()
            refund_tx._post_process()
        self.assertEqual(request.state, "done")
        self.assertEqual(self._wallet_balance(card), 0.0)
        # the provider's notification, as the webhook runs it
        refund_tx.sudo()._set_error("The bank returned it", extra_allowed_states=("done",))
        self.assertEqual(request.state, "failed")
        self.assertEqual(request.payment_id.state, "canceled")
        self.assertEqual(card.clinic_state, "active")
        self.assertEqual(
            (card.clinic_amount_refundable, card.clinic_amount_refunded), (540.0, 0.0)
        )
        self.assertEqual((card.clinic_value, self._wallet_balance(card)), (540.0, 540.0))
        activity = request.sudo().activity_ids
        self.assertEqual(activity.user_id, self.manager)
        self.assertIn("failed", activity.summary)
