# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class ClinicMembershipChange(models.TransientModel):
    """A manager pauses a membership, changes its plan from the next period,
    or ends it now with a refund of its last paid period."""

    _name = "clinic.membership.change"
    _description = "Change a Membership"

    membership_id = fields.Many2one("clinic.membership", required=True)
    mode = fields.Selection(
        [("pause", "Pause"), ("plan", "Change Plan"), ("refund", "End Now and Refund")],
        required=True,
    )
    periods = fields.Integer(default=1)
    plan_id = fields.Many2one(
        "clinic.membership.plan",
        string="New Plan",
        domain="[('company_id', '=', company_id)]",
    )
    company_id = fields.Many2one(related="membership_id.company_id")
    currency_id = fields.Many2one(related="membership_id.currency_id")
    refund_period_id = fields.Many2one(
        "clinic.membership.period",
        string="Period Refunded",
        compute="_compute_refund_period",
        store=True,
        precompute=True,
        help="The last paid period: the refund gives back its charge.",
    )
    refund_left = fields.Monetary(
        string="Refundable",
        compute="_compute_refund_period",
        store=True,
        precompute=True,
        help="What the member paid for that period and has not had back.",
    )
    amount = fields.Monetary(
        string="Refund",
        compute="_compute_amount",
        store=True,
        readonly=False,
        precompute=True,
        help="All of the period by default: its credits then leave the member's card with its"
        " fee; less refunds part of the fee only.",
    )
    reason = fields.Text()

    @api.depends("membership_id", "mode")
    def _compute_refund_period(self):
        for wizard in self:
            period = (
                wizard.membership_id._get_refund_period()
                if wizard.mode == "refund" and wizard.membership_id
                else wizard.env["clinic.membership.period"]
            )
            wizard.refund_period_id = period
            wizard.refund_left = period._get_refundable_left() if period else 0.0

    @api.depends("refund_left")
    def _compute_amount(self):
        for wizard in self:
            wizard.amount = wizard.refund_left

    def action_confirm(self):
        self.ensure_one()
        if self.mode == "pause":
            self.membership_id._pause(self.periods)
        elif self.mode == "plan":
            self.membership_id._change_plan(self.plan_id)
        else:
            request = self.membership_id._end_and_refund(self.amount, self.reason)
            return {
                "type": "ir.actions.act_window",
                "res_model": "clinic.refund.request",
                "res_id": request.id,
                "view_mode": "form",
                "views": [(False, "form")],
                "target": "current",
            }
        return {"type": "ir.actions.act_window_close"}
