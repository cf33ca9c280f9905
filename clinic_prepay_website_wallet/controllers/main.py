# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.addons.clinic_prepay_website.controllers.main import ClinicBooking
from odoo.http import request


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
