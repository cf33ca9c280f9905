# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models
from odoo.exceptions import UserError

from ..models.account_move import _refuse


class AccountPaymentRegister(models.TransientModel):
    _inherit = "account.payment.register"

    def _create_payments(self):
        moves = self.line_ids.move_id
        if not moves.sudo().clinic_deposit_id:
            return super()._create_payments()
        # deposit documents are paid by the clinic's own flows (in sudo mode):
        # the desk payment, and the refund of an approved request
        if not self.env.su:
            _refuse(self.env)
        if len(moves) > 1:
            raise UserError(self.env._("Register the payment of one deposit at a time."))
        deposits = moves.clinic_deposit_id
        # A desk payment takes the appointment's row lock before the invoice
        # lines, as the cancellation job does: the two wait, never deadlock.
        deposits.appointment_id._lock_for_update()
        deposits.invalidate_recordset()
        if moves.move_type == "out_invoice":
            # under the lock: the deposit still asks for this money (a wizard
            # submitted twice, or after the booking was cancelled, posts nothing)
            deposits._check_payable(self.amount)
        payments = super()._create_payments()
        deposits._sync_money()
        return payments
