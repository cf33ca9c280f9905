# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import GiftCardCommon


@tagged("post_install", "-at_install")
class TestWalletAdjust(GiftCardCommon):
    """A manager adjusts a card through the wizard: posted and logged."""

    def _adjust(self, card, user=None, **vals):
        wizard = (
            self.env["clinic.wallet.adjust"]
            .with_user(user or self.manager)
            .create({"card_id": card.id, **vals})
        )
        return wizard.action_confirm()

    def _paid_gift(self, amount=150.0):
        card = self._sell_gift(amount=amount)
        card._clinic_register_desk_payment(self.bank_journal)
        return card

    def _entries(self, card):
        """The card's entries that touch wallet breakage income."""
        return card.clinic_move_ids.filtered(
            lambda move: self.breakage_account in move.line_ids.account_id
        )

    def test_gift_card_adjusted_both_ways(self):
        card = self._paid_gift()
        self._adjust(card, amount=20.0, reason="Apology for a late start")
        self.assertEqual(card.points, 170.0)
        self.assertEqual(self._gift_balance(card), 170.0)
        added = self._entries(card)
        self.assertEqual(len(added), 1)
        self.assertEqual(added.state, "posted")
        liability = added.line_ids.filtered(lambda line: line.account_id == self.gift_account)
        breakage = added.line_ids.filtered(lambda line: line.account_id == self.breakage_account)
        self.assertEqual((liability.credit, breakage.debit), (20.0, 20.0))
        self.assertIn("Apology for a late start", added.ref)

        self._adjust(card, amount=-70.0, reason="Typed the wrong amount at sale")
        self.assertEqual(card.points, 100.0)
        self.assertEqual(self._gift_balance(card), 100.0)
        taken = self._entries(card) - added
        liability = taken.line_ids.filtered(lambda line: line.account_id == self.gift_account)
        self.assertEqual(liability.debit, 70.0)
        history = card.history_ids.filtered(lambda h: h.clinic_kind == "adjusted")
        self.assertEqual(sorted(history.mapped("clinic_amount")), [-20.0, 70.0])
        # Odoo's card history adds up to the balance
        self.assertEqual(sorted(history.mapped(lambda h: (h.issued, h.used))), [(0, 70), (20, 0)])
        self.assertEqual(sum(card.history_ids.mapped(lambda h: h.issued - h.used)), card.points)
        self.assertTrue(all(history.mapped("clinic_move_id")))
        self.assertTrue(
            card.message_ids.filtered(lambda m: "Typed the wrong amount at sale" in m.body)
        )

        # taken to nothing it is used up; given again it is active
        self._adjust(card, amount=-100.0, reason="Refunded in cash by the owner")
        self.assertEqual((card.clinic_state, card.points), ("used", 0.0))
        self._adjust(card, amount=10.0, reason="Goodwill")
        self.assertEqual((card.clinic_state, card.points), ("active", 10.0))
        self.assertEqual(self._gift_balance(card), 10.0)

    def test_course_sessions_given_and_taken_off(self):
        card = self._sell_paid()
        start = self._bookable_time()
        self._book_course(start, card=card).with_user(self.front_desk).action_done()
        self.assertEqual((card.points, card.clinic_value), (5, 500.0))
        # a session given: no money moves, the rest is spread over six
        self._adjust(card, sessions=1, reason="A session cut short last time")
        self.assertEqual((card.points, card.clinic_sessions_total), (6, 7))
        self.assertFalse(self._entries(card).filtered(lambda m: "cut short" in m.ref))
        self.assertEqual(self._wallet_balance(card), 500.0)
        # three taken off take half the value left with them
        move = card._clinic_adjust(-3, "Three sessions given in person, not booked")
        self.assertEqual((card.points, card.clinic_sessions_total), (3, 4))
        liability = move.line_ids.filtered(lambda line: line.account_id == self.wallet_account)
        breakage = move.line_ids.filtered(lambda line: line.account_id == self.breakage_account)
        self.assertEqual((liability.debit, breakage.credit), (250.0, 250.0))
        self.assertEqual(self._wallet_balance(card), 250.0)
        self.assertEqual(card.clinic_value, 250.0)
        # the remaining sessions share the value left, to zero
        later, revenue = start, []
        for _i in range(3):
            later = self._bookable_time(not_before=later + timedelta(days=1))
            visit = self._book_course(later, card=card)
            visit.with_user(self.front_desk).action_done()
            income = visit.sudo().wallet_move_id.line_ids.filtered(
                lambda line: line.account_id == self.botox_income
            )
            revenue.append(income.credit)
        self.assertEqual(sorted(revenue), [83.33, 83.33, 83.34])
        self.assertEqual(card.clinic_state, "used")
        self.assertEqual(self._wallet_balance(card), 0.0)

    def test_only_a_manager_adjusts(self):
        card = self._paid_gift()
        with self.assertRaises(AccessError):
            card.with_user(self.front_desk).action_adjust()
        with self.assertRaises(AccessError):
            self._adjust(card, user=self.front_desk, amount=50.0, reason="Friend")
        with self.assertRaises(AccessError):
            card.with_user(self.front_desk)._clinic_adjust(50.0, "Friend")
        # nor by writing the balance
        with self.assertRaises(AccessError):
            card.with_user(self.manager).write({"points": 500.0})
        self.assertEqual(card.points, 150.0)
        self.assertEqual(self._gift_balance(card), 150.0)
        self.assertEqual(
            card.with_user(self.manager).action_adjust()["res_model"], "clinic.wallet.adjust"
        )

    def test_bad_adjustments_write_nothing(self):
        card = self._paid_gift(amount=60.0)
        course = self._sell_paid()
        pending = self._sell_gift()
        moves_before = self.env["account.move"].search_count([])
        history_before = len(card.history_ids)
        for vals, message in (
            ({"amount": -60.01, "reason": "Too much"}, "cannot lose"),
            ({"amount": 0.0, "reason": "Nothing"}, "changes the balance"),
            ({"amount": 10.0, "reason": "   "}, "Say why"),
        ):
            with self.subTest(vals=vals), self.assertRaisesRegex(UserError, message):
                self._adjust(card, **vals)
        with self.assertRaisesRegex(UserError, "cannot lose"):
            self._adjust(course, sessions=-7, reason="Too many")
        with self.assertRaisesRegex(UserError, "whole number"):
            course._clinic_adjust(0.5, "Half a session")
        with self.assertRaisesRegex(UserError, "Only an active or used-up card"):
            self._adjust(pending, amount=10.0, reason="Not paid yet")
        self.assertEqual(card.points, 60.0)
        self.assertEqual((course.points, course.clinic_sessions_total), (6, 6))
        self.assertEqual(len(card.history_ids), history_before)
        self.assertEqual(self.env["account.move"].search_count([]), moves_before)
