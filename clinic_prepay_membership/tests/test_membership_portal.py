# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import re
from datetime import timedelta
from urllib.parse import urlsplit

from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import format_date

from .common import MembershipCommon

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@tagged("post_install", "-at_install")
class TestMembershipPortal(MembershipCommon, HttpCase):
    """The member's pages over HTTP.

    These tests run on the real clock, as the wallet's portal tests do (the
    server answers in another thread; the fixture's frozen clock is not
    started). The dates asserted are computed from the day the membership
    starts, so they hold any day.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.member_user = new_test_user(
            cls.env, login="portal_mia", name="Mia Member", groups="base.group_portal"
        )
        cls.other_user = new_test_user(
            cls.env, login="portal_olaf", name="Olaf Other", groups="base.group_portal"
        )
        cls.member = cls.member_user.partner_id

    def setUp(self):
        # skip MembershipCommon.setUp: it freezes the clock on NOW
        super(MembershipCommon, self).setUp()

    def _login(self, user):
        self.authenticate(user.login, user.login)

    def _post(self, url, **data):
        """A portal form's POST, with the session's CSRF token."""
        token = CSRF.search(self.url_open("/my/account").text).group(1)
        return self.url_open(url, data={"csrf_token": token, **data}, allow_redirects=False)

    def _date(self, day):
        return format_date(self.env, day, lang_code=self.member_user.lang)

    def _end_of_term(self, membership):
        """The end of the third period (the minimum term), as the job bills
        the periods, pushed by a period while inside the notice."""
        plan, end = membership.plan_id, membership.date_start
        for _period in range(plan.min_periods):
            end += plan._get_delta()
        while (end - membership.date_start).days < plan.notice_days:
            end += plan._get_delta()
        return end

    def _refetch(self, membership):
        """What the server wrote, read back (its thread has its own cache)."""
        self.env.invalidate_all()
        return membership

    def assertRedirectsTo(self, response, path):
        self.assertIn(response.status_code, (302, 303))
        self.assertEqual(urlsplit(response.headers["Location"]).path, path)

    def test_anonymous_visitor_is_sent_to_login(self):
        membership = self._member(self.member)
        self.authenticate(None, None)
        for url in ("/my/memberships", f"/my/memberships/{membership.id}", "/my/wallet"):
            with self.subTest(url=url):
                self.assertRedirectsTo(self.url_open(url, allow_redirects=False), "/web/login")
        response = self.url_open(
            f"/my/memberships/{membership.id}/cancel", data={}, allow_redirects=False
        )
        self.assertNotEqual(response.status_code, 200)
        self.assertFalse(self._refetch(membership).cancel_at)

    def test_another_patient_neither_sees_nor_cancels_it(self):
        """As on the wallet's pages, another patient's record sends them back
        to their own list; nothing of it is shown, nothing changes."""
        membership = self._member(self.member)
        self._login(self.other_user)
        detail = self.url_open(f"/my/memberships/{membership.id}", allow_redirects=False)
        self.assertRedirectsTo(detail, "/my/memberships")
        cancel = self._post(f"/my/memberships/{membership.id}/cancel")
        self.assertRedirectsTo(cancel, "/my/memberships")
        self._refetch(membership)
        self.assertEqual(membership.state, "active")
        self.assertFalse(membership.cancel_at)
        self.assertFalse(membership.cancel_requested_by_id)
        for url in ("/my/memberships", "/my/wallet"):
            page = self.url_open(url).text
            self.assertNotIn("o_clinic_membership_card", page)
            self.assertNotIn(membership.card_summary, page)

    def test_member_sees_the_plan_on_the_wallet_and_its_page(self):
        membership = self._member(self.member)
        self.assertEqual(membership.period_end, membership.date_start + self.plan._get_delta())
        self.assertIn("4242", membership.card_summary)
        self._login(self.member_user)
        for url in ("/my/wallet", f"/my/memberships/{membership.id}"):
            with self.subTest(url=url):
                response = self.url_open(url)
                self.assertEqual(response.status_code, 200)
                page = response.text
                self.assertIn(">Glow<", page)
                self.assertRegex(page, r'o_clinic_membership_state[^"]*"[^>]*>\s*Active\s*<')
                next_charge = re.search(r'o_clinic_membership_next">(.*?)</dd>', page, re.S)
                self.assertIn(self._date(membership.period_end), next_charge.group(1))
                self.assertIn("69.00", next_charge.group(1))
                self.assertIn(membership.card_summary, page)
                credits = re.search(r'o_clinic_membership_credits">(.*?)</dd>', page, re.S)
                self.assertRegex(credits.group(1), r"^\s*1\s*\(Botox\)\s*$")
        # its page offers to cancel, with the day it would end
        page = self.url_open(f"/my/memberships/{membership.id}").text
        ends = re.search(r'o_clinic_membership_cancel_date"[^>]*>([^<]*)<', page).group(1)
        self.assertEqual(ends.strip(), self._date(self._end_of_term(membership)))
        history = re.search(r'o_clinic_membership_history">(.*?)</table>', page, re.S).group(1)
        self.assertIn("Paid", history)
        self.assertIn("69.00", history)

    def test_member_cancels_at_the_end_of_the_term(self):
        membership = self._member(self.member)
        expected = self._end_of_term(membership)
        self._login(self.member_user)
        url = f"/my/memberships/{membership.id}"
        response = self._post(f"{url}/cancel")
        self.assertRedirectsTo(response, url)
        self.assertIn("cancelled=1", response.headers["Location"])
        self._refetch(membership)
        self.assertEqual(membership.cancel_at, expected)
        self.assertEqual(membership.state, "active", "its benefits go on until then")
        self.assertEqual(membership.cancel_requested_by_id, self.member_user)
        page = self.url_open(response.headers["Location"]).text
        self.assertIn("Your membership ends on", page)
        self.assertIn(self._date(expected), page)
        self.assertNotIn('o_clinic_membership_cancel"', page, "no second cancel button")
        # asking again keeps the day
        self._post(f"{url}/cancel")
        self.assertEqual(self._refetch(membership).cancel_at, expected)

    def test_join_needs_the_terms_then_leads_to_the_payment(self):
        Membership = self.env["clinic.membership"].sudo()
        mine = [("partner_id", "=", self.member.id)]
        hidden = (
            self.env["clinic.membership.plan"]
            .with_user(self.manager)
            .create({"name": "Desk only", "price": 10.0, "online": False})
        )
        self._login(self.member_user)
        page = self.url_open("/my/memberships").text
        join = f"/my/memberships/join/{self.plan.id}"
        self.assertIn(join, page)
        self.assertIn(self.plan.terms, page)
        self.assertNotIn(f"/my/memberships/join/{hidden.id}", page)

        refused = self._post(join)
        self.assertRedirectsTo(refused, "/my/memberships")
        self.assertFalse(Membership.search(mine))
        self.assertIn(
            "Accept the terms to sign up.", self.url_open(refused.headers["Location"]).text
        )
        self.assertRedirectsTo(
            self._post(f"/my/memberships/join/{hidden.id}", accept_terms="1"), "/my/memberships"
        )
        self.assertFalse(Membership.search(mine))

        joined = self._post(join, accept_terms="1")
        self.assertEqual(joined.status_code, 303)
        self.env.invalidate_all()
        membership = Membership.search(mine)
        self.assertEqual(len(membership), 1)
        self.assertEqual((membership.state, membership.source), ("draft", "online"))
        self.assertEqual(membership.consent_ip, "127.0.0.1")
        self.assertEqual(membership.consent_text, self.plan.terms)
        self.assertTrue(membership.consent_date)
        invoice = membership.period_ids.invoice_id
        link = joined.headers["Location"]
        self.assertEqual(urlsplit(link).path, "/payment/pay")
        self.assertIn(f"invoice_id={invoice.id}", link)
        self.assertIn("amount=69.0", link)
        # joining again offers the same unpaid membership
        self.assertEqual(self._post(join, accept_terms="1").headers["Location"], link)
        self.env.invalidate_all()
        self.assertEqual(Membership.search_count(mine), 1)
        form = self.url_open(link)
        self.assertEqual(form.status_code, 200)
        self.assertIn("o_payment_form", form.text)

    def test_the_links_holder_sees_and_cancels_it_without_an_account(self):
        """The first payment lands on the membership's page with its access
        token: a patient signed up at the desk, who has no account, sees it
        and may cancel; a wrong token is refused."""
        partner = self.env["res.partner"].create(
            {"name": "Nina Nologin", "email": "n@example.com"}
        )
        membership = self._member(partner)
        url = membership.get_portal_url()
        self.assertIn("access_token=", url)
        self.authenticate(None, None)
        page = self.url_open(url)
        self.assertEqual(page.status_code, 200)
        self.assertIn("Glow", page.text)
        self.assertIn("Cancel my membership", page.text)
        wrong = url.replace(membership.access_token, "x" * len(membership.access_token))
        self.assertRedirectsTo(self.url_open(wrong, allow_redirects=False), "/web/login")
        token = CSRF.search(page.text).group(1)
        response = self.url_open(
            f"/my/memberships/{membership.id}/cancel",
            data={"csrf_token": token, "access_token": "wrong"},
            allow_redirects=False,
        )
        self.assertRedirectsTo(response, "/web/login")
        self.assertFalse(self._refetch(membership).cancel_at)
        response = self.url_open(
            f"/my/memberships/{membership.id}/cancel",
            data={"csrf_token": token, "access_token": membership.access_token},
            allow_redirects=False,
        )
        self.assertRedirectsTo(response, f"/my/memberships/{membership.id}")
        self.assertIn("access_token=", response.headers["Location"])
        membership = self._refetch(membership)
        self.assertEqual(membership.cancel_at, self._end_of_term(membership))
        self.assertFalse(membership.cancel_requested_by_id)

    def test_the_appointment_page_shows_the_member_benefit(self):
        membership = self._member(self.member)
        start = self._bookable_time(not_before=timedelta(days=1))
        credit = self._appointment(start, patient=self.member, user=self.front_desk)
        credit.with_user(self.front_desk).action_book()
        start = self._bookable_time(not_before=start + timedelta(hours=2))
        free = self._appointment(start, patient=self.member, user=self.front_desk)
        free.with_user(self.front_desk).action_book()
        self.assertEqual(credit.wallet_card_id, membership.card_id)
        self.assertEqual(free.prepayment_rule, "member")
        self._login(self.member_user)
        page = self.url_open(credit.get_portal_url()).text
        self.assertIn("Member: credit used (Glow)", page)
        self.assertNotIn("Paid by your course", page)
        page = self.url_open(free.get_portal_url()).text
        self.assertIn("Member: no deposit (Glow)", page)
