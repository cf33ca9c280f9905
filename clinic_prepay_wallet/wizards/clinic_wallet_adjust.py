# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class ClinicWalletAdjust(models.TransientModel):
    """A manager adjusts a course's sessions or a gift card's balance,
    saying why; the change is posted and logged on the card."""

    _name = "clinic.wallet.adjust"
    _description = "Adjust a Wallet Card"

    card_id = fields.Many2one("loyalty.card", required=True, readonly=True, ondelete="cascade")
    is_gift_card = fields.Boolean(compute="_compute_is_gift_card")
    currency_id = fields.Many2one(related="card_id.currency_id")
    points = fields.Float(related="card_id.points", string="Now")
    sessions = fields.Integer(help="Sessions to add; a negative number takes them off.")
    amount = fields.Monetary(help="Money to add; a negative amount takes it off.")
    reason = fields.Text(required=True)

    @api.depends("card_id")
    def _compute_is_gift_card(self):
        for wizard in self:
            wizard.is_gift_card = bool(wizard.card_id.sudo().program_id.clinic_gift_card)

    def action_confirm(self):
        self.ensure_one()
        self.card_id._clinic_adjust(
            self.amount if self.is_gift_card else self.sessions, self.reason
        )
        return {"type": "ir.actions.act_window_close"}
