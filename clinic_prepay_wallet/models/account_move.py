# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.addons.clinic_prepay.models.account_move import _refuse


class AccountMove(models.Model):
    _inherit = "account.move"

    clinic_wallet_card_id = fields.Many2one(
        "loyalty.card",
        string="Clinic Course",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The course this invoice sells, or whose session, expiry or adjustment this"
        " entry records.",
    )

    def _clinic_guarded(self):
        guarded = super()._clinic_guarded()
        if self.env.su:
            return guarded
        wallet = self.sudo().filtered(
            lambda move: (
                move.clinic_wallet_card_id or move.origin_payment_id._clinic_is_deposit_payment()
            )
        )
        return guarded | self.browse(wallet.ids)

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and any(vals.get("clinic_wallet_card_id") for vals in vals_list):
            _refuse(self.env)
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su and "clinic_wallet_card_id" in vals:
            _refuse(self.env)
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_clinic_course(self):
        if self.sudo().filtered(lambda m: m.clinic_wallet_card_id and m.state != "draft"):
            _refuse(self.env)

    def _reverse_moves(self, default_values_list=None, cancel=False):
        # a course's entry reversed (a refund undone, a no-show undone) stays
        # the course's: its account balance is the course's value
        reversals = super()._reverse_moves(default_values_list=default_values_list, cancel=cancel)
        for move, reversal in zip(self, reversals, strict=False):
            card = move.sudo().clinic_wallet_card_id
            if card and not reversal.sudo().clinic_wallet_card_id:
                reversal.sudo().clinic_wallet_card_id = card
        return reversals

    def _invoice_paid_hook(self):
        res = super()._invoice_paid_hook()
        self.sudo().filtered(
            lambda move: move.move_type == "out_invoice"
        ).clinic_wallet_card_id._clinic_on_paid()
        return res


class AccountPayment(models.Model):
    _inherit = "account.payment"

    def _clinic_is_deposit_payment(self):
        """A course's payment is the clinic's as a deposit's is."""
        if super()._clinic_is_deposit_payment():
            return True
        payments = self.sudo()
        return bool(
            payments.reconciled_invoice_ids.clinic_wallet_card_id
            or payments.payment_transaction_id.invoice_ids.clinic_wallet_card_id
        )
