# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    clinic_signed_up_member = fields.Boolean(
        string="Has Signed Up to a Membership",
        readonly=True,
        copy=False,
        help="Set when this patient signs up to a membership: only their bookings look for"
        " a membership's benefits (the others pay no query for it).",
    )
