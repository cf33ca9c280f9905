# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models


class AccountPaymentRegister(models.TransientModel):
    _inherit = "account.payment.register"

    def _create_payments(self):
        # A desk payment takes the appointment's row lock before the invoice
        # lines, as the cancellation job does: the two wait, never deadlock.
        self.line_ids.move_id.sudo().clinic_deposit_ids.appointment_id._lock_for_update()
        return super()._create_payments()
