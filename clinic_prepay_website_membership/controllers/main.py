# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import hashlib
from datetime import timedelta
from urllib.parse import urlencode

from odoo import fields, http
from odoo.addons.clinic_prepay_website.controllers.main import EMAIL_RE, ClinicBooking
from odoo.exceptions import UserError, ValidationError
from odoo.http import request

# sign-ups one visitor may start in an hour
SIGN_UPS_PER_IP_PER_HOUR = 5


class ClinicMembershipShop(ClinicBooking):
    """Anyone joins a membership plan on the website and pays its first
    period on Odoo's payment form (which saves the card)."""

    def _clinic_website_plans(self):
        return (
            request.env["clinic.membership.plan"]
            .sudo()
            .search([("online", "=", True), ("company_id", "=", request.env.company.id)])
        )

    @http.route("/memberships", type="http", auth="public", website=True, sitemap=True)
    def clinic_memberships(self, **kw):
        plans = self._clinic_website_plans()
        if not plans:
            raise request.not_found()
        values = {
            "plans": plans,
            "is_guest": request.env.user._is_public(),
            "error": kw.get("error"),
            "post": kw,
        }
        return request.render("clinic_prepay_website_membership.memberships_page", values)

    @http.route(
        "/memberships/join",
        type="http",
        auth="public",
        website=True,
        methods=["POST"],
        sitemap=False,
    )
    def clinic_memberships_join(self, **post):
        plan = self._clinic_website_plans().filtered(
            lambda p: str(p.id) == str(post.get("plan_id"))
        )
        if not plan:
            raise request.not_found()
        user = request.env.user
        is_guest = user._is_public()
        name = (post.get("name") or "").strip()
        email = (post.get("email") or "").strip()
        phone = (post.get("phone") or "").strip()

        def back(error):
            query = {"plan_id": plan.id, "name": name, "email": email, "phone": phone}
            return request.redirect(f"/memberships?{urlencode({**query, 'error': error})}")

        if is_guest and (not name or not EMAIL_RE.match(email)):
            return back(request.env._("Give your name and email: your receipts go there."))
        if not post.get("accept_terms"):
            return back(request.env._("Accept the terms to sign up."))
        try:
            human = request.env["ir.http"]._verify_request_recaptcha_token("clinic_membership")
        except (UserError, ValidationError):
            human = False
        if not human:
            return back(request.env._("Please confirm you are not a robot."))
        ip = self._get_visitor_key()
        Membership = request.env["clinic.membership"].sudo()
        # counted one request at a time, or parallel requests would all see
        # the same count
        key = int(hashlib.sha1(f"clinic_membership:{ip}".encode()).hexdigest()[:15], 16)
        request.env.cr.execute("SELECT pg_advisory_xact_lock(%s)", [key])
        recent = Membership.search_count(
            [
                ("consent_ip", "=", ip),
                ("create_date", ">", fields.Datetime.now() - timedelta(hours=1)),
            ]
        )
        if recent >= SIGN_UPS_PER_IP_PER_HOUR:
            return back(request.env._("Too many sign-ups were started. Try again in an hour."))
        try:
            with request.env.cr.savepoint():
                if is_guest:
                    # a new contact each time: a guest never reaches anyone's history
                    partner = (
                        request.env["res.partner"]
                        .sudo()
                        .create({"name": name, "email": email, "phone": phone or False})
                    )
                else:
                    partner = user.partner_id
                    pending = Membership.search(
                        [
                            ("partner_id", "=", partner.id),
                            ("plan_id", "=", plan.id),
                            ("state", "=", "draft"),
                        ],
                        limit=1,
                    )
                    if pending:
                        return request.redirect(pending._get_payment_link())
                membership = Membership._clinic_sign_up(
                    plan, partner, source="online", consent_text=plan.terms, ip=ip
                )
        except UserError as error:
            return back(error.args[0])
        return request.redirect(membership._get_payment_link())
