# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models
from odoo.exceptions import UserError


class AccountPaymentRegister(models.TransientModel):
    _inherit = "account.payment.register"

    def _create_payments(self):
        deposits = self.line_ids.move_id.sudo().clinic_deposit_id
        if not deposits:
            return super()._create_payments()
        if len(self.line_ids.move_id) > 1:
            raise UserError(self.env._("Register the payment of one deposit at a time."))
        # A desk payment takes the appointment's row lock before the invoice
        # lines, as the cancellation job does: the two wait, never deadlock.
        # Then it checks, under the lock, that the deposit still asks for
        # this money: a wizard submitted twice, or after the booking was
        # cancelled, posts nothing.
        deposits.appointment_id._lock_for_update()
        deposits.invalidate_recordset()
        deposits._check_payable(self.amount)
        payments = super()._create_payments()
        deposits._sync_money()
        return payments
