# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class ClinicAppointment(models.Model):
    """A member's booking: a credit pays it (as a course session), or the
    plan lets them book without a deposit; the plan's discount is a line of
    the final invoice; the card the membership is charged to is the card on
    file of a protected treatment."""

    _inherit = "clinic.appointment"

    prepayment_rule = fields.Selection(
        selection_add=[("member", "Member: no deposit")], ondelete={"member": "set policy"}
    )
    membership_id = fields.Many2one(
        "clinic.membership",
        compute="_compute_membership_id",
        store=True,
        precompute=True,
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The patient's membership giving its benefits when the visit was booked.",
    )
    membership_label = fields.Char(compute="_compute_membership_label", string="Member Benefit")

    @api.depends("patient_id", "company_id")
    def _compute_membership_id(self):
        Membership = self.env["clinic.membership"]
        for appointment in self:
            if appointment.state not in (False, "draft"):
                continue
            appointment.membership_id = Membership._benefit_membership(
                appointment.patient_id, appointment.company_id or self.env.company
            ).sudo()

    @api.depends("membership_id", "prepayment_rule", "wallet_session_no")
    def _compute_membership_label(self):
        for appointment in self:
            membership = appointment.sudo().membership_id
            label = False
            if (
                membership
                and appointment.wallet_card_id == membership.card_id
                and (appointment.wallet_session_no)
            ):
                label = self.env._("Member: credit used (%(plan)s)", plan=membership.plan_id.name)
            elif appointment.prepayment_rule == "member":
                label = self.env._("Member: no deposit (%(plan)s)", plan=membership.plan_id.name)
            elif membership:
                label = self.env._("Member (%(plan)s)", plan=membership.plan_id.name)
            appointment.membership_label = label

    def _clinic_available_courses(self):
        # a suspended or paused member's credits wait
        cards = super()._clinic_available_courses()
        return cards.filtered(
            lambda c: (
                not c.clinic_membership_id
                or c.clinic_membership_id.state in ("active", "past_due")
            )
        )

    @api.depends("membership_id")
    def _compute_amounts_from_treatment(self):
        res = super()._compute_amounts_from_treatment()
        for appointment in self:
            plan = appointment.sudo().membership_id.plan_id
            if (
                appointment.state in (False, "draft")
                and plan.no_deposit
                and appointment.prepayment_rule == "policy"
            ):
                appointment.prepayment_rule = "member"
                appointment.deposit_required = 0.0
        return res

    def action_book(self):
        # a protected treatment's card on file is the card the membership is
        # charged to: the member authorised it when signing up
        for appointment in self.filtered(lambda a: a.state == "draft" and a.card_required):
            membership = appointment.sudo().membership_id
            token = membership.token_id
            if token.active and not appointment.sudo().card_token_id:
                appointment.sudo().write(
                    {
                        "card_token_id": token.id,
                        "card_consent_text": membership.consent_text,
                        "card_consent_date": membership.consent_date,
                    }
                )
        return super().action_book()

    def _prepare_final_invoice_vals(self):
        vals = super()._prepare_final_invoice_vals()
        membership = self.sudo().membership_id
        plan = membership.plan_id
        if membership.state in ("active", "past_due") and plan.discount_percent:
            discount = self.currency_id.round(self.price * plan.discount_percent / 100)
            if not self.currency_id.is_zero(discount):
                vals["invoice_line_ids"].insert(
                    1,
                    fields.Command.create(
                        {
                            "product_id": self.treatment_id.product_id.id,
                            "name": self.env._(
                                "Member discount %(percent)s %% (%(plan)s)",
                                percent=plan.discount_percent,
                                plan=plan.name,
                            ),
                            "quantity": 1.0,
                            "price_unit": -discount,
                        }
                    ),
                )
        return vals
