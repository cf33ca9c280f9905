# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    clinic_card_hold_days = fields.Integer(
        related="company_id.clinic_card_hold_days", readonly=False
    )
