# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.exceptions import AccessError


class LoyaltyHistory(models.Model):
    """A course's history: bought, booked, given back, used, expired,
    adjusted; each with the money it moved and its entry."""

    _inherit = "loyalty.history"

    clinic_kind = fields.Selection(
        [
            ("sold", "Bought"),
            ("reserved", "Booked"),
            ("returned", "Given Back"),
            ("used", "Used"),
            ("expired", "Expired"),
            ("refunded", "Refunded"),
            ("adjusted", "Adjusted"),
        ],
        string="Event",
        readonly=True,
    )
    clinic_amount = fields.Monetary(
        string="Value Moved", currency_field="currency_id", readonly=True
    )
    currency_id = fields.Many2one(related="card_id.currency_id")
    clinic_move_id = fields.Many2one("account.move", string="Entry", readonly=True)

    def _clinic_refuse(self):
        raise AccessError(self.env._("A course's history is written by the clinic's actions."))

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            cards = self.env["loyalty.card"].browse(
                [vals.get("card_id") for vals in vals_list if vals.get("card_id")]
            )
            if cards._clinic_cards() or any(vals.get("clinic_kind") for vals in vals_list):
                self._clinic_refuse()
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su and (self.card_id._clinic_cards() or "clinic_kind" in vals):
            self._clinic_refuse()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_clinic(self):
        if not self.env.su and self.card_id._clinic_cards():
            self._clinic_refuse()

    def _get_order_portal_url(self):
        if self.order_model == "clinic.appointment" and self.order_id:
            return self.env["clinic.appointment"].sudo().browse(self.order_id).access_url
        return super()._get_order_portal_url()
