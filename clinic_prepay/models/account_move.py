# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.exceptions import UserError


def _refuse(env):
    raise UserError(
        env._(
            "Deposit invoices and their payments belong to the clinic's workflow: a deposit is"
            " paid, cancelled and refunded from its appointment (refunds through a refund"
            " request), not by editing, resetting, cancelling or reversing its documents."
        )
    )


class AccountMove(models.Model):
    _inherit = "account.move"

    clinic_deposit_id = fields.Many2one(
        "clinic.deposit",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The deposit this invoice asks or received money for.",
    )
    clinic_forfeit_deposit_ids = fields.One2many(
        "clinic.deposit", "forfeit_move_id", string="Forfeited Clinic Deposits", readonly=True
    )

    def _clinic_guarded(self):
        """Deposit invoices and forfeit entries, which only the add-on changes."""
        if self.env.su:
            return self.browse()
        return self.filtered(
            lambda move: move.sudo().clinic_deposit_id or move.sudo().clinic_forfeit_deposit_ids
        )

    def write(self, vals):
        # a draft deposit invoice is a payment request: its amount is the deposit's
        if self._clinic_guarded().filtered(lambda move: move.state == "draft"):
            _refuse(self.env)
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_clinic_deposit(self):
        if self.sudo().clinic_deposit_id or self.sudo().clinic_forfeit_deposit_ids:
            _refuse(self.env)

    def action_post(self):
        # a deposit invoice enters the ledger when its money arrives
        if self._clinic_guarded():
            _refuse(self.env)
        return super().action_post()

    def button_draft(self):
        if self._clinic_guarded():
            _refuse(self.env)
        return super().button_draft()

    def button_cancel(self):
        if self._clinic_guarded():
            _refuse(self.env)
        return super().button_cancel()

    def _reverse_moves(self, default_values_list=None, cancel=False):
        if self._clinic_guarded():
            _refuse(self.env)
        return super()._reverse_moves(default_values_list=default_values_list, cancel=cancel)

    def _invoice_paid_hook(self):
        # Every payment path (provider transaction, desk payment, bank
        # reconciliation) ends here once the deposit invoice is paid.
        res = super()._invoice_paid_hook()
        self.sudo().clinic_deposit_id._sync_money()
        return res


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    @api.model_create_multi
    def create(self, vals_list):
        moves = self.env["account.move"].browse(
            {vals["move_id"] for vals in vals_list if vals.get("move_id")}
        )
        if moves._clinic_guarded().filtered(lambda move: move.state == "draft"):
            _refuse(self.env)
        return super().create(vals_list)

    def write(self, vals):
        if self.move_id._clinic_guarded().filtered(lambda move: move.state == "draft"):
            _refuse(self.env)
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_clinic_deposit(self):
        if self.move_id._clinic_guarded():
            _refuse(self.env)


class AccountPartialReconcile(models.Model):
    _inherit = "account.partial.reconcile"

    @api.ondelete(at_uninstall=False)
    def _unlink_except_clinic_deposit(self):
        # unreconciling a deposit payment would leave the deposit paid with no money
        if (self.debit_move_id.move_id | self.credit_move_id.move_id)._clinic_guarded():
            _refuse(self.env)


class AccountPayment(models.Model):
    _inherit = "account.payment"

    def _clinic_guarded(self):
        if self.env.su:
            return self.browse()
        return self.filtered(
            lambda payment: payment.sudo().reconciled_invoice_ids.clinic_deposit_id
        )

    def action_draft(self):
        if self._clinic_guarded():
            _refuse(self.env)
        return super().action_draft()

    def action_cancel(self):
        if self._clinic_guarded():
            _refuse(self.env)
        return super().action_cancel()
