# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.addons.clinic_prepay.controllers.payment import ClinicPaymentPortal
from odoo.http import request


class ClinicWalletPaymentPortal(ClinicPaymentPortal):
    def _get_extra_payment_form_values(self, invoice_id=None, access_token=None, **kwargs):
        """A course is paid from the wallet: the patient lands back there."""
        values = super()._get_extra_payment_form_values(
            invoice_id=invoice_id, access_token=access_token, **kwargs
        )
        invoice_id = self._cast_as_int(invoice_id)
        if invoice_id:
            invoice = request.env["account.move"].sudo().browse(invoice_id).exists()
            card = invoice.clinic_wallet_card_id
            if card and card.program_id.clinic_gift_card and request.env.user._is_public():
                values["landing_route"] = "/gift-card/paid"
            elif card:
                values["landing_route"] = "/my/wallet"
        return values
