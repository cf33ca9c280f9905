# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models


class ClinicTreatment(models.Model):
    _inherit = "clinic.treatment"

    def _clinic_courses_of(self, partner):
        """``partner``'s courses with a free session of this treatment, the
        one ending first first (what the booking page offers)."""
        self.ensure_one()
        if not partner or not partner.sudo().clinic_bought_course:
            return self.env["loyalty.card"]
        return (
            self.env["loyalty.card"]
            .sudo()
            .search(
                [
                    ("partner_id", "=", partner.id),
                    ("clinic_state", "=", "active"),
                    ("points", ">", 0),
                    ("program_id.clinic_treatment_ids", "in", self.ids),
                ],
                order="expiration_date, id",
            )
        )

    def _clinic_online_courses(self):
        """The courses of this treatment patients buy online."""
        self.ensure_one()
        return (
            self.env["loyalty.program"]
            .sudo()
            .search(
                [
                    ("program_type", "=", "clinic_course"),
                    ("clinic_online", "=", True),
                    ("clinic_treatment_ids", "in", self.ids),
                ]
            )
        )

    def _clinic_gift_cards_accepted(self):
        """The clinic sells gift cards: the booking page asks for a code."""
        self.ensure_one()
        return bool(
            self.env["loyalty.program"]
            .sudo()
            .search_count(
                [
                    ("clinic_gift_card", "=", True),
                    ("company_id", "in", (self.company_id.id, False)),
                ],
                limit=1,
            )
        )
