# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class ClinicCancelByClinic(models.TransientModel):
    _name = "clinic.cancel.by.clinic"
    _description = "Cancel appointments on the clinic's side, saying why"

    appointment_ids = fields.Many2many("clinic.appointment", required=True)
    note = fields.Text(
        string="Why",
        required=True,
        help="Kept on the appointment and on its refund request; a manager reads it"
        " before approving a refund the patient's own cancellation would not give.",
    )

    def action_confirm(self):
        self.ensure_one()
        # with the user's own rights: the appointment checks them
        self.appointment_ids._cancel_by_clinic(self.note)
        return {"type": "ir.actions.act_window_close"}
