# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models
from odoo.exceptions import AccessError, UserError


class ClinicMembershipSignup(models.TransientModel):
    """The desk signs a caller up: the plan's price is the plan's; the
    patient accepts its terms and saves their card by paying the first
    period through the link the desk sends."""

    _name = "clinic.membership.signup"
    _description = "Sign Up a Member"

    partner_id = fields.Many2one("res.partner", string="Patient", required=True)
    plan_id = fields.Many2one(
        "clinic.membership.plan",
        required=True,
        domain="[('company_id', '=', company_id)]",
    )
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    price_total = fields.Monetary(related="plan_id.price_total", string="Price")
    terms = fields.Text(related="plan_id.terms")
    terms_read = fields.Boolean(
        string="Terms Read to the Patient",
        help="The patient heard the terms and the card authorisation and agreed.",
    )

    def action_sign_up(self):
        """Sign up and mail the payment link of the first period."""
        self.ensure_one()
        if not self.env.user.has_group("clinic_prepay.group_clinic_user"):
            raise AccessError(self.env._("Only the clinic's staff signs members up."))
        if self.plan_id.terms and not self.terms_read:
            raise UserError(self.env._("Read the plan's terms to the patient first."))
        membership = self.env["clinic.membership"]._clinic_sign_up(
            self.plan_id, self.partner_id, source="desk"
        )
        if membership.partner_id.email:
            membership.action_send_payment_link()
        return {
            "type": "ir.actions.act_window",
            "res_model": "clinic.membership",
            "res_id": membership.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }
