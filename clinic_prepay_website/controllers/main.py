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

    def _get_clinic_tz(self, treatment, site=None):
        """Times read in the site's time zone, else the clinic's."""
        return pytz.timezone(site.tz if site else treatment.company_id._get_clinic_tz())

    def _get_site(self, treatment, site=None):
        """The site asked among those offering ``treatment``; its only one;
        none (the clinic has no sites, or the visitor has not picked one)."""
        sites = treatment._get_sites()
        if len(sites) == 1:
            return sites
        site = str(site or "")
        if site.isascii() and site.isdigit() and int(site) < 2**31:
            return sites.filtered(lambda s: s.id == int(site))
        return sites.browse()

    def _get_practitioners(self, treatment, practitioner):
        """The chosen practitioner, or every practitioner of the treatment."""
        practitioners = treatment.practitioner_ids.filtered("active")
        practitioner = str(practitioner or "")
        if practitioner.isascii() and practitioner.isdigit() and int(practitioner) < 2**31:
            practitioners = practitioners.filtered(lambda u: u.id == int(practitioner))
        return practitioners

    def _get_site_practitioners(self, treatment, site=None):
        """The treatment's practitioners who may work at ``site`` (of that
        site, or placed by their working hours)."""
        practitioners = treatment.practitioner_ids.filtered("active")
        if site:
            practitioners = practitioners.filtered(
                lambda user: user.sudo().resource_ids[:1].clinic_site_id in (site, site.browse())
            )
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

    def _get_week_slots(self, treatment, week, practitioner, exclude=None, site=None):
        """The site's (else the clinic's) timezone, the Monday of the week
        asked and its free slots (naive UTC)."""
        tz = self._get_clinic_tz(treatment, site)
        monday = self._get_week(tz, week)
        slots = (
            request.env["clinic.scheduler"]
            .sudo()
            ._get_free_slots(
                treatment,
                self._local_to_utc(tz, monday),
                self._local_to_utc(tz, monday + timedelta(days=7)),
                self._get_practitioners(treatment, practitioner),
                exclude=exclude,
                site=site,
            )
        )
        return tz, monday, slots

    def _prepare_slot_page_values(
        self, treatment, week, practitioner, exclude=None, url="", params=None, site=None
    ):
        """Values of the week page of ``treatment`` (at ``site``); ``url``
        and ``params`` make the links of its weeks and slots."""
        tz, monday, slots = self._get_week_slots(treatment, week, practitioner, exclude, site)
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
        if site and len(treatment._get_sites()) > 1:
            params["site"] = site.id

        def week_url(day):
            return f"{url}?{urlencode(dict(params, week=day))}"

        def slot_url(slot):
            return f"{url}/details?{urlencode(dict(params, start=self._slot_token(slot)))}"

        return {
            "treatment": treatment,
            "site": site,
            "site_count": len(treatment._get_sites()),
            "days": days,
            "monday": monday,
            "previous_week": monday - timedelta(days=7) if monday > this_week else False,
            "next_week": monday + timedelta(days=7),
            "practitioner": practitioner,
            "practitioners": self._get_site_practitioners(treatment, site),
            "clinic_tz": tz.zone,
            "visitor_tz": visitor_tz if visitor_tz and visitor_tz != tz.zone else False,
            "slot_token": self._slot_token,
            "week_url": week_url,
            "slot_url": slot_url,
            "hidden_params": {k: v for k, v in params.items() if k != "practitioner"},
        }

    def _find_slot(self, treatment, start, practitioner, exclude=None, site=None):
        """The free slot offered at exactly ``start`` (naive UTC), or False."""
        return (
            request.env["clinic.scheduler"]
            .sudo()
            ._find_free_slot(
                treatment,
                start,
                self._get_practitioners(treatment, practitioner),
                exclude=exclude,
                site=site,
            )
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
    def book_treatment(
        self, treatment_id, week=None, practitioner=None, taken=None, site=None, **kw
    ):
        treatment = self._get_treatment(treatment_id)
        chosen = self._get_site(treatment, site)
        sites = treatment._get_sites()
        if sites and not chosen:
            # several sites: where first, then when
            return request.render(
                "clinic_prepay_website.book_sites",
                {"treatment": treatment, "sites": sites, "back_url": "/book"},
            )
        values = self._prepare_slot_page_values(
            treatment, week, practitioner, url=f"/book/{treatment.id}", site=chosen
        )
        values.update(taken=taken, back_url="/book")
        return request.render("clinic_prepay_website.book_slots", values)

    @http.route("/book/<int:treatment_id>/slots", type="json", auth="public", website=True)
    def book_slots_json(self, treatment_id, week=None, practitioner=None, site=None, **kw):
        """The free slots of a week (at a site; of every site otherwise, in
        the first one's time zone), for scripts and tests."""
        treatment = self._get_treatment(treatment_id)
        chosen = self._get_site(treatment, site)
        _tz, _monday, slots = self._get_week_slots(
            treatment, week, practitioner, site=chosen or None
        )
        return [
            {
                "start": fields.Datetime.to_string(slot["start"]),
                "stop": fields.Datetime.to_string(slot["stop"]),
                "practitioner_id": slot["practitioner_id"],
                "site_id": slot["site_id"],
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
    def book_details(
        self, treatment_id, start=None, practitioner=None, error=None, site=None, **kw
    ):
        treatment = self._get_treatment(treatment_id)
        chosen = self._get_site(treatment, site)
        if treatment._get_sites() and not chosen:
            return request.redirect(f"/book/{treatment.id}")
        tz = self._get_clinic_tz(treatment, chosen)
        start_dt = self._parse_start(start)
        slot = start_dt and self._find_slot(treatment, start_dt, practitioner, site=chosen)
        if not slot:
            return request.redirect(self._get_taken_url(treatment, chosen))
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
                "site": chosen,
            },
        )

    def _get_taken_url(self, treatment, site):
        query = {"taken": 1}
        if site and len(treatment._get_sites()) > 1:
            query["site"] = site.id
        return f"/book/{treatment.id}?{urlencode(query)}"

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
    def book_confirm(self, treatment_id, start=None, practitioner=None, site=None, **post):
        """Hold the slot: the appointment and its deposit, in one transaction
        (``clinic.appointment._create_online_booking``). This keeps HTTP:
        the form's checks, the captcha, the visitor's limit, redirects."""
        treatment = self._get_treatment(treatment_id)
        chosen = self._get_site(treatment, site)
        start_dt = self._parse_start(start)
        user = request.env.user
        is_guest = user._is_public()
        name = (post.get("name") or "").strip()
        email = (post.get("email") or "").strip()
        phone = (post.get("phone") or "").strip()

        def back(error):
            query = {"start": start, "practitioner": practitioner or "", "error": error}
            if chosen:
                query["site"] = chosen.id
            if is_guest:
                query.update(name=name, email=email, phone=phone)
            return request.redirect(f"/book/{treatment.id}/details?{urlencode(query)}")

        if not start_dt or (treatment._get_sites() and not chosen):
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
        guest = {"name": name, "email": email, "phone": phone} if is_guest else None
        try:
            appointment = Appointment._create_online_booking(
                treatment,
                start_dt,
                self._get_practitioners(treatment, practitioner),
                site=chosen,
                patient=None if is_guest else user.partner_id,
                guest=guest,
                ip=ip,
                user_agent=request.httprequest.headers.get("User-Agent"),
                # one live hold per guest browser: the session knows its holds
                # (by email, a guest could release another guest's hold)
                previous_holds=request.session.get("clinic_holds", []) if is_guest else None,
                # once the patient's previous hold is released (a course's
                # session it held is theirs again)
                vals=lambda patient: self._prepare_online_booking_vals(treatment, patient, post),
            )
        except (ValidationError, UserError):
            # the time was taken meanwhile: nothing was written
            return request.redirect(self._get_taken_url(treatment, chosen))
        if is_guest:
            request.session["clinic_holds"] = [appointment.id]
        return request.redirect(self._get_booked_url(appointment, post))

    def _get_booked_url(self, appointment, post):
        """Where the visitor lands once the time is held: the appointment's
        page, where it is paid."""
        return appointment.get_portal_url()
