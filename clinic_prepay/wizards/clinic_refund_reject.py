# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class ClinicRefundReject(models.TransientModel):
    _name = "clinic.refund.reject"
    _description = "Reject a refund request"

    request_ids = fields.Many2many("clinic.refund.request", required=True)
    reason = fields.Text(required=True, help="Told to the patient.")

    def action_reject(self):
        self.ensure_one()
        # with the manager's own rights: the request checks them
        self.request_ids.write({"reject_reason": self.reason})
        self.request_ids.action_reject()
        return {"type": "ir.actions.act_window_close"}
