# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.tools import format_datetime

# what only a clinic manager decides on a patient
EXEMPTION_FIELDS = frozenset({"clinic_deposit_exempt", "clinic_exempt_reason"})


class ResPartner(models.Model):
    _inherit = "res.partner"

    clinic_appointment_ids = fields.One2many(
        "clinic.appointment", "patient_id", string="Appointments"
    )
    clinic_appointment_count = fields.Integer(
        compute="_compute_clinic_appointment_stats", string="Appointments Count"
    )
    clinic_amount_paid = fields.Monetary(
        compute="_compute_clinic_appointment_stats",
        string="Deposits Paid",
        currency_field="currency_id",
    )

    clinic_deposit_exempt = fields.Boolean(
        string="Exempt from Deposits",
        tracking=True,
        copy=False,
        help="A trusted patient: no deposit and no card on file is asked when they book.",
    )
    clinic_exempt_reason = fields.Char(string="Exemption Reason", tracking=True, copy=False)
    clinic_exempt_by_id = fields.Many2one(
        "res.users", string="Exempted By", readonly=True, tracking=True, copy=False
    )
    clinic_exempt_date = fields.Datetime(string="Exempted On", readonly=True, copy=False)
    clinic_can_exempt = fields.Boolean(compute="_compute_clinic_can_exempt")
    clinic_missed_count = fields.Integer(
        string="Missed Visits (12 months)",
        compute="_compute_clinic_missed_count",
        help="No-shows and late cancellations in the last 12 months, at this company's clinic.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        parents = self.browse(vals.get("parent_id") for vals in vals_list if vals.get("parent_id"))
        self._clinic_check_family_link(parents)
        for vals in vals_list:
            if not self.env.su:
                # who exempted and when are recorded, not given
                vals.pop("clinic_exempt_by_id", None)
                vals.pop("clinic_exempt_date", None)
            if any(vals.get(name) for name in EXEMPTION_FIELDS):
                self._clinic_check_exemption_rights()
                vals.update(self._clinic_exemption_stamp(vals))
        return super().create(vals_list)

    def write(self, vals):
        if "parent_id" in vals:
            moved = self.filtered(lambda p: p.parent_id.id != (vals["parent_id"] or False))
            if moved:
                self._clinic_check_family_link(moved | self.browse(vals["parent_id"] or []))
        if "is_company" in vals:
            # a contact under another one joins or leaves its commercial entity
            moved = self.filtered(
                lambda p: p.parent_id and p.is_company != bool(vals["is_company"])
            )
            if moved:
                self._clinic_check_family_link(moved | moved.parent_id)
        if EXEMPTION_FIELDS & set(vals):
            self._clinic_check_exemption_rights()
            vals = {**vals, **self._clinic_exemption_stamp(vals)}
        elif {"clinic_exempt_by_id", "clinic_exempt_date"} & set(vals) and not self.env.su:
            raise AccessError(self.env._("Who exempted a patient is recorded, not edited."))
        res = super().write(vals)
        if "clinic_deposit_exempt" in vals or "clinic_exempt_reason" in vals:
            self._check_clinic_exemption()
        return res

    def _clinic_check_family_link(self, partners):
        """Refuse a user other than a clinic manager a change of the parent
        of ``partners`` (or a new contact under them) when their commercial
        entity holds a patient: a patient's exemption, credit, missed visits
        and portal rights follow the commercial entity, as Odoo's accounting
        does, so filing contacts under one another must not move money or
        health data."""
        if (
            self.env.su
            or not partners
            or self.env.user.has_group("clinic_prepay.group_clinic_manager")
        ):
            return
        Partner = self.sudo().with_context(active_test=False)
        family = Partner.search(
            [("id", "child_of", Partner.browse(partners.ids).commercial_partner_id.ids)]
        )
        patients = (
            family.filtered("clinic_deposit_exempt")
            or self.env["clinic.appointment"]
            .sudo()
            .with_context(active_test=False)
            .search([("patient_id", "in", family.ids)], limit=1)
            .patient_id
        )
        if patients:
            raise AccessError(
                self.env._(
                    "Only a clinic manager files contacts under %(name)s or moves them: a"
                    " patient's deposits, credit and appointments follow that link.",
                    name=patients[:1].commercial_partner_id.display_name,
                )
            )

    def _clinic_check_exemption_rights(self):
        if not self.env.su and not self.env.user.has_group("clinic_prepay.group_clinic_manager"):
            raise AccessError(self.env._("Only a clinic manager exempts a patient from deposits."))

    def _clinic_exemption_stamp(self, vals):
        if vals.get("clinic_deposit_exempt"):
            return {
                "clinic_exempt_by_id": self.env.user.id,
                "clinic_exempt_date": fields.Datetime.now(),
            }
        if "clinic_deposit_exempt" in vals:
            return {
                "clinic_exempt_by_id": False,
                "clinic_exempt_date": False,
                "clinic_exempt_reason": False,
            }
        return {}

    @api.constrains("clinic_deposit_exempt", "clinic_exempt_reason")
    def _check_clinic_exemption(self):
        for partner in self:
            if partner.clinic_deposit_exempt and not (partner.clinic_exempt_reason or "").strip():
                raise ValidationError(
                    self.env._("Say why %(name)s is exempt from deposits.", name=partner.name)
                )

    def _compute_clinic_can_exempt(self):
        self.clinic_can_exempt = self.env.user.has_group("clinic_prepay.group_clinic_manager")

    @api.depends_context("company")
    def _compute_clinic_missed_count(self):
        counts = self._clinic_missed_counts(self.env.company)
        for partner in self:
            partner.clinic_missed_count = counts.get(partner.commercial_partner_id.id, 0)

    def _clinic_missed_counts(self, company):
        """No-shows and late cancellations of the last 12 months at
        ``company``'s clinic, per commercial partner (one query)."""
        commercial = self.commercial_partner_id
        if not commercial.ids:
            return {}
        self.env["clinic.appointment"].flush_model(
            ["patient_id", "state", "cancel_reason", "start", "company_id"]
        )
        self.env.cr.execute(
            """
            SELECT p.commercial_partner_id, count(*)
              FROM clinic_appointment a
              JOIN res_partner p ON p.id = a.patient_id
             WHERE p.commercial_partner_id = ANY(%s)
               AND a.company_id = %s
               AND (a.state = 'no_show' OR (a.state = 'cancelled' AND a.cancel_reason = 'late'))
               AND a.start >= %s
             GROUP BY p.commercial_partner_id
            """,
            [commercial.ids, company.id, fields.Datetime.now() - timedelta(days=365)],
        )
        return dict(self.env.cr.fetchall())

    def _clinic_prepayment_rule(self, company):
        """How much this patient pre-pays at ``company``'s clinic: "exempt"
        (nothing), "full" (after too many visits missed there, by that
        clinic's threshold) or "policy" (the treatment's)."""
        self.ensure_one()
        patient = self.commercial_partner_id
        if patient.clinic_deposit_exempt or self.clinic_deposit_exempt:
            return "exempt"
        threshold = company.clinic_risk_threshold
        if threshold and self._clinic_missed_counts(company).get(patient.id, 0) >= threshold:
            return "full"
        return "policy"

    def _compute_clinic_appointment_stats(self):
        """Appointments of the patient and the deposits they paid."""
        groups = self.env["clinic.appointment"]._read_group(
            [("patient_id", "in", self.ids)],
            ["patient_id"],
            ["__count", "amount_paid:sum"],
        )
        stats = {partner.id: (count, paid) for partner, count, paid in groups}
        for partner in self:
            partner.clinic_appointment_count, partner.clinic_amount_paid = stats.get(
                partner.id, (0, 0.0)
            )

    def action_view_clinic_appointments(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "clinic_prepay.clinic_appointment_action"
        )
        action["domain"] = [("patient_id", "=", self.id)]
        action["context"] = {"default_patient_id": self.id}
        return action

    def _clinic_credit_domain(self, company):
        """The receivable lines of the credit notes kept as this patient's
        credit."""
        self.ensure_one()
        return [
            ("partner_id", "=", self.commercial_partner_id.id),
            ("company_id", "=", company.id),
            ("move_id.clinic_patient_credit", "=", True),
            ("parent_state", "=", "posted"),
            ("account_id.account_type", "=", "asset_receivable"),
        ]

    def _clinic_credit_lines(self, company):
        """The open receivable credits kept for this patient, oldest first."""
        self.ensure_one()
        return (
            self.env["account.move.line"]
            .sudo()
            .search(
                [
                    *self._clinic_credit_domain(company),
                    ("reconciled", "=", False),
                    ("amount_residual", "<", 0),
                ],
                order="date, id",
            )
        )

    def _clinic_credit_amount(self, company=None):
        """What the clinic keeps for the patient, in the company currency."""
        self.ensure_one()
        company = company or self.env.company
        return company.currency_id.round(
            -sum(self._clinic_credit_lines(company).mapped("amount_residual"))
        )

    def _clinic_credit_history(self, company=None):
        """What was kept as this patient's credit and what it paid, oldest
        first: dicts of ``date``, ``description`` and ``amount`` (kept is
        positive, used negative)."""
        self.ensure_one()
        company = company or self.env.company
        kept = (
            self.env["account.move.line"]
            .sudo()
            .search([*self._clinic_credit_domain(company), ("credit", ">", 0)], order="date, id")
        )
        paid_moves = kept.matched_debit_ids.debit_move_id.move_id
        by_final_invoice = {
            appointment.final_invoice_id: appointment
            for appointment in self.env["clinic.appointment"]
            .sudo()
            .search([("final_invoice_id", "in", paid_moves.ids)])
        }

        def reference(move):
            appointment = move.clinic_deposit_id.appointment_id or by_final_invoice.get(move)
            return appointment.name if appointment else move.name

        history = []
        for line in kept:
            history.append(
                {
                    "date": line.date,
                    "description": self.env._("Kept from %(ref)s", ref=reference(line.move_id)),
                    "amount": line.credit,
                }
            )
            for partial in line.matched_debit_ids:
                history.append(
                    {
                        "date": partial.max_date,
                        "description": self.env._(
                            "Used on %(ref)s", ref=reference(partial.debit_move_id.move_id)
                        ),
                        "amount": -partial.amount,
                    }
                )
        history.sort(key=lambda event: event["date"])
        return history

    def _clinic_format_datetime(self, value, company):
        """``value`` (naive UTC) as this patient reads it: their timezone (the
        clinic's when they have none) and language, the zone named."""
        self.ensure_one()
        tz = self.tz or company._get_clinic_tz()
        text = format_datetime(self.env, value, tz=tz, dt_format="short", lang_code=self.lang)
        return f"{text} ({tz})"
