# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Memberships: a plan charged every period to the member's card on file.

Each period is a ``clinic.membership.period`` with its reference
``<membership>-<yyyy-mm>`` (unique): its invoice is a draft, outside the
ledger, until its money arrives; the charge is a token transaction of that
reference, committed before the provider is called, so the provider's
idempotency key (derived from the reference) stops a second charge of a
request sent again. The job takes memberships and periods one at a time
with ``FOR UPDATE SKIP LOCKED``: two workers never bill one twice.
"""

import logging
import math
from datetime import datetime, time, timedelta

import pytz

from odoo import Command, api, fields, models
from odoo.addons.clinic_prepay.models.clinic_appointment import invoice_payment_link
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

# as the card-fee job: a charge without an answer is asked again (same
# transaction, same idempotency key) once stale, at most CHARGE_ATTEMPTS times
STALE_CHARGE_MINUTES = 10
CHARGE_ATTEMPTS = 3
# the states in which the membership gives its benefits
BENEFIT_STATES = ("active", "past_due")
LIVE_STATES = ("draft", "active", "past_due", "suspended", "paused")


class ClinicMembership(models.Model):
    _name = "clinic.membership"
    _description = "Membership"
    _inherit = ["portal.mixin", "mail.thread", "mail.activity.mixin", "clinic.guard.mixin"]
    _order = "id desc"

    _TRANSITIONS = {
        "active": ("draft", "active", "past_due", "suspended", "paused"),
        "past_due": ("active", "past_due"),
        "suspended": ("past_due",),
        "paused": ("active", "paused"),
        "cancelled": LIVE_STATES,
    }

    name = fields.Char(string="Reference", readonly=True, copy=False, default="/")
    partner_id = fields.Many2one(
        "res.partner", string="Member", required=True, readonly=True, index=True
    )
    plan_id = fields.Many2one(
        "clinic.membership.plan", required=True, readonly=True, index=True, tracking=True
    )
    company_id = fields.Many2one(related="plan_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    state = fields.Selection(
        [
            ("draft", "Awaiting First Payment"),
            ("active", "Active"),
            ("past_due", "Payment Failed"),
            ("suspended", "Suspended"),
            ("paused", "Paused"),
            ("cancelled", "Cancelled"),
        ],
        default="draft",
        required=True,
        readonly=True,
        copy=False,
        index=True,
        tracking=True,
    )
    source = fields.Selection(
        [("desk", "Front desk"), ("online", "Online")], readonly=True, default="desk"
    )
    date_start = fields.Date(string="Member Since", readonly=True, copy=False)
    period_start = fields.Date(string="Current Period From", readonly=True, copy=False)
    period_end = fields.Date(
        string="Current Period Until",
        readonly=True,
        copy=False,
        help="The day the next period starts (and is charged).",
    )
    next_charge_at = fields.Datetime(
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The start of the next period's day in the clinic's time zone: the job charges"
        " it then.",
    )
    next_amount = fields.Monetary(compute="_compute_next_amount", string="Next Charge")
    paid_periods = fields.Integer(readonly=True, copy=False)
    token_id = fields.Many2one(
        "payment.token",
        string="Card",
        readonly=True,
        copy=False,
        ondelete="set null",
        index="btree_not_null",
        help="The member's card the periods are charged to (Odoo stores no card data).",
    )
    card_summary = fields.Char(string="Card on File", compute="_compute_card_summary")
    consent_text = fields.Text(string="Accepted Terms", readonly=True, copy=False)
    consent_date = fields.Datetime(string="Accepted On", readonly=True, copy=False)
    consent_ip = fields.Char(string="Accepted From", readonly=True, copy=False)
    cancel_at = fields.Date(
        string="Ends On",
        readonly=True,
        copy=False,
        tracking=True,
        help="The membership ends at the start of this day: no period is charged from it.",
    )
    cancel_requested_date = fields.Datetime(readonly=True, copy=False)
    cancel_requested_by_id = fields.Many2one("res.users", readonly=True, copy=False)
    date_end = fields.Date(string="Ended On", readonly=True, copy=False)
    pause_periods_left = fields.Integer(
        string="Periods Paused", readonly=True, copy=False, tracking=True
    )
    next_plan_id = fields.Many2one(
        "clinic.membership.plan",
        string="Plan from Next Period",
        readonly=True,
        copy=False,
        tracking=True,
    )
    card_id = fields.Many2one(
        "loyalty.card",
        string="Credits",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The wallet card holding the member's included treatment credits.",
    )
    credits_left = fields.Float(related="card_id.points", string="Credits Left")
    period_ids = fields.One2many("clinic.membership.period", "membership_id", readonly=True)
    refund_request_count = fields.Integer(compute="_compute_refund_request_count")
    open_period_id = fields.Many2one(
        "clinic.membership.period",
        compute="_compute_open_period_id",
        string="Unpaid Period",
        help="The period whose charge is in progress or failed.",
    )

    _sql_constraints = [
        (
            "name_unique",
            "unique(name, company_id)",
            "A membership reference is unique per company.",
        ),
    ]

    @api.depends("plan_id.price", "next_plan_id.price", "plan_id.product_id.taxes_id")
    def _compute_next_amount(self):
        for membership in self:
            plan = membership.next_plan_id or membership.plan_id
            membership.next_amount = (
                plan.price_total if membership.state not in ("cancelled",) else 0.0
            )

    @api.depends("token_id")
    def _compute_card_summary(self):
        for membership in self:
            token = membership.sudo().token_id
            membership.card_summary = token.active and (
                f"{token.payment_details or ''} ({token.provider_id.name})"
            )

    @api.depends("period_ids.state")
    def _compute_open_period_id(self):
        for membership in self:
            membership.open_period_id = membership.period_ids.filtered(
                lambda p: p.state in ("pending", "failed")
            )[:1]

    @api.depends("period_ids.refund_request_ids")
    def _compute_refund_request_count(self):
        for membership in self:
            membership.refund_request_count = len(membership.sudo().period_ids.refund_request_ids)

    def _compute_access_url(self):
        res = super()._compute_access_url()
        for membership in self:
            membership.access_url = f"/my/memberships/{membership.id}"
        return res

    @api.model_create_multi
    def create(self, vals_list):
        self._clinic_check_create(vals_list)
        if not self.env.su:
            raise AccessError(
                self.env._("A membership is signed up to (Sign Up a Member), not created.")
            )
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("clinic.membership") or "/"
        return super().create(vals_list)

    def write(self, vals):
        self._clinic_check_write(vals)
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_charged(self):
        if self.filtered(lambda m: m.state != "draft" or m.period_ids.invoice_id.filtered("name")):
            raise UserError(self.env._("A membership that was paid is kept; it is not deleted."))

    # ------------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------------

    def _clinic_today(self):
        self.ensure_one()
        company = self.company_id or self.env.company
        return fields.Date.context_today(self.with_context(tz=company._get_clinic_tz()))

    def _start_of(self, day):
        """The start of ``day`` in the clinic's time zone, in UTC."""
        self.ensure_one()
        tz = pytz.timezone((self.company_id or self.env.company)._get_clinic_tz())
        local = tz.localize(datetime.combine(day, time.min))
        return local.astimezone(pytz.utc).replace(tzinfo=None)

    def _lock(self):
        if self.ids:
            self.env.cr.execute(
                "SELECT id FROM clinic_membership WHERE id IN %s ORDER BY id FOR NO KEY UPDATE",
                [tuple(self.ids)],
            )
            self.invalidate_recordset()

    def _manager_user(self):
        self.ensure_one()
        managers = self.env.ref("clinic_prepay.group_clinic_manager").sudo().users
        return managers.filtered(
            lambda user: self.company_id in user.company_ids and not user.share
        )[:1] or self.env.ref("base.user_admin")

    def _manager_activity(self, summary, note, date_deadline=None):
        self.ensure_one()
        return self.sudo().activity_schedule(
            "mail.mail_activity_data_todo",
            date_deadline=date_deadline,
            summary=summary,
            note=note,
            user_id=self._manager_user().id,
        )

    def _send_mail(self, xmlid):
        template = self.env.ref(xmlid, raise_if_not_found=False)
        for membership in self.sudo():
            if template and membership.partner_id.email:
                membership.message_post_with_source(template, subtype_xmlid="mail.mt_comment")

    def _check_staff(self, manager=False):
        group = (
            "clinic_prepay.group_clinic_manager" if manager else "clinic_prepay.group_clinic_user"
        )
        if self.env.su:
            return
        if not self.env.user.has_group(group):
            raise AccessError(
                self.env._("Only a clinic manager does this.")
                if manager
                else self.env._("Only the clinic's staff manages memberships.")
            )
        self.check_access("write" if manager else "read")

    @api.model
    def _benefit_membership(self, partner, company):
        """The partner's membership giving benefits now in ``company``."""
        if not partner or not partner.sudo().clinic_signed_up_member:
            return self.browse()
        return (
            self.sudo()
            .search(
                [
                    ("partner_id", "=", partner.id),
                    ("company_id", "=", company.id),
                    ("state", "in", BENEFIT_STATES),
                ],
                limit=1,
            )
            .with_env(self.env)
        )

    # ------------------------------------------------------------------------
    # Sign-up
    # ------------------------------------------------------------------------

    @api.model
    def _clinic_sign_up(self, plan, partner, source="desk", consent_text=None, ip=None):
        """A membership of ``plan`` for ``partner``, waiting for its first
        payment: the first period and its draft invoice, at the plan's price.
        The patient accepts the plan's terms (``consent_text``, kept with its
        date and ``ip``); the first payment saves the card."""
        plan = plan.sudo()
        if not plan.active or not plan.exists():
            raise UserError(self.env._("Pick a plan the clinic offers."))
        if not partner:
            raise UserError(self.env._("Pick the patient who becomes a member."))
        live = self.sudo().search(
            [
                ("partner_id", "=", partner.id),
                ("company_id", "=", plan.company_id.id),
                ("state", "in", LIVE_STATES),
            ],
            limit=1,
        )
        if live:
            raise UserError(
                self.env._(
                    "%(patient)s already has the membership %(ref)s.",
                    patient=partner.name,
                    ref=live.name,
                )
            )
        plan.company_id._clinic_ensure_accounting()
        membership = (
            self.sudo()
            .with_company(plan.company_id)
            .create(
                {
                    "partner_id": partner.id,
                    "plan_id": plan.id,
                    "source": source,
                    "consent_text": consent_text or plan.terms or False,
                    "consent_date": fields.Datetime.now(),
                    "consent_ip": (ip or "")[:64] or False,
                }
            )
        )
        if not partner.sudo().clinic_signed_up_member:
            partner.sudo().clinic_signed_up_member = True
        today = membership._clinic_today()
        membership.env["clinic.membership.period"]._create_for(
            membership, today, free=plan.first_period_free
        )
        membership.message_post(
            body=self.env._(
                "Signed up to %(plan)s: %(amount)s %(period)s; terms accepted on %(date)s.",
                plan=plan.name,
                amount=membership.currency_id.format(plan.price_total),
                period=plan._get_period_label(),
                date=today,
            )
        )
        return membership

    @api.model
    def _from_payment_context(self, invoice_id=None, clinic_membership_id=None, **kwargs):
        """The membership a payment form is for (its period's invoice, or its
        card page): that payment saves the card the next periods are
        charged to."""
        if clinic_membership_id:
            try:
                return self.sudo().browse(int(clinic_membership_id)).exists()
            except (TypeError, ValueError):
                return self.browse()
        if not invoice_id:
            return self.browse()
        try:
            invoice_id = int(invoice_id)
        except (TypeError, ValueError):
            return self.browse()
        invoice = self.env["account.move"].sudo().browse(invoice_id).exists()
        return invoice.clinic_membership_period_id.membership_id

    def _get_payment_link(self):
        """Odoo's payment link of the unpaid period (amount signed in it);
        for a free first period, the page where the patient saves a card."""
        self.ensure_one()
        period = self.sudo().open_period_id
        invoice = period.invoice_id
        if period and not invoice:
            return self._get_card_url()
        if not period or invoice.state != "draft":
            return False
        return invoice_payment_link(self.env, invoice, invoice.amount_total)

    def _get_card_url(self):
        """The page where the member saves a card (nothing charged)."""
        self.ensure_one()
        return self.get_portal_url(suffix="/card")

    def _card_can_be_saved(self):
        """A card may be saved for the next charges (a free first period
        starts with it)."""
        self.ensure_one()
        return self.state in ("draft", "active", "past_due", "paused")

    def _on_card_validated(self, token):
        """A card was saved on the membership's card page: the next periods
        are charged to it; a free first period starts."""
        self.ensure_one()
        self._on_card_saved(token)
        period = self.sudo().open_period_id
        if self.state == "draft" and period and not period.invoice_id and self.token_id == token:
            period._on_paid()

    def _on_card_saved(self, token):
        """A card saved by a payment of this membership: the next periods are
        charged to it, if it is the member's own."""
        self.ensure_one()
        token = token.sudo()
        if token.partner_id.commercial_partner_id != self.partner_id.commercial_partner_id:
            return
        if self.sudo().token_id == token:
            return
        self.sudo().token_id = token
        self.sudo().message_post(
            body=self.env._(
                "Card on file for the next charges: %(card)s (%(provider)s).",
                card=token.payment_details or token.display_name,
                provider=token.provider_id.name,
            )
        )

    # ------------------------------------------------------------------------
    # Periods paid
    # ------------------------------------------------------------------------

    def _on_period_paid(self, period):
        """``period`` is paid (card, payment link, bank): the membership is
        active, its credits are in the wallet."""
        self.ensure_one()
        membership = self.sudo()
        membership._lock()
        today = membership._clinic_today()
        restored = membership.state in ("past_due", "suspended")
        if membership.state in ("draft", "suspended") and period.date_to <= today:
            # a period paid after it ended runs from today: no back-charges
            period._move_to(today)
        vals = {"paid_periods": membership.paid_periods + 1}
        if period == membership.period_ids.sorted("date_from")[-1:]:
            vals.update(
                {
                    "period_start": period.date_from,
                    "period_end": period.date_to,
                    "next_charge_at": membership._start_of(period.date_to),
                }
            )
        if not membership.date_start:
            vals["date_start"] = period.date_from
        if membership.state != "cancelled":
            membership._set_state("active", **vals)
        else:
            membership.write(vals)
        membership._issue_credits(period)
        if restored:
            membership._send_mail("clinic_prepay_membership.mail_template_membership_restored")
            membership.message_post(
                body=self.env._(
                    "%(period)s paid: the membership is active again.", period=period.name
                )
            )
        elif membership.paid_periods == 1:
            membership._send_mail("clinic_prepay_membership.mail_template_membership_welcome")

    def _issue_credits(self, period):
        """The period's credits go into the member's wallet, carrying the
        value the plan gives them (the invoice's line on the prepaid
        account)."""
        plan = period.plan_id
        if not plan.credits_per_period:
            return
        card = self.card_id
        if not card:
            card = (
                self.env["loyalty.card"]
                .sudo()
                .with_company(self.company_id)
                .create(
                    {
                        "program_id": plan.program_id.id,
                        "partner_id": self.partner_id.id,
                        "points": 0,
                        "clinic_state": "active",
                        "clinic_sessions_total": 0,
                        "clinic_membership_id": self.id,
                    }
                )
            )
            self.card_id = card
            self.partner_id.sudo().clinic_bought_course = True
        elif card.program_id != plan.program_id:
            card.program_id = plan.program_id
        card._clinic_add_credits(period)

    # ------------------------------------------------------------------------
    # The billing job
    # ------------------------------------------------------------------------

    @api.model
    def _cron_bill(self, limit=200):
        """Bill the periods that start, charge the retries due, and ask again
        the charges that got no answer; one row at a time, each committed."""
        now = fields.Datetime.now()
        due = SQL(
            """
            SELECT id FROM clinic_membership
             WHERE state IN ('active', 'paused') AND next_charge_at <= %(now)s
             ORDER BY next_charge_at, id
             LIMIT 1
               FOR NO KEY UPDATE SKIP LOCKED
            """,
            now=now,
        )
        retries = SQL(
            """
            SELECT m.id FROM clinic_membership m
              JOIN clinic_membership_period p ON p.membership_id = m.id
             WHERE m.state = 'past_due' AND p.state = 'failed' AND p.next_retry_at <= %(now)s
             ORDER BY p.next_retry_at, m.id
             LIMIT 1
               FOR NO KEY UPDATE OF m SKIP LOCKED
            """,
            now=now,
        )
        unanswered = SQL(
            """
            SELECT m.id FROM clinic_membership m
              JOIN clinic_membership_period p ON p.membership_id = m.id
             WHERE p.state = 'pending' AND NOT p.to_check AND p.last_sent_at < %(stale)s
               AND EXISTS (
                   SELECT 1 FROM account_invoice_transaction_rel r
                     JOIN payment_transaction t ON t.id = r.transaction_id
                    WHERE r.invoice_id = p.invoice_id
                      AND t.operation = 'offline' AND t.state = 'draft'
               )
             ORDER BY p.id
             LIMIT 1
               FOR NO KEY UPDATE OF m SKIP LOCKED
            """,
            stale=now - timedelta(minutes=STALE_CHARGE_MINUTES),
        )
        done = 0
        for query, step in ((due, "_bill_next"), (retries, "_retry"), (unanswered, "_ask_again")):
            while done < limit:
                self.env.flush_all()
                self.env.cr.execute(query)
                row = self.env.cr.fetchone()
                if not row:
                    break
                membership = self.browse(row[0])
                membership.invalidate_recordset()
                getattr(membership.sudo(), step)(commit=True)
                done += 1
                if self.env["clinic.appointment"]._can_commit():
                    self.env.cr.commit()  # pylint: disable=invalid-commit
        return done

    def _bill_next(self, commit=False):
        """The current period ended: close it (credits roll over or expire),
        end or pause the membership as asked, else bill the next period."""
        self.ensure_one()
        start = self.period_end
        self._close_period(start)
        if self.cancel_at and self.cancel_at <= start:
            self._end(start)
            return
        if self.next_plan_id:
            old = self.plan_id
            self.write({"plan_id": self.next_plan_id.id, "next_plan_id": False})
            self.message_post(
                body=self.env._(
                    "Plan changed from %(old)s to %(new)s.", old=old.name, new=self.plan_id.name
                )
            )
        if self.pause_periods_left:
            period = self.env["clinic.membership.period"]._create_for(self, start, paused=True)
            self._set_state(
                "paused",
                pause_periods_left=self.pause_periods_left - 1,
                period_start=period.date_from,
                period_end=period.date_to,
                next_charge_at=self._start_of(period.date_to),
            )
            return
        period = self.env["clinic.membership.period"]._create_for(self, start)
        if self.state == "paused":
            self._set_state("active")
        self.write(
            {
                "period_start": period.date_from,
                "period_end": period.date_to,
                "next_charge_at": self._start_of(period.date_to),
            }
        )
        period._charge(commit=commit)

    def _retry(self, commit=False):
        self.ensure_one()
        period = self.period_ids.filtered(lambda p: p.state == "failed")[:1]
        if period:
            period._charge(commit=commit)

    def _ask_again(self, commit=False):
        self.ensure_one()
        period = self.period_ids.filtered(lambda p: p.state == "pending")[:1]
        if period:
            period._ask_again(commit=commit)

    def _close_period(self, day):
        """The period ending ``day``: its unused credits over the plan's
        rollover expire (breakage)."""
        card = self.card_id.sudo()
        if card and card.points > self.plan_id.rollover_max:
            card._clinic_expire_credits(int(card.points) - self.plan_id.rollover_max, day)

    def _end(self, day, reason=None):
        """The membership ends on ``day``: no more charges; the credits left
        expire; the period in progress is no longer asked."""
        card = self.card_id.sudo()
        if card and card.points:
            card._clinic_expire_credits(int(card.points), day)
        for period in self.period_ids.filtered(lambda p: p.state == "failed"):
            period._cancel()
        self._set_state("cancelled", date_end=day, next_charge_at=False)
        self.message_post(body=reason or self.env._("The membership ended on %(date)s.", date=day))
        self._send_mail("clinic_prepay_membership.mail_template_membership_ended")

    # ------------------------------------------------------------------------
    # Failed charges (dunning)
    # ------------------------------------------------------------------------

    def _on_charge_failed(self, period, reason):
        """A charge of ``period`` failed: the patient gets the payment link;
        the next retry follows the plan's schedule; after the last one the
        membership is suspended."""
        self.ensure_one()
        schedule = period.plan_id._get_retry_days()
        failures = period.failures + 1
        today = self._clinic_today()
        first = period.failed_date or today
        vals = {"state": "failed", "failures": failures, "failed_date": first}
        if failures <= len(schedule):
            day = first + timedelta(days=schedule[failures - 1])
            vals["next_retry_at"] = self._start_of(day)
        else:
            vals["next_retry_at"] = False
        period.write(vals)
        if failures > len(schedule):
            self._set_state("suspended")
            self._manager_activity(
                self.env._("Membership suspended"),
                self.env._(
                    "%(ref)s of %(patient)s is suspended: %(count)s charges of %(period)s failed"
                    " (%(reason)s). Its benefits are paused until the patient pays the link.",
                    ref=self.name,
                    patient=self.partner_id.name,
                    count=failures,
                    period=period.name,
                    reason=reason or self.env._("no reason given"),
                ),
            )
            self._send_mail("clinic_prepay_membership.mail_template_membership_suspended")
            return
        if self.state == "active":
            self._set_state("past_due")
        if failures == 1:
            self._send_mail("clinic_prepay_membership.mail_template_membership_charge_failed")
        self.message_post(
            body=self.env._(
                "The charge of %(period)s failed (%(reason)s); next try on %(date)s.",
                period=period.name,
                reason=reason or self.env._("no reason given"),
                date=fields.Date.to_date(vals["next_retry_at"]) if vals["next_retry_at"] else "-",
            )
        )

    # ------------------------------------------------------------------------
    # Lifecycle actions
    # ------------------------------------------------------------------------

    def _get_cancel_date(self, today=None):
        """When a cancellation asked ``today`` takes effect: the end of the
        current period, no earlier than the minimum term and the notice."""
        self.ensure_one()
        today = today or self._clinic_today()
        plan = self.plan_id
        end = self.period_end or today
        delta = plan._get_delta()
        if self.date_start:
            # chained as the job bills the periods (31 Jan, 28 Feb, 28 Mar...)
            term_end = self.date_start
            for _period in range(plan.min_periods):
                term_end += delta
            while end < term_end:
                end += delta
        while (end - today).days < plan.notice_days:
            end += delta
        return end

    def action_cancel_at_period_end(self):
        """The member (or the desk) ends the membership at the end of the
        period, after the minimum term."""
        self._check_staff()
        for membership in self:
            membership._request_cancel()
        return True

    def _request_cancel(self):
        self.ensure_one()
        membership = self.sudo()
        membership._lock()
        if membership.state == "draft":
            # never paid: nothing runs, the request is withdrawn
            for period in membership.period_ids.filtered(lambda p: p.state == "pending"):
                period._cancel()
            membership._set_state("cancelled", date_end=membership._clinic_today())
            return membership.date_end
        if membership.state not in ("active", "past_due", "paused", "suspended"):
            raise UserError(self.env._("%(ref)s has already ended.", ref=membership.name))
        if membership.cancel_at:
            return membership.cancel_at
        day = membership._get_cancel_date()
        membership.write(
            {
                "cancel_at": day,
                "cancel_requested_date": fields.Datetime.now(),
                # whoever holds the membership's link, without an account: nobody named
                "cancel_requested_by_id": not self.env.user._is_public() and self.env.user.id,
            }
        )
        membership.message_post(
            body=self.env._("Cancellation asked: the membership ends on %(date)s.", date=day)
        )
        membership._send_mail("clinic_prepay_membership.mail_template_membership_cancel_asked")
        return day

    def action_keep(self):
        """Withdraw a cancellation asked before it takes effect."""
        self._check_staff()
        for membership in self.sudo().filtered("cancel_at"):
            membership._lock()
            if membership.state == "cancelled":
                continue
            membership.write(
                {
                    "cancel_at": False,
                    "cancel_requested_date": False,
                    "cancel_requested_by_id": False,
                }
            )
            membership.message_post(
                body=self.env._("Cancellation withdrawn: the membership goes on.")
            )
        return True

    def _pause(self, periods):
        """A manager pauses the membership for ``periods`` periods, from the
        next one: nothing is charged and no credits are given meanwhile."""
        self.ensure_one()
        self._check_staff(manager=True)
        membership = self.sudo()
        membership._lock()
        if membership.state not in ("active", "paused"):
            raise UserError(self.env._("Only an active membership is paused."))
        plan = membership.plan_id
        if not isinstance(periods, int) or isinstance(periods, bool) or periods < 1:
            raise ValidationError(self.env._("A pause lasts at least one period."))
        if periods > plan.max_pause_periods:
            raise ValidationError(
                self.env._(
                    "%(plan)s allows pauses of %(count)s periods at most.",
                    plan=plan.name,
                    count=plan.max_pause_periods,
                )
            )
        membership.pause_periods_left = periods
        membership.message_post(
            body=self.env._(
                "Paused for %(count)s periods from %(date)s.",
                count=periods,
                date=membership.period_end,
            )
        )
        return True

    def _change_plan(self, plan):
        """A manager moves the membership to ``plan`` from the next period."""
        self.ensure_one()
        self._check_staff(manager=True)
        membership = self.sudo()
        membership._lock()
        plan = plan.sudo()
        if membership.state not in LIVE_STATES or membership.state == "draft":
            raise UserError(self.env._("Only a running membership changes plan."))
        if not plan.active or plan.company_id != membership.company_id:
            raise UserError(self.env._("Pick a plan of the clinic."))
        membership.next_plan_id = False if plan == membership.plan_id else plan
        return True

    def action_cancel_now(self):
        """A manager ends the membership today (nothing is refunded here)."""
        self._check_staff(manager=True)
        for membership in self.sudo():
            membership._lock()
            if membership.state == "cancelled":
                continue
            membership._end(
                membership._clinic_today(),
                self.env._("Ended today by %(user)s.", user=self.env.user.name),
            )
        return True

    def action_end_and_refund(self):
        """A manager ends the membership today and refunds its last paid
        period (all of it by default, or what they enter): the wizard."""
        self.ensure_one()
        self._check_staff(manager=True)
        if self.state == "cancelled":
            raise UserError(self.env._("%(ref)s has already ended.", ref=self.name))
        if not self._get_refund_period():
            raise UserError(
                self.env._(
                    "%(ref)s has no paid period left to refund: end it with End Now.",
                    ref=self.name,
                )
            )
        return self._wizard("refund")

    def _get_refund_period(self):
        """The period a refund of the membership gives back: the last one
        paid that has money left to refund."""
        self.ensure_one()
        return (
            self.sudo()
            .period_ids.filtered(
                lambda p: (
                    p.state == "paid"
                    and p.currency_id.compare_amounts(p._get_refundable_left(), 0.0) > 0
                )
            )
            .sorted("date_from")[-1:]
        )

    def _end_and_refund(self, amount, reason=None):
        """A manager ends the membership today, as End Now does, and asks to
        refund ``amount`` of its last paid period: a submitted refund
        request, which another manager approves and executes as any refund
        (back to the card through the provider when a provider's charge
        paid the period, else by transfer). The amount is checked before
        anything is written: a refused call leaves the membership running."""
        self.ensure_one()
        self._check_staff(manager=True)
        membership = self.sudo()
        membership._lock()
        if membership.state == "cancelled":
            raise UserError(self.env._("%(ref)s has already ended.", ref=membership.name))
        period = membership._get_refund_period()
        if not period:
            raise UserError(
                self.env._("%(ref)s has no paid period left to refund.", ref=membership.name)
            )
        currency = membership.currency_id
        if (
            not isinstance(amount, (int, float))
            or isinstance(amount, bool)
            or not math.isfinite(amount)
            or currency.compare_amounts(amount, 0.0) <= 0
        ):
            raise ValidationError(self.env._("A refund must be a positive amount."))
        left = period._get_refundable_left()
        if currency.compare_amounts(amount, left) > 0:
            raise ValidationError(
                self.env._(
                    "%(amount)s is more than the %(left)s paid and not refunded yet on"
                    " %(period)s.",
                    amount=currency.format(amount),
                    left=currency.format(left),
                    period=period.name,
                )
            )
        reason = (reason or "").strip() or self.env._(
            "Membership %(ref)s ended by %(user)s with a refund of %(period)s.",
            ref=membership.name,
            user=self.env.user.name,
            period=period.name,
        )
        request = (
            self.env["clinic.refund.request"]
            .sudo()
            .create({"membership_period_id": period.id, "amount": amount, "reason": reason})
        )
        request.action_submit()
        membership._end(
            membership._clinic_today(),
            self.env._(
                "Ended today by %(user)s, with the refund request %(request)s of %(amount)s for"
                " %(period)s.",
                user=self.env.user.name,
                request=request.name,
                amount=currency.format(amount),
                period=period.name,
            ),
        )
        return request.with_env(self.env)

    def action_view_refund_requests(self):
        self.ensure_one()
        return (
            self.sudo()
            .period_ids.refund_request_ids.with_env(self.env)
            ._get_records_action(name=self.env._("Refund Requests"))
        )

    def action_send_payment_link(self):
        """Mail the member the payment link of the unpaid period."""
        self._check_staff()
        for membership in self.sudo():
            if not membership._get_payment_link():
                raise UserError(
                    self.env._("%(ref)s has no period waiting for payment.", ref=membership.name)
                )
            if not membership.partner_id.email:
                raise UserError(
                    self.env._(
                        "%(patient)s has no email address: read the link out instead.",
                        patient=membership.partner_id.name,
                    )
                )
            template = self.env.ref(
                "clinic_prepay_membership.mail_template_membership_payment_link"
            )
            membership.message_post_with_source(template, subtype_xmlid="mail.mt_comment")
        return True

    def _wizard(self, mode):
        self.ensure_one()
        self._check_staff(manager=True)
        return {
            "type": "ir.actions.act_window",
            "name": {
                "pause": self.env._("Pause"),
                "plan": self.env._("Change Plan"),
                "refund": self.env._("End Now and Refund"),
            }[mode],
            "res_model": "clinic.membership.change",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_membership_id": self.id, "default_mode": mode},
        }

    def action_pause(self):
        return self._wizard("pause")

    def action_change_plan(self):
        return self._wizard("plan")

    def action_view_invoices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_invoice_type"
        )
        action["domain"] = [("id", "in", self.period_ids.invoice_id.ids)]
        action["context"] = {"create": False}
        return action


class ClinicMembershipPeriod(models.Model):
    """One period of a membership and its charge: the draft invoice (posted
    when paid), the charges sent and the retries."""

    _name = "clinic.membership.period"
    _description = "Membership Period"
    _inherit = ["clinic.guard.mixin"]
    _order = "membership_id, date_from desc"

    name = fields.Char(string="Reference", required=True, readonly=True)
    membership_id = fields.Many2one(
        "clinic.membership", required=True, readonly=True, ondelete="cascade", index=True
    )
    partner_id = fields.Many2one(related="membership_id.partner_id", store=True)
    company_id = fields.Many2one(related="membership_id.company_id", store=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    plan_id = fields.Many2one("clinic.membership.plan", required=True, readonly=True)
    date_from = fields.Date(required=True, readonly=True)
    date_to = fields.Date(required=True, readonly=True)
    amount = fields.Monetary(readonly=True)
    state = fields.Selection(
        [
            ("pending", "Charging"),
            ("paid", "Paid"),
            ("failed", "Payment Failed"),
            ("paused", "Paused"),
            ("cancelled", "Not Charged"),
        ],
        required=True,
        readonly=True,
        default="pending",
        index=True,
    )
    invoice_id = fields.Many2one("account.move", readonly=True, index="btree_not_null")
    attempts = fields.Integer(
        string="Charges Sent", readonly=True, help="Requests sent to the provider."
    )
    failures = fields.Integer(string="Failed Charges", readonly=True)
    failed_date = fields.Date(string="First Failed On", readonly=True)
    next_retry_at = fields.Datetime(string="Next Try", readonly=True, index="btree_not_null")
    recovered = fields.Boolean(
        readonly=True, help="Paid after a failed charge (a retry or the payment link)."
    )
    paid_date = fields.Date(readonly=True)
    last_sent_at = fields.Datetime(
        string="Last Sent", readonly=True, help="When a charge was last sent to the provider."
    )
    to_check = fields.Boolean(
        readonly=True,
        default=False,
        help="The provider's answer is unknown: a manager checks the charge.",
    )

    _sql_constraints = [
        # once per period, whatever runs the job
        (
            "period_unique",
            "unique(membership_id, date_from)",
            "A membership has one period per start date.",
        ),
        ("name_unique", "unique(name)", "A period's reference is unique."),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        self._clinic_check_create(vals_list)
        if not self.env.su:
            raise AccessError(self.env._("Periods are made by the billing job."))
        return super().create(vals_list)

    def write(self, vals):
        self._clinic_check_write(vals)
        return super().write(vals)

    @api.model
    def _create_for(self, membership, start, paused=False, free=False):
        """The period of ``membership`` starting ``start``, with its draft
        invoice at the plan's price (nothing for a paused or free one)."""
        plan = membership.plan_id
        end = start + plan._get_delta()
        period = self.sudo().create(
            {
                "name": f"{membership.name}-{start:%Y-%m}",
                "membership_id": membership.id,
                "plan_id": plan.id,
                "date_from": start,
                "date_to": end,
                "state": "paused" if paused else "pending",
            }
        )
        if not paused and not free:
            period.invoice_id = period._create_invoice()
            period.amount = period.invoice_id.amount_total
        return period

    def _create_invoice(self):
        """The period's invoice: the membership fee (revenue) and the
        included credits at their value (the prepaid account, a liability
        until used or expired), both with the plan product's taxes."""
        self.ensure_one()
        plan = self.plan_id
        company = self.company_id
        credits_value = plan.credit_value * plan.credits_per_period
        label = self.env._(
            "%(plan)s, %(start)s to %(end)s (%(ref)s)",
            plan=plan.name,
            start=self.date_from,
            end=self.date_to - timedelta(days=1),
            ref=self.name,
        )
        lines = [
            Command.create(
                {
                    "product_id": plan.product_id.id,
                    "name": label,
                    "quantity": 1.0,
                    "price_unit": plan.price - credits_value,
                }
            )
        ]
        if plan.credits_per_period:
            lines.append(
                Command.create(
                    {
                        "product_id": plan.product_id.id,
                        "name": self.env._(
                            "Included: %(count)s credits for %(treatments)s",
                            count=plan.credits_per_period,
                            treatments=", ".join(plan.treatment_ids.mapped("name")),
                        ),
                        "quantity": plan.credits_per_period,
                        "price_unit": plan.credit_value,
                        "account_id": company.clinic_wallet_account_id.id,
                    }
                )
            )
        return (
            self.env["account.move"]
            .sudo()
            .with_company(company)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.partner_id.id,
                    "company_id": company.id,
                    "journal_id": company.clinic_journal_id.id,
                    "invoice_origin": self.membership_id.name,
                    "ref": self.name,
                    "payment_reference": self.name,
                    "clinic_membership_period_id": self.id,
                    "invoice_line_ids": lines,
                }
            )
        )

    def _move_to(self, start):
        """A period paid after it ended (a suspended membership restored)
        runs a full period from ``start``."""
        self.ensure_one()
        self.write({"date_from": start, "date_to": start + self.plan_id._get_delta()})

    # ------------------------------------------------------------------------
    # Charging
    # ------------------------------------------------------------------------

    def _charge(self, commit=False):
        """Charge the period to the member's card, off-session. The
        transaction (reference ``<period>``, then ``-1``, ``-2``... for the
        retries of a declined charge) is committed before the provider is
        called."""
        self.ensure_one()
        membership = self.membership_id
        token = membership.token_id
        invoice = self.invoice_id
        if not token.active or token.provider_id.state == "disabled":
            membership._on_charge_failed(self, self.env._("no card on file"))
            return
        if token.partner_id.commercial_partner_id != membership.partner_id.commercial_partner_id:
            membership._on_charge_failed(self, self.env._("the card is not the member's"))
            return
        Tx = self.env["payment.transaction"].sudo()
        tx = Tx.create(
            {
                "provider_id": token.provider_id.id,
                "payment_method_id": token.payment_method_id.id,
                "reference": Tx._compute_reference("none", prefix=self.name),
                "amount": invoice.amount_total,
                "currency_id": invoice.currency_id.id,
                "partner_id": membership.partner_id.id,
                "token_id": token.id,
                "operation": "offline",
                "invoice_ids": [Command.set(invoice.ids)],
            }
        )
        self.write({"state": "pending", "next_retry_at": False})
        self._send(tx, commit=commit)

    def _ask_again(self, commit=False):
        """A charge without an answer (its job died during the call): the
        same transaction again, so the same idempotency key."""
        self.ensure_one()
        tx = self.invoice_id.transaction_ids.filtered(
            lambda t: t.operation == "offline" and t.state == "draft"
        )[:1]
        if not tx:
            return
        if not tx.provider_id._clinic_token_request_is_idempotent():
            self._to_check(
                self.env._(
                    "no answer, and %(provider)s may charge a request sent again twice",
                    provider=tx.provider_id.name,
                )
            )
            return
        if self.attempts >= CHARGE_ATTEMPTS:
            self._to_check(self.env._("no answer after %(count)s requests", count=self.attempts))
            return
        self._send(tx, commit=commit)

    def _send(self, tx, commit=False):
        self.write({"attempts": self.attempts + 1, "last_sent_at": fields.Datetime.now()})
        if commit and self.env["clinic.appointment"]._can_commit():
            self.env.cr.commit()  # pylint: disable=invalid-commit
        try:
            with self.env.cr.savepoint():
                tx._send_payment_request()
                if tx.state == "done":
                    tx._post_process()
                elif tx.state not in ("pending", "authorized"):
                    if tx.state == "draft":
                        # the bank asks the patient to authenticate: the member
                        # pays the link on-session instead; a request left
                        # open could be paid besides it
                        tx._clinic_abandon_charge()
                    # declined, or the bank asks the patient to authenticate
                    self.membership_id._on_charge_failed(self, tx.state_message or "")
        except Exception as error:  # the answer is unknown
            _logger.exception("Membership %s: the provider's answer was not processed", self.name)
            self._to_check(str(error))

    def _to_check(self, error):
        self.to_check = True
        self.membership_id._manager_activity(
            self.env._("Membership charge: check it"),
            self.env._(
                "The charge of %(period)s was sent to the provider but its answer could not be"
                " processed (%(error)s). Check the transaction before charging again.",
                period=self.name,
                error=error,
            ),
        )

    def _on_paid(self):
        """The period's invoice is paid, whatever paid it."""
        for period in self.sudo().filtered(lambda p: p.state in ("pending", "failed")):
            period.membership_id._lock()
            period.write(
                {
                    "state": "paid",
                    "recovered": bool(period.failures),
                    "paid_date": period.membership_id._clinic_today(),
                    "next_retry_at": False,
                }
            )
            period.membership_id._on_period_paid(period)

    def _cancel(self):
        """A period no longer asked: its draft invoice is cancelled."""
        for period in self.filtered(lambda p: p.state in ("pending", "failed")):
            if period.invoice_id.state == "draft":
                period.invoice_id.button_cancel()
            period.write({"state": "cancelled", "next_retry_at": False})

    # ------------------------------------------------------------------------
    # Money given back: through a refund request of the period (a manager's
    # End Now and Refund, or a request drafted at the desk), refunded at the
    # provider (its dashboard), a card dispute lost. The wallet leaves a
    # member's credits card alone for these (see payment.transaction): the
    # period, not the card, is what the charge paid.
    # ------------------------------------------------------------------------

    refunded_amount = fields.Monetary(
        string="Given Back",
        readonly=True,
        copy=False,
        help="Money of this period's charge that went back to the member: refunded (through"
        " a refund request or at the provider), a card dispute lost.",
    )
    refund_move_ids = fields.Many2many(
        "account.move",
        "clinic_membership_period_refund_move_rel",
        "period_id",
        "move_id",
        string="Credit Notes",
        readonly=True,
        copy=False,
    )
    refund_transaction_ids = fields.Many2many(
        "payment.transaction",
        "clinic_membership_period_refund_tx_rel",
        "period_id",
        "transaction_id",
        string="Refunds at the Provider",
        readonly=True,
        copy=False,
        help="The provider's refunds recorded on this period, each once.",
    )
    refund_request_ids = fields.One2many(
        "clinic.refund.request", "membership_period_id", string="Refund Requests", readonly=True
    )

    def _record_provider_refund(self, refund_tx):
        """A refund of the period's charge made at the provider (its
        dashboard), recorded once per refund transaction: a replay of the
        same notification records nothing more. It is a done request of the
        method "outside" (see ``_record_outside_refund``), so that the
        provider reporting it failed later undoes it."""
        self.ensure_one()
        period = self.sudo()
        period.membership_id._lock()
        period.invalidate_recordset(["refund_transaction_ids", "refunded_amount"])
        Request = self.env["clinic.refund.request"].sudo()
        if refund_tx in period.refund_transaction_ids or Request.search_count(
            [("refund_transaction_id", "=", refund_tx.id)]
        ):
            return Request
        period.refund_transaction_ids = [Command.link(refund_tx.id)]
        return period._record_outside_refund(
            -refund_tx.amount,
            refund_tx.payment_id,
            self.env._(
                "refunded at %(provider)s (%(ref)s)",
                provider=refund_tx.provider_id.name,
                ref=refund_tx.provider_reference or refund_tx.reference,
            ),
            label=self.env._(
                "Refund %(ref)s", ref=refund_tx.provider_reference or refund_tx.reference
            ),
            refund_tx=refund_tx,
        )

    def _record_outside_refund(self, amount, payment, reason, label=None, refund_tx=None):
        """``amount`` of the period's charge went back outside a refund
        request, paid out by ``payment`` (posted): as the wallet records it,
        a done request of the method "outside" whose credit note (see
        ``_create_credit_note``) is reconciled with that payment; the request
        machinery then counts it on the period and takes back the credits of
        a whole refund (see ``clinic.refund.request._finish``). The manager
        is told to decide on the membership. The caller makes this happen
        once."""
        self.ensure_one()
        period = self.sudo()
        currency = period.currency_id
        amount = currency.round(amount)
        if period.invoice_id.state != "posted" or currency.compare_amounts(amount, 0.0) <= 0:
            return self.env["clinic.refund.request"]
        request = (
            self.env["clinic.refund.request"]
            .sudo()
            .create(
                {
                    "membership_period_id": period.id,
                    "amount": amount,
                    "amount_approved": amount,
                    "method": "outside",
                    "state": "in_progress",
                    "refund_transaction_id": refund_tx.id if refund_tx else False,
                    "reason": reason,
                }
            )
        )
        credit_note = period._create_credit_note(
            amount,
            label or self.env._("Refund %(ref)s", ref=request.name),
            partner=payment.partner_id.commercial_partner_id or period._get_refund_partner(),
        )
        request.credit_note_id = credit_note
        request._finish(payment)
        period._tell_money_back(amount, reason, credit_note, request.membership_credits_withdrawn)
        return request

    def _record_money_back(self, amount, payment, reason, label=None):
        """``amount`` of the period's charge went back to the member outside
        the clinic without a refund (a card dispute lost), paid out by
        ``payment`` (posted): a credit note of the period's invoice (see
        ``_create_credit_note``), posted and reconciled with that payment;
        the manager is told to decide on the membership (end it, or ask for
        the period again). A lost dispute is final, nothing undoes it: no
        request is needed. The caller makes this happen once."""
        self.ensure_one()
        period = self.sudo()
        currency = period.currency_id
        amount = currency.round(amount)
        if period.invoice_id.state != "posted" or currency.compare_amounts(amount, 0.0) <= 0:
            return self.env["account.move"]
        partner = payment.partner_id.commercial_partner_id or period._get_refund_partner()
        credit_note = period._create_credit_note(
            amount,
            label or self.env._("Given back: %(period)s", period=period.name),
            partner=partner,
        )
        period._reconcile_receivables(payment.move_id | credit_note)
        period._record_refund(amount)
        withdrawn, _write_off = period._take_back(credit_note)
        period._tell_money_back(amount, reason, credit_note, withdrawn)
        return credit_note

    def _tell_money_back(self, amount, reason, credit_note, withdrawn):
        """Money of the period went back without the clinic deciding it: the
        membership's chatter says so and a manager decides on it."""
        self.ensure_one()
        membership = self.membership_id.sudo()
        message = self.env._(
            "%(amount)s of %(period)s went back to %(patient)s outside the clinic (%(reason)s);"
            " recorded with the credit note %(note)s.",
            amount=self.currency_id.format(amount),
            period=self.name,
            patient=membership.partner_id.name,
            reason=reason,
            note=credit_note.name,
        )
        if withdrawn:
            message += " " + self.env._(
                "%(count)s credits of the period were taken off the member's card.",
                count=withdrawn,
            )
        membership.message_post(body=message)
        membership._manager_activity(
            self.env._("Membership charge given back"),
            message
            + " "
            + self.env._(
                "Decide on the membership %(ref)s: end it, or ask the member to pay the period"
                " again.",
                ref=membership.name,
            ),
        )

    def _take_back(self, credit_note):
        """The money of ``credit_note`` went back: the credit note is the
        period's, and when it reverses the whole invoice (it debits the
        prepaid account, see ``_create_credit_note``) the period's credits
        leave the member's card. Returns the credits withdrawn and the
        write-off entry, if any (see ``_withdraw_credits``)."""
        self.ensure_one()
        period = self.sudo()
        period.refund_move_ids = [Command.link(credit_note.id)]
        card = period.invoice_id.clinic_wallet_card_id
        if card and credit_note.line_ids.filtered(
            lambda line: line.account_id == card._clinic_liability_account()
        ):
            return period._withdraw_credits(card, credit_note)
        return 0, self.env["account.move"]

    def _withdraw_credits(self, card, credit_note):
        """The period's credits still on ``card`` leave it with their value
        (what ``credit_note`` debited on the prepaid account); the value of
        those already used, no longer on that account, is written off against
        breakage so that the card's account holds what its credits are worth.
        Returns the credits withdrawn and that write-off entry, so that a
        refund reported failed later puts both back (see
        ``_restore_refund``)."""
        self.ensure_one()
        card = card.sudo()
        card._clinic_lock()
        currency = card.currency_id
        withdrawn = min(self.plan_id.credits_per_period, int(card.points))
        if withdrawn:
            card.write(
                {
                    "points": card.points - withdrawn,
                    "clinic_sessions_refunded": card.clinic_sessions_refunded + withdrawn,
                }
            )
        held = card.clinic_value
        card._clinic_sync_value()
        label = self.env._("Credits of %(period)s given back", period=self.name)
        card._clinic_log(
            "refunded", label, used=withdrawn, amount=held - card.clinic_value, move=credit_note
        )
        write_off = self.env["account.move"]
        if currency.compare_amounts(card.clinic_value, 0.0) < 0:
            excess = -card.clinic_value
            company = card.company_id or self.company_id
            label = self.env._(
                "%(period)s: %(excess)s given back beyond what the card held, written off",
                period=self.name,
                excess=currency.format(excess),
            )
            write_off = card._clinic_post_entry(-excess, company.clinic_breakage_account_id, label)
            card._clinic_sync_value()
            card._clinic_log("adjusted", label, amount=-excess, move=write_off)
        return withdrawn, write_off

    def _restore_refund(self, request):
        """``request``'s refund, done, was reported failed by the provider:
        the request undid the money (payment cancelled, credit note
        reversed, see ``clinic.refund.request._on_done_refund_failed``), the
        period puts back what the refund took from the member's card: the
        credits it withdrew and the write-off of what the card no longer
        held, so that the card's account holds what its credits are worth
        again. Credits back on the card of a membership that has ended since
        expire at once, as they would have with it."""
        self.ensure_one()
        period = self.sudo()
        request = request.sudo()
        period.refund_move_ids = [Command.unlink(request.credit_note_id.id)]
        card = period.invoice_id.clinic_wallet_card_id.sudo()
        withdrawn = request.membership_credits_withdrawn
        write_off = request.membership_write_off_id
        if not card or not (withdrawn or write_off):
            return
        card._clinic_lock()
        membership = period.membership_id
        today = membership._clinic_today()
        label = self.env._(
            "Refund %(ref)s of %(period)s failed: its credits are back",
            ref=request.name,
            period=period.name,
        )
        reversal = self.env["account.move"]
        if write_off.state == "posted":
            reversal = write_off._reverse_moves([{"ref": label, "date": today}])
            reversal.action_post()
        if withdrawn:
            card.write(
                {
                    "points": card.points + withdrawn,
                    "clinic_sessions_refunded": card.clinic_sessions_refunded - withdrawn,
                }
            )
        held = card.clinic_value
        card._clinic_sync_value()
        card._clinic_log(
            "adjusted",
            label,
            issued=withdrawn,
            amount=held - card.clinic_value,
            move=reversal or request.credit_note_id.reversal_move_ids[:1],
        )
        if withdrawn and membership.state == "cancelled":
            card._clinic_expire_credits(withdrawn, today)

    # --- as the source of refund requests (see clinic.refund.request) -----

    def _refund_goes_to_credit(self):
        return False

    def _get_refund_requests(self):
        self.ensure_one()
        return self.refund_request_ids

    def _get_refund_transactions(self):
        """The charges of the period: a refund through the provider goes back
        to the card that paid it (see ``clinic.refund.request._get_source_transaction``)."""
        self.ensure_one()
        return self.sudo().invoice_id.transaction_ids

    def _get_refund_payments(self):
        """The payments of the period's invoice (cash goes back in cash)."""
        self.ensure_one()
        invoice = self.sudo().invoice_id
        if invoice.state != "posted":
            return self.env["account.payment"]
        return invoice._get_reconciled_payments().filtered(lambda p: p.payment_type == "inbound")

    def _get_refund_partner(self):
        """Who paid the period."""
        self.ensure_one()
        payments = self._get_refund_payments()
        return (payments.partner_id or self.sudo().invoice_id.partner_id)[:1].commercial_partner_id

    def _lock_for_refund(self):
        self.membership_id._lock()
        self.invalidate_recordset()

    def _get_paid_amount(self):
        """What the member paid for the period: its invoice (posted once
        paid), less what is still due on it."""
        self.ensure_one()
        invoice = self.sudo().invoice_id
        if invoice.state != "posted":
            return 0.0
        return self.currency_id.round(invoice.amount_total - invoice.amount_residual)

    def _get_refundable_left(self, exclude=None):
        """What was paid and has not gone back (refunds, a lost dispute),
        less what other open refund requests already claim."""
        self.ensure_one()
        period = self.sudo()
        claimed = period.refund_request_ids.filtered(
            lambda r: (
                r.state in ("submitted", "approved", "in_progress")
                and r not in (exclude or r.browse())
            )
        )
        return period.currency_id.round(
            period._get_paid_amount() - period.refunded_amount - sum(claimed.mapped("amount"))
        )

    def _get_refund_limits(self):
        """(refundable, held): what was paid and has not gone back, both."""
        self.ensure_one()
        period = self.sudo()
        left = period.currency_id.round(period._get_paid_amount() - period.refunded_amount)
        return left, left

    def _create_credit_note(self, amount, label, partner=None, invoice=None):
        """A credit note of ``amount`` (taxes included) on the period's
        invoice, posted. The whole charge given back at once is the reversal
        of the invoice, fee and credits: the period was not paid for in the
        end, so the credits it gave leave the member's card with their value
        (the prepaid liability it debits; see ``_take_back``). Part of it (a
        gesture, or a second refund) is a credit note on the fee's income
        account only: the credits the member holds are still owed, their
        liability stays, and they expire as usual, with the membership if
        it ends."""
        self.ensure_one()
        period = self.sudo()
        currency = period.currency_id
        amount = currency.round(amount)
        invoice = (invoice or period.invoice_id).sudo()
        whole = currency.is_zero(period.refunded_amount) and not currency.compare_amounts(
            amount, invoice.amount_total
        )
        default = {"ref": label}
        if partner:
            default["partner_id"] = partner.id
        credit_note = invoice._reverse_moves([default])
        if not whole:
            card = invoice.clinic_wallet_card_id
            liability = card._clinic_liability_account() if card else self.env["account.account"]
            credits_lines = credit_note.invoice_line_ids.filtered(
                lambda line: line.account_id == liability
            )
            fee_line = (credit_note.invoice_line_ids - credits_lines)[:1]
            credit_note.write(
                {
                    "invoice_line_ids": [
                        Command.unlink(line.id) for line in credit_note.invoice_line_ids - fee_line
                    ]
                }
            )
            fee_line.write({"quantity": 1.0, "price_unit": amount})
            self.env["clinic.deposit"]._fit_total(credit_note, amount)
        credit_note.action_post()
        return credit_note

    @api.model
    def _reconcile_receivables(self, moves):
        return self.env["clinic.deposit"]._reconcile_receivables(moves)

    def _record_refund(self, amount):
        """``amount`` of the charge went back: counted on the period. Returns
        what of it had been refundable (all of it, what was paid and had not
        gone back yet)."""
        from_refundable = 0.0
        for period in self.sudo():
            left = period.currency_id.round(period._get_paid_amount() - period.refunded_amount)
            from_refundable = min(amount, max(left, 0.0))
            period.refunded_amount = period.refunded_amount + amount
        return from_refundable

    def _undo_refund(self, recorded, from_refundable):
        """A refund reported failed after it was done no longer counts (what
        it took from the card comes back in ``_restore_refund``)."""
        self.ensure_one()
        period = self.sudo()
        period.refunded_amount = period.refunded_amount - recorded

    def _schedule_refund_failed_activity(self, message, request):
        """The period has no chatter: the membership's says it and a manager
        gets an activity on it."""
        self.ensure_one()
        membership = self.membership_id.sudo()
        membership.message_post(body=message)
        membership._manager_activity(self.env._("Refund failed at the provider"), message)
