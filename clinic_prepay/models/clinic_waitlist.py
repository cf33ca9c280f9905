# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The waitlist: patients waiting for a time of a treatment.

When a booked time frees (a cancellation, the job cancelling an unpaid
booking, a move), the first waiting patients matching it are offered it by
mail, in the order they joined. The offer books the time as an online
booking does (the hold rules apply: one patient holds it while paying,
PostgreSQL refuses a second); the booking confirmed (its deposit paid, or
none asked) takes it, and the other offers are told it is gone. An offer
expires after the company's hours, or at the time itself.
"""

from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError


class ClinicWaitlist(models.Model):
    _name = "clinic.waitlist"
    _description = "Clinic Waitlist Entry"
    _inherit = ["portal.mixin", "mail.thread", "clinic.guard.mixin"]
    _order = "create_date, id"
    _check_company_auto = True
    _clinic_user_fields = frozenset(
        {"patient_id", "treatment_id", "practitioner_id", "date_from", "date_to", "note"}
    )

    name = fields.Char(compute="_compute_name")
    patient_id = fields.Many2one("res.partner", required=True, index=True, tracking=True)
    treatment_id = fields.Many2one(
        "clinic.treatment", required=True, check_company=True, tracking=True
    )
    practitioner_id = fields.Many2one(
        "res.users",
        string="Practitioner (optional)",
        domain="[('share', '=', False)]",
        tracking=True,
        help="Only this practitioner's times; any practitioner of the treatment if empty.",
    )
    date_from = fields.Date(string="From", tracking=True)
    date_to = fields.Date(string="Until", tracking=True)
    state = fields.Selection(
        [
            ("waiting", "Waiting"),
            ("offered", "Offered"),
            ("booked", "Booked"),
            ("expired", "Expired"),
            ("cancelled", "Left the Waitlist"),
        ],
        default="waiting",
        required=True,
        readonly=True,
        index=True,
        tracking=True,
    )
    offer_ids = fields.One2many("clinic.waitlist.offer", "waitlist_id", readonly=True)
    appointment_id = fields.Many2one("clinic.appointment", readonly=True, copy=False)
    company_id = fields.Many2one(
        related="treatment_id.company_id", store=True, index=True, precompute=True
    )
    note = fields.Text()

    _TRANSITIONS = {
        "waiting": ("offered", "waiting"),
        "offered": ("waiting", "offered"),
        "booked": ("waiting", "offered"),
        "expired": ("waiting", "offered"),
        "cancelled": ("waiting", "offered"),
    }

    _sql_constraints = [
        (
            "dates_in_order",
            "CHECK(date_to IS NULL OR date_from IS NULL OR date_to >= date_from)",
            "The waitlist's dates must be in order.",
        ),
    ]

    @api.depends("patient_id", "treatment_id")
    def _compute_name(self):
        for entry in self:
            entry.name = f"{entry.patient_id.name or ''} - {entry.treatment_id.name or ''}"

    def _compute_access_url(self):
        res = super()._compute_access_url()
        for entry in self:
            entry.access_url = f"/my/waitlist/{entry.id}"
        return res

    @api.model_create_multi
    def create(self, vals_list):
        self._clinic_check_create(vals_list)
        return super().create(vals_list)

    def write(self, vals):
        self._clinic_check_write(vals)
        return super().write(vals)

    def _clinic_check_user_write(self, vals):
        if self.filtered(lambda e: e.state not in ("waiting", "offered")):
            raise UserError(self.env._("Only a waiting entry of the waitlist changes."))

    def _get_open_offer(self):
        """The entry's offer still open (the one its mail is about)."""
        self.ensure_one()
        return self.offer_ids.filtered(lambda o: o.state == "open")[-1:]

    def _post_patient_mail(self, xmlid):
        """Mail the patients of these entries (queued, sent by Odoo's mail job)."""
        template = self.env.ref(xmlid, raise_if_not_found=False)
        for entry in self.sudo():
            entry.with_context(mail_notify_force_send=False).message_post_with_source(
                template, subtype_xmlid="mail.mt_comment", message_type="comment"
            )

    def action_leave(self):
        """The patient (or the desk for them) leaves the waitlist."""
        self.check_access("write")
        self._set_state("cancelled")
        self.offer_ids.filtered(lambda o: o.state == "open").sudo().write({"state": "expired"})
        return True

    def _matches(self, treatment, practitioner, start):
        """Whether this entry waits for ``treatment`` with ``practitioner`` at
        ``start`` (naive UTC; its date in the clinic's timezone)."""
        self.ensure_one()
        if self.treatment_id != treatment:
            return False
        if self.practitioner_id and self.practitioner_id != practitioner:
            return False
        day = fields.Datetime.context_timestamp(
            self.with_context(tz=self.company_id._get_clinic_tz()), start
        ).date()
        return not (
            (self.date_from and day < self.date_from) or (self.date_to and day > self.date_to)
        )

    @api.model
    def _cron_expire(self):
        """Offers past their time expire (their patients wait again); entries
        past their last date end."""
        now = fields.Datetime.now()
        offers = self.env["clinic.waitlist.offer"].search(
            [("state", "=", "open"), ("expires_at", "<=", now)]
        )
        offers._expire()
        today = fields.Date.context_today(self)
        self.search([("state", "in", ("waiting", "offered")), ("date_to", "<", today)])._set_state(
            "expired"
        )
        return len(offers)


class ClinicWaitlistOffer(models.Model):
    _name = "clinic.waitlist.offer"
    _description = "Clinic Waitlist Offer"
    _order = "id"

    waitlist_id = fields.Many2one(
        "clinic.waitlist", required=True, ondelete="cascade", index=True, readonly=True
    )
    patient_id = fields.Many2one(related="waitlist_id.patient_id")
    treatment_id = fields.Many2one(related="waitlist_id.treatment_id")
    company_id = fields.Many2one(related="waitlist_id.company_id", store=True)
    practitioner_id = fields.Many2one("res.users", required=True, readonly=True)
    start = fields.Datetime(required=True, readonly=True, index=True)
    expires_at = fields.Datetime(required=True, readonly=True)
    state = fields.Selection(
        [
            ("open", "Open"),
            ("taken", "Taken"),
            ("gone", "Gone to Another Patient"),
            ("expired", "Expired"),
        ],
        default="open",
        required=True,
        readonly=True,
        index=True,
    )
    appointment_id = fields.Many2one("clinic.appointment", readonly=True, index="btree_not_null")

    def _expire(self):
        self.write({"state": "expired"})
        entries = self.waitlist_id.filtered(
            lambda e: (
                e.state == "offered" and not e.offer_ids.filtered(lambda o: o.state == "open")
            )
        )
        entries._set_state("waiting")

    def _format_time(self, value):
        """A time as the patient reads it (their timezone, else the clinic's)."""
        self.ensure_one()
        return self.patient_id._clinic_format_datetime(value, self.company_id)

    def _format_start(self):
        return self._format_time(self.start)

    def _get_claim_url(self):
        """The offer's page for its patient (the waitlist entry's token)."""
        self.ensure_one()
        return self.waitlist_id.get_portal_url(suffix=f"/offer/{self.id}")

    def _can_claim(self):
        self.ensure_one()
        return (
            self.state == "open"
            and self.expires_at > fields.Datetime.now()
            and self.start > fields.Datetime.now()
        )

    def _claim(self, consent_text, ip=None, user_agent=None):
        """Book the offered time for its patient, as an online booking: the
        slot is held while they pay (a second patient is refused by the
        database); confirmed at once without a deposit."""
        self.ensure_one()
        if not self._can_claim():
            raise UserError(self.env._("This offer is no longer open."))
        appointment = self.env["clinic.appointment"]._create_online_booking(
            self.treatment_id,
            self.start,
            self.practitioner_id,
            site=self.site_id,
            patient=self.patient_id,
            consent_text=consent_text,
            ip=ip,
            user_agent=user_agent,
            vals={"waitlist_offer_id": self.id},
        )
        self.sudo().appointment_id = appointment
        return appointment


class ClinicAppointment(models.Model):
    # one file per feature of the booking
    _inherit = "clinic.appointment"  # pylint: disable=consider-merging-classes-inherited

    waitlist_offer_id = fields.Many2one(
        "clinic.waitlist.offer", readonly=True, copy=False, index="btree_not_null"
    )

    def _set_state(self, new_state, **vals):
        res = super()._set_state(new_state, **vals)
        # however a booking from an offer is confirmed (paid, a card saved, a
        # manager's decision, a waived deposit), it takes the time
        if new_state == "confirmed":
            for appointment in self.filtered("waitlist_offer_id"):
                appointment._on_waitlist_booking_confirmed()
        return res

    def _on_waitlist_booking_confirmed(self):
        """The offer's patient has the time: their entry is booked, the other
        patients offered the same time are told it is gone."""
        self.ensure_one()
        offer = self.sudo().waitlist_offer_id
        if offer.state == "taken":
            return
        offer.write({"state": "taken"})
        entry = offer.waitlist_id
        entry.write({"appointment_id": self.id})
        # a patient who left the waitlist meanwhile keeps the booking
        entry.filtered(lambda e: e.state in ("waiting", "offered"))._set_state("booked")
        others = offer.search(
            [
                ("id", "!=", offer.id),
                ("state", "=", "open"),
                ("start", "=", offer.start),
                ("practitioner_id", "=", offer.practitioner_id.id),
            ]
        )
        others.write({"state": "gone"})
        others.waitlist_id.filtered(lambda e: e.state == "offered")._set_state("waiting")
        others.waitlist_id._post_patient_mail("clinic_prepay.mail_template_waitlist_gone")

    @api.model
    def _offer_freed_slots(self, slots):
        """``slots`` (treatment, practitioner, start[, site]) are free again:
        offer them to the waitlist, at the site that freed them. One search
        for the batch; a time is checked only where an entry waits for it."""
        now = fields.Datetime.now()
        slots = [slot for slot in slots if slot[2] > now]
        if not slots:
            return
        treatments = self.env["clinic.treatment"].union(*(slot[0] for slot in slots))
        entries = (
            self.env["clinic.waitlist"]
            .sudo()
            .search([("state", "=", "waiting"), ("treatment_id", "in", treatments.ids)])
        )
        for treatment, practitioner, start, *site in slots:
            if entries:
                self._offer_time(entries, treatment, practitioner, start, site=site and site[0])

    def _offer_time(self, entries, treatment, practitioner, start, site=None):
        matching = entries.filtered(
            lambda e: e.state == "waiting" and e._matches(treatment, practitioner, start)
        )
        company = treatment.company_id
        matching = matching[: company.clinic_waitlist_offer_count or 1]
        slot = matching and treatment.sudo()._find_free_slot(
            start, practitioner, site=site or None
        )
        if not slot:
            return
        now = fields.Datetime.now()
        expires = min(
            now + timedelta(hours=company.clinic_waitlist_offer_hours or 2),
            start - timedelta(hours=treatment.min_notice_hours),
        )
        if expires <= now:
            return
        offers = (
            self.env["clinic.waitlist.offer"]
            .sudo()
            .create(
                [
                    {
                        "waitlist_id": entry.id,
                        "practitioner_id": practitioner.id,
                        "start": start,
                        "site_id": slot.get("site_id") or False,
                        "expires_at": expires,
                    }
                    for entry in matching
                ]
            )
        )
        matching._set_state("offered")
        offers.waitlist_id._post_patient_mail("clinic_prepay.mail_template_waitlist_offer")
