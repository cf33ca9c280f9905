# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class ClinicWalletPayment(models.TransientModel):
    """Take a course's price at the desk (cash, card terminal)."""

    _name = "clinic.wallet.payment"
    _inherit = ["clinic.desk.payment"]
    _description = "Take a Course Payment"

    card_id = fields.Many2one("loyalty.card", string="Course", required=True, readonly=True)
    partner_id = fields.Many2one(related="card_id.partner_id", string="Patient")
    company_id = fields.Many2one(related="card_id.clinic_invoice_id.company_id")
    currency_id = fields.Many2one(related="card_id.clinic_invoice_id.currency_id")
    amount = fields.Monetary(related="card_id.clinic_invoice_id.amount_total", string="Price")

    def action_confirm(self):
        self.ensure_one()
        card = self.card_id
        card._clinic_check_desk()
        journal, method, date = self._get_desk_payment_args(
            card.sudo().clinic_invoice_id.company_id
        )
        card.sudo()._clinic_register_desk_payment(journal, method, date)
        return card._clinic_open_form()
