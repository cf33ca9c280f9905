# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.addons.clinic_prepay_wallet.models.clinic_refund_request import (
    ClinicRefundRequest as WalletRequest,
)
from odoo.exceptions import UserError
from odoo.tools import format_date


class ClinicRefundRequest(models.Model):
    """A refund request also gives back the charge of a membership period
    (a manager's End Now and Refund, a refund made at the provider): same
    approvals, same execution, the period as its source (see the refund
    source methods of ``clinic.membership.period``)."""

    _inherit = "clinic.refund.request"
    _clinic_user_fields = WalletRequest._clinic_user_fields | {"membership_period_id"}

    membership_period_id = fields.Many2one(
        "clinic.membership.period",
        index="btree_not_null",
        tracking=True,
        domain="[('state', '=', 'paid')]",
        help="The membership period whose charge is refunded.",
    )
    membership_credits_withdrawn = fields.Integer(
        readonly=True,
        copy=False,
        help="The period's credits this refund took off the member's card (a whole refund).",
    )
    membership_write_off_id = fields.Many2one(
        "account.move",
        readonly=True,
        copy=False,
        help="The write-off of what this refund gave back beyond what the member's card"
        " still held (credits already used or expired).",
    )

    _sql_constraints = [
        (
            "one_source",
            "CHECK(num_nonnulls(deposit_id, wallet_card_id, membership_period_id) = 1)",
            "A refund request gives back a deposit, a course or a membership period, one of them.",
        ),
    ]

    @api.depends("membership_period_id.partner_id", "membership_period_id.company_id")
    def _compute_source_fields(self):
        periods = self.filtered("membership_period_id")
        res = super(ClinicRefundRequest, self - periods)._compute_source_fields()
        for request in periods:
            period = request.membership_period_id.sudo()
            request.patient_id = period.partner_id
            request.company_id = period.company_id
        return res

    def _get_refund_source(self):
        self.ensure_one()
        return self.membership_period_id or super()._get_refund_source()

    def _get_refund_about(self):
        self.ensure_one()
        if self.membership_period_id:
            period = self.membership_period_id.sudo()
            return self.env._(
                "your membership %(plan)s, period %(start)s to %(end)s",
                plan=period.plan_id.name,
                start=format_date(self.env, period.date_from),
                end=format_date(self.env, period.date_to - timedelta(days=1)),
            )
        return super()._get_refund_about()

    @api.depends("membership_period_id")
    def _compute_amount(self):
        return super()._compute_amount()

    @api.depends("membership_period_id")
    def _compute_method(self):
        return super()._compute_method()

    @api.depends(
        "membership_period_id.refund_request_ids.state",
        "membership_period_id.refund_request_ids.amount_approved",
    )
    def _compute_needs_second_approval(self):
        return super()._compute_needs_second_approval()

    def _clinic_check_user_write(self, vals):
        res = super()._clinic_check_user_write(vals)
        if "membership_period_id" in vals and self.filtered(lambda r: r.state != "draft"):
            raise UserError(self.env._("A refund request's membership period is chosen in draft."))
        return res

    def _finish(self, payment):
        """The money of a period's refund left: besides what every refund
        records, the period keeps its credit note and provider refund, and a
        whole refund takes the period's credits off the member's card; what
        it took is kept here, for a refund reported failed later."""
        res = super()._finish(payment)
        if not self.membership_period_id:
            return res
        period = self.membership_period_id.sudo()
        if self.refund_transaction_id:
            period.refund_transaction_ids = [Command.link(self.refund_transaction_id.id)]
        withdrawn, write_off = period._take_back(self.credit_note_id)
        self.sudo().write(
            {"membership_credits_withdrawn": withdrawn, "membership_write_off_id": write_off.id}
        )
        if self.method != "outside":
            # one made at the provider is told by the period (_tell_money_back)
            period.membership_id.message_post(
                body=self.env._(
                    "%(amount)s of %(period)s refunded to the member (%(ref)s); credit note"
                    " %(note)s.",
                    amount=self.currency_id.format(self.amount),
                    period=period.name,
                    ref=self.name,
                    note=self.credit_note_id.name,
                )
                + (
                    " "
                    + self.env._(
                        "%(count)s credits of the period were taken off the member's card.",
                        count=withdrawn,
                    )
                    if withdrawn
                    else ""
                )
            )
        return res

    def _on_done_refund_failed(self):
        """A period's refund reported failed after it was done: once the
        books of the money are undone, the period puts back what the refund
        took from the member's card (see ``_restore_refund``)."""
        periods = self.filtered(lambda r: r.membership_period_id and r.state == "done")
        res = super()._on_done_refund_failed()
        for request in periods.filtered(lambda r: r.state == "failed"):
            request.membership_period_id._restore_refund(request)
        return res
