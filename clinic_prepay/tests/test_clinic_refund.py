# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged

from .common import NOW, ClinicPaymentCommon


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestRefundRequest(ClinicPaymentCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager2 = new_test_user(
            cls.env,
            login="clinic_manager2",
            name="Nora Manager",
            groups="clinic_prepay.group_clinic_manager",
        )

    def _cancelled_paid(self, online=False, by="clinic"):
        appointment = self._appointment(NOW + timedelta(days=3))
        appointment.action_book()
        if online:
            self._pay_online(appointment)
        else:
            self._pay_at_desk(appointment)
        getattr(appointment.with_user(self.front_desk), f"action_cancel_by_{by}")()
        return appointment

    def _draft_request(self, appointment, amount=None, user=None):
        action = appointment.with_user(user or self.front_desk).action_request_refund()
        with Form(
            self.env["clinic.refund.request"]
            .with_user(user or self.front_desk)
            .with_context(**action["context"])
        ) as form:
            if amount is not None:
                form.amount = amount
            form.reason = "Patient called"
        return form.record

    def test_cancellation_creates_the_request(self):
        appointment = self._cancelled_paid()
        request = appointment.deposit_ids.refund_request_ids
        self.assertEqual(len(request), 1)
        self.assertEqual((request.state, request.amount), ("submitted", 50.0))
        self.assertEqual(request.requested_by_id, self.front_desk)
        self.assertEqual(request.method, "manual", "a desk payment is refunded by transfer")
        self.assertFalse(request.approved_by_id)

    def test_auto_approval_when_company_allows(self):
        self.company.clinic_refund_auto_approve = True
        request = self._cancelled_paid().deposit_ids.refund_request_ids
        self.assertEqual(request.state, "approved")

    def test_front_desk_requests_manager_approves_and_executes(self):
        appointment = self._cancelled_paid()
        appointment.deposit_ids.refund_request_ids.with_user(self.manager).write(
            {"reject_reason": "duplicate"}
        )
        appointment.deposit_ids.refund_request_ids.with_user(self.manager).action_reject()
        request = self._draft_request(appointment, amount=30.0)
        self.assertEqual(request.state, "draft")
        request.with_user(self.front_desk).action_submit()
        with self.assertRaises(AccessError):
            request.with_user(self.front_desk).action_approve()
        self.assertEqual(request.state, "submitted")
        request.with_user(self.manager).action_approve()
        self.assertEqual((request.state, request.approved_by_id), ("approved", self.manager))
        with self.assertRaises(AccessError):
            request.with_user(self.front_desk).action_execute()
        request.with_user(self.manager).action_execute()
        self.assertEqual(request.state, "done")
        deposit = appointment.deposit_ids
        self.assertEqual((deposit.amount_refunded, deposit.amount_refundable), (30.0, 20.0))
        self.assertEqual(appointment.amount_refunded, 30.0)
        self.assertEqual(deposit.state, "paid", "20.00 still to give back")
        # journal items: credit note on the deposit account, payment, reconciled
        credit_note = request.credit_note_id
        self.assertEqual((credit_note.move_type, credit_note.state), ("out_refund", "posted"))
        self.assertEqual(credit_note.amount_total, 30.0)
        self.assertEqual(
            credit_note.line_ids.filtered(
                lambda line: line.account_id == self.deposit_account
            ).debit,
            30.0,
        )
        payment = request.payment_id
        self.assertEqual((payment.payment_type, payment.amount), ("outbound", 30.0))
        receivables = (credit_note | payment.move_id).line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )
        self.assertTrue(all(receivables.mapped("reconciled")))
        self.assertEqual(sum(receivables.mapped("amount_residual")), 0.0)
        self.assertTrue(
            request.message_ids.filtered(lambda m: "refunded to Patricia Patient" in m.body)
        )

    def test_second_execution_changes_nothing(self):
        appointment = self._cancelled_paid()
        request = appointment.deposit_ids.refund_request_ids
        request.with_user(self.manager).action_approve()
        request.with_user(self.manager).action_execute()
        moves = self.env["account.move"].search_count([])
        request.with_user(self.manager).action_execute()
        self.assertEqual(self.env["account.move"].search_count([]), moves)
        self.assertEqual(appointment.deposit_ids.amount_refunded, 50.0)
        self.assertEqual(appointment.deposit_ids.state, "refunded")
        self.assertEqual(self._deposit_balance(appointment), 0.0, "credit note included")

    def test_nobody_approves_their_own_request(self):
        appointment = self._cancelled_paid()
        appointment.deposit_ids.refund_request_ids.with_user(self.manager).write(
            {"reject_reason": "replaced"}
        )
        appointment.deposit_ids.refund_request_ids.with_user(self.manager).action_reject()
        request = self._draft_request(appointment, user=self.manager)
        request.with_user(self.manager).action_submit()
        with self.assertRaisesRegex(UserError, "own refund request"):
            request.with_user(self.manager).action_approve()
        request.with_user(self.manager2).action_approve()
        self.assertEqual(request.state, "approved")

    def test_over_refund_refused(self):
        appointment = self._cancelled_paid()
        open_request = appointment.deposit_ids.refund_request_ids
        # the open request claims it all: nothing more can be asked, even by RPC
        with self.assertRaisesRegex(UserError, "already requested"):
            appointment.with_user(self.front_desk).action_request_refund()
        with self.assertRaisesRegex(ValidationError, "more than"):
            self.env["clinic.refund.request"].with_user(self.front_desk).create(
                {"deposit_id": appointment.deposit_ids.id, "amount": 10.0, "reason": "again"}
            )
        open_request.with_user(self.manager).write({"reject_reason": "no"})
        open_request.with_user(self.manager).action_reject()
        with self.assertRaisesRegex(ValidationError, "more than"):
            self._draft_request(appointment, amount=50.01)
        request = self._draft_request(appointment, amount=50.0)
        with self.assertRaisesRegex(ValidationError, "more than"):
            request.with_user(self.front_desk).write({"amount": 50.01})
        self.assertEqual(request.state, "draft")
        with self.assertRaisesRegex(ValidationError, "positive"):
            request.with_user(self.front_desk).write({"amount": -5.0})

    def test_rejection_needs_a_reason(self):
        request = self._cancelled_paid().deposit_ids.refund_request_ids
        with self.assertRaisesRegex(UserError, "reason of the rejection"):
            request.with_user(self.manager).action_reject()
        self.assertEqual(request.state, "submitted")
        with self.assertRaises(AccessError):
            request.with_user(self.front_desk).action_reject()
        request.with_user(self.manager).reject_reason = "Paid by someone else"
        request.with_user(self.manager).action_reject()
        self.assertEqual(request.state, "rejected")
        with self.assertRaises(UserError):
            request.with_user(self.manager).action_approve()

    def test_threshold_needs_two_approvers(self):
        self.company.clinic_refund_double_approval_amount = 40.0
        request = self._cancelled_paid().deposit_ids.refund_request_ids
        self.assertTrue(request.needs_second_approval)
        request.with_user(self.manager).action_approve()
        self.assertEqual(request.state, "submitted")
        with self.assertRaisesRegex(UserError, "another manager"):
            request.with_user(self.manager).action_approve()
        request.with_user(self.manager2).action_approve()
        self.assertEqual(request.state, "approved")
        self.assertEqual(
            (request.approved_by_id, request.second_approved_by_id), (self.manager, self.manager2)
        )

    def test_the_threshold_counts_what_the_deposit_gives_back_in_all(self):
        """Split refunds of one deposit still need two managers once their
        sum passes the threshold."""
        self.company.clinic_refund_double_approval_amount = 20.0
        appointment = self._cancelled_paid()
        whole = appointment.deposit_ids.refund_request_ids
        whole.with_user(self.manager).write({"reject_reason": "Split it"})
        whole.with_user(self.manager).action_reject()
        first = self._draft_request(appointment, amount=15.0)
        first.with_user(self.front_desk).action_submit()
        self.assertFalse(first.needs_second_approval)
        first.with_user(self.manager).action_approve()
        self.assertEqual(first.state, "approved")
        second = self._draft_request(appointment, amount=15.0)
        second.with_user(self.front_desk).action_submit()
        self.assertTrue(second.needs_second_approval, "30 given back in all")
        second.with_user(self.manager).action_approve()
        self.assertEqual(second.state, "submitted", "one manager is not enough")
        second.with_user(self.manager2).action_approve()
        self.assertEqual(second.state, "approved")
        # a rejected request gives nothing back: it does not count
        self.assertEqual(whole.state, "rejected")

    def test_a_clinic_cancellation_past_the_free_window_says_why_and_needs_a_manager(self):
        """Two hours before a visit whose policy keeps 50 %, the clinic's
        cancellation asks why, and its full refund waits for a manager even
        with auto-approval on."""
        self.company.clinic_refund_auto_approve = True
        appointment = self._appointment(NOW + timedelta(days=3))
        appointment.action_book()
        self._pay_at_desk(appointment)
        desk = appointment.with_user(self.front_desk)
        with freeze_time(appointment.start - timedelta(hours=2)):
            action = desk.action_cancel_by_clinic()
            self.assertEqual(action["res_model"], "clinic.cancel.by.clinic")
            self.assertEqual(appointment.state, "confirmed", "nothing cancelled yet")
            # the reason is not optional, whoever calls
            with self.assertRaisesRegex(UserError, "say why"):
                desk._cancel_by_clinic("  ")
            self.assertEqual(appointment.state, "confirmed")
            wizard = (
                self.env["clinic.cancel.by.clinic"]
                .with_user(self.front_desk)
                .with_context(**action["context"])
                .create({"note": "The practitioner is ill"})
            )
            wizard.action_confirm()
        self.assertEqual((appointment.state, appointment.cancel_reason), ("cancelled", "clinic"))
        self.assertEqual(appointment.cancel_note, "The practitioner is ill")
        request = appointment.deposit_ids.refund_request_ids
        self.assertEqual((request.amount, request.state), (50.0, "submitted"), "not automatic")
        self.assertIn("keeps 50.0 %", request.reason)
        self.assertIn("The practitioner is ill", request.reason)
        with self.assertRaises(AccessError):
            request.with_user(self.front_desk).action_approve()
        request.with_user(self.manager).action_approve()
        self.assertEqual(request.state, "approved")

    def test_a_clinic_cancellation_inside_the_free_window_is_as_before(self):
        self.company.clinic_refund_auto_approve = True
        appointment = self._appointment(NOW + timedelta(days=3))
        appointment.action_book()
        self._pay_at_desk(appointment)
        self.assertIs(appointment.with_user(self.front_desk).action_cancel_by_clinic(), True)
        request = appointment.deposit_ids.refund_request_ids
        self.assertEqual((request.amount, request.state), (50.0, "approved"), "the policy's")
        self.assertFalse(appointment.cancel_note)

    def test_front_desk_edits_only_own_drafts(self):
        appointment = self._cancelled_paid()
        submitted = appointment.deposit_ids.refund_request_ids
        with self.assertRaises(AccessError):
            submitted.with_user(self.front_desk).write({"amount": 1.0})
        other_desk = new_test_user(
            self.env, login="desk2", name="Desk Two", groups="clinic_prepay.group_clinic_user"
        )
        submitted.with_user(self.manager).write({"reject_reason": "x"})
        submitted.with_user(self.manager).action_reject()
        draft = self._draft_request(appointment, amount=5.0)
        with self.assertRaises(AccessError):
            draft.with_user(other_desk).write({"amount": 4.0})
        self.assertEqual(draft.with_user(other_desk).amount, 5.0, "but may read it")
        draft.with_user(self.front_desk).write({"amount": 4.0})

    def test_refund_through_payment_demo_reaches_the_provider(self):
        appointment = self._cancelled_paid(online=True)
        request = appointment.deposit_ids.refund_request_ids
        self.assertEqual(request.method, "provider")
        request.with_user(self.manager).action_approve()
        request.with_user(self.manager).action_execute()
        refund_tx = request.refund_transaction_id
        source_tx = appointment.deposit_ids.transaction_ids.filtered(
            lambda tx: tx.operation != "refund"
        )
        self.assertEqual(refund_tx.operation, "refund")
        self.assertEqual(refund_tx.source_transaction_id, source_tx)
        self.assertEqual((refund_tx.state, refund_tx.amount), ("done", -50.0))
        payment = request.payment_id
        self.assertEqual(payment, refund_tx.payment_id)
        self.assertEqual(payment.payment_type, "outbound")
        receivables = (request.credit_note_id | payment.move_id).line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )
        self.assertTrue(all(receivables.mapped("reconciled")))

    def test_portal_patient_sees_refund_status(self):
        portal = new_test_user(
            self.env, login="refund_portal", name="Refund Portal", groups="base.group_portal"
        )
        appointment = self._appointment(NOW + timedelta(days=3), patient=portal.partner_id)
        appointment.action_book()
        self._pay_at_desk(appointment)
        appointment.action_cancel_by_clinic()
        mine = self.env["clinic.refund.request"].with_user(portal).search([])
        self.assertEqual(mine, appointment.deposit_ids.refund_request_ids)
        self.assertEqual(mine.state, "submitted")
        with self.assertRaises(AccessError):
            mine.with_user(portal).write({"amount": 1.0})

    def test_the_patient_hears_of_each_step_and_cash_goes_back_in_cash(self):
        appointment = self._appointment(NOW + timedelta(days=3))
        appointment.action_book()
        cash = self.env["account.journal"].search(
            [("type", "=", "cash"), ("company_id", "=", self.company.id)], limit=1
        )
        self._pay_at_desk(appointment, journal=cash)
        appointment.with_user(self.front_desk).action_cancel_by_clinic()
        request = appointment.deposit_ids.refund_request_ids
        # the cancellation's request claims it all: nothing left to request
        self.assertFalse(appointment.amount_refund_left)
        with self.assertRaisesRegex(UserError, "already requested"):
            appointment.with_user(self.front_desk).action_request_refund()
        request.with_user(self.manager).action_approve()
        request.with_user(self.manager).action_execute()
        self.assertEqual(request.payment_id.journal_id, cash, "cash back in cash")
        subjects = request.message_ids.filtered(lambda m: m.partner_ids == self.patient).mapped(
            "subject"
        )
        self.assertTrue(any("is approved" in s for s in subjects), subjects)
        self.assertTrue(any("on its way" in s for s in subjects), subjects)
        # no copy to the staff who follow the request
        mails = request.message_ids.filtered(lambda m: m.subject and "on its way" in m.subject)
        self.assertEqual(mails.notification_ids.res_partner_id, self.patient)

    def test_a_rejection_asks_why_and_tells_the_patient(self):
        request = self._cancelled_paid().deposit_ids.refund_request_ids
        action = request.with_user(self.manager).action_open_reject()
        wizard = (
            self.env[action["res_model"]]
            .with_user(self.manager)
            .with_context(**action["context"])
            .create({"reason": "The visit took place."})
        )
        wizard.action_reject()
        self.assertEqual(
            (request.state, request.reject_reason), ("rejected", "The visit took place.")
        )
        mail = request.message_ids.filtered(lambda m: m.partner_ids == self.patient)
        self.assertIn("The visit took place.", mail.body)
        # the desk cannot reject, not even through the dialog
        with self.assertRaises(AccessError):
            self.env["clinic.refund.reject"].with_user(self.front_desk).create(
                {"request_ids": [(6, 0, request.ids)], "reason": "no"}
            )
