# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from dateutil.relativedelta import relativedelta

from odoo import Command, api, fields, models
from odoo.exceptions import ValidationError


class ClinicMembershipPlan(models.Model):
    """What a member pays every period and what it gives: credits for
    included treatments (held in the patient's wallet), a discount on
    treatments, and bookings without a deposit."""

    _name = "clinic.membership.plan"
    _description = "Membership Plan"
    _inherit = ["mail.thread"]
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    price = fields.Monetary(
        string="Price per Period",
        tracking=True,
        help="Charged every period, before the taxes of the plan's product.",
    )
    product_id = fields.Many2one(
        "product.product",
        domain="[('type', '=', 'service')]",
        help="Product of the period's invoice lines: its customer taxes apply. One is made"
        " if empty, without taxes.",
    )
    interval = fields.Integer(string="Every", default=1, required=True)
    period = fields.Selection(
        [("month", "Month(s)"), ("year", "Year(s)")], default="month", required=True
    )
    min_periods = fields.Integer(
        string="Minimum Term (periods)",
        default=1,
        help="The member may cancel once this many periods are paid.",
    )
    notice_days = fields.Integer(
        string="Notice (days)",
        help="A cancellation asked later than this many days before the period ends takes"
        " effect at the end of the next period.",
    )
    treatment_ids = fields.Many2many(
        "clinic.treatment",
        string="Included Treatments",
        help="Each credit pays one visit of any of these treatments.",
    )
    credits_per_period = fields.Integer(string="Credits per Period")
    credit_value = fields.Monetary(
        string="Value of a Credit",
        help="Part of the price (before taxes) a credit carries: held as a liability until"
        " the credit is used (treatment revenue) or expires (breakage).",
    )
    rollover_max = fields.Integer(
        string="Credits Rolled Over",
        help="Unused credits carried into the next period, at most this many; the others"
        " expire at the end of the period. 0: all expire.",
    )
    discount_percent = fields.Float(
        string="Discount on Treatments (%)",
        digits=(5, 2),
        help="Taken off the members' final invoices, as its own line.",
    )
    no_deposit = fields.Boolean(
        string="Members Book Without a Deposit",
        help="Active members book without a deposit; a treatment protected by a card on"
        " file still charges its no-show fee to the member's card.",
    )
    first_period_free = fields.Boolean(
        help="The patient saves a card (the bank checks it; nothing is charged) and the first"
        " period starts at once; the next ones are charged to that card.",
    )
    terms = fields.Text(
        translate=True,
        help="What the patient accepts when signing up: the terms and the authorisation to"
        " charge the card every period. It is kept with its date and IP.",
    )
    retry_days = fields.Char(
        string="Retry Schedule (days)",
        default="1,3,7",
        required=True,
        help="Days after a failed charge when the card is charged again, for example"
        " 1,3,7. After the last one the membership is suspended.",
    )
    max_pause_periods = fields.Integer(string="Longest Pause (periods)", default=3)
    online = fields.Boolean(string="Signed Up Online", default=True)
    program_id = fields.Many2one(
        "loyalty.program",
        string="Credits Program",
        readonly=True,
        copy=False,
        help="The wallet program holding the members' credits (made by the plan).",
    )
    membership_ids = fields.One2many("clinic.membership", "plan_id", readonly=True)
    member_count = fields.Integer(compute="_compute_member_count", string="Members")
    price_total = fields.Monetary(compute="_compute_price_total", string="Price (taxes incl.)")

    @api.depends("membership_ids.state")
    def _compute_member_count(self):
        counts = dict(
            self.env["clinic.membership"]._read_group(
                [("plan_id", "in", self.ids), ("state", "in", ("active", "past_due"))],
                ["plan_id"],
                ["__count"],
            )
        )
        for plan in self:
            plan.member_count = counts.get(plan, 0)

    @api.depends("price", "product_id.taxes_id")
    def _compute_price_total(self):
        for plan in self:
            taxes = plan.product_id.taxes_id.filtered(
                lambda tax, plan=plan: tax.company_id == plan.company_id
            )
            plan.price_total = taxes.compute_all(plan.price, plan.currency_id)["total_included"]

    @api.constrains(
        "price",
        "interval",
        "min_periods",
        "notice_days",
        "credits_per_period",
        "credit_value",
        "rollover_max",
        "discount_percent",
        "retry_days",
        "max_pause_periods",
        "treatment_ids",
    )
    def _check_plan(self):
        for plan in self:
            currency = plan.currency_id
            if currency.compare_amounts(plan.price, 0.0) <= 0:
                raise ValidationError(self.env._("%(plan)s: a plan has a price.", plan=plan.name))
            if plan.interval <= 0:
                raise ValidationError(
                    self.env._("%(plan)s: a period lasts at least one month.", plan=plan.name)
                )
            if not 0 <= plan.discount_percent <= 100:
                raise ValidationError(
                    self.env._("%(plan)s: the discount is between 0 and 100 %%.", plan=plan.name)
                )
            if min(plan.min_periods, plan.notice_days, plan.rollover_max) < 0 or (
                plan.max_pause_periods < 0 or plan.credits_per_period < 0
            ):
                raise ValidationError(
                    self.env._(
                        "%(plan)s: terms, notice, credits and pauses are not negative.",
                        plan=plan.name,
                    )
                )
            if plan.credits_per_period:
                if not plan.treatment_ids:
                    raise ValidationError(
                        self.env._(
                            "%(plan)s: name the treatments its credits are for.", plan=plan.name
                        )
                    )
                if currency.compare_amounts(plan.credit_value, 0.0) <= 0 or (
                    currency.compare_amounts(
                        plan.credit_value * plan.credits_per_period, plan.price
                    )
                    > 0
                ):
                    raise ValidationError(
                        self.env._(
                            "%(plan)s: the credits carry a positive part of the price, not more"
                            " than the price.",
                            plan=plan.name,
                        )
                    )
            plan._get_retry_days()

    def _get_retry_days(self):
        """The retry schedule as increasing days after the first failure."""
        self.ensure_one()
        try:
            days = [int(part) for part in (self.retry_days or "").split(",") if part.strip()]
        except ValueError:
            days = None
        if days is None or any(day <= 0 for day in days) or days != sorted(set(days)):
            raise ValidationError(
                self.env._(
                    "%(plan)s: the retry schedule is a list of increasing days, such as 1,3,7.",
                    plan=self.name,
                )
            )
        return days

    def _get_delta(self):
        self.ensure_one()
        if self.period == "year":
            return relativedelta(years=self.interval)
        return relativedelta(months=self.interval)

    def _get_period_label(self):
        self.ensure_one()
        unit = {
            "month": self.env._("month") if self.interval == 1 else self.env._("months"),
            "year": self.env._("year") if self.interval == 1 else self.env._("years"),
        }[self.period]
        if self.interval == 1:
            return self.env._("a %(unit)s", unit=unit)
        return self.env._("every %(count)s %(unit)s", count=self.interval, unit=unit)

    @api.model_create_multi
    def create(self, vals_list):
        plans = super().create(vals_list)
        plans._ensure_product()
        plans._sync_program()
        return plans

    def write(self, vals):
        res = super().write(vals)
        if {"product_id", "name"} & set(vals):
            self._ensure_product()
        if {"name", "treatment_ids", "credits_per_period", "credit_value", "company_id"} & set(
            vals
        ):
            self._sync_program()
        return res

    def _ensure_product(self):
        for plan in self.filtered(lambda p: not p.product_id):
            plan.product_id = (
                self.env["product.product"]
                .sudo()
                .create(
                    {
                        "name": plan.name,
                        "type": "service",
                        "sale_ok": False,
                        "purchase_ok": False,
                        "company_id": plan.company_id.id,
                        # no tax until the manager sets the fee's on the product
                        "taxes_id": [Command.clear()],
                    }
                )
            )

    def _sync_program(self):
        """The plan's credits are sessions of a course program held apart
        (archived: nobody sells it); its cards are the members' credits."""
        for plan in self.filtered("credits_per_period").sudo():
            vals = {
                "name": self.env._("%(plan)s credits", plan=plan.name),
                "clinic_treatment_ids": [Command.set(plan.treatment_ids.ids)],
                "clinic_session_count": plan.credits_per_period,
                "clinic_price": plan.credit_value * plan.credits_per_period,
                "company_id": plan.company_id.id,
                "clinic_online": False,
                "clinic_product_id": plan.product_id.id,
            }
            if plan.program_id:
                plan.program_id.write(vals)
                continue
            program = (
                self.env["loyalty.program"]
                .with_context(active_test=False)
                .create(
                    {
                        **vals,
                        "program_type": "clinic_course",
                        "clinic_validity_months": 1,
                        "clinic_membership_plan_id": plan.id,
                    }
                )
            )
            program.active = False
            plan.program_id = program

    def action_view_members(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "clinic_prepay_membership.clinic_membership_action"
        )
        action["domain"] = [("plan_id", "=", self.id)]
        action["context"] = {"default_plan_id": self.id}
        return action

    def action_sign_up(self):
        """The desk signs a patient up to this plan."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Sign Up a Member"),
            "res_model": "clinic.membership.signup",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_plan_id": self.id},
        }
