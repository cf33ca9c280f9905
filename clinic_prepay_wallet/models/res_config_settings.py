# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    clinic_wallet_account_id = fields.Many2one(
        related="company_id.clinic_wallet_account_id", readonly=False
    )
    clinic_gift_card_account_id = fields.Many2one(
        related="company_id.clinic_gift_card_account_id", readonly=False
    )
    clinic_breakage_account_id = fields.Many2one(
        related="company_id.clinic_breakage_account_id", readonly=False
    )
    clinic_wallet_expiry = fields.Selection(
        related="company_id.clinic_wallet_expiry", readonly=False
    )
