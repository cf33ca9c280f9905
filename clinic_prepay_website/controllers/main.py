# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import hashlib
import ipaddress
import re
from collections import OrderedDict
from datetime import datetime, time, timedelta
from urllib.parse import urlencode

import pytz
from werkzeug.exceptions import NotFound

from odoo import fields, http
from odoo.exceptions import UserError, ValidationError
from odoo.http import request

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# online holds one visitor may take in an hour
HOLDS_PER_IP_PER_HOUR = 10


class ClinicSlotPages:
    """What the booking and the reschedule pages share: the clinic's week of
    free slots."""

    def _get_treatment(self, treatment_id):
        if not 0 < int(treatment_id) < 2**31:
            raise NotFound()
        treatment = (
            request.env["clinic.treatment"]
            .sudo()
            .search(
                [
                    ("id", "=", int(treatment_id)),
                    ("online_booking", "=", True),
                    ("company_id", "=", request.website.company_id.id),
                ],
                limit=1,
            )
        )
        if not treatment:
            raise NotFound()
        return treatment

    def _get_clinic_tz(self, treatment):
        return pytz.timezone(treatment.company_id._get_clinic_tz())

    def _get_practitioners(self, treatment, practitioner):
        """The chosen practitioner, or every practitioner of the treatment."""
        practitioners = treatment.practitioner_ids.filtered("active")
        practitioner = str(practitioner or "")
        if practitioner.isascii() and practitioner.isdigit() and int(practitioner) < 2**31:
            practitioners = practitioners.filtered(lambda u: u.id == int(practitioner))
        return practitioners

    def _get_week(self, tz, week=None):
        """Local Monday of the week asked (this week by default) as a date."""
        today = datetime.now(tz).date()
        try:
            day = fields.Date.to_date(week) if week else today
        except (ValueError, TypeError, OverflowError):
            day = today
        # within what can be booked: from this week to a year ahead
        day = min(max(day or today, today), today + timedelta(days=366))
        return day - timedelta(days=day.weekday())

    def _local_to_utc(self, tz, day):
        return (
            tz.localize(datetime.combine(day, time.min)).astimezone(pytz.utc).replace(tzinfo=None)
        )

    def _slot_token(self, slot):
        return fields.Datetime.to_string(slot["start"]).replace(" ", "T")

    def _get_week_slots(self, treatment, week, practitioner, exclude=None):
        """The clinic's timezone, the Monday of the week asked and its free
        slots (naive UTC)."""
        tz = self._get_clinic_tz(treatment)
        monday = self._get_week(tz, week)
        slots = treatment._get_free_slots(
            self._local_to_utc(tz, monday),
            self._local_to_utc(tz, monday + timedelta(days=7)),
            self._get_practitioners(treatment, practitioner),
            exclude=exclude,
        )
        return tz, monday, slots

    def _prepare_slot_page_values(
        self, treatment, week, practitioner, exclude=None, url="", params=None
    ):
        """Values of the week page of ``treatment``; ``url`` and ``params``
        make the links of its weeks and slots."""
        tz, monday, slots = self._get_week_slots(treatment, week, practitioner, exclude)
        days = OrderedDict((monday + timedelta(days=i), []) for i in range(7))
        seen = set()
        for slot in slots:
            # "any available": one button per time, the first practitioner free
            if slot["start"] in seen or (
                # a booking being moved is not offered its own time
                exclude
                and (slot["start"], slot["practitioner_id"])
                == (exclude.start, exclude.practitioner_id.id)
            ):
                continue
            seen.add(slot["start"])
            local = pytz.utc.localize(slot["start"]).astimezone(tz)
            days[local.date()].append({**slot, "local": local})
        today = datetime.now(tz).date()
        days = OrderedDict((day, day_slots) for day, day_slots in days.items() if day >= today)
        visitor_tz = request.httprequest.cookies.get("tz")
        this_week = self._get_week(tz)
        practitioner = practitioner or "any"
        params = dict(params or {}, practitioner=practitioner)

        def week_url(day):
            return f"{url}?{urlencode(dict(params, week=day))}"

        def slot_url(slot):
            return f"{url}/details?{urlencode(dict(params, start=self._slot_token(slot)))}"

        return {
            "treatment": treatment,
            "days": days,
            "monday": monday,
            "previous_week": monday - timedelta(days=7) if monday > this_week else False,
            "next_week": monday + timedelta(days=7),
            "practitioner": practitioner,
            "practitioners": treatment.practitioner_ids.filtered("active"),
            "clinic_tz": tz.zone,
            "visitor_tz": visitor_tz if visitor_tz and visitor_tz != tz.zone else False,
            "slot_token": self._slot_token,
            "week_url": week_url,
            "slot_url": slot_url,
            "hidden_params": {k: v for k, v in params.items() if k != "practitioner"},
        }

    def _find_slot(self, treatment, start, practitioner, exclude=None):
        """The free slot offered at exactly ``start`` (naive UTC), or False."""
        return treatment._find_free_slot(
            start, self._get_practitioners(treatment, practitioner), exclude=exclude
        )

    def _parse_start(self, start):
        try:
            value = fields.Datetime.to_datetime(start.replace("T", " "))
        except (ValueError, AttributeError, TypeError, OverflowError):
            return False
        if not value or not datetime(2000, 1, 1) < value < datetime(9000, 1, 1):
            return False
        return value


class ClinicBooking(ClinicSlotPages, http.Controller):
    # ------------------------------------------------------------------------
    # Pages
    # ------------------------------------------------------------------------

    @http.route("/book", type="http", auth="public", website=True, sitemap=True)
    def book(self, **kw):
        treatments = (
            request.env["clinic.treatment"]
            .sudo()
            .search(
                [
                    ("online_booking", "=", True),
                    ("company_id", "=", request.website.company_id.id),
                ]
            )
        )
        return request.render("clinic_prepay_website.book_treatments", {"treatments": treatments})

    @http.route("/book/<int:treatment_id>", type="http", auth="public", website=True)
    def book_treatment(self, treatment_id, week=None, practitioner=None, taken=None, **kw):
        treatment = self._get_treatment(treatment_id)
        values = self._prepare_slot_page_values(
            treatment, week, practitioner, url=f"/book/{treatment.id}"
        )
        values.update(taken=taken, back_url="/book")
        return request.render("clinic_prepay_website.book_slots", values)

    @http.route("/book/<int:treatment_id>/slots", type="json", auth="public", website=True)
    def book_slots_json(self, treatment_id, week=None, practitioner=None, **kw):
        """The free slots of a week, for scripts and tests."""
        treatment = self._get_treatment(treatment_id)
        _tz, _monday, slots = self._get_week_slots(treatment, week, practitioner)
        return [
            {
                "start": fields.Datetime.to_string(slot["start"]),
                "stop": fields.Datetime.to_string(slot["stop"]),
                "practitioner_id": slot["practitioner_id"],
            }
            for slot in slots
        ]

    def _get_visitor_key(self):
        """The visitor's address; IPv6 counted per /64 network."""
        ip = request.httprequest.remote_addr or ""
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return ip
        if address.version == 6:
            return str(ipaddress.ip_network(f"{ip}/64", strict=False))
        return ip

    @http.route(
        "/book/<int:treatment_id>/details",
        type="http",
        auth="public",
        website=True,
        methods=["GET"],
    )
    def book_details(self, treatment_id, start=None, practitioner=None, error=None, **kw):
        treatment = self._get_treatment(treatment_id)
        tz = self._get_clinic_tz(treatment)
        start_dt = self._parse_start(start)
        slot = start_dt and self._find_slot(treatment, start_dt, practitioner)
        if not slot:
            return request.redirect(f"/book/{treatment.id}?taken=1")
        doctor = request.env["res.users"].sudo().browse(slot["practitioner_id"])
        local = pytz.utc.localize(slot["start"]).astimezone(tz)
        policy = treatment.with_context(tz=tz.zone)._get_policy_lines_for(
            self._get_booking_partner(), slot["start"]
        )
        return request.render(
            "clinic_prepay_website.book_details",
            {
                "treatment": treatment,
                "start": start,
                "local": local,
                "practitioner": doctor,
                "policy": policy,
                "is_guest": request.env.user._is_public(),
                "error": error,
                "values": kw,
                "clinic_tz": tz.zone,
            },
        )

    def _prepare_online_booking_vals(self, treatment, patient, post):
        """Hook: more values of the booking, from what the patient chose."""
        return {}

    def _get_booking_partner(self):
        """Who books: the logged-in patient (their rules apply), else nobody
        yet (a guest is a new contact: the treatment's policy)."""
        user = request.env.user
        return request.env["res.partner"] if user._is_public() else user.partner_id.sudo()

    @http.route(
        "/book/<int:treatment_id>/waitlist",
        type="http",
        auth="user",
        website=True,
        methods=["POST"],
    )
    def book_waitlist(self, treatment_id, date_from=None, date_to=None, practitioner=None, **post):
        """A logged-in patient joins the treatment's waitlist."""
        treatment = self._get_treatment(treatment_id)
        partner = request.env.user.partner_id
        try:
            day_from = fields.Date.to_date(date_from) if date_from else False
            day_to = fields.Date.to_date(date_to) if date_to else False
        except ValueError:
            return request.redirect(f"/book/{treatment.id}")
        doctor = treatment.practitioner_ids.filtered(
            lambda user: str(user.id) == (practitioner or "")
        )
        Waitlist = request.env["clinic.waitlist"].sudo()
        if not Waitlist.search_count(
            [
                ("patient_id", "=", partner.id),
                ("treatment_id", "=", treatment.id),
                ("state", "in", ("waiting", "offered")),
            ]
        ):
            try:
                with request.env.cr.savepoint():
                    Waitlist.with_company(treatment.company_id).create(
                        {
                            "patient_id": partner.id,
                            "treatment_id": treatment.id,
                            "practitioner_id": doctor[:1].id,
                            "date_from": day_from,
                            "date_to": day_to,
                        }
                    )
            except (UserError, ValidationError):
                return request.redirect(f"/book/{treatment.id}")
        return request.redirect("/my/waitlist")

    @http.route(
        "/book/<int:treatment_id>/confirm",
        type="http",
        auth="public",
        website=True,
        methods=["POST"],
    )
    def book_confirm(self, treatment_id, start=None, practitioner=None, **post):
        """Hold the slot: the appointment and its deposit, in one transaction."""
        treatment = self._get_treatment(treatment_id)
        tz = self._get_clinic_tz(treatment)
        start_dt = self._parse_start(start)
        user = request.env.user
        is_guest = user._is_public()
        name = (post.get("name") or "").strip()
        email = (post.get("email") or "").strip()
        phone = (post.get("phone") or "").strip()

        def back(error):
            query = {"start": start, "practitioner": practitioner or "", "error": error}
            if is_guest:
                query.update(name=name, email=email, phone=phone)
            return request.redirect(f"/book/{treatment.id}/details?{urlencode(query)}")

        if not start_dt:
            return request.redirect(f"/book/{treatment.id}")
        if not post.get("consent"):
            return back("consent")
        if is_guest and (not name or not EMAIL_RE.match(email)):
            return back("details")
        # Odoo's reCAPTCHA and Turnstile, when the clinic configured them
        try:
            human = request.env["ir.http"]._verify_request_recaptcha_token("clinic_booking")
        except (UserError, ValidationError):
            human = False
        if not human:
            return back("captcha")
        ip = self._get_visitor_key()
        Appointment = request.env["clinic.appointment"].sudo()
        # one visitor's holds are counted one request at a time, or parallel
        # requests would all see the same count
        key = int(hashlib.sha1(f"clinic_hold:{ip}".encode()).hexdigest()[:15], 16)
        request.env.cr.execute("SELECT pg_advisory_xact_lock(%s)", [key])
        recent = Appointment.search_count(
            [
                ("consent_ip", "=", ip),
                ("create_date", ">", fields.Datetime.now() - timedelta(hours=1)),
            ]
        )
        if recent >= HOLDS_PER_IP_PER_HOUR:
            return back("rate")
        slot = self._find_slot(treatment, start_dt, practitioner)
        if not slot:
            return request.redirect(f"/book/{treatment.id}?taken=1")
        doctor = request.env["res.users"].sudo().browse(slot["practitioner_id"])
        policy = treatment.with_context(tz=tz.zone)._get_policy_lines_for(
            self._get_booking_partner(), slot["start"]
        )
        consent_text = "\n".join(policy)
        try:
            with request.env.cr.savepoint():
                if is_guest:
                    # a new contact each time: a guest never reaches anyone's history
                    patient = (
                        request.env["res.partner"]
                        .sudo()
                        .create({"name": name, "email": email, "phone": phone or False})
                    )
                    # one live hold per guest browser: the session knows its holds
                    # (by email, a guest could release another guest's hold)
                    Appointment.browse(request.session.get("clinic_holds", []))._release_holds()
                else:
                    patient = user.partner_id
                    Appointment._release_live_holds(partner=patient)
                appointment = Appointment.with_company(treatment.company_id).create(
                    {
                        "patient_id": patient.id,
                        "treatment_id": treatment.id,
                        "practitioner_id": doctor.id,
                        "start": slot["start"],
                        "company_id": treatment.company_id.id,
                        "source": "online",
                        **self._prepare_online_booking_vals(treatment, patient, post),
                    }
                )
                appointment._book_online(
                    consent_text,
                    ip=ip,
                    user_agent=request.httprequest.headers.get("User-Agent"),
                )
        except (ValidationError, UserError):
            # the database said no: someone took this time meanwhile
            return request.redirect(f"/book/{treatment.id}?taken=1")
        if is_guest:
            request.session["clinic_holds"] = [appointment.id]
        return request.redirect(self._get_booked_url(appointment, post))

    def _get_booked_url(self, appointment, post):
        """Where the visitor lands once the time is held: the appointment's
        page, where it is paid."""
        return appointment.get_portal_url()
