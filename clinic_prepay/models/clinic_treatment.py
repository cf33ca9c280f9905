# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import float_compare, float_is_zero


class ClinicTreatment(models.Model):
    """What a patient can book: a service product, a duration, the
    practitioners who perform it and the pre-payment asked at booking."""

    _name = "clinic.treatment"
    _description = "Clinic Treatment"
    _order = "sequence, name, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    sequence = fields.Integer(default=10)
    color = fields.Integer()
    description = fields.Html(translate=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    product_id = fields.Many2one(
        "product.product",
        required=True,
        check_company=True,
        domain="[('type', '=', 'service')]",
        help="Service product invoiced when the treatment is done.",
    )
    price = fields.Monetary(
        compute="_compute_price",
        help="Sales price of the treatment's product.",
    )
    duration = fields.Float(
        default=1.0, required=True, help="Length of one appointment, in hours."
    )
    practitioner_ids = fields.Many2many(
        "res.users",
        string="Practitioners",
        domain="[('share', '=', False)]",
        help="Staff members who perform this treatment.",
    )
    deposit_type = fields.Selection(
        [
            ("none", "No deposit"),
            ("fixed", "Fixed amount"),
            ("percent", "Percentage of the price"),
            ("full", "Full pre-payment"),
        ],
        string="Deposit",
        default="none",
        required=True,
        help="What the patient pays ahead of the visit when booking.",
    )
    deposit_fixed = fields.Monetary(string="Fixed Deposit")
    deposit_percent = fields.Float(string="Deposit (%)", digits=(5, 2))
    deposit_amount = fields.Monetary(
        compute="_compute_deposit_amount",
        help="Amount asked at booking, in the company currency.",
    )
    # Cancellation policy; new treatments start from the company defaults.
    payment_hours = fields.Float(
        string="Pay Within (hours)",
        default=lambda self: self.env.company.clinic_payment_hours,
        help="The deposit is due this many hours after booking.",
    )
    payment_before_hours = fields.Float(
        string="Pay At Least (hours before)",
        default=lambda self: self.env.company.clinic_payment_before_hours,
        help="...and no later than this many hours before the appointment. Unpaid "
        "bookings are cancelled automatically at the deadline.",
    )
    free_cancel_hours = fields.Float(
        string="Free Cancellation (hours before)",
        default=lambda self: self.env.company.clinic_free_cancel_hours,
        help="A patient cancelling at least this many hours before the start gets "
        "the whole deposit back.",
    )
    late_cancel_forfeit_percent = fields.Float(
        string="Late Cancellation Forfeit (%)",
        default=lambda self: self.env.company.clinic_late_cancel_forfeit_percent,
        help="Part of the paid deposit kept when the patient cancels later.",
    )
    no_show_forfeit_percent = fields.Float(
        string="No-show Forfeit (%)",
        default=lambda self: self.env.company.clinic_no_show_forfeit_percent,
        help="Part of the paid deposit kept when the patient does not come.",
    )

    _sql_constraints = [
        (
            "duration_positive",
            "CHECK(duration > 0)",
            "The duration of a treatment must be positive.",
        ),
    ]

    @api.depends("product_id.lst_price")
    def _compute_price(self):
        """Price of the treatment: its product's sales price."""
        for treatment in self:
            treatment.price = treatment.product_id.lst_price

    @api.depends("deposit_type", "deposit_fixed", "deposit_percent", "price")
    def _compute_deposit_amount(self):
        """Deposit asked at booking, rounded by the company currency."""
        for treatment in self:
            treatment.deposit_amount = treatment._get_deposit_amount(treatment.price)

    def _get_deposit_amount(self, price):
        """Return the deposit this treatment's policy asks on ``price``.

        :param float price: the price of the booked treatment
        :return: the deposit, rounded by the company currency
        :rtype: float
        """
        self.ensure_one()
        amount = {
            "none": 0.0,
            "fixed": min(self.deposit_fixed, price) if price else self.deposit_fixed,
            "percent": price * self.deposit_percent / 100.0,
            "full": price,
        }[self.deposit_type]
        return self.currency_id.round(amount)

    @api.constrains(
        "deposit_type",
        "deposit_fixed",
        "deposit_percent",
        "product_id",
        "payment_hours",
        "payment_before_hours",
        "free_cancel_hours",
        "late_cancel_forfeit_percent",
        "no_show_forfeit_percent",
    )
    def _check_deposit_policy(self):
        errors = []
        for treatment in self:
            if (
                min(
                    treatment.payment_hours,
                    treatment.payment_before_hours,
                    treatment.free_cancel_hours,
                )
                < 0
            ):
                errors.append(
                    self.env._("%(name)s: policy hours cannot be negative.", name=treatment.name)
                )
            if not (
                0.0 <= treatment.late_cancel_forfeit_percent <= 100.0
                and 0.0 <= treatment.no_show_forfeit_percent <= 100.0
            ):
                errors.append(
                    self.env._(
                        "%(name)s: forfeit percentages must be between 0 and 100.",
                        name=treatment.name,
                    )
                )
            rounding = treatment.currency_id.rounding
            if treatment.deposit_type == "fixed":
                if float_compare(treatment.deposit_fixed, 0.0, precision_rounding=rounding) <= 0:
                    errors.append(
                        self.env._(
                            "%(name)s: a fixed deposit must be a positive amount.",
                            name=treatment.name,
                        )
                    )
                elif (
                    float_compare(
                        treatment.deposit_fixed, treatment.price, precision_rounding=rounding
                    )
                    > 0
                ):
                    errors.append(
                        self.env._(
                            "%(name)s: the fixed deposit (%(deposit)s) exceeds the price"
                            " of the treatment (%(price)s).",
                            name=treatment.name,
                            deposit=treatment.deposit_fixed,
                            price=treatment.price,
                        )
                    )
            elif treatment.deposit_type == "percent" and not (
                0.0 < treatment.deposit_percent <= 100.0
            ):
                errors.append(
                    self.env._(
                        "%(name)s: a deposit percentage must be above 0 and at most 100.",
                        name=treatment.name,
                    )
                )
            elif treatment.deposit_type == "full" and float_is_zero(
                treatment.price, precision_rounding=rounding
            ):
                errors.append(
                    self.env._(
                        "%(name)s: full pre-payment needs a product with a price.",
                        name=treatment.name,
                    )
                )
        if errors:
            raise ValidationError("\n".join(errors))
