# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.addons.clinic_prepay.models.clinic_refund_request import (
    ClinicRefundRequest as BaseRequest,
)
from odoo.exceptions import UserError


class ClinicRefundRequest(models.Model):
    """A refund request gives back either deposit money or the unused
    sessions of a course: same approvals, same execution."""

    _inherit = "clinic.refund.request"
    _clinic_user_fields = BaseRequest._clinic_user_fields | {"wallet_card_id"}

    deposit_id = fields.Many2one(required=False)
    wallet_card_id = fields.Many2one(
        "loyalty.card",
        string="Course",
        index="btree_not_null",
        tracking=True,
        domain="[('clinic_amount_refundable', '>', 0)]",
        help="The course whose unused sessions are refunded.",
    )

    _sql_constraints = [
        (
            "one_source",
            "CHECK((deposit_id IS NULL) != (wallet_card_id IS NULL))",
            "A refund request gives back a deposit or a course, one of them.",
        ),
    ]

    @api.depends("wallet_card_id.partner_id", "wallet_card_id.company_id")
    def _compute_source_fields(self):
        courses = self.filtered("wallet_card_id")
        res = super(ClinicRefundRequest, self - courses)._compute_source_fields()
        for request in courses:
            card = request.wallet_card_id.sudo()
            request.patient_id = card.partner_id
            request.company_id = card.company_id
        return res

    def _get_refund_source(self):
        self.ensure_one()
        return self.wallet_card_id or super()._get_refund_source()

    def _get_refund_about(self):
        self.ensure_one()
        if self.wallet_card_id:
            return self.env._(
                "your course %(course)s", course=self.wallet_card_id.sudo().program_id.name
            )
        return super()._get_refund_about()

    @api.depends("wallet_card_id")
    def _compute_amount(self):
        return super()._compute_amount()

    @api.depends("wallet_card_id")
    def _compute_method(self):
        return super()._compute_method()

    @api.depends(
        "wallet_card_id.clinic_refund_request_ids.state",
        "wallet_card_id.clinic_refund_request_ids.amount_approved",
    )
    def _compute_needs_second_approval(self):
        return super()._compute_needs_second_approval()

    def _clinic_check_user_write(self, vals):
        res = super()._clinic_check_user_write(vals)
        if "wallet_card_id" in vals and self.filtered(lambda r: r.state != "draft"):
            raise UserError(self.env._("A refund request's course is chosen in draft."))
        return res
