# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import http
from odoo.addons.clinic_prepay.controllers.payment import ClinicPaymentPortal
from odoo.exceptions import AccessError, MissingError, ValidationError
from odoo.http import request


class MembershipPaymentPortal(ClinicPaymentPortal):
    def _create_transaction(self, *args, custom_create_values=None, **kwargs):
        # a membership's period saves the card it is paid with: the member
        # accepted the plan's card authorisation when signing up
        for command in (custom_create_values or {}).get("invoice_ids") or []:
            if command[0] == 6 and any(
                request.env["clinic.membership"]._from_payment_context(invoice_id=invoice_id)
                for invoice_id in command[2]
            ):
                kwargs["tokenization_requested"] = True
        return super()._create_transaction(
            *args, custom_create_values=custom_create_values, **kwargs
        )

    def _get_extra_payment_form_values(self, invoice_id=None, access_token=None, **kwargs):
        values = super()._get_extra_payment_form_values(
            invoice_id=invoice_id, access_token=access_token, **kwargs
        )
        membership = request.env["clinic.membership"]._from_payment_context(invoice_id=invoice_id)
        if membership:
            values["landing_route"] = membership.get_portal_url()
        return values

    # ------------------------------------------------------------------------
    # Saving a card without a payment: a free first period, another card
    # ------------------------------------------------------------------------

    def _clinic_card_membership(self, membership_id, access_token):
        try:
            membership = self._document_check_access(
                "clinic.membership", membership_id, access_token
            )
        except (AccessError, MissingError):
            return None
        return membership if membership._card_can_be_saved() else None

    @http.route(
        "/my/memberships/<int:membership_id>/card", type="http", auth="public", website=True
    )
    def clinic_membership_card(self, membership_id, access_token=None, **kw):
        """Odoo's payment form in validation mode: the bank checks the card,
        nothing is charged; the next periods are charged to it."""
        membership = self._clinic_card_membership(membership_id, access_token)
        if membership is None:
            return request.redirect("/my")
        values = {
            **self._clinic_validation_form_values(
                membership.partner_id,
                membership.company_id,
                {"clinic_membership_id": membership.id},
                reference_prefix=f"{membership.name}-CARD",
                transaction_route=f"/my/memberships/{membership.id}/card/transaction",
                landing_route=membership.get_portal_url(),
                access_token=membership._portal_ensure_token(),
            ),
            "membership": membership,
            "page_name": "clinic_membership",
        }
        return request.render(
            "clinic_prepay_membership.portal_clinic_membership_card_page", values
        )

    @http.route("/my/memberships/<int:membership_id>/card/transaction", type="json", auth="public")
    def clinic_membership_card_transaction(self, membership_id, access_token, **kwargs):
        """Create the validation transaction that saves the member's card."""
        membership = self._clinic_card_membership(membership_id, access_token)
        if membership is None:
            raise ValidationError(request.env._("The access token is invalid."))
        return self._clinic_validation_transaction(
            membership.partner_id,
            f"{membership.name}-CARD",
            {"clinic_membership_id": membership.id},
            kwargs,
        )
