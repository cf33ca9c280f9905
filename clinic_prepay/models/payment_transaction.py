# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    def _post_process(self):
        # A payment that completes after its unpaid booking was cancelled
        # automatically: put the deposit invoice back to draft so that Odoo's
        # post-processing posts it and reconciles the payment with it; the
        # appointment then decides (confirm again or refund), see
        # clinic.appointment._on_deposit_paid.
        done_invoices = self.filtered(lambda tx: tx.state == "done").invoice_ids.sudo()
        # Lock the appointments first, in the order the cancellation job
        # does, so that a payment racing the job waits instead of deadlocking.
        done_invoices.clinic_deposit_ids.appointment_id._lock_for_update()
        cancelled = done_invoices.filtered(
            lambda inv: inv.state == "cancel" and inv.clinic_deposit_ids
        )
        if cancelled:
            cancelled.button_draft()
        return super()._post_process()
