# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class ClinicDepositWaive(models.TransientModel):
    _name = "clinic.deposit.waive"
    _description = "Waive the deposit of one booking"

    appointment_id = fields.Many2one("clinic.appointment", required=True)
    reason = fields.Char(required=True, help="Kept in the appointment's chatter.")

    def action_waive(self):
        self.ensure_one()
        # with the user's own rights: the appointment checks them
        self.appointment_id._waive_deposit(self.reason)
        return {"type": "ir.actions.act_window_close"}
