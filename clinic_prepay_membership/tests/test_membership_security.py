# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import date, datetime

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.service.model import get_public_method
from odoo.tests import new_test_user, tagged

from .common import MembershipCommon

# what a refused call must leave as it was
WATCHED = (
    "state plan_id next_plan_id token_id card_id credits_left next_charge_at paid_periods"
    " period_end cancel_at pause_periods_left period_ids"
).split()


@tagged("post_install", "-at_install")
class TestMembershipSecurity(MembershipCommon):
    """Insiders and patients on the ORM as an RPC caller: their own user,
    public methods only, whatever values they send."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.patient_user = new_test_user(
            cls.env, login="member_pat", name="Member Pat", groups="base.group_portal"
        )
        cls.other_user = new_test_user(
            cls.env, login="member_oth", name="Member Other", groups="base.group_portal"
        )
        cls.cheap = (
            cls.env["clinic.membership.plan"]
            .with_user(cls.manager)
            .create({"name": "Cheap", "price": 1.0})
        )

    def _state(self, membership):
        """What the membership holds, read back from the database."""
        membership.invalidate_recordset()
        return membership.sudo().read(WATCHED)[0]

    def _messages(self, membership):
        domain = [("model", "=", membership._name), ("res_id", "=", membership.id)]
        return self.env["mail.message"].sudo().search_count(domain)

    def _token(self, partner, state="done"):
        """A saved demo card of ``partner`` that would be charged fine."""
        Token = self.env["payment.token"].sudo()
        return Token.create(
            {
                "provider_id": self.provider.id,
                "payment_method_id": self.payment_method.id,
                "partner_id": partner.id,
                "provider_ref": f"demo-{partner.id}",
                "payment_details": "1111",
                "demo_simulated_state": state,
            }
        )

    def test_nobody_edits_the_clinic_fields_of_a_membership(self):
        """Neither the desk nor a manager writes the state, plan, card,
        credits, schedule or periods: no free or cheaper membership."""
        membership = self._member()
        before = self._state(membership)
        stranger = self._token(self.patient2)
        for vals in [
            {"state": "cancelled"},
            {"state": "active", "paid_periods": 12},
            {"plan_id": self.cheap.id},
            {"next_plan_id": self.cheap.id},
            {"period_ids": [Command.clear()]},
            {"period_ids": [Command.update(membership.period_ids.id, {"amount": 0.0})]},
            {"credits_left": 99},
            {"card_id": False},
            {"token_id": stranger.id},
            {"next_charge_at": datetime(2031, 1, 1)},
            {"cancel_at": date(2030, 3, 5)},
            {"pause_periods_left": 3},
        ]:
            for user in (self.front_desk, self.manager):
                with self.subTest(vals=vals, user=user.login):
                    with self.assertRaises(AccessError), self.env.cr.savepoint():
                        membership.with_user(user).write(vals)
        for user in (self.front_desk, self.manager):
            with self.assertRaises(AccessError), self.env.cr.savepoint():
                membership.card_id.with_user(user).write({"points": 99})
        with self.assertRaises(AccessError), self.env.cr.savepoint():
            self.plan.with_user(self.front_desk).write({"price": 0.0})
        self.assertEqual(self._state(membership), before)
        self.assertEqual(self.plan.price, 69.0)
        self.assertEqual(membership.credits_left, 1)

    def test_memberships_and_periods_are_not_created_directly(self):
        """A membership comes from the sign-up only, a period from the job
        only: a direct create (active, cheaper, paid) is refused."""
        Membership = self.env["clinic.membership"]
        Period = self.env["clinic.membership.period"]
        member = self._member(self.patient2)
        period = member.period_ids
        counts = (Membership.sudo().search_count([]), Period.sudo().search_count([]))
        base = {"partner_id": self.patient.id, "plan_id": self.plan.id}
        free = {"name": "FREE-2030-04", "membership_id": member.id, "plan_id": self.plan.id}
        free.update(date_from=date(2030, 4, 4), date_to=date(2030, 5, 4), state="paid")
        for user in (self.front_desk, self.manager):
            for vals in [
                base,
                {**base, "state": "active", "paid_periods": 1},
                {**base, "plan_id": self.cheap.id, "source": "desk"},
            ]:
                with self.subTest(vals=vals, user=user.login):
                    with self.assertRaises(AccessError), self.env.cr.savepoint():
                        Membership.with_user(user).create(vals)
            with self.assertRaises(AccessError), self.env.cr.savepoint():
                Period.with_user(user).create(free)
            for vals in [{"state": "pending"}, {"amount": 0.0}, {"invoice_id": False}]:
                with self.assertRaises(AccessError), self.env.cr.savepoint():
                    period.with_user(user).write(vals)
            with self.assertRaises(AccessError), self.env.cr.savepoint():
                period.with_user(user).unlink()
        self.assertEqual(
            (Membership.sudo().search_count([]), Period.sudo().search_count([])), counts
        )
        period.invalidate_recordset()
        self.assertEqual((period.state, period.amount), ("paid", 69.0))

    def test_the_desk_signs_up_at_the_plan_price(self):
        """The sign-up wizard takes no price: a price sent along is ignored,
        and the terms are read first."""
        Signup = self.env["clinic.membership.signup"].with_user(self.front_desk)
        Membership = self.env["clinic.membership"]
        vals = {"partner_id": self.patient.id, "plan_id": self.plan.id}
        with self.assertRaisesRegex(UserError, "terms"), self.env.cr.savepoint():
            Signup.create(vals).action_sign_up()
        self.assertFalse(Membership.search([("partner_id", "=", self.patient.id)]))
        wizard = Signup.create({**vals, "terms_read": True, "price_total": 0.0})
        membership = Membership.browse(wizard.action_sign_up()["res_id"])
        self.assertEqual(membership.state, "draft")
        self.assertFalse(membership.token_id)
        self.assertEqual(membership.period_ids.invoice_id.amount_total, 69.0)
        self.assertEqual(self.plan.price, 69.0)

    def test_pause_plan_change_and_ending_now_are_for_managers(self):
        membership = self._member()
        for name in ("action_pause", "action_change_plan", "action_cancel_now"):
            self.assertTrue(get_public_method(membership, name))
        for name in ("_pause", "_change_plan", "_request_cancel", "_end", "_set_state"):
            with self.assertRaises(AccessError, msg=f"{name} is not callable over RPC"):
                get_public_method(membership, name)
        before = self._state(membership)
        desk = membership.with_user(self.front_desk)
        for call in (
            desk.action_pause,
            desk.action_change_plan,
            desk.action_cancel_now,
            lambda: desk._pause(1),
            lambda: desk._change_plan(self.cheap),
        ):
            with self.assertRaisesRegex(AccessError, "Only a clinic manager"):
                call()
        with self.assertRaises(AccessError), self.env.cr.savepoint():
            self.env["clinic.membership.change"].with_user(self.front_desk).create(
                {"membership_id": membership.id, "mode": "pause", "periods": 1}
            )
        self.assertEqual(self._state(membership), before)
        action = membership.with_user(self.manager).action_pause()
        self.assertEqual(action["res_model"], "clinic.membership.change")
        self.assertEqual(action["context"]["default_mode"], "pause")

    def test_manager_pauses_within_the_plan_limit(self):
        """Beyond the plan's longest pause (3), or not a pause at all: a
        clear error and nothing written."""
        draft = self._sign_up(self.patient2)
        membership = self._member()
        Change = self.env["clinic.membership.change"].with_user(self.manager)

        def pause(record, periods):
            Change.create(
                {"membership_id": record.id, "mode": "pause", "periods": periods}
            ).action_confirm()

        before, messages = self._state(membership), self._messages(membership)
        refused = {4: "3 periods at most", 0: "at least one", -1: "at least one"}
        for periods, error in refused.items():
            with self.subTest(periods=periods), self.assertRaisesRegex(ValidationError, error):
                pause(membership, periods)
        with self.assertRaisesRegex(UserError, "Only an active membership"):
            pause(draft, 1)
        self.assertEqual(self._state(membership), before)
        self.assertEqual(self._messages(membership), messages)
        self.assertEqual(draft.pause_periods_left, 0)
        pause(membership, 3)
        self.assertEqual(membership.pause_periods_left, 3)
        self.assertEqual(membership.state, "active", "the pause starts with the next period")

    def test_patients_read_their_own_memberships_only(self):
        mine = self._member(self.patient_user.partner_id)
        theirs = self._member(self.other_user.partner_id)
        for user, own, foreign in (
            (self.patient_user, mine, theirs),
            (self.other_user, theirs, mine),
        ):
            Membership = self.env["clinic.membership"].with_user(user)
            Period = self.env["clinic.membership.period"].with_user(user)
            with self.subTest(user=user.login):
                self.assertEqual(Membership.search([]), own)
                self.assertEqual(Period.search([]), own.period_ids)
                self.assertFalse(Membership.search([("id", "=", foreign.id)]))
                self.assertEqual(own.with_user(user).read(["state"])[0]["state"], "active")
                with self.assertRaises(AccessError):
                    foreign.with_user(user).read(["state"])
                with self.assertRaises(AccessError):
                    foreign.period_ids.with_user(user).read(["amount"])
        # nor do they run the staff's actions, even on their own membership
        before = self._state(mine)
        own = mine.with_user(self.patient_user)
        for name in ("action_cancel_now", "action_cancel_at_period_end", "action_pause"):
            with self.subTest(method=name), self.assertRaises(AccessError):
                getattr(own, name)()
        with self.assertRaises(AccessError):
            own.write({"state": "cancelled"})
        self.assertEqual(self._state(mine), before)

    def test_desk_cancels_at_the_end_of_the_minimum_term(self):
        """Three periods at least, counted as the job bills them, also from
        a month's last day (31 Jan: periods end 28 Feb, 28 Mar, 28 Apr)."""
        membership = self._member()
        membership.with_user(self.front_desk).action_cancel_at_period_end()
        self.assertEqual(membership.cancel_at, date(2030, 6, 4))
        self.assertEqual(membership.cancel_requested_by_id, self.front_desk)
        self.assertEqual(membership.state, "active")

        self._travel(datetime(2030, 1, 31, 8, 0))
        late = self._member(self.patient2)
        late.with_user(self.front_desk).action_cancel_at_period_end()
        self.assertEqual(late.cancel_at, date(2030, 4, 28))
        for _month in range(3):
            self._job(self._next_charge(late))
        self.assertEqual(late.state, "cancelled")
        self.assertEqual(late.date_end, date(2030, 4, 28))
        self.assertEqual(late.paid_periods, 3, "no fourth period is charged")
        self.assertEqual(len(late.period_ids), 3)

    def test_only_the_members_card_is_charged(self):
        """Another patient's card is never the member's: refused at write,
        not saved from their payment, and not charged if it got there."""
        membership = self._member()
        own = membership.token_id
        stranger = self._token(self.patient2)
        with self.assertRaises(AccessError):
            membership.with_user(self.manager).write({"token_id": stranger.id})
        membership._on_card_saved(stranger)
        self.assertEqual(membership.token_id, own)
        # should it be on file all the same, the job refuses to charge it
        membership.sudo().token_id = stranger
        self._job(self._next_charge(membership))
        period = membership.open_period_id
        self.assertEqual((period.state, membership.state), ("failed", "past_due"))
        Tx = self.env["payment.transaction"].sudo()
        self.assertFalse(Tx.search([("token_id", "=", stranger.id)]))
        self.assertFalse(
            period.invoice_id.transaction_ids.filtered(lambda t: t.operation == "offline")
        )
        self.assertTrue(
            membership.message_ids.filtered(
                lambda m: "the card is not the member" in (m.body or "")
            )
        )
