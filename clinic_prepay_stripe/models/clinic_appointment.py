# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models

from .clinic_deposit import DISPUTE_STATES


class ClinicAppointment(models.Model):
    _inherit = "clinic.appointment"

    dispute_state = fields.Selection(
        DISPUTE_STATES, compute="_compute_dispute_state", search="_search_dispute_state"
    )

    def _compute_dispute_state(self):
        """The dispute of the appointment's deposit, if any."""
        for appointment in self:
            appointment.dispute_state = appointment.deposit_ids.sudo()[:1].dispute_state

    def _search_dispute_state(self, operator, value):
        return [("deposit_ids.dispute_state", operator, value)]
