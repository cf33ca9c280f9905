# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import Command, api, fields, models
from odoo.exceptions import ValidationError

SESSION_RULES = [
    ("treatment", "As the treatment's policy"),
    ("use", "Uses the session"),
    ("return", "Gives the session back"),
]


class LoyaltyProgram(models.Model):
    """A course: N sessions of one treatment (or of a choice of treatments),
    sold ahead at one price. It is a program of Odoo's loyalty module whose
    cards are the courses patients bought; a card's points are the sessions
    still free to book."""

    _inherit = "loyalty.program"

    program_type = fields.Selection(
        selection_add=[("clinic_course", "Treatment Course")],
        ondelete={"clinic_course": "set default"},
    )
    clinic_treatment_ids = fields.Many2many(
        "clinic.treatment",
        string="Treatments",
        help="A session of the course is one visit of any of these treatments.",
    )
    clinic_session_count = fields.Integer(string="Sessions", default=6)
    clinic_price = fields.Monetary(
        string="Course Price",
        currency_field="currency_id",
        help="Price of all the sessions, before the taxes of the course product.",
    )
    clinic_product_id = fields.Many2one(
        "product.product",
        string="Course Product",
        domain="[('type', '=', 'service')]",
        help="Product of the course's sale invoice line; its customer taxes apply when the"
        " course is sold (a course is for known treatments). One is made if empty.",
    )
    clinic_validity_months = fields.Integer(
        string="Valid For (months)",
        default=12,
        help="The sessions are booked for visits up to this many months after payment.",
    )
    clinic_late_cancel_rule = fields.Selection(
        SESSION_RULES,
        string="Late Cancellation",
        default="treatment",
        required=True,
        help="A cancellation after the treatment's free window: as the treatment's policy"
        " uses the session when the policy keeps part of a deposit.",
    )
    clinic_no_show_rule = fields.Selection(
        SESSION_RULES,
        string="No-show",
        default="treatment",
        required=True,
        help="A missed visit: as the treatment's policy uses the session when the policy"
        " keeps part of a deposit.",
    )
    clinic_refund_keep_percent = fields.Float(
        string="Kept on a Refund (%)",
        digits=(5, 2),
        help="Share of the unused sessions' value the clinic keeps when the patient gives"
        " the course up; the rest is refunded, pro rata of the price.",
    )
    clinic_online = fields.Boolean(
        string="Sold Online", default=True, help="Patients buy it from their portal."
    )
    # gift cards (Odoo's gift card programs the clinic sells)
    clinic_gift_card = fields.Boolean(
        string="Sold by the Clinic",
        help="The clinic sells this program's gift cards (online and at the desk) and"
        " accepts them on deposits and invoices; their value is a liability until spent.",
    )
    clinic_amount_min = fields.Monetary(
        string="Smallest Amount", currency_field="currency_id", default=10.0
    )
    clinic_amount_max = fields.Monetary(
        string="Largest Amount", currency_field="currency_id", default=1000.0
    )
    clinic_voucher_type = fields.Selection(
        [
            ("multi", "Multi-purpose (VAT when used)"),
            ("single", "Single-purpose (VAT when sold)"),
        ],
        string="Voucher",
        default="multi",
        required=True,
        help="EU Directive 2016/1065. A multi-purpose voucher is sold without VAT and pays"
        " deposits and invoices, which carry their VAT. A single-purpose voucher is for known"
        " treatments (Treatments) and their VAT: taxed when sold, it pays the invoices of"
        " those treatments' visits with their VAT already paid.",
    )

    @api.model
    def _program_items_name(self):
        return {**super()._program_items_name(), "clinic_course": self.env._("Courses")}

    @api.model
    def _program_type_default_values(self):
        return {
            **super()._program_type_default_values(),
            "clinic_course": {
                "applies_on": "future",
                "trigger": "auto",
                "portal_visible": True,
                # no rules, rewards nor mails: a course's reward is its sessions
                "portal_point_name": self.env._("Sessions"),
            },
        }

    @api.constrains("reward_ids")
    def _constrains_reward_ids(self):
        # a course's reward is its sessions, not a loyalty reward
        others = self.filtered(lambda program: program.program_type != "clinic_course")
        return super(LoyaltyProgram, others)._constrains_reward_ids()

    @api.constrains(
        "program_type",
        "clinic_treatment_ids",
        "clinic_session_count",
        "clinic_price",
        "clinic_validity_months",
        "clinic_refund_keep_percent",
    )
    def _check_clinic_course(self):
        for program in self.filtered(lambda p: p.program_type == "clinic_course"):
            if program.clinic_session_count <= 0:
                raise ValidationError(
                    self.env._(
                        "%(course)s: a course has at least one session.", course=program.name
                    )
                )
            if not program.clinic_treatment_ids:
                raise ValidationError(
                    self.env._(
                        "%(course)s: name the treatments its sessions are for.",
                        course=program.name,
                    )
                )
            currency = program.currency_id
            unpriced = program.clinic_treatment_ids.filtered(
                lambda t, currency=currency: currency.compare_amounts(t.price, 0.0) <= 0
            )
            if unpriced:
                raise ValidationError(
                    self.env._(
                        "%(treatments)s have no price: a course's sessions are worth part of it.",
                        treatments=", ".join(unpriced.mapped("name")),
                    )
                )
            if program.currency_id.compare_amounts(program.clinic_price, 0.0) <= 0:
                raise ValidationError(
                    self.env._("%(course)s: a course has a price.", course=program.name)
                )
            if not 0 <= program.clinic_refund_keep_percent <= 100:
                raise ValidationError(
                    self.env._(
                        "%(course)s: what a refund keeps is between 0 and 100 %%.",
                        course=program.name,
                    )
                )
            if program.clinic_validity_months <= 0:
                raise ValidationError(
                    self.env._(
                        "%(course)s: a course is valid for at least a month.", course=program.name
                    )
                )

    def _clinic_voucher_taxes(self, company):
        """The VAT of a single-purpose voucher: its treatments' (one tax set
        for all of them), in ``company``."""
        self.ensure_one()
        taxes = {
            frozenset(
                treatment.product_id.taxes_id.filtered(
                    lambda tax, company=company: tax.company_id == company
                ).ids
            )
            for treatment in self.sudo().clinic_treatment_ids
        }
        return self.env["account.tax"].sudo().browse(sorted(next(iter(taxes), ())))

    @api.constrains(
        "program_type",
        "clinic_gift_card",
        "clinic_amount_min",
        "clinic_amount_max",
        "clinic_validity_months",
        "clinic_voucher_type",
        "clinic_treatment_ids",
    )
    def _check_clinic_gift_card(self):
        for program in self.filtered(
            lambda p: p.clinic_gift_card and p.clinic_voucher_type == "single"
        ):
            treatments = program.sudo().clinic_treatment_ids
            if not treatments:
                raise ValidationError(
                    self.env._(
                        "%(name)s: a single-purpose gift card is for known treatments; pick them.",
                        name=program.name,
                    )
                )
            if len({frozenset(t.product_id.taxes_id.ids) for t in treatments}) > 1:
                raise ValidationError(
                    self.env._(
                        "%(name)s: a single-purpose gift card's treatments have one VAT; these"
                        " have different taxes.",
                        name=program.name,
                    )
                )
        for program in self.filtered("clinic_gift_card"):
            if program.program_type != "gift_card":
                raise ValidationError(
                    self.env._(
                        "%(name)s: only gift card programs are sold as gift cards.",
                        name=program.name,
                    )
                )
            currency = program.currency_id
            if (
                currency.compare_amounts(program.clinic_amount_min, 0.0) <= 0
                or currency.compare_amounts(program.clinic_amount_max, program.clinic_amount_min)
                < 0
            ):
                raise ValidationError(
                    self.env._(
                        "%(name)s: the amounts sold go from a positive smallest amount to a"
                        " largest amount above it.",
                        name=program.name,
                    )
                )
            if program.clinic_validity_months <= 0:
                raise ValidationError(
                    self.env._(
                        "%(name)s: a gift card is valid for at least a month.", name=program.name
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        programs = super().create(vals_list)
        programs._clinic_ensure_product()
        return programs

    def write(self, vals):
        res = super().write(vals)
        if {"clinic_product_id", "program_type", "name", "clinic_gift_card"} & set(vals):
            self._clinic_ensure_product()
        return res

    def _clinic_ensure_product(self):
        """A course without a product gets one: a service with the taxes of
        its first treatment's product. A clinic gift card's has no taxes: it
        is a multi-purpose voucher (EU Directive 2016/1065), taxed when it
        is spent, by the deposit or invoice it pays."""
        for program in self.filtered(
            lambda p: (
                (p.program_type == "clinic_course" or p.clinic_gift_card)
                and not p.clinic_product_id
            )
        ):
            first = program.clinic_treatment_ids[:1].product_id
            if program.clinic_gift_card:
                first = self.env["product.product"]
            product = (
                self.env["product.product"]
                .sudo()
                .create(
                    {
                        "name": program.name,
                        "type": "service",
                        "sale_ok": False,
                        "purchase_ok": False,
                        "company_id": program.company_id.id,
                        "taxes_id": [Command.set(first.taxes_id.ids)],
                    }
                )
            )
            program.sudo().clinic_product_id = product

    def _clinic_covers(self, treatment):
        self.ensure_one()
        return self.program_type == "clinic_course" and treatment in self.clinic_treatment_ids

    def action_sell_course(self):
        """The desk sells this course (to the patient it picks)."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Sell a Course"),
            "res_model": "clinic.wallet.sell",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_program_id": self.id},
        }

    def action_sell_gift_card(self):
        """The desk sells a gift card of this program."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Sell a Gift Card"),
            "res_model": "clinic.gift.card.sell",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_program_id": self.id},
        }
