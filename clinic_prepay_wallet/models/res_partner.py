# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    clinic_bought_course = fields.Boolean(
        string="Has Bought a Course",
        readonly=True,
        copy=False,
        help="Set when a course of this patient is paid: only their bookings look for a"
        " course to use (the others pay no query for it).",
    )
