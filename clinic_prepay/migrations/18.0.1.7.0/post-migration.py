# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Cancellation tiers: each treatment's single window (free until
``free_cancel_hours`` before the visit, ``late_cancel_forfeit_percent`` kept
later) becomes its one tier. Those two columns stay, now computed from the
tiers; they still hold the window of the version before.
"""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["clinic.treatment"].with_context(active_test=False).search([])._migrate_cancel_tiers()
