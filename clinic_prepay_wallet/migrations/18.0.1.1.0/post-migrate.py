# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    """Companies get their gift cards account."""
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["res.company"].search([])._clinic_ensure_accounting()
