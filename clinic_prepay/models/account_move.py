# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Deposit documents change only through the clinic's actions.

The deposit invoices, their credit notes, the forfeit entries, the payments
reconciled with them and the journal entries of those payments are written
by the add-on in sudo mode. Any user (accountants included) is refused the
writes that would move their money: posting a payment request, resetting,
cancelling, reversing, editing amounts, accounts or partners, reconciling
or unreconciling, and paying them through Odoo's wizards. Deposit money
goes back through refund requests only.
"""

from odoo import api, fields, models
from odoo.exceptions import UserError

# what moves money on a posted document
MOVE_MONEY_FIELDS = frozenset(
    {
        "state",
        "line_ids",
        "invoice_line_ids",
        "partner_id",
        "commercial_partner_id",
        "currency_id",
        "journal_id",
        "company_id",
        "date",
        "invoice_date",
        "invoice_date_due",
        "move_type",
        "reversed_entry_id",
        "origin_payment_id",
        "statement_line_id",
        "payment_reference",
        "auto_post",
        "fiscal_position_id",
        "invoice_payment_term_id",
    }
)
LINE_MONEY_FIELDS = frozenset(
    {
        "move_id",
        "account_id",
        "balance",
        "debit",
        "credit",
        "amount_currency",
        "currency_id",
        "price_unit",
        "quantity",
        "discount",
        "tax_ids",
        "tax_line_id",
        "partner_id",
        "product_id",
        "display_type",
        "date",
    }
)


def _refuse(env):
    raise UserError(
        env._(
            "Deposit invoices and their payments belong to the clinic's workflow: a deposit is"
            " paid, cancelled and refunded from its appointment (refunds through a refund"
            " request), not by editing, resetting, cancelling, reversing or reconciling its"
            " documents."
        )
    )


class AccountMove(models.Model):
    _inherit = "account.move"

    clinic_deposit_id = fields.Many2one(
        "clinic.deposit",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The deposit this invoice or credit note asks, received or gives back money for.",
    )
    clinic_fee_appointment_id = fields.Many2one(
        "clinic.appointment",
        string="Clinic Fee Of",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The appointment whose no-show or late cancellation fee this invoice asks.",
    )
    clinic_forfeit_deposit_ids = fields.One2many(
        "clinic.deposit", "forfeit_move_id", string="Forfeited Clinic Deposits", readonly=True
    )

    def _clinic_guarded(self):
        """The documents of this recordset only the add-on changes: deposit
        invoices and credit notes, forfeit entries, and the entries of the
        payments reconciled with them."""
        if self.env.su:
            return self.browse()
        moves = self.sudo()
        guarded = moves.filtered(
            lambda move: (
                move.clinic_deposit_id
                or move.clinic_forfeit_deposit_ids
                or move.origin_payment_id._clinic_is_deposit_payment()
            )
        )
        return self.browse(guarded.ids)

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and any(
            vals.get("clinic_deposit_id")
            or vals.get("clinic_fee_appointment_id")
            or vals.get("clinic_patient_credit")
            for vals in vals_list
        ):
            _refuse(self.env)
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            # a patient's credit pays deposits: only a refund request makes one
            if {"clinic_deposit_id", "clinic_fee_appointment_id", "clinic_patient_credit"} & set(
                vals
            ):
                _refuse(self.env)
            guarded = self._clinic_guarded()
            # a draft deposit invoice is a payment request: its amount is the deposit's
            if guarded.filtered(lambda move: move.state == "draft") or (
                guarded and MOVE_MONEY_FIELDS & set(vals)
            ):
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
        # reconciliation) ends here once a deposit invoice is paid.
        res = super()._invoice_paid_hook()
        invoices = self.sudo().filtered(lambda move: move.move_type == "out_invoice")
        invoices.clinic_deposit_id._sync_money()
        invoices.clinic_fee_appointment_id._on_card_fee_paid()
        return res


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    @api.model_create_multi
    def create(self, vals_list):
        moves = self.env["account.move"].browse(
            {vals["move_id"] for vals in vals_list if vals.get("move_id")}
        )
        if moves._clinic_guarded():
            _refuse(self.env)
        return super().create(vals_list)

    def write(self, vals):
        guarded = self.move_id._clinic_guarded()
        if guarded.filtered(lambda move: move.state == "draft") or (
            guarded and LINE_MONEY_FIELDS & set(vals)
        ):
            _refuse(self.env)
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_clinic_deposit(self):
        if self.move_id._clinic_guarded():
            _refuse(self.env)


class AccountPartialReconcile(models.Model):
    _inherit = "account.partial.reconcile"

    @api.model
    def _clinic_guarded_lines(self, lines):
        """The patient's side (receivable) of deposit documents: what says a
        deposit is paid or refunded. Their bank side (a payment's outstanding
        line against a statement line) stays the accountant's to match."""
        return lines.filtered(
            lambda line: line.account_id.account_type in ("asset_receivable", "liability_payable")
        ).move_id._clinic_guarded()

    def _clinic_guarded(self):
        return self._clinic_guarded_lines(self.debit_move_id | self.credit_move_id)

    @api.model_create_multi
    def create(self, vals_list):
        # reconciling a deposit document by hand would fake or hide money
        line_ids = {
            vals.get(key) for vals in vals_list for key in ("debit_move_id", "credit_move_id")
        }
        lines = self.env["account.move.line"].browse(filter(None, line_ids))
        if self._clinic_guarded_lines(lines):
            _refuse(self.env)
        return super().create(vals_list)

    def write(self, vals):
        if self._clinic_guarded():
            _refuse(self.env)
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_clinic_deposit(self):
        # unreconciling a deposit payment would leave the deposit paid with no money
        if self._clinic_guarded():
            _refuse(self.env)


class AccountPayment(models.Model):
    _inherit = "account.payment"

    def _clinic_is_deposit_payment(self):
        """Whether these payments paid or refunded a deposit."""
        payments = self.sudo()
        lines = payments.move_id.line_ids
        counterparts = (
            lines.matched_debit_ids.debit_move_id | lines.matched_credit_ids.credit_move_id
        )
        return bool(
            payments.reconciled_invoice_ids.clinic_deposit_id
            or payments.payment_transaction_id.invoice_ids.clinic_deposit_id
            or counterparts.move_id.clinic_deposit_id
        )

    def _clinic_guarded(self):
        if self.env.su:
            return self.browse()
        return self.filtered(lambda payment: payment._clinic_is_deposit_payment())

    def write(self, vals):
        if self._clinic_guarded() and (
            {"state", "amount", "partner_id", "journal_id", "payment_type", "date", "move_id"}
            & set(vals)
        ):
            _refuse(self.env)
        return super().write(vals)

    def action_draft(self):
        if self._clinic_guarded():
            _refuse(self.env)
        return super().action_draft()

    def action_cancel(self):
        if self._clinic_guarded():
            _refuse(self.env)
        return super().action_cancel()
