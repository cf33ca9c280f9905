# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import date, timedelta

from odoo.tests import tagged

from .common import MembershipCommon


@tagged("post_install", "-at_install")
class TestMembershipDunning(MembershipCommon):
    def _failed_mails(self, membership, subject):
        return membership.message_ids.filtered(lambda m: subject in (m.subject or ""))

    def test_declined_renewal_runs_the_schedule_then_suspends(self):
        membership = self._member(card_state="error")
        first_try = self._next_charge(membership)
        self._job(first_try)
        period = membership.open_period_id
        self.assertEqual((period.state, period.failures), ("failed", 1))
        self.assertEqual(membership.state, "past_due")
        self.assertEqual(period.invoice_id.state, "draft", "a failed charge posts nothing")
        mail = self._failed_mails(membership, "the payment failed")
        self.assertEqual(len(mail), 1)
        link = membership._get_payment_link()
        self.assertIn(link.replace("&", "&amp;"), mail.body)
        # retries on days 1, 3 and 7 after the first failure, not before
        retry_days = [date(2030, 4, 5), date(2030, 4, 7), date(2030, 4, 11)]
        for number, day in enumerate(retry_days, start=2):
            self.assertEqual(self._job(membership._start_of(day) - timedelta(minutes=1)), 0)
            self.assertEqual(self._job(membership._start_of(day) + timedelta(hours=2)), 1)
            self.assertEqual(period.failures, number)
        # still benefits while it is retried; suspended after the last failure
        self.assertEqual(membership.state, "suspended")
        self.assertFalse(period.next_retry_at)
        charges = period.invoice_id.transaction_ids
        self.assertEqual(len(charges), 4)
        self.assertEqual(
            sorted(charges.mapped("reference")),
            sorted([period.name] + [f"{period.name}-{n}" for n in (1, 2, 3)]),
        )
        self.assertTrue(set(charges.mapped("state")) <= {"error", "cancel"})
        self.assertEqual(period.invoice_id.state, "draft")
        activity = membership.activity_ids.filtered(lambda a: a.summary == "Membership suspended")
        self.assertEqual(len(activity), 1)
        self.assertTrue(activity.user_id.has_group("clinic_prepay.group_clinic_manager"))
        self.assertEqual(len(self._failed_mails(membership, "is suspended")), 1)
        # a suspended membership is not charged on
        self.assertEqual(self._job(membership._start_of(date(2030, 5, 10))), 0)
        self.assertEqual(len(membership.period_ids), 2)

        # the member pays the link, with another card: restored
        self._travel(membership._start_of(date(2030, 5, 10)) + timedelta(hours=10))
        tx = self._pay_period_online(period, card_state="done")
        self.assertEqual(period.state, "paid")
        self.assertTrue(period.recovered)
        self.assertEqual(membership.state, "active")
        self.assertEqual(membership.token_id, tx.token_id, "the new card is the one charged next")
        # the period ran out while suspended: paid, it runs from today
        self.assertEqual(
            (period.date_from, period.date_to), (date(2030, 5, 10), date(2030, 6, 10))
        )
        self.assertEqual(membership.period_end, date(2030, 6, 10))
        self.assertEqual(len(self._failed_mails(membership, "active again")), 1)
        self.assertEqual(period.invoice_id.state, "posted")
        self.assertEqual(period.invoice_id.payment_state, "paid")

    def test_paying_the_link_during_the_retries_restores_at_once(self):
        membership = self._member(card_state="error")
        self._job(self._next_charge(membership))
        period = membership.open_period_id
        self._travel(membership._start_of(date(2030, 4, 4)) + timedelta(hours=12))
        self._pay_period_online(period)
        self.assertEqual((membership.state, period.state), ("active", "paid"))
        # kept its dates (it had not ended) and no retry is left
        self.assertEqual(
            (period.date_from, membership.period_end), (date(2030, 4, 4), date(2030, 5, 4))
        )
        self.assertEqual(self._job(membership._start_of(date(2030, 4, 6))), 0)

    def test_no_card_on_file_gets_the_link(self):
        membership = self._sign_up()
        # paid without saving the card (at the desk, say)
        self._pay_period_online(membership.period_ids, tokenize=False)
        self.assertFalse(membership.token_id)
        self._job(self._next_charge(membership))
        period = membership.open_period_id
        self.assertEqual((period.state, membership.state), ("failed", "past_due"))
        self.assertFalse(period.invoice_id.transaction_ids, "nothing was sent")
        self.assertEqual(len(self._failed_mails(membership, "the payment failed")), 1)

    def test_another_patients_card_is_never_charged(self):
        membership = self._member()
        token = membership.token_id
        # the card saved on a period paid by someone else is not the member's
        other = self.env["payment.token"].create(
            {
                "provider_id": self.provider.id,
                "payment_method_id": self.payment_method.id,
                "partner_id": self.patient2.id,
                "payment_details": "1111",
                "provider_ref": "other",
                "demo_simulated_state": "done",
            }
        )
        membership._on_card_saved(other)
        self.assertEqual(membership.token_id, token)
        membership.sudo().token_id = other  # whatever put it there
        self._job(self._next_charge(membership))
        period = membership.open_period_id
        self.assertEqual(period.state, "failed")
        self.assertFalse(period.invoice_id.transaction_ids)
