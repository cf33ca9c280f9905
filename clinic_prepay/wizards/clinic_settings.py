# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.exceptions import AccessError


class ClinicSettings(models.TransientModel):
    """The clinic's policies, set by its managers.

    Odoo's Settings save for administrators only; a clinic manager sets the
    deposit, cancellation, refund and online-booking policies of their
    company here (the accounting settings stay with the administrator).
    """

    _name = "clinic.settings"
    _description = "Clinic Policies"

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, readonly=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    clinic_payment_hours = fields.Float(related="company_id.clinic_payment_hours", readonly=False)
    clinic_payment_before_hours = fields.Float(
        related="company_id.clinic_payment_before_hours", readonly=False
    )
    clinic_free_cancel_hours = fields.Float(
        related="company_id.clinic_free_cancel_hours", readonly=False
    )
    clinic_late_cancel_forfeit_percent = fields.Float(
        related="company_id.clinic_late_cancel_forfeit_percent", readonly=False
    )
    clinic_no_show_forfeit_percent = fields.Float(
        related="company_id.clinic_no_show_forfeit_percent", readonly=False
    )
    clinic_refund_double_approval_amount = fields.Monetary(
        related="company_id.clinic_refund_double_approval_amount", readonly=False
    )
    clinic_refund_auto_approve = fields.Boolean(
        related="company_id.clinic_refund_auto_approve", readonly=False
    )
    clinic_online_hold_minutes = fields.Integer(
        related="company_id.clinic_online_hold_minutes", readonly=False
    )
    clinic_min_notice_hours = fields.Float(
        related="company_id.clinic_min_notice_hours", readonly=False
    )
    clinic_max_days_ahead = fields.Integer(
        related="company_id.clinic_max_days_ahead", readonly=False
    )
    clinic_slot_minutes = fields.Integer(related="company_id.clinic_slot_minutes", readonly=False)

    def _check_manager(self, companies):
        if not self.env.su and (
            not self.env.user.has_group("clinic_prepay.group_clinic_manager")
            or companies - self.env.user.company_ids
        ):
            raise AccessError(self.env._("Only a clinic manager sets the clinic's policies."))

    @api.model_create_multi
    def create(self, vals_list):
        companies = self.env["res.company"].browse(
            [vals.get("company_id") or self.env.company.id for vals in vals_list]
        )
        self._check_manager(companies)
        # the policies live on the company, which managers do not edit otherwise
        return super(ClinicSettings, self.sudo()).create(vals_list).sudo(False)

    def write(self, vals):
        companies = self.company_id
        if vals.get("company_id"):
            companies |= self.env["res.company"].browse(vals["company_id"])
        self._check_manager(companies)
        return super(ClinicSettings, self.sudo()).write(vals)

    def action_save(self):
        return {"type": "ir.actions.client", "tag": "soft_reload"}
