# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from urllib.parse import urlencode

from odoo import http
from odoo.addons.clinic_prepay_wallet.controllers.portal import apply_gift_card
from odoo.addons.clinic_prepay_website.controllers.main import EMAIL_RE, ClinicBooking
from odoo.exceptions import UserError, ValidationError
from odoo.http import request

# gift cards one visitor may start in an hour
GIFT_CARDS_PER_IP_PER_HOUR = 5


class ClinicBookingWallet(ClinicBooking):
    def _prepare_online_booking_vals(self, treatment, patient, post):
        """A logged-in patient who chose one of their courses books a
        session of it (the booking checks it again under the course's
        lock); a guest never uses a course."""
        vals = super()._prepare_online_booking_vals(treatment, patient, post)
        card_id = post.get("wallet_card_id")
        if card_id and card_id.isdigit() and not request.env.user._is_public():
            card = treatment._clinic_courses_of(patient).filtered(lambda c: c.id == int(card_id))
            if card:
                vals["wallet_card_id"] = card.id
        return vals

    def _get_booked_url(self, appointment, post):
        """A gift card code given on the booking page pays the deposit as
        far as it goes; its answer shows on the appointment's page, where
        the rest is paid."""
        url = super()._get_booked_url(appointment, post)
        code = (post.get("gift_card_code") or "").strip()
        if not code or appointment.state != "awaiting_payment":
            return url
        error = apply_gift_card(appointment, code)
        param = {"gift_card": "error" if error else "paid"}
        return f"{url}{'&' if '?' in url else '?'}{urlencode(param)}"


class ClinicGiftCardShop(http.Controller):
    """Anyone buys a clinic gift card: an amount, a recipient, a message;
    it is paid on Odoo's payment form and the recipient gets the code."""

    def _programs(self):
        return (
            request.env["loyalty.program"]
            .sudo()
            .search(
                [
                    ("clinic_gift_card", "=", True),
                    ("clinic_online", "=", True),
                    ("company_id", "in", (request.env.company.id, False)),
                ],
                order="sequence, id",
            )
        )

    @http.route("/gift-cards", type="http", auth="public", website=True, sitemap=True)
    def clinic_gift_cards(self, **kw):
        programs = self._programs()
        if not programs:
            raise request.not_found()
        values = {
            "programs": programs,
            "is_guest": request.env.user._is_public(),
            "error": kw.get("error"),
            "bought": kw.get("bought"),
            "post": kw,
        }
        return request.render("clinic_prepay_website_wallet.gift_cards_page", values)

    @http.route(
        "/gift-cards/buy",
        type="http",
        auth="public",
        website=True,
        methods=["POST"],
        sitemap=False,
    )
    def clinic_gift_cards_buy(self, **post):
        programs = self._programs()
        program = programs.filtered(lambda p: str(p.id) == str(post.get("program_id")))[:1]
        program = program or programs[:1]
        user = request.env.user
        is_guest = user._is_public()
        keep = ("amount", "recipient_name", "recipient_email", "message", "name", "email")

        def back(error):
            query = {key: post.get(key) or "" for key in keep}
            return request.redirect(f"/gift-cards?{urlencode({**query, 'error': error})}")

        if not program:
            raise request.not_found()
        name = (post.get("name") or "").strip()
        email = (post.get("email") or "").strip()
        if is_guest and (not name or not EMAIL_RE.match(email)):
            return back(request.env._("Give your name and email: the receipt goes there."))
        recipient_email = (post.get("recipient_email") or "").strip()
        if recipient_email and not EMAIL_RE.match(recipient_email):
            return back(request.env._("The recipient's email does not look right."))
        try:
            amount = float(post.get("amount") or 0.0)
        except ValueError:
            amount = 0.0
        try:
            human = request.env["ir.http"]._verify_request_recaptcha_token("clinic_gift_card")
        except (UserError, ValidationError):
            human = False
        if not human:
            return back(request.env._("Please confirm you are not a robot."))
        Card = request.env["loyalty.card"].sudo()
        key = Card._clinic_sale_key(request.httprequest.remote_addr)
        if Card._clinic_sales_this_hour(key) >= GIFT_CARDS_PER_IP_PER_HOUR:
            return back(request.env._("Too many gift cards were started. Try again in an hour."))
        try:
            with request.env.cr.savepoint():
                buyer = (
                    request.env["res.partner"].sudo().create({"name": name, "email": email})
                    if is_guest
                    else user.partner_id
                )
                card = Card._clinic_sell_gift_card(
                    program,
                    buyer,
                    amount,
                    post.get("recipient_name"),
                    recipient_email,
                    post.get("message"),
                )
                card.clinic_sale_key = key
        except UserError as error:
            return back(error.args[0])
        return request.redirect(card._clinic_get_payment_link())
