# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.addons.account_payment.controllers.payment import PaymentPortal
from odoo.http import request


class ClinicPaymentPortal(PaymentPortal):
    def _get_extra_payment_form_values(self, invoice_id=None, access_token=None, **kwargs):
        """A deposit is paid from its appointment: the patient lands back there."""
        values = super()._get_extra_payment_form_values(
            invoice_id=invoice_id, access_token=access_token, **kwargs
        )
        invoice_id = self._cast_as_int(invoice_id)
        if invoice_id:
            invoice = request.env["account.move"].sudo().browse(invoice_id).exists()
            appointment = invoice.clinic_deposit_id.appointment_id
            if appointment:
                values["landing_route"] = appointment.get_portal_url()
        return values
