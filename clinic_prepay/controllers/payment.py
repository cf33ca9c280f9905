# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import http
from odoo.addons.account_payment.controllers.payment import PaymentPortal
from odoo.exceptions import AccessError, MissingError, ValidationError
from odoo.http import request


class ClinicPaymentPortal(PaymentPortal):
    def _get_extra_payment_form_values(self, invoice_id=None, access_token=None, **kwargs):
        """A deposit or a fee is paid from its appointment: the patient lands
        back there."""
        values = super()._get_extra_payment_form_values(
            invoice_id=invoice_id, access_token=access_token, **kwargs
        )
        invoice_id = self._cast_as_int(invoice_id)
        if invoice_id:
            invoice = request.env["account.move"].sudo().browse(invoice_id).exists()
            appointment = (
                invoice.clinic_deposit_id.appointment_id or invoice.clinic_fee_appointment_id
            )
            if appointment:
                values["landing_route"] = appointment.get_portal_url()
        return values

    def _create_transaction(self, *args, custom_create_values=None, **kwargs):
        # the deposit of a booking needing a card on file saves the card it is
        # paid with (the patient agreed on the appointment's page)
        invoice_ids = []
        for command in (custom_create_values or {}).get("invoice_ids") or []:
            if command[0] == 6:
                invoice_ids += command[2]
        for invoice_id in invoice_ids:
            if request.env["clinic.appointment"]._from_payment_context(invoice_id=invoice_id):
                kwargs["tokenization_requested"] = True
        return super()._create_transaction(
            *args, custom_create_values=custom_create_values, **kwargs
        )

    # ------------------------------------------------------------------------
    # Saving a card without a payment
    # ------------------------------------------------------------------------

    def _clinic_card_appointment(self, appointment_id, access_token):
        try:
            return self._document_check_access("clinic.appointment", appointment_id, access_token)
        except (AccessError, MissingError):
            return None

    @http.route(
        "/my/appointments/<int:appointment_id>/card",
        type="http",
        auth="public",
        website=True,
        methods=["GET", "POST"],
    )
    def clinic_appointment_card(self, appointment_id, access_token=None, **post):
        """The patient agrees to keep a card on file (a POST with its CSRF
        token), then saves it: with the deposit payment when one is due,
        else on Odoo's payment form in validation mode."""
        appointment = self._clinic_card_appointment(appointment_id, access_token)
        if appointment is None:
            return request.redirect("/my")
        back = appointment.get_portal_url()
        if not appointment._card_needed():
            return request.redirect(back)
        if request.httprequest.method == "POST":
            if not post.get("consent"):
                return request.redirect(
                    appointment.get_portal_url(query_string="&card_consent=missing")
                )
            appointment._record_card_consent()
        if not appointment.card_consent_date:
            return request.redirect(back)
        payment_link = appointment._get_payment_link()
        if payment_link:
            return request.redirect(payment_link)
        return request.render(
            "clinic_prepay.portal_clinic_appointment_card",
            self._clinic_card_form_values(appointment),
        )

    def _clinic_card_form_values(self, appointment):
        # the card is the patient's, whoever opened the page (the desk's screen
        # handed to the patient included)
        return {
            **self._clinic_validation_form_values(
                appointment.patient_id,
                appointment.company_id,
                {"clinic_appointment_id": appointment.id},
                reference_prefix=f"{appointment.name}-CARD",
                transaction_route=f"/my/appointments/{appointment.id}/card/transaction",
                landing_route=appointment.get_portal_url(),
                access_token=appointment._portal_ensure_token(),
            ),
            "appointment": appointment,
            "page_name": "clinic_appointment",
        }

    def _clinic_validation_form_values(
        self, partner_sudo, company, context, reference_prefix, transaction_route, **routes
    ):
        """The values of Odoo's payment form in validation mode, saving a
        card of ``partner_sudo`` (nothing charged) for the clinic document
        ``context`` names; ``routes``: its ``landing_route`` and
        ``access_token``."""
        providers_sudo = (
            request.env["payment.provider"]
            .sudo()
            ._get_compatible_providers(
                company.id,
                partner_sudo.id,
                0.0,
                force_tokenization=True,
                is_validation=True,
                **context,
            )
        )
        payment_methods_sudo = (
            request.env["payment.method"]
            .sudo()
            ._get_compatible_payment_methods(
                providers_sudo.ids, partner_sudo.id, force_tokenization=True
            )
        )
        return {
            **self._prepare_portal_layout_values(),
            "mode": "validation",
            "allow_token_selection": False,
            "allow_token_deletion": False,
            "reference_prefix": reference_prefix,
            "partner_id": partner_sudo.id,
            "providers_sudo": providers_sudo,
            "payment_methods_sudo": payment_methods_sudo,
            "tokens_sudo": request.env["payment.token"].sudo().browse(),
            "transaction_route": transaction_route,
            **routes,
        }

    @http.route(
        "/my/appointments/<int:appointment_id>/card/transaction", type="json", auth="public"
    )
    def clinic_appointment_card_transaction(self, appointment_id, access_token, **kwargs):
        """Create the validation transaction that saves the booking's card."""
        appointment = self._clinic_card_appointment(appointment_id, access_token)
        if appointment is None:
            raise ValidationError(request.env._("The access token is invalid."))
        if not appointment._card_ready_to_save():
            raise ValidationError(request.env._("This booking does not need a card now."))
        return self._clinic_validation_transaction(
            appointment.sudo().patient_id,
            f"{appointment.name}-CARD",
            {"clinic_appointment_id": appointment.id},
            kwargs,
        )

    def _clinic_validation_transaction(self, partner, reference_prefix, custom_values, kwargs):
        """The validation transaction that saves a card of ``partner`` for
        the clinic document ``custom_values`` links it to; its processing
        values for the payment form."""
        self._validate_transaction_kwargs(kwargs)
        for key in ("amount", "is_validation"):
            kwargs.pop(key, None)
        kwargs["tokenization_requested"] = True
        tx_sudo = self._create_transaction(
            amount=None,
            currency_id=None,
            partner_id=partner.id,
            is_validation=True,
            reference_prefix=reference_prefix,
            custom_create_values=custom_values,
            **kwargs,
        )
        return tx_sudo._get_processing_values()
