# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import re

from odoo.tests import HttpCase, new_test_user, tagged

from .common import GiftCardCommon


@tagged("post_install", "-at_install")
class TestWalletPortal(GiftCardCommon, HttpCase):
    """A patient's gift cards and credit on /my/wallet."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.recipient_user = new_test_user(
            cls.env, login="gift_gina", name="Gina Gift", groups="base.group_portal"
        )
        cls.buyer_user = new_test_user(
            cls.env, login="gift_sam", name="Sam Giver", groups="base.group_portal"
        )
        cls.other_user = new_test_user(
            cls.env, login="gift_oscar", name="Oscar Other", groups="base.group_portal"
        )
        cls.recipient = cls.recipient_user.partner_id

    def _wallet(self):
        return self.url_open("/my/wallet").text

    def _add(self, code):
        page = self.url_open("/my/wallet")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        return self.url_open(
            "/my/wallet/gift-card",
            data={"csrf_token": token, "gift_card_code": code},
            allow_redirects=False,
        )

    def _attempts(self):
        return self.env["clinic.gift.card.attempt"].sudo().search_count([])

    def _paid_gift(self, buyer=None):
        card = self._sell_gift(buyer=buyer)
        card._clinic_register_desk_payment(self.bank_journal)
        return card

    def test_recipient_adds_the_card_and_follows_it(self):
        card = self._paid_gift(buyer=self.buyer_user.partner_id)
        self.authenticate("gift_gina", "gift_gina")
        self.assertNotIn(card.code[-4:], self._wallet())
        # typed as printed on the card: lower case, in groups
        typed = "-".join(re.findall(".{1,4}", card.code.lower()))
        response = self._add(typed)
        self.assertEqual(response.status_code, 303)
        self.assertIn("gift_card=added", response.headers["Location"])
        self.assertEqual(card.clinic_holder_id, self.recipient)
        page = self.url_open(response.headers["Location"]).text
        self.assertIn("The gift card is in your wallet.", page)
        self.assertIn(f"ending {card.code[-4:]}", page)
        self.assertIn("150.00", page)
        self.assertIn("Bought", page)
        self.assertNotIn(card.code, page)  # the code itself is never shown

        # spent on a deposit: the balance and the history follow
        appointment = self._awaiting_deposit()
        self._pay_with_card(appointment, card.code)
        page = self._wallet()
        self.assertRegex(
            page, r"o_clinic_wallet_gift_card_balance\">\s*<strong[^>]*>[^<]*<span[^>]*>100\.00"
        )
        self.assertIn("Used", page)
        # another patient's visit: its documents are not shown
        self.assertNotIn(appointment.sudo().deposit_ids.invoice_id.name, page)
        # nor a manager's reason for an adjustment
        card.sudo()._clinic_adjust(5.0, "Internal note: complained at the desk")
        page = self._wallet()
        self.assertIn("Adjusted", page)
        self.assertRegex(
            page, r"o_clinic_wallet_gift_card_balance\">\s*<strong[^>]*>[^<]*<span[^>]*>105\.00"
        )
        self.assertNotIn("complained", page)
        # adding it again changes nothing
        self._add(card.code)
        self.assertEqual(card.clinic_holder_id, self.recipient)

        # the buyer sees what they bought, not its balance or its history
        self.authenticate("gift_sam", "gift_sam")
        page = self._wallet()
        self.assertIn("for Patricia, bought on", page)
        self.assertNotIn(f"ending {card.code[-4:]}", page)
        self.assertNotIn(appointment.sudo().deposit_ids.invoice_id.name, page)

    def test_another_patient_cannot_take_a_held_card(self):
        card = self._paid_gift()
        self.authenticate("gift_gina", "gift_gina")
        self._add(card.code)
        self.authenticate("gift_oscar", "gift_oscar")
        before = self._attempts()
        response = self._add(card.code)
        self.assertEqual(response.headers["Location"].split("?")[0][-10:], "/my/wallet")
        self.assertEqual(card.clinic_holder_id, self.recipient)
        self.assertEqual(self._attempts(), before + 1)
        page = self._wallet()
        self.assertIn("already in another patient&#39;s wallet", page)
        self.assertNotIn(card.code[-4:], page)
        # the message is shown once
        self.assertNotIn("o_clinic_wallet_gift_card_error", self._wallet())

    def test_wrong_unpaid_and_anonymous_codes_add_nothing(self):
        pending = self._sell_gift()
        self.authenticate("gift_gina", "gift_gina")
        before = self._attempts()
        self._add("NOTACODE")
        self.assertIn("This code is not one of our gift cards.", self._wallet())
        self._add(pending.code)
        self.assertIn("This gift card is not paid yet.", self._wallet())
        self.assertFalse(pending.clinic_holder_id)
        self.assertEqual(self._attempts(), before + 2)

        self.authenticate(None, None)
        response = self.url_open(
            "/my/wallet/gift-card",
            data={"gift_card_code": pending.code},
            allow_redirects=False,
        )
        self.assertNotEqual(response.status_code, 200)
        self.assertFalse(pending.clinic_holder_id)

    def test_credit_history_on_the_wallet(self):
        appointment = self._appointment(self._bookable_time(), patient=self.recipient)
        appointment.action_book()
        self._pay_online(appointment)
        appointment.action_cancel_by_clinic()
        request = appointment.deposit_ids.refund_request_ids
        request.method = "credit"
        if request.state == "draft":
            request.action_submit()
        if request.state == "submitted":
            request.with_user(self.manager).action_approve()
        request.with_user(self.manager).action_execute()
        self.authenticate("gift_gina", "gift_gina")
        page = self._wallet()
        self.assertIn(f"Kept from {appointment.name}", page)
        self.assertIn("o_clinic_wallet_credit_history", page)
        self.authenticate("gift_oscar", "gift_oscar")
        self.assertNotIn(appointment.name, self._wallet())
