# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import date

from odoo.tests import HttpCase, tagged

from .common import MembershipCommon


class MembershipCardCase(MembershipCommon):
    def _save_card(self, membership, state="done", partner=None):
        """What the membership's card page creates when a card is submitted:
        a validation (nothing charged) that saves it."""
        Tx = self.env["payment.transaction"].sudo()
        tx = Tx.create(
            {
                "provider_id": self.provider.id,
                "payment_method_id": self.payment_method.id,
                "reference": Tx._compute_reference("demo", prefix=f"{membership.name}-CARD"),
                "amount": 0.0,
                "currency_id": self.currency.id,
                "partner_id": (partner or membership.partner_id).id,
                "operation": "validation",
                "tokenize": True,
                "clinic_membership_id": membership.id,
            }
        )
        tx._handle_notification_data(
            "demo",
            {"reference": tx.reference, "simulated_state": state, "payment_details": "1111"},
        )
        tx._post_process()
        return tx


@tagged("post_install", "-at_install")
class TestMembershipCard(MembershipCardCase):
    """A free first period starts with a card saved through a validation
    (nothing charged); a member changes the card the next periods are
    charged to."""

    def test_a_free_first_period_starts_when_the_card_is_saved(self):
        self.plan.first_period_free = True
        membership = self._sign_up()
        period = membership.period_ids
        self.assertEqual((period.state, period.amount), ("pending", 0.0))
        self.assertFalse(period.invoice_id)
        link = membership._get_payment_link()
        self.assertTrue(link.startswith(f"/my/memberships/{membership.id}/card?access_token="))
        mail = membership.message_ids.filtered(lambda m: "first payment" in (m.subject or ""))
        self.assertIn("Its first period is free", mail.body)
        self.assertIn("Save my card", mail.body)
        self.assertIn(link.replace("&", "&amp;"), mail.body)
        self.assertTrue(
            self.provider._is_tokenization_required(clinic_membership_id=membership.id)
        )
        # a card the bank refuses starts nothing
        self._save_card(membership, state="error")
        self.assertEqual((membership.state, membership.token_id.id), ("draft", False))
        tx = self._save_card(membership)
        self.assertEqual(membership.state, "active")
        self.assertEqual(membership.token_id, tx.token_id)
        self.assertEqual((period.state, period.paid_date), ("paid", date(2030, 3, 4)))
        # its credit carries no value: nothing was paid, nothing is owed
        self.assertEqual(membership.credits_left, 1)
        self.assertEqual(membership.card_id.clinic_value, 0.0)
        self.assertFalse(
            self.env["account.move"].search(
                [("partner_id", "=", self.patient.id), ("state", "=", "posted")]
            )
        )
        # the next period is charged to that card, at the plan's price
        self._job(self._next_charge(membership))
        second = membership.period_ids.sorted("date_from")[-1]
        self.assertEqual((second.state, second.amount), ("paid", 69.0))
        charge = second.invoice_id.transaction_ids
        self.assertEqual((charge.token_id, charge.operation), (tx.token_id, "offline"))

    def test_a_member_changes_the_card_of_the_next_charges(self):
        membership = self._member()
        first = membership.token_id
        tx = self._save_card(membership)
        self.assertNotEqual(tx.token_id, first)
        self.assertEqual(membership.token_id, tx.token_id)
        self.assertEqual(membership.period_ids.state, "paid", "the paid period stays as it is")
        self._job(self._next_charge(membership))
        charge = membership.period_ids.sorted("date_from")[-1].invoice_id.transaction_ids
        self.assertEqual(charge.token_id, tx.token_id)

    def test_someone_elses_card_is_not_taken(self):
        membership = self._member()
        first = membership.token_id
        self._save_card(membership, partner=self.patient2)
        self.assertEqual(membership.token_id, first)

    def test_an_ended_membership_saves_no_card(self):
        membership = self._member()
        membership.with_user(self.manager).action_cancel_now()
        first = membership.token_id
        self._save_card(membership)
        self.assertEqual(membership.token_id, first)


@tagged("post_install", "-at_install")
class TestMembershipCardPage(MembershipCardCase, HttpCase):
    def setUp(self):
        # the server answers in its own thread: the real clock
        super(MembershipCommon, self).setUp()

    def test_the_links_holder_gets_the_validation_form(self):
        self.plan.first_period_free = True
        self.provider.allow_tokenization = True
        membership = self._sign_up()
        self.authenticate(None, None)
        page = self.url_open(membership._get_payment_link())
        self.assertEqual(page.status_code, 200)
        self.assertIn("o_payment_form", page.text)
        self.assertIn('data-mode="validation"', page.text)
        self.assertIn("Your first period is free", page.text)
        # without the link's token: nothing
        response = self.url_open(f"/my/memberships/{membership.id}/card", allow_redirects=False)
        self.assertIn(response.status_code, (302, 303))
        self.assertNotIn("/card", response.headers["Location"])
