# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import hashlib
import logging
from datetime import datetime, timedelta
from urllib.parse import urlencode

import pytz

from odoo import api, fields, models, modules, tools
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.osv import expression
from odoo.tools import SQL, format_datetime, hmac
from odoo.tools.sql import create_index

_logger = logging.getLogger(__name__)


def payment_access_token(env, *values):
    """The token of Odoo's payment links (``payment.utils.generate_access_token``),
    without an HTTP request: links also go out in mails sent by jobs."""
    return hmac(env(su=True), "generate_access_token", "|".join(str(v) for v in values))


def invoice_payment_link(env, invoice, amount):
    """Odoo's payment link (``/payment/pay``) of ``amount`` on ``invoice``:
    the amount is fixed server-side and signed in the token."""
    params = {
        "amount": amount,
        "invoice_id": invoice.id,
        "access_token": payment_access_token(
            env, invoice.partner_id.id, amount, invoice.currency_id.id
        ),
    }
    return f"/payment/pay?{urlencode(params)}"


class _OverlapRefusedFilter(logging.Filter):
    """A booking refused by an overlap constraint (the practitioner's, or a
    room's or device's) is tried again or reported to the user (see
    ``_slot_guard`` and ``clinic.scheduler._reserve``): it is not a bad
    query for the server log."""

    def filter(self, record):
        args = str(record.args)
        return "practitioner_no_overlap" not in args and "resource_no_overlap" not in args


logging.getLogger("odoo.sql_db").addFilter(_OverlapRefusedFilter())

# States in which an appointment holds its practitioner's time. A draft
# holds nothing: booking it checks the slot.
BLOCKING_STATES = ("awaiting_payment", "confirmed", "done")
# no appointment lasts longer (a database constraint); time-window reads rely on it
MAX_LENGTH = timedelta(days=1)
STATE_COLORS = {
    "draft": 0,
    "awaiting_payment": 2,  # orange
    "confirmed": 10,  # green
    "done": 4,  # blue
    "cancelled": 1,  # red
    "no_show": 9,  # fuchsia
}


class ClinicAppointment(models.Model):
    """One booking of a patient with a practitioner for a treatment.

    Every appointment owns a ``calendar.event`` (kept in sync by
    :meth:`_sync_event`), so it shows in the practitioner's Odoo calendar.
    Overlapping bookings of one practitioner are refused by PostgreSQL
    itself (an exclusion constraint), whatever the number of workers.
    """

    _name = "clinic.appointment"
    _description = "Clinic Appointment"
    _inherit = ["portal.mixin", "mail.thread", "mail.activity.mixin", "clinic.guard.mixin"]
    _order = "start desc, id desc"
    _check_company_auto = True
    # what the front desk edits; the rest moves only through the actions
    _clinic_user_fields = frozenset(
        {
            "patient_id",
            "treatment_id",
            "practitioner_id",
            "start",
            "stop",
            "source",
            "company_id",
            "note",
            # the desk's pick of rooms and devices, checked by the scheduler
            "resource_ids",
            # where the visit is: a move, checked as one
            "site_id",
        }
    )

    name = fields.Char(
        string="Reference", required=True, readonly=True, copy=False, default="/", index=True
    )
    patient_id = fields.Many2one("res.partner", required=True, tracking=True, index=True)
    treatment_id = fields.Many2one(
        "clinic.treatment", required=True, tracking=True, check_company=True, index=True
    )
    practitioner_id = fields.Many2one(
        "res.users",
        required=True,
        tracking=True,
        index=True,
        domain="[('id', 'in', allowed_practitioner_ids)]",
    )
    allowed_practitioner_ids = fields.Many2many(
        "res.users", compute="_compute_allowed_practitioner_ids"
    )
    start = fields.Datetime(required=True, tracking=True)
    stop = fields.Datetime(
        compute="_compute_stop", store=True, readonly=False, required=True, precompute=True
    )
    source = fields.Selection(
        [("phone", "Phone"), ("online", "Online"), ("walk_in", "Walk-in")],
        default="phone",
        required=True,
    )
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("awaiting_payment", "Awaiting Payment"),
            ("confirmed", "Confirmed"),
            ("done", "Done"),
            ("cancelled", "Cancelled"),
            ("no_show", "No-show"),
        ],
        default="draft",
        required=True,
        readonly=True,
        copy=False,
        tracking=True,
        index=True,
    )
    cancel_reason = fields.Selection(
        [
            ("patient", "Cancelled by the patient"),
            ("clinic", "Cancelled by the clinic"),
            ("unpaid", "Deposit not paid in time"),
            ("late", "Late cancellation"),
        ],
        readonly=True,
        copy=False,
        tracking=True,
    )
    cancel_date = fields.Datetime(readonly=True, copy=False)
    cancel_note = fields.Text(
        readonly=True, copy=False, help="Why the clinic cancelled inside the late window."
    )
    no_show_date = fields.Datetime(string="No-show Recorded", readonly=True, copy=False)
    state_before_no_show = fields.Char(readonly=True, copy=False)
    can_undo_no_show = fields.Boolean(compute="_compute_can_undo_no_show")
    calendar_title = fields.Char(compute="_compute_calendar_title")
    amount_refund_left = fields.Monetary(
        string="Refundable, Not Requested",
        compute="_compute_amount_refund_left",
        help="Refundable money no open refund request claims yet.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    event_id = fields.Many2one(
        "calendar.event",
        string="Calendar Event",
        readonly=True,
        copy=False,
        ondelete="set null",
        index="btree_not_null",
    )
    price = fields.Monetary(compute="_compute_amounts_from_treatment", store=True, copy=False)
    deposit_required = fields.Monetary(
        string="Deposit",
        compute="_compute_amounts_from_treatment",
        store=True,
        copy=False,
        help="Deposit asked at booking; from the treatment's policy.",
    )
    prepayment_rule = fields.Selection(
        [
            ("policy", "Treatment's policy"),
            ("exempt", "Exempt patient"),
            ("full", "Full pre-payment (missed visits)"),
        ],
        compute="_compute_amounts_from_treatment",
        store=True,
        copy=False,
        help="Why this deposit is asked: the treatment's policy, an exempt patient (nothing),"
        " or a patient with too many missed visits (the full price).",
    )
    deposit_waived_reason = fields.Char(readonly=True, copy=False, tracking=True)
    deposit_waived_by_id = fields.Many2one("res.users", readonly=True, copy=False)
    booked_date = fields.Datetime(string="Booked On", readonly=True, copy=False)
    payment_deadline = fields.Datetime(readonly=True, copy=False, tracking=True)
    deposit_ids = fields.One2many("clinic.deposit", "appointment_id", string="Deposits")
    amount_paid = fields.Monetary(compute="_compute_amounts", store=True)
    amount_due = fields.Monetary(compute="_compute_amounts", store=True)
    amount_forfeited = fields.Monetary(compute="_compute_amounts", store=True)
    amount_refundable = fields.Monetary(compute="_compute_amounts", store=True)
    amount_refunded = fields.Monetary(compute="_compute_amounts", store=True)
    payment_status = fields.Selection(
        [
            ("none", "No deposit"),
            ("unpaid", "Not paid"),
            ("partial", "Partly paid"),
            ("paid", "Paid"),
        ],
        compute="_compute_amounts",
        store=True,
    )
    final_invoice_id = fields.Many2one(
        "account.move", readonly=True, copy=False, index="btree_not_null"
    )
    invoice_count = fields.Integer(compute="_compute_invoice_count", compute_sudo=True)
    payment_count = fields.Integer(compute="_compute_invoice_count", compute_sudo=True)
    is_overdue = fields.Boolean(compute="_compute_is_overdue", search="_search_is_overdue")
    color = fields.Integer(compute="_compute_color", store=True)
    note = fields.Text(groups="clinic_prepay.group_clinic_user")
    hold_expires = fields.Datetime(
        string="Online Hold Until",
        readonly=True,
        copy=False,
        help="An online booking holds its slot until then while the patient pays.",
    )
    consent_text = fields.Text(
        string="Policy Accepted", readonly=True, copy=False, help="The exact text the patient saw."
    )
    consent_version = fields.Char(readonly=True, copy=False)
    consent_date = fields.Datetime(readonly=True, copy=False)
    consent_ip = fields.Char(
        string="Consent IP", readonly=True, copy=False, groups="clinic_prepay.group_clinic_user"
    )
    consent_user_agent = fields.Char(
        readonly=True, copy=False, groups="clinic_prepay.group_clinic_user"
    )

    _sql_constraints = [
        (
            "stop_after_start",
            "CHECK(stop > start)",
            "An appointment must end after it starts.",
        ),
        (
            "at_most_a_day",
            "CHECK(stop - start <= interval '1 day')",
            "An appointment lasts at most a day.",
        ),
        (
            "practitioner_no_overlap",
            "EXCLUDE USING gist (practitioner_id WITH =, tsrange(start, stop, '[)') WITH &&)"
            " WHERE (state IN ('awaiting_payment', 'confirmed', 'done'))",
            "This practitioner already has an appointment at that time.",
        ),
    ]

    def _auto_init(self):
        # btree_gist lets the exclusion constraint compare practitioner ids
        # with "=" inside a GiST index; it is a trusted extension.
        self.env.cr.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        res = super()._auto_init()
        # the slot engine reads a practitioner's busy events by time range
        create_index(
            self.env.cr,
            "calendar_event_clinic_busy_range_idx",
            "calendar_event",
            ["tsrange(start, stop, '[)')"],
            method="gist",
            where="active",
        )
        # an event's attendees by event (core has no index on event_id; the
        # add-on syncs events on every booking, payment and cancellation)
        create_index(
            self.env.cr,
            "calendar_attendee_clinic_event_partner_idx",
            "calendar_attendee",
            ["event_id", "partner_id"],
        )
        # the list's order, and time ranges bounded on both sides (see _search)
        create_index(
            self.env.cr,
            "clinic_appointment_start_id_idx",
            self._table,
            ["start DESC", "id DESC"],
        )
        # the per-visitor limit of online holds, on every booking confirm
        create_index(
            self.env.cr,
            "clinic_appointment_consent_ip_create_date_idx",
            self._table,
            ["consent_ip", "create_date"],
            where="consent_ip IS NOT NULL",
        )
        return res

    @api.model
    def _search(self, domain, offset=0, limit=None, order=None, **kwargs):
        return super()._search(
            self._bound_on_start(domain), offset=offset, limit=limit, order=order, **kwargs
        )

    @api.model
    def _bound_on_start(self, domain):
        """A time window read (the calendar's ``stop >= A and start <= B``)
        bounds ``start`` from above only, which makes PostgreSQL read all
        the past. No appointment lasts more than a day, so ``stop >= A``
        implies ``start >= A - 1 day``: that bound is added, and the index
        on ``start`` reads the window only."""
        domain = expression.normalize_domain(domain or [])

        def parse(index):
            token = domain[index]
            if token in ("&", "|"):
                left, index = parse(index + 1)
                right, index = parse(index)
                return (token, left, right), index
            if token == "!":
                operand, index = parse(index + 1)
                return ("!", operand), index
            return token, index + 1

        def conjuncts(node):
            if isinstance(node, tuple) and node and node[0] == "&" and len(node) == 3:
                return conjuncts(node[1]) + conjuncts(node[2])
            return [node]

        bounds = []
        tree, _end = parse(0) if domain else (None, 0)
        for leaf in conjuncts(tree) if domain else []:
            if (
                isinstance(leaf, (list, tuple))
                and len(leaf) == 3
                and leaf[0] == "stop"
                and leaf[1] in (">=", ">")
                and leaf[2]
            ):
                try:
                    value = fields.Datetime.to_datetime(leaf[2])
                except (ValueError, TypeError):
                    continue
                if value:
                    bounds.append(("start", ">=", value - MAX_LENGTH))
        return expression.AND([domain, *[[bound] for bound in bounds]]) if bounds else domain

    # ------------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------------

    @api.depends("treatment_id")
    def _compute_allowed_practitioner_ids(self):
        """The treatment's practitioners; the clinic's users for a treatment
        that names none."""
        clinic_users = (
            self.env.ref("clinic_prepay.group_clinic_user")
            .sudo()
            .users.filtered(lambda u: not u.share)
        )
        for appointment in self:
            appointment.allowed_practitioner_ids = (
                appointment.treatment_id.practitioner_ids.filtered("active") or clinic_users
            )

    @api.onchange("treatment_id")
    def _onchange_treatment_id_practitioner(self):
        practitioners = self.treatment_id.practitioner_ids.filtered("active")
        if len(practitioners) == 1:
            self.practitioner_id = practitioners
        elif practitioners and self.practitioner_id not in practitioners:
            self.practitioner_id = False

    @api.onchange("practitioner_id", "start", "treatment_id")
    def _onchange_working_hours(self):
        if self.practitioner_id and self.start and self.stop:
            # the desk hears at once that the time is taken, before the form is filled
            try:
                self.env["clinic.scheduler"]._check_slot_free(
                    self.practitioner_id, self.start, self.stop, exclude_id=self._origin.id
                )
            except ValidationError as error:
                return {
                    "warning": {"title": self.env._("Time taken"), "message": str(error.args[0])}
                }
        if self.practitioner_id and self.start and self.stop and self._outside_working_hours():
            return {
                "warning": {
                    "title": self.env._("Outside working hours"),
                    "message": self.env._(
                        "%(practitioner)s does not work at that time; only a manager can book it.",
                        practitioner=self.practitioner_id.name,
                    ),
                }
            }

    def _outside_working_hours(self):
        """The appointments outside their practitioner's working hours."""
        return self.env["clinic.scheduler"]._outside_working_hours(self)

    def _check_working_hours(self):
        """Outside the practitioner's working hours, only a manager books."""
        if self.env.su or self.env.user.has_group("clinic_prepay.group_clinic_manager"):
            return
        outside = self._outside_working_hours()
        if outside:
            raise UserError(
                self.env._(
                    "%(refs)s: %(practitioner)s does not work at that time; ask a manager"
                    " to book it.",
                    refs=", ".join(outside.mapped("name")),
                    practitioner=outside[:1].practitioner_id.name,
                )
            )

    def _compute_amount_refund_left(self):
        for appointment in self:
            appointment.amount_refund_left = sum(
                deposit._get_refundable_left() for deposit in appointment.sudo().deposit_ids
            )

    def _compute_can_undo_no_show(self):
        for appointment in self:
            appointment.can_undo_no_show = (
                appointment.state == "no_show" and appointment._can_undo_no_show()
            )

    @api.depends("start", "treatment_id")
    def _compute_stop(self):
        """End of the appointment: start plus the treatment's duration."""
        for appointment in self:
            if appointment.start and appointment.treatment_id:
                appointment.stop = appointment.start + timedelta(
                    hours=appointment.treatment_id.duration
                )
            elif not appointment.stop:
                appointment.stop = appointment.start

    @api.depends("treatment_id", "patient_id.clinic_deposit_exempt", "company_id")
    def _compute_amounts_from_treatment(self):
        """Price and deposit at the time of booking: the treatment's policy,
        nothing for an exempt patient, the full price for a patient who
        missed too many visits."""
        for appointment in self:
            if appointment.state not in (False, "draft"):
                continue
            treatment = appointment.treatment_id
            rule = (
                appointment.patient_id._clinic_prepayment_rule(
                    appointment.company_id or treatment.company_id or self.env.company
                )
                if appointment.patient_id
                else "policy"
            )
            appointment.price = treatment.price
            appointment.prepayment_rule = rule
            appointment.deposit_required = {
                "policy": treatment.deposit_amount,
                "exempt": 0.0,
                "full": treatment.price,
            }[rule]

    @api.depends(
        "state",
        "deposit_required",
        "deposit_ids.amount_paid",
        "deposit_ids.amount_forfeited",
        "deposit_ids.amount_refundable",
        "deposit_ids.amount_refunded",
        "deposit_ids.state",
    )
    def _compute_amounts(self):
        """Paid, due, forfeited and refundable amounts of the deposits."""
        for appointment in self:
            deposits = appointment.deposit_ids
            paid = sum(deposits.mapped("amount_paid"))
            appointment.amount_paid = paid
            appointment.amount_forfeited = sum(deposits.mapped("amount_forfeited"))
            appointment.amount_refundable = sum(deposits.mapped("amount_refundable"))
            appointment.amount_refunded = sum(deposits.mapped("amount_refunded"))
            pending = deposits.filtered(lambda d: d.state == "pending")
            appointment.amount_due = sum(pending.mapped("amount_residual"))
            if appointment.state == "draft":
                # nothing is asked before the booking
                status = False
            elif not appointment.deposit_required and not deposits:
                status = "none"
            elif appointment.currency_id.is_zero(paid):
                status = "unpaid"
            elif pending:
                status = "partial"
            else:
                status = "paid"
            appointment.payment_status = status

    def _compute_invoice_count(self):
        """Number of invoices and payments linked to the appointment."""
        for appointment in self:
            appointment.invoice_count = len(appointment._get_invoices())
            appointment.payment_count = len(appointment.deposit_ids.payment_ids)

    def _compute_is_overdue(self):
        """Awaiting payment past the deadline."""
        now = fields.Datetime.now()
        for appointment in self:
            appointment.is_overdue = bool(
                appointment.state == "awaiting_payment"
                and appointment.payment_deadline
                and appointment.payment_deadline < now
            )

    def _search_is_overdue(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on overdue appointments."))
        domain = [
            ("state", "=", "awaiting_payment"),
            ("payment_deadline", "<", fields.Datetime.now()),
        ]
        return domain if (operator == "=") == value else ["!", "&", *domain]

    @api.depends("state")
    def _compute_color(self):
        """Calendar colour of the appointment's state."""
        for appointment in self:
            appointment.color = STATE_COLORS.get(appointment.state, 0)

    def _compute_access_url(self):
        res = super()._compute_access_url()
        for appointment in self:
            appointment.access_url = f"/my/appointments/{appointment.id}"
        return res

    @api.depends("name", "patient_id", "treatment_id")
    def _compute_display_name(self):
        """Patient and treatment first (what the desk looks for), then the
        reference."""
        for appointment in self:
            name = " - ".join(
                part
                for part in (appointment.patient_id.name, appointment.treatment_id.name)
                if part
            )
            if appointment.name and appointment.name != "/":
                name = f"{name} ({appointment.name})" if name else appointment.name
            appointment.display_name = name

    @api.depends("patient_id", "treatment_id", "payment_status", "currency_id")
    def _compute_calendar_title(self):
        """The calendar's title: whether the deposit is paid (an unpaid one
        shows the clinic's currency symbol), then who and what."""
        for appointment in self:
            markers = {
                "paid": "✔ ",
                "partial": "◐ ",
                "unpaid": f"{appointment.currency_id.symbol} ",
            }
            appointment.calendar_title = markers.get(appointment.payment_status, "") + " - ".join(
                part
                for part in (appointment.patient_id.name, appointment.treatment_id.name)
                if part
            )

    # ------------------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------------------

    @api.constrains("deposit_required", "price")
    def _check_amounts(self):
        errors = [
            self.env._("%(ref)s: amounts cannot be negative.", ref=appointment.name)
            for appointment in self
            if appointment.deposit_required < 0 or appointment.price < 0
        ] + [
            self.env._(
                "%(ref)s: the deposit (%(deposit)s) cannot exceed the price (%(price)s).",
                ref=appointment.name,
                deposit=appointment.deposit_required,
                price=appointment.price,
            )
            for appointment in self
            if appointment.currency_id.compare_amounts(
                appointment.deposit_required, appointment.price
            )
            > 0
        ]
        if errors:
            raise ValidationError("\n".join(errors))

    # ------------------------------------------------------------------------
    # CRUD and calendar sync
    # ------------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        self._clinic_check_create(vals_list)
        for vals in vals_list:
            if not self.env.su:
                self.browse()._check_practitioner(vals)
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("clinic.appointment") or "/"
            self._check_new_slot(vals)
        # the clerk who books is not a follower: the patient's mails are not theirs
        Appointment = super(ClinicAppointment, self.with_context(mail_create_nosubscribe=True))
        if any(vals.get("state", "draft") in BLOCKING_STATES for vals in vals_list):
            with self.env["clinic.scheduler"]._slot_guard():
                appointments = Appointment.create(vals_list)
        else:
            appointments = Appointment.create(vals_list)
        appointments._sync_event()
        return appointments.with_env(self.env)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_money(self):
        holding = self.filtered(
            lambda a: (
                a.state not in ("draft", "cancelled")
                or a.final_invoice_id
                or a.deposit_ids.filtered(
                    lambda d: (
                        "posted" in d.invoice_ids.mapped("state")
                        or d.state not in ("pending", "cancelled")
                        # a payment may still land on it
                        or d.transaction_ids.filtered(
                            lambda tx: tx.state not in ("cancel", "error")
                        )
                    )
                )
            )
        )
        if holding:
            raise UserError(
                self.env._(
                    "%(refs)s are booked or hold money: cancel them instead of deleting.",
                    refs=", ".join(holding.mapped("name")),
                )
            )

    def _check_practitioner(self, vals):
        """A user books a practitioner of the treatment (when it names any),
        an internal user in any case."""
        if not vals.get("practitioner_id"):
            return
        practitioner = self.env["res.users"].browse(vals["practitioner_id"]).sudo()
        for appointment in self or [self.browse()]:
            treatment = (
                self.env["clinic.treatment"].browse(vals["treatment_id"])
                if vals.get("treatment_id")
                else appointment.treatment_id
            )
            allowed = treatment.sudo().practitioner_ids
            if practitioner.share or (allowed and practitioner not in allowed):
                raise UserError(
                    self.env._(
                        "%(practitioner)s does not give %(treatment)s.",
                        practitioner=practitioner.name,
                        treatment=treatment.name,
                    )
                )

    def _clinic_check_user_write(self, vals):
        self._check_practitioner(vals)
        now = fields.Datetime.now()
        for appointment in self:
            if appointment.state != "draft" and (
                {"patient_id", "treatment_id", "source", "company_id"} & set(vals)
            ):
                raise UserError(
                    self.env._(
                        "%(ref)s is booked: its patient and treatment no longer change;"
                        " cancel it and book again.",
                        ref=appointment.name,
                    )
                )
            if (
                appointment.state != "draft"
                and "start" in vals
                and fields.Datetime.to_datetime(vals["start"]) <= now
            ):
                raise UserError(
                    self.env._("%(ref)s cannot move to the past.", ref=appointment.name)
                )
            if "stop" in vals:
                start = fields.Datetime.to_datetime(vals.get("start")) or appointment.start
                treatment = (
                    self.env["clinic.treatment"].browse(vals["treatment_id"])
                    if vals.get("treatment_id")
                    else appointment.treatment_id
                )
                if fields.Datetime.to_datetime(vals["stop"]) != start + timedelta(
                    hours=treatment.duration
                ):
                    raise UserError(
                        self.env._(
                            "The length of %(ref)s is the treatment's duration.",
                            ref=appointment.name,
                        )
                    )

    def _check_new_slot(self, vals):
        """A booking's time must be free; so must a draft's that the desk
        saves (the form saves it before booking it: a time already taken
        would leave a draft behind the refusal)."""
        blocking = vals.get("state", "draft") in BLOCKING_STATES
        if not vals.get("start") or not (blocking or not self.env.su):
            return
        start = fields.Datetime.to_datetime(vals["start"])
        treatment = self.env["clinic.treatment"].browse(vals.get("treatment_id"))
        stop = fields.Datetime.to_datetime(vals.get("stop")) or start + timedelta(
            hours=treatment.duration
        )
        practitioner = self.env["res.users"].browse(
            vals.get("practitioner_id")
            or self.default_get(["practitioner_id"]).get("practitioner_id")
        )
        self.env["clinic.scheduler"]._check_slot_free(practitioner, start, stop)

    def write(self, vals):
        if "start" in vals and "stop" in vals and not self.env.su:
            # a calendar drag writes both ends: the booking moves, its length
            # stays the treatment's (the calendar may round its end)
            vals = {key: value for key, value in vals.items() if key != "stop"}
        self._clinic_check_write(vals)
        if self.filtered(lambda a: a.state not in ("draft", "awaiting_payment", "confirmed")) and (
            {"start", "stop", "practitioner_id", "treatment_id", "patient_id", "site_id"}
            & set(vals)
        ):
            raise UserError(
                self.env._("A done, cancelled or no-show appointment cannot be rescheduled.")
            )
        moving = {"start", "stop", "practitioner_id", "treatment_id", "site_id"} & set(vals)
        # only a move of a booked appointment, or a booking, can create an overlap
        to_check = self.filtered(
            lambda a: (
                vals.get("state", a.state) in BLOCKING_STATES
                and (moving or a.state not in BLOCKING_STATES)
            )
        )
        for appointment in to_check:
            appointment._check_moved_slot(vals)
        before = {
            appointment: (appointment.start, appointment.practitioner_id, appointment.site_id)
            for appointment in self
            if {"start", "practitioner_id", "site_id"} & set(vals)
            and appointment.state in ("awaiting_payment", "confirmed")
        }
        shown = {a: a._event_is_active() for a in self} if "state" in vals else {}
        if to_check:
            with self.env["clinic.scheduler"]._slot_guard():
                res = super().write(vals)
                self.flush_recordset(["start", "stop", "practitioner_id", "state"])
        else:
            res = super().write(vals)
        event_fields = set(vals) & set(self._EVENT_FIELDS)
        to_sync = self if event_fields - {"state"} else self.browse()
        to_sync |= self.filtered(lambda a: a in shown and a._event_is_active() != shown[a])
        to_sync._sync_event(event_fields)
        moved = self.browse(
            [a.id for a, old in before.items() if (a.start, a.practitioner_id, a.site_id) != old]
        )
        if moved:
            moved._check_working_hours()
            moved._on_rescheduled()
            # the time left is free for the waitlist
            self._offer_freed_slots(
                [(a.treatment_id, before[a][1], before[a][0], before[a][2]) for a in moved]
            )
        return res

    def _on_rescheduled(self):
        """A booked appointment moved: its deposit moves with it, the payment
        deadline follows the new time (never later than it was) and the
        patient is told."""
        now = fields.Datetime.now()
        for appointment in self.filtered(lambda a: a.state == "awaiting_payment"):
            deadline = appointment.start - timedelta(
                hours=appointment.treatment_id.payment_before_hours
            )
            if appointment.payment_deadline:
                deadline = min(deadline, appointment.payment_deadline)
            appointment.sudo().payment_deadline = deadline if deadline > now else appointment.start
        self._send_mail("clinic_prepay.mail_template_appointment_rescheduled")

    def _check_moved_slot(self, vals):
        """Check the slot an existing appointment is about to hold."""
        self.ensure_one()
        if vals.get("state", self.state) not in BLOCKING_STATES:
            return
        start = fields.Datetime.to_datetime(vals.get("start")) or self.start
        treatment = (
            self.env["clinic.treatment"].browse(vals["treatment_id"])
            if vals.get("treatment_id")
            else self.treatment_id
        )
        if vals.get("stop"):
            stop = fields.Datetime.to_datetime(vals["stop"])
        elif "start" in vals or "treatment_id" in vals:
            stop = start + timedelta(hours=treatment.duration)
        else:
            stop = self.stop
        practitioner = (
            self.env["res.users"].browse(vals["practitioner_id"])
            if vals.get("practitioner_id")
            else self.practitioner_id
        )
        self.env["clinic.scheduler"]._check_slot_free(
            practitioner, start, stop, exclude_id=self.id
        )

    # the event's values each appointment field makes
    _EVENT_FIELDS = {
        "start": ("start", "stop"),
        "stop": ("stop",),
        "practitioner_id": ("user_id", "partner_ids"),
        "patient_id": ("name", "partner_ids"),
        "treatment_id": ("name",),
        "state": ("active",),
    }

    def _event_is_active(self):
        """A booking shows in the calendar; a no-show too, as a record."""
        self.ensure_one()
        return self.state in (*BLOCKING_STATES, "no_show")

    def _prepare_event_vals(self):
        self.ensure_one()
        return {
            "name": f"{self.patient_id.name} - {self.treatment_id.name}",
            "start": self.start,
            "stop": self.stop,
            "user_id": self.practitioner_id.id,
            "partner_ids": [(6, 0, (self.practitioner_id.partner_id | self.patient_id).ids)],
            "active": self._event_is_active(),
            "privacy": "private",
            "res_model_id": self.env["ir.model"]._get_id(self._name),
            "res_id": self.id,
        }

    def _sync_event(self, changed=None):
        """Keep each appointment's calendar event in step: created when the
        appointment is first booked, then given only the values that the
        appointment fields ``changed`` (all when not given) make."""
        Event = (
            self.env["calendar.event"]
            .sudo()
            .with_context(
                no_mail_to_attendees=True,
                mail_create_nolog=True,
                active_test=False,
                clinic_event_sync=True,
            )
        )
        keys = None
        if changed is not None:
            keys = {key for name in changed for key in self._EVENT_FIELDS.get(name, ())}
        # events given the same values are written at once (a batch of
        # cancellations archives its events in one write)
        writes = {}
        for appointment in self:
            if not appointment.event_id:
                # a draft holds no time: its event comes with the booking
                if appointment._event_is_active():
                    appointment.sudo().event_id = Event.create(appointment._prepare_event_vals())
                continue
            vals = appointment._prepare_event_vals()
            if keys is not None:
                vals = {key: value for key, value in vals.items() if key in keys}
            if vals:
                group = writes.setdefault(repr(sorted(vals.items())), [vals, Event])
                group[1] |= appointment.event_id
        for vals, events in writes.values():
            events.write(vals)

    def _format_start(self):
        self.ensure_one()
        return self._format_datetime(self.start, with_tz=True)

    def _format_datetime(self, value, with_tz=False):
        """A time as the patient and the desk read it: the clinic's timezone
        (where the visit takes place, as on the booking pages), no seconds,
        the zone named when asked."""
        self.ensure_one()
        if not value:
            return ""
        tz = self._get_tz()
        text = format_datetime(self.env, value, tz=tz, dt_format="short")
        return f"{text} ({tz})" if with_tz else text

    # ------------------------------------------------------------------------
    # State machine
    # ------------------------------------------------------------------------

    _TRANSITIONS = {
        "awaiting_payment": ("draft",),
        # a no-show undone the same day
        "confirmed": ("draft", "awaiting_payment", "cancelled", "no_show"),
        "done": ("confirmed",),
        "cancelled": ("draft", "awaiting_payment", "confirmed"),
        "no_show": ("awaiting_payment", "confirmed"),
    }

    def _lock_for_update(self):
        """Row-lock the appointments for the rest of the transaction."""
        if self.ids:
            # a concurrent update is retried by Odoo's request handling: not
            # an error worth logging
            self.env.cr.execute(
                "SELECT id FROM clinic_appointment WHERE id IN %s FOR UPDATE",
                [tuple(self.ids)],
                log_exceptions=False,
            )
            self.invalidate_recordset()

    def _compute_payment_deadline(self, now=None):
        """Deadline of the deposit: the treatment's hours after booking, but no
        later than its hours before the visit. When that moment is already past
        (a booking for the next hours), the deposit is due at the start."""
        self.ensure_one()
        now = now or fields.Datetime.now()
        treatment = self.treatment_id
        deadline = min(
            now + timedelta(hours=treatment.payment_hours),
            self.start - timedelta(hours=treatment.payment_before_hours),
        )
        return deadline if deadline > now else self.start

    def action_book(self):
        """Book the appointment: confirmed at once without deposit, else the
        deposit is asked (its invoice drafted, outside the ledger until money
        arrives) and the appointment waits for payment."""
        self._check_workflow_access()
        for appointment in self:
            if appointment.state != "draft":
                raise UserError(self.env._("%(ref)s is already booked.", ref=appointment.name))
            if appointment.start <= fields.Datetime.now():
                raise UserError(
                    self.env._(
                        "%(ref)s starts in the past; pick a future time.", ref=appointment.name
                    )
                )
            appointment._check_working_hours()
            appointment._check_site(booking=True)
            self.env["clinic.scheduler"]._release_expired_holds(appointment)
            appointment.sudo().booked_date = fields.Datetime.now()
            no_deposit = appointment.currency_id.is_zero(appointment.deposit_required)
            card_saved = appointment.sudo().card_token_id.active
            if no_deposit and (not appointment.card_required or card_saved):
                appointment._set_state("confirmed")
                appointment._send_mail("clinic_prepay.mail_template_appointment_confirmed")
                continue
            hold = self.env.context.get("clinic_online_hold")
            deadline = (
                min(hold, appointment.start) if hold else appointment._compute_payment_deadline()
            )
            appointment._set_state("awaiting_payment", payment_deadline=deadline)
            if no_deposit:
                # the booking waits for its card on file only
                continue
            # deposits and their documents are written by the booking flow
            # itself, whatever the user's own accounting rights
            deposit = (
                self.env["clinic.deposit"]
                .sudo()
                .create({"appointment_id": appointment.id, "amount": appointment.deposit_required})
            )
            deposit._create_invoice()
            # the patient's credit pays what it can at once
            appointment._use_patient_credit(deposit=deposit)
        # The booking's last writes (its event, amounts) are flushed now, not
        # at commit: updating the indexed event link rewrites the row, which
        # checks the no-overlap constraint again, and at commit it would wait
        # for a competing booking that is itself waiting for this one.
        self.env.flush_all()
        return True

    def _on_deposit_paid(self, deposit):
        """A pending deposit is paid in full: the booking is confirmed."""
        self.ensure_one()
        if self.state in ("draft", "awaiting_payment"):
            self._set_state("confirmed")
            self._send_mail("clinic_prepay.mail_template_appointment_confirmed")

    def _on_late_deposit_paid(self, deposit):
        """The deposit was paid in full after the automatic cancellation (a
        payment in flight while the job ran). The booking is confirmed again
        when the visit is still ahead and its slot still free; returns
        whether it was. Otherwise the money is refunded."""
        self.ensure_one()
        if not (
            self.state == "cancelled"
            and self.cancel_reason == "unpaid"
            and self.start > fields.Datetime.now()
            and self.currency_id.compare_amounts(deposit.amount_paid, deposit.amount_total) >= 0
            and self._slot_is_free()
        ):
            return False
        self._set_state("confirmed", cancel_reason=False, cancel_date=False)
        self.message_post(
            body=self.env._(
                "The deposit was paid after the automatic cancellation; the slot"
                " was still free, so the appointment is confirmed again."
            )
        )
        self._send_mail("clinic_prepay.mail_template_appointment_confirmed")
        return True

    def _slot_is_free(self):
        self.ensure_one()
        return self.env["clinic.scheduler"]._slot_is_free(self)

    def _schedule_refund_activity(self, deposit, amount):
        self._schedule_manager_activity(
            self.env._("Refund the deposit"),
            self.env._(
                "%(amount)s was paid on %(deposit)s after %(ref)s stopped waiting for it;"
                " approve its refund request.",
                amount=amount,
                deposit=deposit.name,
                ref=self.name,
            ),
        )

    def _clinic_mail_not_sent(self, template):
        """A patient mail whose template cannot render: a manager's to-do on
        each appointment, so that the patient is told another way."""
        for appointment in self:
            appointment._schedule_manager_activity(
                self.env._("Patient mail not sent: %(template)s", template=template.name),
                self.env._(
                    "The mail template %(template)s failed to render, so %(patient)s was not"
                    " sent it. Fix the template and tell the patient.",
                    template=template.name,
                    patient=appointment.patient_id.name,
                ),
            )

    def _schedule_manager_activity(self, summary, note, date_deadline=None):
        """A to-do for a clinic manager of the appointment's company."""
        self.ensure_one()
        managers = self.env.ref("clinic_prepay.group_clinic_manager").users.filtered(
            lambda u: self.company_id in u.company_ids and not u.share
        )
        user = managers[:1] or self.env.user
        return self.sudo().activity_schedule(
            "mail.mail_activity_data_todo",
            date_deadline=date_deadline,
            summary=summary,
            note=note,
            user_id=user.id,
        )

    def action_confirm(self):
        """Confirm without (or before) payment: a clinic manager's decision."""
        self._check_workflow_access()
        if not self.env.user.has_group("clinic_prepay.group_clinic_manager"):
            raise AccessError(
                self.env._("Only a clinic manager can confirm an appointment that is not paid.")
            )
        not_open = self.filtered(lambda a: a.state not in ("draft", "awaiting_payment"))
        if not_open:
            raise UserError(
                self.env._(
                    "%(refs)s: only a booking waiting for its payment can be confirmed.",
                    refs=", ".join(not_open.mapped("name")),
                )
            )
        for appointment in self:
            appointment._set_state("confirmed")
            appointment._send_mail("clinic_prepay.mail_template_appointment_confirmed")
        return True

    def action_waive_deposit(self):
        """Open the wizard that confirms this booking without its deposit."""
        self.ensure_one()
        self._check_can_waive()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Waive the deposit"),
            "res_model": "clinic.deposit.waive",
            "view_mode": "form",
            "target": "new",
            "context": {"default_appointment_id": self.id},
        }

    def _check_can_waive(self):
        self._check_workflow_access()
        if not self.env.user.has_group("clinic_prepay.group_clinic_deposit_waiver"):
            raise AccessError(
                self.env._("Waiving a deposit is a manager's right (Waive a booking's deposit).")
            )
        for appointment in self:
            if appointment.state != "awaiting_payment" or not appointment.deposit_ids.filtered(
                lambda d: d.state == "pending"
            ):
                raise UserError(
                    self.env._("%(ref)s has no deposit waiting to be paid.", ref=appointment.name)
                )
            if not appointment.currency_id.is_zero(appointment.amount_paid):
                raise UserError(
                    self.env._(
                        "%(ref)s is partly paid: confirm it without payment or refund it first.",
                        ref=appointment.name,
                    )
                )

    def _waive_deposit(self, reason):
        """Confirm the booking without its deposit, for ``reason``: its
        payment request is cancelled (it never reached the ledger)."""
        self._lock_for_update()
        self._check_can_waive()
        reason = (reason or "").strip()
        if not reason:
            raise ValidationError(self.env._("Say why the deposit is waived."))
        for appointment in self:
            appointment.deposit_ids.sudo()._cancel_documents()
            appointment._set_state(
                "confirmed",
                deposit_waived_reason=reason,
                deposit_waived_by_id=self.env.user.id,
            )
            appointment.sudo().message_post(
                body=self.env._(
                    "Deposit waived by %(user)s: %(reason)s",
                    user=self.env.user.name,
                    reason=reason,
                )
            )
            appointment._send_mail("clinic_prepay.mail_template_appointment_confirmed")
        return True

    def action_done(self):
        """The treatment was given: invoice it, deducting what was paid. An
        open deposit is settled first (its unpaid rest is no longer asked),
        so the patient is never billed twice."""
        self._check_workflow_access()
        self._set_state("done")
        for appointment in self:
            deposits = appointment.deposit_ids.sudo()
            deposits._cancel_documents()
            appointment.sudo()._create_final_invoice()
            deposits._apply_to_final_invoice()
            appointment.sudo()._use_patient_credit(invoice=appointment.final_invoice_id)
        return True

    def action_no_show(self):
        """The patient did not come: the no-show policy applies."""
        self._check_workflow_access()
        now = fields.Datetime.now()
        early = self.filtered(lambda a: a.state in self._TRANSITIONS["no_show"] and a.start > now)
        if early:
            raise UserError(
                self.env._(
                    "%(refs)s has not started yet: a no-show is recorded after the start.",
                    refs=", ".join(early.mapped("name")),
                )
            )
        for appointment in self:
            appointment._set_state(
                "no_show", no_show_date=now, state_before_no_show=appointment.state
            )
            appointment.deposit_ids.sudo()._apply_policy(
                appointment.treatment_id.no_show_forfeit_percent
            )
            if appointment.card_required:
                appointment._schedule_card_fee(appointment._get_no_show_fee_due())
        self._send_mail("clinic_prepay.mail_template_appointment_no_show")
        return True

    def _check_workflow_access(self):
        """The workflow writes in sudo mode: the caller must be allowed to
        edit these appointments (a patient reading their own over RPC is
        not; the portal pages act for them with their own checks). The
        appointments' only rule for staff is their company: checked on the
        records already read, without a query."""
        self.browse().check_access("write")
        # the companies the rule allows (cached per user): no query
        if not self.env.su and self.company_id - self.env.companies:
            raise AccessError(
                self.env._("These appointments belong to a company you do not work for.")
            )

    def _can_undo_no_show(self):
        """A no-show is undone the day it was recorded (the clinic's day),
        while nothing of the deposit was refunded."""
        self.ensure_one()
        tz = pytz.timezone(self._get_tz())
        today = datetime.now(tz).date()
        return (
            self.state == "no_show"
            # a booking still waiting for its deposit is not confirmed by an undo
            and self.state_before_no_show == "confirmed"
            and self.no_show_date
            and pytz.utc.localize(self.no_show_date).astimezone(tz).date() == today
            and not self.deposit_ids.refund_request_ids.filtered(lambda r: r.state != "rejected")
            and not any(self.deposit_ids.mapped("amount_refunded"))
            # nor once its card fee was asked
            and self.card_fee_state in (False, "due")
        )

    def action_undo_no_show(self):
        """The patient came after all: the booking is confirmed again and
        what the policy kept goes back on the deposit (the forfeit entry is
        reversed)."""
        self._check_workflow_access()
        for appointment in self:
            if not appointment._can_undo_no_show():
                raise UserError(
                    self.env._(
                        "%(ref)s: a no-show is undone the day it was recorded, before any refund.",
                        ref=appointment.name,
                    )
                )
            appointment._set_state("confirmed", no_show_date=False, state_before_no_show=False)
            appointment.deposit_ids.sudo()._undo_policy()
            appointment._cancel_card_fee()
            appointment.sudo().message_post(
                body=self.env._("The no-show was undone: the patient came.")
            )
        # the "we missed you" mail not sent yet is withdrawn; else the patient
        # hears the booking stands
        no_show_id = self.env["ir.model.data"]._xmlid_to_res_id(
            "clinic_prepay.mail_template_appointment_no_show"
        )
        queued = (
            self.env["clinic.appointment.mail"]
            .sudo()
            .search([("appointment_id", "in", self.ids), ("template_id", "=", no_show_id)])
        )
        self.filtered(lambda a: a not in queued.appointment_id)._send_mail(
            "clinic_prepay.mail_template_appointment_confirmed"
        )
        queued.unlink()
        return True

    def _get_cancel_terms(self, moment=None):
        """The treatment's cancellation terms for the patient cancelling
        this booking at ``moment`` (now by default), on what was paid: see
        ``clinic.treatment._get_cancel_terms``. Only a confirmed booking is
        late (nothing paid, nothing kept).

        :return: dict ``{"tier", "late", "percent", "kept", "paid"}``
        """
        self.ensure_one()
        paid = sum(d._get_unaccounted() for d in self.deposit_ids)
        terms = self.treatment_id._get_cancel_terms(paid, self.start, moment)
        if self.state != "confirmed":
            terms.update(tier=terms["tier"].browse(), late=False, percent=0.0, kept=0.0)
        return dict(terms, paid=paid)

    def _get_cancel_preview(self):
        """What the policy gives back and keeps if the patient cancels now."""
        self.ensure_one()
        now = fields.Datetime.now()
        terms = self._get_cancel_terms(now)
        card_fee = 0.0
        if terms["late"] and self.card_required and self.sudo().card_token_id.active:
            card_fee = self.treatment_id._get_card_fee(self.price, terms["kept"], terms["percent"])
        return {
            "can_cancel": self.state in ("awaiting_payment", "confirmed") and self.start > now,
            "late": terms["late"],
            "percent": terms["percent"],
            "paid": terms["paid"],
            "kept": terms["kept"],
            "refund": self.currency_id.round(terms["paid"] - terms["kept"]),
            "card_fee": card_fee,
        }

    def _get_reschedule_preview(self):
        """Whether the patient may move the booking online now: before its
        start and, once paid, inside the free-cancellation window (the deposit
        moves with it). Later, the late-cancellation policy decides."""
        self.ensure_one()
        now = fields.Datetime.now()
        # free until the furthest cancellation tier
        hours = self.treatment_id._get_furthest_cancel_tier().hours_before
        booked = self.state in ("awaiting_payment", "confirmed") and self.start > now
        late = self._is_inside_late_window(now)
        return {
            "can_reschedule": booked and not late,
            "late": booked and late,
            "until": self.start - timedelta(hours=hours),
            "hours": hours,
        }

    def _reschedule_by_patient(self, start, practitioner):
        """Move the booking to ``start`` (naive UTC) with ``practitioner``,
        one of the free times offered online for its treatment."""
        self.ensure_one()
        self._lock_for_update()
        if not self._get_reschedule_preview()["can_reschedule"]:
            raise UserError(
                self.env._(
                    "%(ref)s can no longer be moved online; please call the clinic.",
                    ref=self.name,
                )
            )
        if not self.env["clinic.scheduler"]._find_free_slot(
            self.treatment_id, start, practitioner, exclude=self, site=self.site_id
        ):
            raise ValidationError(self.env._("This time was just taken; please choose another."))
        self.write({"start": start, "practitioner_id": practitioner.id})
        return True

    def _is_inside_late_window(self, now=None):
        """A cancellation now would be late: the booking is confirmed and its
        free-cancellation window has closed."""
        self.ensure_one()
        return (
            self.state == "confirmed"
            and self.treatment_id._get_cancel_terms(0.0, self.start, now)["late"]
        )

    def action_cancel_by_patient(self):
        """The patient cancels: free before the cancellation tiers, else a
        late cancellation keeping what its tier says."""
        self._check_workflow_access()
        now = fields.Datetime.now()
        for appointment in self:
            terms = appointment._get_cancel_terms(now)
            appointment._cancel("late" if terms["late"] else "patient", terms["percent"])
        return True

    def action_cancel_by_clinic(self):
        """The clinic cancels: everything paid is refundable. Inside the late
        window the clinic says why first (a wizard)."""
        self._check_workflow_access()
        if any(appointment._is_inside_late_window() for appointment in self):
            return {
                "type": "ir.actions.act_window",
                "name": self.env._("Cancel by the clinic"),
                "res_model": "clinic.cancel.by.clinic",
                "view_mode": "form",
                "views": [(False, "form")],
                "target": "new",
                "context": {"default_appointment_ids": self.ids},
            }
        self._cancel_by_clinic()
        return True

    def _cancel_by_clinic(self, note=None):
        """Cancel on the clinic's side. Inside the late window it takes a
        ``note`` (why), and when it gives back more than the patient's own
        cancellation would, a manager approves the refund: auto-approval
        does not apply."""
        self._check_workflow_access()
        now = fields.Datetime.now()
        note = (note or "").strip()
        for appointment in self:
            if not appointment._is_inside_late_window(now):
                appointment._cancel("clinic", 0.0)
                continue
            if not note:
                raise UserError(
                    self.env._(
                        "%(ref)s is past its free-cancellation window: say why the"
                        " clinic cancels it.",
                        ref=appointment.name,
                    )
                )
            kept = appointment._get_cancel_terms(now)["percent"]
            overrides = bool(kept) and not appointment.currency_id.is_zero(appointment.amount_paid)
            if overrides:
                refund_reason = self.env._(
                    "Cancelled by the clinic inside the late window, where the patient's own"
                    " cancellation keeps %(kept)s %%: %(note)s",
                    kept=kept,
                    note=note,
                )
            else:
                refund_reason = self.env._(
                    "Cancelled by the clinic inside the late window: %(note)s", note=note
                )
            appointment._cancel(
                "clinic",
                0.0,
                note=note,
                refund_reason=refund_reason,
                refund_auto_approve=not overrides,
            )
        return True

    def _cancel(
        self, reason, forfeit_percent, note=None, refund_reason=None, refund_auto_approve=True
    ):
        """Cancel the appointments for ``reason``, apply the policy to their
        deposits and tell the patients (one batch, one rendering). The refund
        request says ``refund_reason``; ``refund_auto_approve`` False leaves
        it to a manager whatever the company's auto-approval."""
        self._set_state(
            "cancelled",
            cancel_reason=reason,
            cancel_date=fields.Datetime.now(),
            **({"cancel_note": note} if note else {}),
        )
        self.deposit_ids.sudo()._apply_policy(forfeit_percent)
        if reason == "late":
            self._schedule_card_fee(fields.Datetime.now())
        if not self.env.context.get("clinic_slot_taken"):
            self._offer_freed_slots(
                [(a.treatment_id, a.practitioner_id, a.start, a.site_id) for a in self]
            )
        # a partly paid booking cancelled by the job is refunded what it paid
        self.deposit_ids.sudo()._create_refund_request(
            refund_reason or self.env._("Cancellation: the policy refunds the patient."),
            auto_approve=refund_auto_approve,
        )
        template = {
            "unpaid": "clinic_prepay.mail_template_appointment_cancelled_unpaid",
        }.get(reason, "clinic_prepay.mail_template_appointment_cancelled")
        self._send_mail(template)

    # ------------------------------------------------------------------------
    # Online booking: holds and busy time
    # ------------------------------------------------------------------------

    @api.model
    def _payment_in_progress_sql(self, alias="clinic_appointment"):
        """SQL: the appointment ``alias`` has an online payment under way."""
        return SQL(
            """EXISTS (
                SELECT 1
                  FROM clinic_deposit d
                  JOIN account_move m ON m.clinic_deposit_id = d.id
                  JOIN account_invoice_transaction_rel r ON r.invoice_id = m.id
                  JOIN payment_transaction t ON t.id = r.transaction_id
                  JOIN payment_provider p ON p.id = t.provider_id
                 WHERE d.appointment_id = %s
                   AND t.state IN ('pending', 'authorized')
                   -- a wire transfer announced is no payment under way
                   AND p.code != 'custom'
            )""",
            SQL.identifier(alias, "id"),
        )

    @api.model
    def _release_live_holds(self, partner):
        """One live online hold per patient: a new booking releases their
        previous one (nothing was paid on it)."""
        holds = self.sudo().search(
            [
                ("source", "=", "online"),
                ("state", "=", "awaiting_payment"),
                ("patient_id", "=", partner.id),
            ]
        )
        return holds._release_holds()

    def _release_holds(self):
        """Release these online holds that are still live, unpaid and with no
        payment under way."""
        holds = (
            self.sudo()
            .exists()
            .filtered(
                lambda a: (
                    a.source == "online"
                    and a.state == "awaiting_payment"
                    and a.hold_expires
                    and a.hold_expires > fields.Datetime.now()
                    and a.currency_id.is_zero(a.amount_paid)
                    and not a._has_payment_in_progress()
                )
            )
        )
        if holds:
            holds._cancel("patient", 0.0)
        return holds

    def _has_payment_in_progress(self):
        self.ensure_one()
        return bool(
            self.deposit_ids.transaction_ids.filtered(
                lambda tx: tx.state in ("pending", "authorized") and tx.provider_code != "custom"
            )
        )

    @api.model
    def _create_online_booking(
        self,
        treatment,
        start,
        practitioners=None,
        site=None,
        patient=None,
        guest=None,
        consent_text=None,
        ip=None,
        user_agent=None,
        previous_holds=None,
        vals=None,
    ):
        """The business steps of a booking made online (the booking page, a
        waitlist offer claimed): the time must be one offered for
        ``treatment`` at ``start`` (naive UTC) with one of ``practitioners``
        at ``site``; the patient is ``patient``, or a new contact made of
        ``guest`` (``{"name", "email", "phone"}``: a guest never reaches
        anyone's history); their previous live hold is released (a guest's:
        ``previous_holds``); the policy they accept (``consent_text``, else
        the policy shown for this time) is kept with the booking, which holds
        the time while they pay. ``vals`` (a dict, or a function of the
        patient called once their previous hold is released) are more
        values of the booking. All of it or nothing: a refusal (the time
        was just taken) raises a ValidationError and writes nothing."""
        treatment = treatment.sudo()
        Appointment = self.sudo()
        with self.env.cr.savepoint():
            slot = treatment._find_free_slot(start, practitioners, site=site)
            if not slot:
                raise ValidationError(
                    self.env._("This time was just taken; please choose another.")
                )
            site = self.env["clinic.site"].sudo().browse(slot.get("site_id") or [])
            if consent_text is None:
                tz = site.tz or treatment.company_id._get_clinic_tz()
                consent_text = "\n".join(
                    treatment.with_context(tz=tz)._get_policy_lines_for(
                        patient or self.env["res.partner"], slot["start"]
                    )
                )
            if guest is not None:
                patient = (
                    self.env["res.partner"]
                    .sudo()
                    .create(
                        {
                            "name": guest["name"],
                            "email": guest["email"],
                            "phone": guest.get("phone") or False,
                        }
                    )
                )
                Appointment.browse(previous_holds or [])._release_holds()
            else:
                Appointment._release_live_holds(partner=patient)
            if callable(vals):
                vals = vals(patient)
            appointment = Appointment.with_company(treatment.company_id).create(
                {
                    "patient_id": patient.id,
                    "treatment_id": treatment.id,
                    "practitioner_id": slot["practitioner_id"],
                    "site_id": site.id,
                    "start": slot["start"],
                    "company_id": treatment.company_id.id,
                    "source": "online",
                    **(vals or {}),
                }
            )
            appointment._book_online(consent_text, ip=ip, user_agent=user_agent)
        return appointment

    def _book_online(self, consent_text, ip=None, user_agent=None):
        """Book from the website: the slot is held for the company's online
        hold time while the patient pays, with the policy they accepted."""
        self.ensure_one()
        now = fields.Datetime.now()
        hold = now + timedelta(minutes=self.company_id.clinic_online_hold_minutes or 15)
        card = (
            {"card_consent_text": consent_text, "card_consent_date": now}
            if self.card_required
            else {}
        )
        self.sudo().write(
            {
                **card,
                "source": "online",
                "consent_text": consent_text,
                "consent_version": hashlib.sha256(consent_text.encode()).hexdigest()[:12],
                "consent_date": now,
                "consent_ip": (ip or "")[:64],
                "consent_user_agent": (user_agent or "")[:512],
            }
        )
        self.with_context(clinic_online_hold=hold).action_book()
        if self.state == "awaiting_payment":
            self.sudo().hold_expires = hold
        return True

    # ------------------------------------------------------------------------
    # Automatic cancellation of unpaid bookings
    # ------------------------------------------------------------------------

    @api.model
    def _cron_cancel_unpaid(self, batch_size=100, max_batches=None):
        """Cancel awaiting-payment appointments whose deadline passed.

        Safe with several workers and cron threads: rows are taken with
        ``FOR UPDATE SKIP LOCKED`` (a row a payment is confirming is left for
        the next run), each batch is committed, progress is reported to the
        cron, and a second run finds nothing to do.
        """
        done = 0
        while True:
            # a booking whose payment is under way is left until it completes
            self.env.flush_all()
            self.env.cr.execute(
                SQL(
                    """
                    SELECT id FROM clinic_appointment
                     WHERE state = 'awaiting_payment' AND payment_deadline < %(now)s
                       AND NOT %(in_progress)s
                     ORDER BY payment_deadline, id
                     LIMIT %(limit)s
                       FOR UPDATE SKIP LOCKED
                    """,
                    now=fields.Datetime.now(),
                    limit=batch_size,
                    in_progress=self._payment_in_progress_sql(),
                )
            )
            ids = [row[0] for row in self.env.cr.fetchall()]
            if not ids:
                break
            batch = self.browse(ids)
            batch.invalidate_recordset()
            batch._cancel("unpaid", 0.0)
            done += len(batch)
            self.env["ir.cron"]._notify_progress(done=done, remaining=self._count_unpaid_overdue())
            if self._can_commit():
                # one batch per transaction: a crash loses one batch, not all
                self.env.cr.commit()  # pylint: disable=invalid-commit
            if len(ids) < batch_size or (max_batches and done >= max_batches * batch_size):
                break
        if done:
            _logger.info("Cancelled %s unpaid appointments", done)
        return done

    def _count_unpaid_overdue(self):
        return self.search_count(
            [("state", "=", "awaiting_payment"), ("payment_deadline", "<", fields.Datetime.now())]
        )

    @api.model
    def _can_commit(self):
        return not tools.config["test_enable"] and not modules.module.current_test

    # ------------------------------------------------------------------------
    # Accounting
    # ------------------------------------------------------------------------

    def _get_invoices(self):
        self.ensure_one()
        return (self.deposit_ids.invoice_ids | self.final_invoice_id).filtered("id")

    def _prepare_final_invoice_vals(self):
        """The treatment, less what was paid on the deposits (on the deposit
        account), so the liability returns to zero and revenue is recognised."""
        self.ensure_one()
        company = self.company_id
        lines = [
            fields.Command.create(
                {
                    "product_id": self.treatment_id.product_id.id,
                    "name": self.env._(
                        "%(treatment)s on %(date)s (%(ref)s)",
                        treatment=self.treatment_id.name,
                        date=self._format_start(),
                        ref=self.name,
                    ),
                    "quantity": 1.0,
                    "price_unit": self.price,
                }
            )
        ]
        for deposit in self.deposit_ids.filtered(
            lambda d: d.state == "paid" and d.currency_id.compare_amounts(d._get_unaccounted(), 0)
        ):
            lines.append(fields.Command.create(deposit._prepare_final_invoice_line_vals()))
        return {
            "move_type": "out_invoice",
            "partner_id": self.patient_id.id,
            "company_id": company.id,
            "journal_id": company.clinic_journal_id.id,
            "invoice_origin": self.name,
            "invoice_line_ids": lines,
        }

    def _create_final_invoice(self):
        """Post the final invoice of the treatment."""
        self.ensure_one()
        self.company_id._clinic_ensure_accounting()
        invoice = (
            self.env["account.move"]
            .sudo()
            .with_company(self.company_id)
            .create(self._prepare_final_invoice_vals())
        )
        invoice.action_post()
        self.sudo().final_invoice_id = invoice
        return invoice

    # ------------------------------------------------------------------------
    # Mail and portal
    # ------------------------------------------------------------------------

    def _send_mail(self, xmlid):
        """Queue the patient mail ``xmlid``: it is rendered and sent after
        the transaction commits (see ``clinic.appointment.mail``)."""
        # the id from the cached xmlid: no query to fetch the template here
        template_id = self.env["ir.model.data"]._xmlid_to_res_id(xmlid, raise_if_not_found=False)
        if template_id and self:
            self.env["clinic.appointment.mail"]._queue(
                self, self.env["mail.template"].browse(template_id)
            )

    def _post_patient_mail(self, template):
        """Post ``template`` on these appointments for their patients: one
        composer for the batch; the recipients come from the template."""
        composer = (
            self.env["mail.compose.message"]
            .with_context(mail_notify_force_send=False)
            .create(
                {
                    "composition_mode": "comment",
                    "model": self._name,
                    "res_ids": str(self.ids),
                    "template_id": template.id,
                    "subtype_id": self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_comment"),
                    "message_type": "comment",
                }
            )
        )
        composer._action_send_mail()

    def action_send_payment_link(self):
        """Open the mail composer with the payment link for the patient."""
        self.ensure_one()
        if self.state != "awaiting_payment" and not self._card_needed():
            raise UserError(
                self.env._(
                    "Only an appointment awaiting payment, or its card on file, has a payment"
                    " link."
                )
            )
        template = self.env.ref("clinic_prepay.mail_template_appointment_payment_link")
        return {
            "type": "ir.actions.act_window",
            "res_model": "mail.compose.message",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "default_model": self._name,
                "default_res_ids": self.ids,
                "default_template_id": template.id,
                "default_composition_mode": "comment",
                "default_email_layout_xmlid": "mail.mail_notification_light",
                "force_email": True,
            },
        }

    def _get_pending_deposit(self):
        self.ensure_one()
        return self.deposit_ids.filtered(lambda d: d.state == "pending")[:1]

    def _get_payment_url(self):
        """Where the patient pays: the appointment's portal page (with its
        token), whose button leads to Odoo's payment form."""
        self.ensure_one()
        if self._card_needed() or (
            self.state == "awaiting_payment" and self._get_pending_deposit()
        ):
            return self.get_portal_url()
        return False

    def _get_payment_link(self):
        """Odoo's payment link (``/payment/pay``) for what is due on the
        deposit: the amount is fixed server-side and signed in the token."""
        self.ensure_one()
        deposit = self.sudo()._get_pending_deposit()
        if self.state != "awaiting_payment" or not deposit:
            return False
        invoice = deposit._get_request_invoice()
        amount = deposit.amount_residual
        if not invoice:
            return False
        return invoice_payment_link(self.env, invoice, amount)

    def action_register_payment(self):
        """Payment taken at the desk (cash, card terminal) of what is due."""
        self.ensure_one()
        deposit = self._get_pending_deposit()
        if not deposit or self.state not in ("awaiting_payment", "confirmed"):
            raise UserError(self.env._("%(ref)s has no deposit to pay.", ref=self.name))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Take a Payment"),
            "res_model": "clinic.deposit.payment",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_deposit_id": deposit.id},
        }

    def action_view_invoices(self):
        self.ensure_one()
        return self._get_invoices()._get_records_action(name=self.env._("Invoices"))

    def action_view_payments(self):
        self.ensure_one()
        return self.deposit_ids.payment_ids._get_records_action(name=self.env._("Payments"))

    def action_request_refund(self):
        """Open a new refund request for what is refundable and not asked yet."""
        self.ensure_one()
        deposit = self.deposit_ids.filtered(
            lambda d: d.currency_id.compare_amounts(d._get_refundable_left(), 0.0) > 0
        )[:1]
        if not deposit:
            raise UserError(
                self.env._(
                    "%(ref)s has nothing left to refund, or its refund is already requested.",
                    ref=self.name,
                )
            )
        return {
            "type": "ir.actions.act_window",
            "res_model": "clinic.refund.request",
            "view_mode": "form",
            "views": [(False, "form")],
            "context": {"default_deposit_id": deposit.id},
        }

    def action_view_refund_requests(self):
        self.ensure_one()
        return self.deposit_ids.refund_request_ids._get_records_action(
            name=self.env._("Refund Requests")
        )

    def action_view_deposits(self):
        self.ensure_one()
        return self.deposit_ids._get_records_action(name=self.env._("Deposits"))

    def _get_policy_lines(self):
        """The appointment's policy in plain words, in the clinic's time."""
        self.ensure_one()
        treatment = self.treatment_id.with_context(tz=self._get_tz())
        return treatment._get_policy_lines(
            self.start, deposit=self.deposit_required, card=self.card_required
        )

    def _get_ics_attachments(self):
        """Each appointment as a calendar file (its event's), for the mails."""
        events = self.sudo().event_id
        files = events._get_ics_file() if events else {}
        return {
            appointment.id: (
                f"{appointment.name.replace('/', '-')}.ics",
                files[appointment.sudo().event_id.id],
            )
            for appointment in self
            if appointment.sudo().event_id.id in files
        }

    def _get_state_badge_class(self):
        """The colour of the state's badge on the portal."""
        self.ensure_one()
        return {
            "awaiting_payment": "text-bg-warning",
            "confirmed": "text-bg-success",
            "done": "text-bg-primary",
            "cancelled": "text-bg-secondary",
            "no_show": "text-bg-danger",
        }.get(self.state, "text-bg-light")

    def _get_patient_signup_url(self):
        """A link for a patient without an account to create one (when the
        clinic lets visitors sign up), landing back on this appointment."""
        self.ensure_one()
        patient = self.patient_id.sudo()
        if (
            patient.user_ids
            or self.env["res.users"].sudo()._get_signup_invitation_scope() != "b2c"
        ):
            return False
        if patient.signup_type != "signup":
            patient.signup_prepare()
        return patient.with_context(relative_url=True)._get_signup_url_for_action(
            url=self.access_url
        )[patient.id]

    def _get_report_base_filename(self):
        self.ensure_one()
        return self.name
