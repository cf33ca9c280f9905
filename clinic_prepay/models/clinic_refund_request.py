# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError


class ClinicRefundRequest(models.Model):
    """A request to give deposit money back, approved before it is paid.

    The front desk drafts and submits; a clinic manager who did not request
    it approves (two different managers above the company threshold) or
    rejects with a reason; executing posts a credit note on the deposit
    account and the outbound payment, reconciled together.
    """

    _name = "clinic.refund.request"
    _description = "Clinic Refund Request"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(required=True, readonly=True, copy=False, default="/")
    deposit_id = fields.Many2one(
        "clinic.deposit",
        required=True,
        index=True,
        tracking=True,
        domain="[('amount_refundable', '>', 0)]",
        check_company=True,
    )
    appointment_id = fields.Many2one(related="deposit_id.appointment_id", store=True, index=True)
    patient_id = fields.Many2one(related="deposit_id.patient_id", store=True, index=True)
    company_id = fields.Many2one(related="deposit_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    amount = fields.Monetary(
        compute="_compute_amount",
        store=True,
        readonly=False,
        required=True,
        precompute=True,
        tracking=True,
    )
    reason = fields.Text(required=True, tracking=True)
    reject_reason = fields.Text(readonly=True, tracking=True)
    method = fields.Selection(
        [("provider", "Back to the original payment"), ("manual", "Manual transfer")],
        compute="_compute_method",
        store=True,
        readonly=False,
        required=True,
        precompute=True,
    )
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("submitted", "Submitted"),
            ("approved", "Approved"),
            ("done", "Refunded"),
            ("rejected", "Rejected"),
        ],
        default="draft",
        required=True,
        readonly=True,
        copy=False,
        tracking=True,
        index=True,
    )
    requested_by_id = fields.Many2one(
        "res.users", default=lambda self: self.env.user, readonly=True, tracking=True
    )
    approved_by_id = fields.Many2one("res.users", readonly=True, copy=False, tracking=True)
    second_approved_by_id = fields.Many2one(
        "res.users", string="Second Approver", readonly=True, copy=False, tracking=True
    )
    needs_second_approval = fields.Boolean(compute="_compute_needs_second_approval")
    submit_date = fields.Datetime(readonly=True, copy=False)
    approval_date = fields.Datetime(readonly=True, copy=False)
    done_date = fields.Datetime(readonly=True, copy=False)
    credit_note_id = fields.Many2one("account.move", readonly=True, copy=False)
    payment_id = fields.Many2one("account.payment", readonly=True, copy=False)
    refund_transaction_id = fields.Many2one("payment.transaction", readonly=True, copy=False)

    @api.depends("deposit_id")
    def _compute_amount(self):
        """Suggested from the cancellation policy: what is refundable now."""
        for request in self:
            if request.state == "draft" or not request.amount:
                request.amount = request.deposit_id._get_refundable_left(exclude=request)

    @api.depends("deposit_id")
    def _compute_method(self):
        """Back through the provider when the original payment supports it."""
        for request in self:
            request.method = "provider" if request._get_source_transaction() else "manual"

    @api.depends("amount", "company_id.clinic_refund_double_approval_amount")
    def _compute_needs_second_approval(self):
        """Above the company threshold, two managers approve."""
        for request in self:
            threshold = request.company_id.clinic_refund_double_approval_amount
            request.needs_second_approval = bool(threshold) and request.amount > threshold

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("clinic.refund.request") or "/"
        return super().create(vals_list)

    def _get_source_transaction(self):
        self.ensure_one()
        return self.deposit_id.transaction_ids.filtered(
            lambda tx: (
                tx.state == "done"
                and tx.operation != "refund"
                and tx.provider_id.support_refund in ("full_only", "partial")
            )
        )[:1]

    # ------------------------------------------------------------------------
    # Workflow
    # ------------------------------------------------------------------------

    def _check_amount(self):
        for request in self:
            left = request.deposit_id._get_refundable_left(exclude=request)
            if request.currency_id.compare_amounts(request.amount, 0.0) <= 0:
                raise ValidationError(self.env._("A refund must be a positive amount."))
            if request.currency_id.compare_amounts(request.amount, left) > 0:
                raise ValidationError(
                    self.env._(
                        "%(ref)s: %(amount)s is more than the %(left)s paid and not refunded"
                        " yet on %(deposit)s.",
                        ref=request.name,
                        amount=request.amount,
                        left=left,
                        deposit=request.deposit_id.name,
                    )
                )

    def _check_state(self, *states):
        for request in self:
            if request.state not in states:
                raise UserError(
                    self.env._(
                        "%(ref)s is %(state)s; this step is not possible now.",
                        ref=request.name,
                        state=dict(self._fields["state"]._description_selection(self.env))[
                            request.state
                        ],
                    )
                )

    def _check_manager(self):
        if not self.env.user.has_group("clinic_prepay.group_clinic_manager"):
            raise AccessError(self.env._("Only a clinic manager can approve or reject refunds."))

    def action_submit(self):
        self._check_state("draft")
        self._check_amount()
        self.write({"state": "submitted", "submit_date": fields.Datetime.now()})
        # once submitted the requester may no longer edit it: log as the system,
        # the message keeps the requester as author
        for request in self.sudo():
            request.message_post(
                body=self.env._(
                    "Refund of %(amount)s requested by %(user)s: %(reason)s",
                    amount=request.amount,
                    user=request.requested_by_id.name,
                    reason=request.reason,
                )
            )
        return True

    def action_approve(self):
        self._check_manager()
        self._check_state("submitted")
        self._check_amount()
        user = self.env.user
        for request in self:
            if user == request.requested_by_id:
                raise UserError(self.env._("Nobody approves their own refund request."))
            if request.needs_second_approval and not request.approved_by_id:
                request.write({"approved_by_id": user.id})
                request.message_post(
                    body=self.env._(
                        "First approval by %(user)s; a second manager must approve.",
                        user=user.name,
                    )
                )
                continue
            if request.approved_by_id == user:
                raise UserError(self.env._("The second approval must come from another manager."))
            vals = {"state": "approved", "approval_date": fields.Datetime.now()}
            vals["second_approved_by_id" if request.approved_by_id else "approved_by_id"] = user.id
            request.write(vals)
            request.message_post(body=self.env._("Approved by %(user)s.", user=user.name))
        return True

    def action_reject(self):
        self._check_manager()
        self._check_state("submitted", "approved")
        for request in self:
            if not (request.reject_reason or "").strip():
                raise UserError(self.env._("Give the reason of the rejection first."))
            request.write({"state": "rejected"})
            request.message_post(
                body=self.env._(
                    "Rejected by %(user)s: %(reason)s",
                    user=self.env.user.name,
                    reason=request.reject_reason,
                )
            )
        return True

    def action_execute(self):
        """Give the money back: credit note on the deposit account and the
        outbound payment (through the provider or by transfer), reconciled.
        A request already done is left as it is."""
        self._check_manager()
        for request in self:
            if request.state == "done":
                continue
            request._check_state("approved")
            request._check_amount()
            request.sudo()._execute()
        return True

    def _execute(self):
        self.ensure_one()
        deposit = self.deposit_id
        credit_note = deposit._create_credit_note(
            self.amount, self.env._("Refund %(ref)s", ref=self.name)
        )
        if self.method == "provider" and self._get_source_transaction():
            refund_tx = self._get_source_transaction()._send_refund_request(
                amount_to_refund=self.amount
            )
            if refund_tx.state == "done":
                refund_tx._post_process()
            payment = refund_tx.payment_id
            self.refund_transaction_id = refund_tx
        else:
            journal = self.env["account.journal"].search(
                [("company_id", "=", self.company_id.id), ("type", "=", "bank")], limit=1
            )
            payment = self.env["account.payment"].create(
                {
                    "payment_type": "outbound",
                    "partner_type": "customer",
                    "partner_id": self.patient_id.commercial_partner_id.id,
                    "amount": self.amount,
                    "journal_id": journal.id,
                    "memo": self.name,
                }
            )
            payment.action_post()
        if payment:
            deposit._reconcile_receivables(payment.move_id | credit_note)
        deposit.write(
            {
                "amount_refunded": deposit.amount_refunded + self.amount,
                "amount_refundable": deposit.amount_refundable - self.amount,
            }
        )
        if deposit.currency_id.is_zero(deposit.amount_refundable) and not deposit.amount_forfeited:
            deposit.state = "refunded"
        self.write(
            {
                "state": "done",
                "done_date": fields.Datetime.now(),
                "credit_note_id": credit_note.id,
                "payment_id": payment.id,
            }
        )
        self.message_post(
            body=self.env._(
                "%(amount)s refunded by %(user)s (%(method)s).",
                amount=self.amount,
                user=self.env.user.name,
                method=dict(self._fields["method"]._description_selection(self.env))[self.method],
            )
        )
