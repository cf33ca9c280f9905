# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class LoyaltyProgram(models.Model):
    _inherit = "loyalty.program"

    clinic_membership_plan_id = fields.Many2one(
        "clinic.membership.plan",
        string="Membership Plan",
        readonly=True,
        copy=False,
        help="The plan whose members' credits this program holds (never sold alone).",
    )
