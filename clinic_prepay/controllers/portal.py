# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import http
from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.http import request


class ClinicPortal(CustomerPortal):
    def _get_clinic_appointment_domain(self):
        """The user's own bookings, whoever the user is (staff included); a
        draft is the desk's work in progress, not a booking yet."""
        partner = request.env.user.partner_id
        return [
            ("patient_id", "child_of", partner.commercial_partner_id.ids),
            ("state", "!=", "draft"),
        ]

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "clinic_appointment_count" in counters:
            Appointment = request.env["clinic.appointment"]
            values["clinic_appointment_count"] = (
                Appointment.search_count(self._get_clinic_appointment_domain())
                if Appointment.has_access("read")
                else 0
            )
        return values

    @http.route(
        ["/my/appointments", "/my/appointments/page/<int:page>"],
        type="http",
        auth="user",
        website=True,
    )
    def portal_my_clinic_appointments(self, page=1, **kw):
        Appointment = request.env["clinic.appointment"]
        domain = self._get_clinic_appointment_domain()
        # an employee without clinic rights gets the page, empty, as the
        # home counter says (not an access error)
        readable = Appointment.has_access("read")
        count = Appointment.search_count(domain) if readable else 0
        pager = portal_pager(
            url="/my/appointments", total=count, page=page, step=self._items_per_page
        )
        appointments = (
            Appointment.search(
                domain, order="start desc", limit=self._items_per_page, offset=pager["offset"]
            )
            if readable
            else Appointment
        )
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "appointments": appointments,
                "patient_credit": request.env.user.partner_id.sudo()._clinic_credit_amount(),
                "pager": pager,
                "page_name": "clinic_appointment",
                "default_url": "/my/appointments",
            }
        )
        return request.render("clinic_prepay.portal_my_clinic_appointments", values)

    @http.route(
        ["/my/appointments/<int:appointment_id>/cancel"],
        type="http",
        auth="public",
        website=True,
        methods=["GET", "POST"],
    )
    def portal_my_clinic_appointment_cancel(self, appointment_id, access_token=None, **kw):
        """The patient cancels: first what the policy gives back and keeps,
        then, on confirmation (a POST with its CSRF token), the cancellation."""
        try:
            appointment = self._document_check_access(
                "clinic.appointment", appointment_id, access_token
            )
        except (AccessError, MissingError):
            return request.redirect("/my")
        preview = appointment._get_cancel_preview()
        if not preview["can_cancel"]:
            return request.redirect(appointment.get_portal_url())
        if request.httprequest.method == "POST":
            appointment.action_cancel_by_patient()
            return request.redirect(appointment.get_portal_url())
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "appointment": appointment,
                "preview": preview,
                "page_name": "clinic_appointment",
                "access_token": access_token,
            }
        )
        return request.render("clinic_prepay.portal_my_clinic_appointment_cancel", values)

    # ------------------------------------------------------------------------
    # Waitlist
    # ------------------------------------------------------------------------

    @http.route(["/my/waitlist"], type="http", auth="user", website=True)
    def portal_my_clinic_waitlist(self, **kw):
        partner = request.env.user.partner_id
        entries = request.env["clinic.waitlist"].search(
            [
                ("patient_id", "child_of", partner.commercial_partner_id.ids),
                ("state", "in", ("waiting", "offered")),
            ]
        )
        values = self._prepare_portal_layout_values()
        values.update({"entries": entries, "page_name": "clinic_waitlist"})
        return request.render("clinic_prepay.portal_my_clinic_waitlist", values)

    @http.route(["/my/waitlist/<int:entry_id>"], type="http", auth="public", website=True)
    def portal_my_clinic_waitlist_entry(self, entry_id, access_token=None, **kw):
        """One entry, from a mail (its token) or the patient's account."""
        try:
            entry = self._document_check_access("clinic.waitlist", entry_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        values = self._prepare_portal_layout_values()
        values.update(
            {"entries": entry, "access_token": access_token, "page_name": "clinic_waitlist"}
        )
        return request.render("clinic_prepay.portal_my_clinic_waitlist", values)

    @http.route(
        ["/my/waitlist/<int:entry_id>/leave"],
        type="http",
        auth="public",
        website=True,
        methods=["POST"],
    )
    def portal_my_clinic_waitlist_leave(self, entry_id, access_token=None, **kw):
        try:
            entry = self._document_check_access("clinic.waitlist", entry_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        if entry.state in ("waiting", "offered"):
            entry.action_leave()
        return request.redirect("/my/waitlist" if not access_token else "/my")

    @http.route(
        ["/my/waitlist/<int:entry_id>/offer/<int:offer_id>"],
        type="http",
        auth="public",
        website=True,
        methods=["GET", "POST"],
    )
    def portal_clinic_waitlist_offer(self, entry_id, offer_id, access_token=None, **post):
        """The offered time, the policy to accept, and the booking (a POST)."""
        try:
            entry = self._document_check_access("clinic.waitlist", entry_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        offer = entry.offer_ids.filtered(lambda o: o.id == offer_id)
        if not offer:
            return request.redirect("/my")
        treatment = offer.treatment_id
        tz = entry.company_id._get_clinic_tz()
        policy = treatment.with_context(tz=tz)._get_policy_lines_for(entry.patient_id, offer.start)
        error = None
        if request.httprequest.method == "POST" and offer._can_claim():
            if not post.get("consent"):
                error = "consent"
            else:
                try:
                    with request.env.cr.savepoint():
                        appointment = offer._claim(
                            "\n".join(policy),
                            ip=request.httprequest.remote_addr,
                            user_agent=request.httprequest.headers.get("User-Agent"),
                        )
                except (UserError, ValidationError):
                    error = "taken"
                else:
                    return request.redirect(appointment.get_portal_url())
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "entry": entry,
                "offer": offer,
                "policy": policy,
                "error": error,
                "access_token": access_token,
                "page_name": "clinic_waitlist",
            }
        )
        return request.render("clinic_prepay.portal_clinic_waitlist_offer", values)

    @http.route(
        ["/my/appointments/<int:appointment_id>/attend"],
        type="http",
        auth="public",
        website=True,
        methods=["GET", "POST"],
    )
    def portal_my_clinic_appointment_attend(self, appointment_id, access_token=None, **kw):
        """The reminder's "I will come": a page with one button (a POST with
        its CSRF token; mail scanners open links, they do not post forms)."""
        try:
            appointment = self._document_check_access(
                "clinic.appointment", appointment_id, access_token
            )
        except (AccessError, MissingError):
            return request.redirect("/my")
        if request.httprequest.method == "POST":
            appointment._confirm_attendance()
            return request.redirect(appointment.get_portal_url())
        values = self._prepare_portal_layout_values()
        values.update({"appointment": appointment, "page_name": "clinic_appointment"})
        return request.render("clinic_prepay.portal_my_clinic_appointment_attend", values)

    @http.route(
        ["/my/appointments/<int:appointment_id>"], type="http", auth="public", website=True
    )
    def portal_my_clinic_appointment(self, appointment_id, access_token=None, **kw):
        try:
            appointment = self._document_check_access(
                "clinic.appointment", appointment_id, access_token
            )
        except (AccessError, MissingError):
            return request.redirect("/my")
        values = self._get_page_view_values(
            appointment,
            access_token,
            {"appointment": appointment, "page_name": "clinic_appointment"},
            "my_clinic_appointments_history",
            False,
        )
        return request.render("clinic_prepay.portal_my_clinic_appointment", values)
