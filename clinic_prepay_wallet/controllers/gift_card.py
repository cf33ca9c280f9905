# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import hmac

from odoo import http
from odoo.http import request


class ClinicGiftCardPrint(http.Controller):
    @http.route(
        "/gift-card/<int:card_id>/print", type="http", auth="public", website=True, sitemap=False
    )
    def clinic_gift_card_print(self, card_id, code=None, **kw):
        """The printable card of the recipient's mail: the code in the link
        is what opens it."""
        card = request.env["loyalty.card"].sudo().browse(card_id).exists()
        if (
            not card
            or not card.program_id.clinic_gift_card
            or card.clinic_state in (False, "pending", "cancelled")
            or not hmac.compare_digest(str(code or ""), card.code or "")
        ):
            raise request.not_found()
        return request.render("clinic_prepay_wallet.gift_card_print", {"card": card})

    @http.route("/gift-card/paid", type="http", auth="public", website=True, sitemap=False)
    def clinic_gift_card_paid(self, **kw):
        """Where a visitor who paid a gift card lands."""
        return request.render("clinic_prepay_wallet.gift_card_paid")
