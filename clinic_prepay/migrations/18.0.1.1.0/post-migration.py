# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Patients no longer see the desk's drafts: the portal rule of appointments
is a no-update record, so an upgrade sets its new domain here."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    rule = env.ref("clinic_prepay.clinic_appointment_rule_portal", raise_if_not_found=False)
    if rule:
        rule.domain_force = (
            "[('patient_id', 'child_of', [user.commercial_partner_id.id]),"
            " ('state', '!=', 'draft')]"
        )
