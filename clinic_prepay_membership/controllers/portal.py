# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from urllib.parse import urlencode

from odoo import http
from odoo.addons.clinic_prepay_wallet.controllers.portal import ClinicWalletPortal
from odoo.exceptions import AccessError, MissingError, UserError
from odoo.http import request


class MembershipPortal(ClinicWalletPortal):
    def _clinic_memberships(self):
        """The user's memberships (sudo: the patient's own only)."""
        partner = request.env.user.partner_id.commercial_partner_id
        return (
            request.env["clinic.membership"]
            .sudo()
            .search([("partner_id", "child_of", partner.ids)], order="id desc")
        )

    def _clinic_online_plans(self):
        return (
            request.env["clinic.membership.plan"]
            .sudo()
            .search([("online", "=", True), ("company_id", "=", request.env.company.id)])
        )

    def _clinic_own_membership(self, membership_id):
        return self._clinic_memberships().filtered(lambda m: m.id == membership_id)

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "clinic_membership_count" in counters:
            values["clinic_membership_count"] = len(self._clinic_memberships())
        return values

    @http.route("/my/wallet", type="http", auth="user", website=True)
    def portal_my_clinic_wallet(self, **kw):
        response = super().portal_my_clinic_wallet(**kw)
        memberships = self._clinic_memberships().filtered(lambda m: m.state != "cancelled")
        # the credits are shown with their membership
        response.qcontext["cards"] = response.qcontext["cards"].filtered(
            lambda card: not card.clinic_membership_id
        )
        response.qcontext["memberships"] = memberships
        return response

    @http.route("/my/memberships", type="http", auth="user", website=True)
    def portal_my_clinic_memberships(self, **kw):
        memberships = self._clinic_memberships()
        live = memberships.filtered(lambda m: m.state != "cancelled")
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "memberships": memberships,
                "plans": self._clinic_online_plans()
                if not live
                else request.env["clinic.membership.plan"],
                "page_name": "clinic_memberships",
                "error": kw.get("error"),
            }
        )
        return request.render("clinic_prepay_membership.portal_my_clinic_memberships", values)

    def _clinic_membership_access(self, membership_id, access_token=None):
        """The membership of the logged-in patient, or of whoever holds its
        link (the first payment's landing, a patient without an account);
        None otherwise."""
        try:
            return self._document_check_access("clinic.membership", membership_id, access_token)
        except (AccessError, MissingError):
            return None

    def _clinic_membership_refused(self):
        if request.env.user._is_public():
            return request.redirect(
                f"/web/login?{urlencode({'redirect': request.httprequest.full_path})}"
            )
        return request.redirect("/my/memberships")

    @http.route("/my/memberships/<int:membership_id>", type="http", auth="public", website=True)
    def portal_my_clinic_membership(self, membership_id, access_token=None, **kw):
        membership = self._clinic_membership_access(membership_id, access_token)
        if not membership:
            return self._clinic_membership_refused()
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "membership": membership.sudo(),
                "access_token": access_token,
                "cancel_date": membership._get_cancel_date()
                if membership.state in ("active", "past_due", "paused", "suspended")
                and not membership.cancel_at
                else False,
                "page_name": "clinic_membership",
                "error": kw.get("error"),
                "cancelled": kw.get("cancelled"),
            }
        )
        return request.render("clinic_prepay_membership.portal_my_clinic_membership", values)

    @http.route(
        "/my/memberships/<int:membership_id>/cancel",
        type="http",
        auth="public",
        website=True,
        methods=["POST"],
    )
    def portal_clinic_membership_cancel(self, membership_id, access_token=None, **post):
        """The member ends the membership at the end of its period."""
        membership = self._clinic_membership_access(membership_id, access_token)
        if not membership:
            return self._clinic_membership_refused()
        query = {"access_token": access_token} if access_token else {}
        try:
            membership.with_user(request.env.user).sudo()._request_cancel()
        except UserError as error:
            query["error"] = error.args[0]
            return request.redirect(f"/my/memberships/{membership.id}?{urlencode(query)}")
        query["cancelled"] = 1
        return request.redirect(f"/my/memberships/{membership.id}?{urlencode(query)}")

    @http.route(
        "/my/memberships/join/<int:plan_id>",
        type="http",
        auth="user",
        website=True,
        methods=["POST"],
    )
    def portal_clinic_membership_join(self, plan_id, **post):
        """The patient signs up: they accept the plan's terms (kept with the
        date and their IP) and pay the first period, which saves the card."""
        plan = self._clinic_online_plans().filtered(lambda p: p.id == plan_id)
        if not plan:
            return request.redirect("/my/memberships")
        if not post.get("accept_terms"):
            return request.redirect(
                "/my/memberships?"
                + self._clinic_query(error=request.env._("Accept the terms to sign up."))
            )
        partner = request.env.user.partner_id
        pending = self._clinic_memberships().filtered(
            lambda m: m.state == "draft" and m.plan_id == plan
        )[:1]
        if pending:
            return request.redirect(pending._get_payment_link())
        try:
            membership = (
                request.env["clinic.membership"]
                .sudo()
                ._clinic_sign_up(
                    plan,
                    partner,
                    source="online",
                    consent_text=plan.terms,
                    ip=request.httprequest.remote_addr,
                )
            )
        except UserError as error:
            return request.redirect("/my/memberships?" + self._clinic_query(error=error.args[0]))
        return request.redirect(membership._get_payment_link())

    @staticmethod
    def _clinic_query(**values):
        return urlencode(values)
