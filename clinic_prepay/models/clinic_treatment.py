# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL, float_compare, float_is_zero, format_amount, format_datetime


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
    cancel_tier_ids = fields.One2many(
        "clinic.treatment.cancel.tier",
        "treatment_id",
        string="Cancellation Tiers",
        copy=True,
        default=lambda self: self._default_cancel_tier_ids(),
        help="What a patient's cancellation keeps, by how close to the visit it comes;"
        " earlier than every tier it is free.",
    )
    # one tier, as the policy was before tiers: kept for the code and data
    # that set a single window (writing them replaces the tiers by one)
    free_cancel_hours = fields.Float(
        string="Free Cancellation (hours before)",
        compute="_compute_free_cancel_hours",
        inverse="_inverse_single_cancel_tier",
        store=True,
        help="A patient cancelling at least this many hours before the start gets "
        "the whole deposit back: the furthest cancellation tier.",
    )
    late_cancel_forfeit_percent = fields.Float(
        string="Late Cancellation Forfeit (%)",
        compute="_compute_late_cancel_forfeit_percent",
        inverse="_inverse_single_cancel_tier",
        store=True,
        help="Part of the paid deposit kept when the patient cancels later: that of the"
        " furthest cancellation tier.",
    )
    no_show_forfeit_percent = fields.Float(
        string="No-show Forfeit (%)",
        default=lambda self: self.env.company.clinic_no_show_forfeit_percent,
        help="Part of the paid deposit kept when the patient does not come.",
    )

    no_show_protection = fields.Selection(
        [
            ("deposit", "Deposit only"),
            ("card", "Card on file"),
            ("both", "Deposit and card on file"),
        ],
        default="deposit",
        required=True,
        help="With a card on file the patient saves a card when booking (with the deposit"
        " payment, or alone when there is no deposit). On a no-show or a late cancellation"
        " the card is charged the policy's percentage of the price, less what the deposit"
        " already kept.",
    )

    # Online booking
    online_booking = fields.Boolean(
        string="Bookable Online", help="Patients can book it on the website."
    )
    public_description = fields.Text(
        translate=True, help="A short description shown to patients on the booking pages."
    )
    buffer_before = fields.Float(
        string="Buffer Before (hours)", help="Free time the practitioner needs before it."
    )
    buffer_after = fields.Float(
        string="Buffer After (hours)", help="Free time the practitioner needs after it."
    )
    # new treatments take the company's values (see default_get)
    min_notice_hours = fields.Float(string="Minimum Notice (hours)", default=2.0)
    max_days_ahead = fields.Integer(string="Book Up To (days ahead)", default=60)

    _sql_constraints = [
        (
            "online_limits_positive",
            "CHECK(buffer_before >= 0 AND buffer_after >= 0 AND min_notice_hours >= 0"
            " AND max_days_ahead >= 0)",
            "Buffers, notice and booking horizon cannot be negative.",
        ),
        (
            "duration_positive",
            "CHECK(duration > 0 AND duration <= 24)",
            "A treatment lasts more than nothing and at most a day.",
        ),
    ]

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        company = self.env.company
        if "min_notice_hours" in fields_list:
            values["min_notice_hours"] = company.clinic_min_notice_hours
        if "max_days_ahead" in fields_list:
            values["max_days_ahead"] = company.clinic_max_days_ahead
        return values

    @api.model
    def _default_cancel_tier_ids(self):
        """The company's default window, as one tier."""
        company = self.env.company
        if company.clinic_free_cancel_hours <= 0:
            return []
        return [
            Command.create(
                {
                    "hours_before": company.clinic_free_cancel_hours,
                    "percent_kept": company.clinic_late_cancel_forfeit_percent,
                }
            )
        ]

    # two computes, not one: writing one of the pair leaves the other to be
    # read from the tiers (the ORM protects every field of a compute written)
    @api.depends("cancel_tier_ids.hours_before")
    def _compute_free_cancel_hours(self):
        """The furthest tier's hours (0 without tiers)."""
        for treatment in self:
            treatment.free_cancel_hours = treatment._get_furthest_cancel_tier().hours_before

    @api.depends("cancel_tier_ids.hours_before", "cancel_tier_ids.percent_kept")
    def _compute_late_cancel_forfeit_percent(self):
        """The furthest tier's percent kept (0 without tiers)."""
        for treatment in self:
            treatment.late_cancel_forfeit_percent = (
                treatment._get_furthest_cancel_tier().percent_kept
            )

    def _get_furthest_cancel_tier(self):
        self.ensure_one()
        return self.cancel_tier_ids.sorted(lambda t: -t.hours_before)[:1]

    def _inverse_single_cancel_tier(self):
        """One window and one percent: the treatment gets exactly that tier
        (none for a window of 0 hours)."""
        for treatment in self:
            hours = treatment.free_cancel_hours
            if hours < 0:
                raise ValidationError(
                    self.env._("%(name)s: policy hours cannot be negative.", name=treatment.name)
                )
            tiers = [Command.clear()]
            if hours:
                tiers.append(
                    Command.create(
                        {
                            "hours_before": hours,
                            "percent_kept": treatment.late_cancel_forfeit_percent,
                        }
                    )
                )
            treatment.cancel_tier_ids = tiers

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

    def _requires_card(self):
        self.ensure_one()
        return self.no_show_protection in ("card", "both")

    def _get_policy_amount(self, price, kind, start=None, moment=None):
        """What the policy takes in all for a ``kind`` ("no_show" or "late")
        of a booking at ``price`` when a card is on file; a late cancellation
        at ``moment`` of a visit at ``start`` keeps what its tier says."""
        self.ensure_one()
        if kind == "no_show":
            return self._get_kept_amount(price, self.no_show_forfeit_percent)
        return self._get_cancel_terms(price, start, moment)["kept"]

    @api.constrains("no_show_protection", "deposit_type")
    def _check_no_show_protection(self):
        for treatment in self:
            if treatment.no_show_protection == "card" and treatment.deposit_type != "none":
                raise ValidationError(
                    self.env._(
                        "%(name)s: with a card on file only, no deposit is asked;"
                        ' choose "Deposit and card on file" to ask both.',
                        name=treatment.name,
                    )
                )
            if treatment.no_show_protection == "both" and treatment.deposit_type == "none":
                raise ValidationError(
                    self.env._(
                        "%(name)s: choose a deposit, or protect it with a card on file only.",
                        name=treatment.name,
                    )
                )

    @api.constrains(
        "deposit_type",
        "deposit_fixed",
        "deposit_percent",
        "product_id",
        "payment_hours",
        "payment_before_hours",
        "no_show_forfeit_percent",
    )
    def _check_deposit_policy(self):
        errors = []
        for treatment in self:
            # the cancellation tiers check theirs
            if min(treatment.payment_hours, treatment.payment_before_hours) < 0:
                errors.append(
                    self.env._("%(name)s: policy hours cannot be negative.", name=treatment.name)
                )
            if not 0.0 <= treatment.no_show_forfeit_percent <= 100.0:
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

    # ------------------------------------------------------------------------
    # Slots
    # ------------------------------------------------------------------------

    def _get_free_slots(
        self, date_from, date_to, practitioners=None, now=None, exclude=None, site=None
    ):
        """Start times at which this treatment can be booked online: see
        ``clinic.scheduler._get_free_slots``."""
        self.ensure_one()
        return self.env["clinic.scheduler"]._get_free_slots(
            self, date_from, date_to, practitioners, now=now, exclude=exclude, site=site
        )

    def _find_free_slot(self, start, practitioners=None, exclude=None, site=None):
        """The free slot offered at exactly ``start`` (naive UTC), or False."""
        self.ensure_one()
        return self.env["clinic.scheduler"]._find_free_slot(
            self, start, practitioners, exclude=exclude, site=site
        )

    def _get_policy_lines(self, start, deposit=None, card=None):
        """The policy in plain words, with the amounts at stake, as shown to
        the patient before booking (and stored with their consent): one line
        per cancellation tier still ahead, from :meth:`_get_cancel_terms`.
        ``deposit`` and ``card`` are what this patient is asked (the
        treatment's by default; see :meth:`_get_policy_lines_for`)."""
        self.ensure_one()
        deposit = self.deposit_amount if deposit is None else deposit
        card = self._requires_card() if card is None else card
        currency = self.currency_id
        env = self.env
        lines = []
        fmt = lambda value: format_amount(env, value, currency)  # noqa: E731
        if self.currency_id.is_zero(deposit):
            lines.append(env._("No deposit: nothing is paid before the visit."))
            if card:
                lines += self._get_card_policy_lines(start, 0.0, 0.0)
            return lines
        tz = self.env.context.get("tz") or self.env.user.tz or "UTC"

        def when(tier):
            # as the pages and mails write times: the reader's language
            moment = start - timedelta(hours=tier.hours_before)
            return format_datetime(env, moment, tz=tz, dt_format="short")

        terms = self._get_cancel_terms(deposit, start)
        current = terms["tier"]
        ahead = self._get_cancel_tiers_ahead(start)
        no_show = self._get_kept_amount(deposit, self.no_show_forfeit_percent)
        lines.append(
            env._(
                "Deposit to pay now: %(deposit)s; it is deducted from the price at the visit.",
                deposit=fmt(deposit),
            )
        )
        if not self.cancel_tier_ids:
            lines.append(env._("Cancel any time before the visit: the whole deposit is refunded."))
        elif not current:
            lines.append(
                env._(
                    "Cancel before %(when)s: the whole deposit is refunded.",
                    when=when(ahead[0]),
                )
            )
        else:
            lines.append(
                env._(
                    "This visit is less than %(hours)s hours away: if you cancel, %(kept)s"
                    " of the deposit is kept, the rest refunded.",
                    hours=format(current.hours_before, "g"),
                    kept=fmt(terms["kept"]),
                )
            )
        for index, tier in enumerate(ahead):
            kept = fmt(self._get_kept_amount(deposit, tier.percent_kept))
            if index + 1 < len(ahead):
                lines.append(
                    env._(
                        "Cancel from %(start)s to %(end)s: %(kept)s of the deposit is kept,"
                        " the rest refunded.",
                        start=when(tier),
                        end=when(ahead[index + 1]),
                        kept=kept,
                    )
                )
            elif current and not index:
                lines.append(
                    env._(
                        "Cancel after %(when)s: %(kept)s of the deposit is kept, the rest"
                        " refunded.",
                        when=when(tier),
                        kept=kept,
                    )
                )
            else:
                lines.append(
                    env._(
                        "Cancel later: %(kept)s of the deposit is kept, the rest refunded.",
                        kept=kept,
                    )
                )
        lines.append(env._("No-show: %(kept)s of the deposit is kept.", kept=fmt(no_show)))
        if card:
            lines += self._get_card_policy_lines(start, deposit, no_show)
        return lines

    def _get_policy_lines_for(self, partner, start):
        """The policy lines for ``partner``: nothing asked of an exempt
        patient, the full price of one who missed too many visits."""
        self.ensure_one()
        rule = partner._clinic_prepayment_rule(self.company_id) if partner else "policy"
        if rule == "exempt":
            return self._get_policy_lines(start, deposit=0.0, card=False)
        if rule == "full":
            return self._get_policy_lines(start, deposit=self.price)
        return self._get_policy_lines(start)

    def _get_card_policy_lines(self, start, deposit, no_show_kept):
        """The card-on-file clause: what the saved card may be charged, per
        cancellation tier still possible, less what the ``deposit`` already
        keeps (the patient's consent covers it)."""
        self.ensure_one()
        currency = self.currency_id
        fmt = lambda value: format_amount(self.env, value, currency)  # noqa: E731
        no_show = self._get_card_fee(self.price, no_show_kept, self.no_show_forfeit_percent)
        current = self._get_cancel_terms(deposit, start)["tier"]
        tiers = current | self._get_cancel_tiers_ahead(start)

        def late_fee(tier):
            kept = self._get_kept_amount(deposit, tier.percent_kept)
            return fmt(self._get_card_fee(self.price, kept, tier.percent_kept))

        lines = [
            self.env._(
                "Card on file: you save a card now; it is charged only as this policy says."
            )
        ]
        if not tiers:
            lines.append(
                self.env._("Charged to the card on a no-show: %(fee)s.", fee=fmt(no_show))
            )
        elif len(tiers) == 1:
            lines.append(
                self.env._(
                    "Charged to the card on a no-show: %(fee)s; on a late cancellation: %(late)s.",
                    fee=fmt(no_show),
                    late=late_fee(tiers),
                )
            )
        else:
            lines.append(
                self.env._(
                    "Charged to the card on a no-show: %(fee)s; on a late cancellation: %(late)s.",
                    fee=fmt(no_show),
                    late=", ".join(
                        self.env._(
                            "%(fee)s less than %(hours)s hours before",
                            fee=late_fee(tier),
                            hours=format(tier.hours_before, "g"),
                        )
                        for tier in tiers
                    ),
                )
            )
        return lines

    # ------------------------------------------------------------------------
    # Cancellation terms: the one place that says what a cancellation keeps
    # ------------------------------------------------------------------------

    def _get_cancel_terms(self, amount, start, moment=None):
        """The terms of a patient's cancellation at ``moment`` (now by
        default) of a visit at ``start`` (naive UTC): the tier it falls in
        (the closest one whose hours are reached; none earlier, when it is
        free) and what it keeps of ``amount`` (a deposit paid, or the price
        for a card on file).

        :return: dict ``{"tier", "late", "percent", "kept"}``, ``kept``
            rounded by the company currency
        :rtype: dict
        """
        self.ensure_one()
        left = start - (moment or fields.Datetime.now())
        tier = self.cancel_tier_ids.filtered(
            lambda t: left < timedelta(hours=t.hours_before)
        ).sorted("hours_before")[:1]
        return {
            "tier": tier,
            "late": bool(tier),
            "percent": tier.percent_kept,
            "kept": self._get_kept_amount(amount, tier.percent_kept),
        }

    def _migrate_cancel_tiers(self):
        """Give each of these treatments that has no tier one tier from its
        stored single window (``free_cancel_hours``,
        ``late_cancel_forfeit_percent``), as the policy was before tiers: the
        upgrade to 18.0.1.7.0. Read in SQL, as the columns hold them, before
        any recomputation.

        :return: the tiers created
        """
        if not self:
            return self.env["clinic.treatment.cancel.tier"]
        self.env.cr.execute(
            SQL(
                """
                SELECT t.id, t.free_cancel_hours, COALESCE(t.late_cancel_forfeit_percent, 0)
                  FROM clinic_treatment t
                 WHERE t.id IN %(ids)s
                   AND t.free_cancel_hours > 0
                   AND NOT EXISTS (
                       SELECT 1 FROM clinic_treatment_cancel_tier c WHERE c.treatment_id = t.id
                   )
                """,
                ids=tuple(self.ids),
            )
        )
        tiers = self.env["clinic.treatment.cancel.tier"].create(
            [
                {"treatment_id": treatment_id, "hours_before": hours, "percent_kept": percent}
                for treatment_id, hours, percent in self.env.cr.fetchall()
            ]
        )
        # the single-window fields now read the tiers (0 without a window)
        self.modified(["cancel_tier_ids"])
        return tiers

    def _get_cancel_tiers_ahead(self, start, moment=None):
        """The tiers a cancellation of a visit at ``start`` still reaches
        after ``moment`` (now by default), the furthest first."""
        self.ensure_one()
        left = start - (moment or fields.Datetime.now())
        return self.cancel_tier_ids.filtered(
            lambda t: left >= timedelta(hours=t.hours_before)
        ).sorted(lambda t: -t.hours_before)

    def _get_kept_amount(self, amount, percent):
        """``percent`` % of ``amount``, rounded by the company currency."""
        self.ensure_one()
        return self.currency_id.round(amount * percent / 100.0)

    def _get_card_fee(self, price, kept, percent):
        """What the card on file pays: ``percent`` % of ``price`` less what
        the deposit already ``kept``; the card never pays more than the
        policy."""
        self.ensure_one()
        return max(self.currency_id.round(self._get_kept_amount(price, percent) - kept), 0.0)
