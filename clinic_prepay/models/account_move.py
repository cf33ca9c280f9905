# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    clinic_deposit_ids = fields.One2many(
        "clinic.deposit", "invoice_id", string="Clinic Deposits", readonly=True
    )

    def _invoice_paid_hook(self):
        # Every payment path (provider transaction, desk payment, bank
        # reconciliation) ends here once the deposit invoice is paid.
        res = super()._invoice_paid_hook()
        self.sudo().clinic_deposit_ids._on_invoice_paid()
        return res
