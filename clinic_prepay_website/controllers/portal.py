# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import pytz

from odoo import http
from odoo.addons.clinic_prepay.controllers.portal import ClinicPortal
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.http import request

from .main import ClinicSlotPages


class ClinicPortalReschedule(ClinicSlotPages, ClinicPortal):
    """The patient moves a booking to another free time of its treatment."""

    def _get_movable_appointment(self, appointment_id, access_token):
        """The appointment the visitor may move, or False."""
        try:
            appointment = self._document_check_access(
                "clinic.appointment", appointment_id, access_token
            )
        except (AccessError, MissingError):
            return False
        appointment = appointment.sudo()
        if (
            not appointment.treatment_id.online_booking
            or not appointment._get_reschedule_preview()["can_reschedule"]
        ):
            return False
        return appointment

    @http.route(
        ["/my/appointments/<int:appointment_id>/reschedule"],
        type="http",
        auth="public",
        website=True,
        methods=["GET"],
    )
    def portal_clinic_reschedule(
        self, appointment_id, access_token=None, week=None, practitioner=None, taken=None, **kw
    ):
        appointment = self._get_movable_appointment(appointment_id, access_token)
        if not appointment:
            return request.redirect("/my")
        tz = self._get_clinic_tz(appointment.treatment_id, appointment.site_id)
        values = self._prepare_slot_page_values(
            appointment.treatment_id,
            # the booking's own week first
            week or pytz.utc.localize(appointment.start).astimezone(tz).date(),
            practitioner or str(appointment.practitioner_id.id),
            exclude=appointment,
            url=f"/my/appointments/{appointment.id}/reschedule",
            params={"access_token": access_token} if access_token else {},
            # a move stays at the visit's site
            site=appointment.site_id,
        )
        values.update(
            appointment=appointment,
            taken=taken,
            back_url=appointment.get_portal_url(),
        )
        return request.render("clinic_prepay_website.book_slots", values)

    @http.route(
        ["/my/appointments/<int:appointment_id>/reschedule/details"],
        type="http",
        auth="public",
        website=True,
        methods=["GET", "POST"],
    )
    def portal_clinic_reschedule_details(
        self, appointment_id, access_token=None, start=None, practitioner=None, **kw
    ):
        """The new time before confirming; the move on confirmation (a POST
        with its CSRF token)."""
        appointment = self._get_movable_appointment(appointment_id, access_token)
        if not appointment:
            return request.redirect("/my")
        retry = appointment.get_portal_url(suffix="/reschedule") + "&taken=1"
        start_dt = self._parse_start(start)
        slot = start_dt and self._find_slot(
            appointment.treatment_id,
            start_dt,
            practitioner,
            exclude=appointment,
            site=appointment.site_id,
        )
        if not slot:
            return request.redirect(retry)
        doctor = request.env["res.users"].sudo().browse(slot["practitioner_id"])
        if request.httprequest.method == "POST":
            try:
                with request.env.cr.savepoint():
                    appointment._reschedule_by_patient(slot["start"], doctor)
            except (UserError, ValidationError):
                return request.redirect(retry)
            return request.redirect(appointment.get_portal_url())
        tz = self._get_clinic_tz(appointment.treatment_id, appointment.site_id)
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "appointment": appointment,
                "start": start,
                "local": pytz.utc.localize(slot["start"]).astimezone(tz),
                "clinic_tz": tz.zone,
                "practitioner": doctor,
                "policy": appointment.treatment_id.with_context(tz=tz.zone)._get_policy_lines(
                    slot["start"],
                    deposit=appointment.deposit_required,
                    card=appointment.card_required,
                ),
                "access_token": access_token,
                "page_name": "clinic_appointment",
            }
        )
        return request.render("clinic_prepay_website.reschedule_details", values)
