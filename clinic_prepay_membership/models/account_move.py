# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.addons.clinic_prepay.models.account_move import _refuse


class AccountMove(models.Model):
    _inherit = "account.move"

    clinic_membership_period_id = fields.Many2one(
        "clinic.membership.period",
        string="Membership Period",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The membership period this invoice charges.",
    )

    def _clinic_guarded(self):
        guarded = super()._clinic_guarded()
        if self.env.su:
            return guarded
        periods = self.sudo().filtered("clinic_membership_period_id")
        return guarded | self.browse(periods.ids)

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and any(vals.get("clinic_membership_period_id") for vals in vals_list):
            _refuse(self.env)
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su and "clinic_membership_period_id" in vals:
            _refuse(self.env)
        return super().write(vals)

    def _invoice_paid_hook(self):
        res = super()._invoice_paid_hook()
        self.sudo().filtered(
            lambda move: move.move_type == "out_invoice"
        ).clinic_membership_period_id._on_paid()
        return res


class AccountPayment(models.Model):
    _inherit = "account.payment"

    def _clinic_is_deposit_payment(self):
        """A membership's payment is the clinic's as a deposit's is."""
        if super()._clinic_is_deposit_payment():
            return True
        payments = self.sudo()
        return bool(
            payments.reconciled_invoice_ids.clinic_membership_period_id
            or payments.payment_transaction_id.invoice_ids.clinic_membership_period_id
        )
