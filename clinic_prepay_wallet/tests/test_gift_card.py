# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged

from .common import GiftCardCommon


@tagged("post_install", "-at_install")
class TestGiftCard(GiftCardCommon, HttpCase):
    def test_sold_online_spent_on_deposit_and_invoice_then_expired(self):
        card = self._sell_gift()
        self.assertEqual(card.clinic_state, "pending")
        self.assertGreaterEqual(len(card.code), 12)
        invoice = card.clinic_invoice_id
        self.assertEqual(invoice.state, "draft")
        self.assertEqual(invoice.amount_total, 150.0)
        # a multi-purpose voucher: no VAT when sold
        self.assertFalse(invoice.invoice_line_ids.tax_ids)
        self.assertEqual(self._gift_balance(card), 0.0)

        self._pay_course_online(card)
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(card.clinic_state, "active")
        self.assertEqual((card.points, card.clinic_value), (150.0, 150.0))
        self.assertEqual(self._gift_balance(card), 150.0)
        self.assertFalse(invoice.line_ids.filtered("tax_line_id"))
        # the recipient gets the code and the printable card
        mail = (
            self.env["mail.mail"]
            .sudo()
            .search([("model", "=", "loyalty.card"), ("res_id", "=", card.id)])
        )
        self.assertEqual(mail.email_to, "patricia@example.com")
        self.assertIn(card.code, mail.body_html)
        self.assertIn(f"/gift-card/{card.id}/print?code={card.code}", mail.body_html)

        # the deposit of a booking, paid by the card at the desk
        appointment = self._awaiting_deposit()
        deposit = appointment.deposit_ids
        self._pay_with_card(appointment, card.code.lower())
        self.assertEqual(appointment.state, "confirmed")
        self.assertEqual(deposit.state, "paid")
        self.assertEqual(appointment.gift_card_paid, 50.0)
        self.assertEqual(card.points, 100.0)
        self.assertEqual(self._gift_balance(card), 100.0)
        used = card.history_ids.filtered(lambda h: h.clinic_kind == "used")
        entry = used.clinic_move_id
        self.assertEqual(entry.state, "posted")
        debit = entry.line_ids.filtered(lambda line: line.account_id == self.gift_account)
        credit = entry.line_ids - debit
        self.assertEqual((debit.debit, credit.credit), (50.0, 50.0))
        self.assertEqual(credit.account_id.account_type, "asset_receivable")
        self.assertTrue(credit.reconciled)
        self.assertEqual(deposit.invoice_id.payment_state, "paid")
        self.assertEqual(used.order_id, appointment.id)

        # the final invoice at the desk: the card pays part of it
        appointment.with_user(self.front_desk).action_done()
        final = appointment.final_invoice_id
        self.assertEqual(final.amount_residual, 250.0)
        self._pay_with_card(appointment, card.code, amount=60.0)
        self.assertEqual(final.amount_residual, 190.0)
        self.assertEqual(appointment.gift_card_paid, 110.0)
        self.assertEqual((card.points, self._gift_balance(card)), (40.0, 40.0))
        self.assertEqual(card.clinic_value, self._gift_balance(card))

        # what is left at expiry becomes breakage income the next day
        self.assertEqual(self.company.clinic_wallet_expiry, "breakage")
        with freeze_time(card.expiration_date + timedelta(days=1, hours=12)):
            self.env["loyalty.card"]._cron_expire_courses()
        self.assertEqual((card.clinic_state, card.points, card.clinic_value), ("expired", 0, 0))
        self.assertEqual(self._gift_balance(card), 0.0)
        expired = card.history_ids.filtered(lambda h: h.clinic_kind == "expired")
        breakage = expired.clinic_move_id
        self.assertEqual(breakage.date, card.expiration_date + timedelta(days=1))
        lines = breakage.line_ids
        self.assertEqual(
            lines.filtered(lambda line: line.account_id == self.gift_account).debit, 40.0
        )
        self.assertEqual(
            lines.filtered(lambda line: line.account_id == self.breakage_account).credit, 40.0
        )
        # an expired card pays nothing more
        appointment2 = self._awaiting_deposit(
            self._bookable_time(not_before=appointment.start + timedelta(days=1))
        )
        with self.assertRaisesRegex(UserError, "expired"):
            self._pay_with_card(appointment2, card.code)

    def test_partial_deposit_rest_to_payment_form(self):
        card = self._sell_gift(amount=30.0)
        self._pay_course_online(card)
        appointment = self._awaiting_deposit()
        deposit = appointment.deposit_ids
        self._pay_with_card(appointment, card.code)
        # the card paid what it held; the rest is asked on Odoo's payment form
        self.assertEqual(appointment.state, "awaiting_payment")
        self.assertEqual(deposit.amount_residual, 20.0)
        self.assertEqual(card.clinic_state, "used")
        self.assertEqual(self._gift_balance(card), 0.0)
        self._pay_online(appointment)
        self.assertEqual(appointment.state, "confirmed")
        self.assertEqual(deposit.amount_paid, 50.0)
        with self.assertRaisesRegex(UserError, "used up"):
            self._pay_with_card(appointment, card.code)

    def test_desk_sells_and_takes_payment(self):
        wizard = (
            self.env["clinic.gift.card.sell"]
            .with_user(self.front_desk)
            .create(
                {
                    "partner_id": self.buyer.id,
                    "program_id": self.gift_program.id,
                    "amount": 80.0,
                    "recipient_name": "Alex",
                    "recipient_email": "alex@example.com",
                }
            )
        )
        action = wizard.action_take_payment()
        card = self.env["loyalty.card"].browse(action["context"]["default_card_id"]).sudo()
        self.env[action["res_model"]].with_user(self.front_desk).with_context(
            **action["context"]
        ).create({"journal_id": self.bank_journal.id}).action_confirm()
        self.assertEqual((card.clinic_state, card.points), ("active", 80.0))
        self.assertEqual(self._gift_balance(card), 80.0)
        self.assertIn(card.clinic_invoice_id.payment_state, ("paid", "in_payment"))

    def test_bad_input_writes_nothing(self):
        card = self._sell_gift(amount=60.0)
        appointment = self._awaiting_deposit()
        Move = self.env["account.move"].sudo()
        moves_before = Move.search_count([])
        # not paid yet
        with self.assertRaisesRegex(UserError, "not paid"):
            self._pay_with_card(appointment, card.code)
        self._pay_course_online(card)
        moves_before = Move.search_count([])
        cases = [
            ("NOTACODE12345678", None, "not one of our gift cards"),
            ("", None, "not one of our gift cards"),
            (card.code, -5.0, "positive"),
            (card.code, 65.0, "holds"),
            (card.code, 55.0, "more than the"),
        ]
        for code, amount, message in cases:
            with (
                self.subTest(code=code, amount=amount),
                self.assertRaisesRegex(UserError, message),
            ):
                self._pay_with_card(appointment, code, amount=amount)
        self.assertEqual(Move.search_count([]), moves_before)
        self.assertEqual((card.points, self._gift_balance(card)), (60.0, 60.0))
        self.assertEqual(appointment.state, "awaiting_payment")
        # bad sales
        for amount, message in ((0.0, "positive"), (-10.0, "positive"), (5.0, "sold for")):
            with self.subTest(amount=amount), self.assertRaisesRegex(UserError, message):
                self._sell_gift(amount=amount)
        # another clinic's code reads as a wrong code
        other = self.env["res.company"].create({"name": "Other Clinic"})
        with self.assertRaisesRegex(UserError, "not one of our gift cards"):
            self.env["loyalty.card"]._clinic_find_gift_card(card.code, other)

    def test_values_locked(self):
        card = self._sell_gift()
        self._pay_course_online(card)
        for user in (self.front_desk, self.manager):
            with self.subTest(user=user.login):
                for vals in (
                    {"points": 1000.0},
                    {"code": "A" * 16},
                    {"partner_id": user.partner_id.id},
                ):
                    with self.assertRaises(AccessError):
                        card.with_user(user).write(vals)
                with self.assertRaises(AccessError):
                    self.env["loyalty.card"].with_user(user).create(
                        {"program_id": self.gift_program.id, "points": 500.0}
                    )
        self.assertEqual(card.points, 150.0)
        # the history is the clinic's
        with self.assertRaises(AccessError):
            card.history_ids[:1].with_user(self.manager).write({"used": 0})
        # staff of no clinic role cannot take a card for a booking
        appointment = self._awaiting_deposit()
        with self.assertRaises(AccessError):
            self._pay_with_card(appointment, card.code, user=self.internal_user)
        self.assertEqual(card.points, 150.0)

    def test_printable_card_needs_its_code(self):
        card = self._sell_gift()
        self._pay_course_online(card)
        self.authenticate(None, None)
        ok = self.url_open(f"/gift-card/{card.id}/print?code={card.code}")
        self.assertEqual(ok.status_code, 200)
        self.assertIn(card.code, ok.text)
        wrong = self.url_open(f"/gift-card/{card.id}/print?code=WRONGCODE2345678")
        self.assertEqual(wrong.status_code, 404)
