# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from urllib.parse import urlencode

from odoo import http
from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.exceptions import AccessError, MissingError, UserError
from odoo.http import request


def apply_gift_card(appointment, code):
    """Pay ``appointment`` with the gift card of ``code``, for the visitor
    of this request (wrong codes are counted); returns the error to show,
    or None."""
    Attempt = request.env["clinic.gift.card.attempt"].sudo()
    try:
        # nothing to pay is no wrong code: checked before the lookup
        appointment.sudo()._clinic_check_gift_card_due()
        Attempt._clinic_lookup(
            request.httprequest.remote_addr,
            lambda: appointment.sudo()._clinic_pay_with_gift_card(code or ""),
        )
    except UserError as error:
        # shown once on the appointment's page: the link carries no text
        request.session["clinic_gift_card_error"] = [appointment.id, error.args[0]]
        return error.args[0]
    request.session.pop("clinic_gift_card_error", None)
    return None


class ClinicWalletPortal(CustomerPortal):
    def _clinic_wallet_domain(self):
        """The courses and gift cards the user and the patients under their
        contact bought, and the gift cards they added with their code."""
        partner = request.env.user.partner_id.commercial_partner_id
        return [
            "|",
            ("partner_id", "child_of", partner.ids),
            ("clinic_holder_id", "=", partner.id),
            ("clinic_state", "in", ("pending", "active", "used", "expired")),
        ]

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "clinic_wallet_count" in counters:
            values["clinic_wallet_count"] = (
                request.env["loyalty.card"]
                .sudo()
                .with_context(active_test=False)
                .search_count(self._clinic_wallet_domain())
            )
        return values

    def _clinic_online_courses(self):
        return (
            request.env["loyalty.program"]
            .sudo()
            .search(
                [
                    ("program_type", "=", "clinic_course"),
                    ("clinic_online", "=", True),
                    ("company_id", "in", (request.env.company.id, False)),
                ]
            )
        )

    @http.route("/my/wallet", type="http", auth="user", website=True)
    def portal_my_clinic_wallet(self, **kw):
        partner = request.env.user.partner_id
        cards = (
            request.env["loyalty.card"]
            .sudo()
            .with_context(active_test=False)
            .search(self._clinic_wallet_domain(), order="clinic_state, expiration_date, id")
        )
        company = request.env.company
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "cards": cards.filtered(lambda card: not card.program_id.clinic_gift_card),
                "gift_cards": cards.filtered(lambda card: card.program_id.clinic_gift_card),
                "holder": partner.commercial_partner_id,
                "credit_history": partner.sudo()._clinic_credit_history(company),
                "courses": self._clinic_online_courses(),
                "patient_credit": partner.sudo()._clinic_credit_amount(company),
                "currency": company.currency_id,
                "page_name": "clinic_wallet",
                "error": kw.get("error"),
                "gift_card_error": request.session.pop("clinic_wallet_gift_card_error", None),
                "gift_card_added": kw.get("gift_card") == "added",
            }
        )
        return request.render("clinic_prepay_wallet.portal_my_clinic_wallet", values)

    @http.route(
        "/my/wallet/buy/<int:program_id>",
        type="http",
        auth="user",
        website=True,
        methods=["POST"],
    )
    def portal_clinic_wallet_buy(self, program_id, **post):
        """The patient buys a course: it waits for its payment, made on
        Odoo's payment form; a course not paid yet is offered again rather
        than sold twice."""
        program = self._clinic_online_courses().filtered(lambda p: p.id == program_id)
        if not program:
            return request.redirect("/my/wallet")
        partner = request.env.user.partner_id
        Card = request.env["loyalty.card"].sudo()
        card = Card.search(
            [
                ("partner_id", "=", partner.id),
                ("program_id", "=", program.id),
                ("clinic_state", "=", "pending"),
            ],
            limit=1,
        )
        try:
            card = card or Card._clinic_sell_course(program, partner)
        except UserError as error:
            return request.redirect(f"/my/wallet?error={error.args[0]}")
        return request.redirect(card._clinic_get_payment_link())

    @http.route(
        "/my/wallet/gift-card",
        type="http",
        auth="user",
        website=True,
        methods=["POST"],
    )
    def portal_clinic_wallet_add_gift_card(self, **post):
        """The patient adds a gift card they were given, by its code; wrong
        codes are counted per visitor as when paying with one."""
        partner = request.env.user.partner_id
        Card = request.env["loyalty.card"].sudo()
        try:
            request.env["clinic.gift.card.attempt"].sudo()._clinic_lookup(
                request.httprequest.remote_addr,
                lambda: Card._clinic_add_to_wallet(
                    post.get("gift_card_code") or "", partner, request.env.company
                ),
            )
        except UserError as error:
            # the redirect carries no text: the message waits in the session
            request.session["clinic_wallet_gift_card_error"] = error.args[0]
            return request.redirect("/my/wallet")
        return request.redirect("/my/wallet?gift_card=added")

    @http.route(
        "/my/appointments/<int:appointment_id>/gift-card",
        type="http",
        auth="public",
        website=True,
        methods=["POST"],
    )
    def portal_clinic_appointment_gift_card(self, appointment_id, access_token=None, **post):
        """A gift card code pays the deposit or the visit's invoice, as far
        as it goes; the rest stays on Odoo's payment form. Wrong codes are
        counted per visitor."""
        try:
            appointment = self._document_check_access(
                "clinic.appointment", appointment_id, access_token
            )
        except (AccessError, MissingError):
            return request.redirect("/my")
        error = apply_gift_card(appointment, post.get("gift_card_code"))
        query = {"access_token": access_token} if access_token else {}
        query["gift_card"] = "error" if error else "paid"
        url = appointment.get_portal_url()
        url = url.split("?")[0]
        return request.redirect(f"{url}?{urlencode(query)}" if query else url)
