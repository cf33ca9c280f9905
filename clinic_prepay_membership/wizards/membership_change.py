# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class ClinicMembershipChange(models.TransientModel):
    """A manager pauses a membership or changes its plan from the next period."""

    _name = "clinic.membership.change"
    _description = "Change a Membership"

    membership_id = fields.Many2one("clinic.membership", required=True)
    mode = fields.Selection([("pause", "Pause"), ("plan", "Change Plan")], required=True)
    periods = fields.Integer(string="Periods", default=1)
    plan_id = fields.Many2one(
        "clinic.membership.plan",
        string="New Plan",
        domain="[('company_id', '=', company_id)]",
    )
    company_id = fields.Many2one(related="membership_id.company_id")

    def action_confirm(self):
        self.ensure_one()
        if self.mode == "pause":
            self.membership_id._pause(self.periods)
        else:
            self.membership_id._change_plan(self.plan_id)
        return {"type": "ir.actions.act_window_close"}
