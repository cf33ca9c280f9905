# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import format_amount, format_date


class ClinicRefundRequest(models.Model):
    """A request to give deposit money back, approved before it is paid.

    The front desk drafts and submits; a clinic manager who did not request
    it approves (two different managers above the company threshold) or
    rejects with a reason; executing posts a credit note on the deposit
    account and pays it back to whoever paid the deposit: through the
    provider (the request stays in progress until the provider confirms) or
    through Odoo's register-payment on the credit note. The requester is the
    user who created it; the amount never exceeds what was approved nor what
    the ledger says is refundable.
    """

    _name = "clinic.refund.request"
    _description = "Clinic Refund Request"
    _inherit = ["mail.thread", "mail.activity.mixin", "clinic.guard.mixin"]
    _clinic_user_fields = frozenset({"deposit_id", "amount", "reason", "method", "reject_reason"})
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
    # what the money was paid for, read from its source (the deposit here)
    patient_id = fields.Many2one(
        "res.partner", compute="_compute_source_fields", store=True, index=True
    )
    company_id = fields.Many2one(
        "res.company", compute="_compute_source_fields", store=True, index=True
    )
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
        [
            ("provider", "Back to the original payment"),
            ("manual", "Manual transfer"),
            ("outside", "Refunded at the provider"),
            ("credit", "Kept as the patient's credit"),
        ],
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
            ("in_progress", "In Progress"),
            ("done", "Refunded"),
            ("rejected", "Rejected"),
            ("failed", "Failed at the Provider"),
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
    amount_approved = fields.Monetary(readonly=True, copy=False)
    amount_recorded = fields.Monetary(
        readonly=True, copy=False, help="What the deposit counted as refunded by this request."
    )
    amount_recorded_refundable = fields.Monetary(
        readonly=True,
        copy=False,
        help="Of that, what had been refundable (the rest was money the deposit held).",
    )
    needs_second_approval = fields.Boolean(compute="_compute_needs_second_approval")
    submit_date = fields.Datetime(readonly=True, copy=False)
    approval_date = fields.Datetime(readonly=True, copy=False)
    done_date = fields.Datetime(readonly=True, copy=False)
    credit_note_id = fields.Many2one("account.move", readonly=True, copy=False)
    payment_id = fields.Many2one("account.payment", readonly=True, copy=False)
    refund_transaction_id = fields.Many2one(
        "payment.transaction", readonly=True, copy=False, index="btree_not_null"
    )
    provider_attempt = fields.Integer(
        readonly=True,
        copy=False,
        help="Refunds the provider refused for this request: each new attempt is a new"
        " operation at the provider, a retry of the same attempt is not.",
    )

    @api.depends("deposit_id.patient_id", "deposit_id.company_id")
    def _compute_source_fields(self):
        for request in self:
            source = request._get_refund_source()
            request.patient_id = source.patient_id
            request.company_id = source.company_id

    def _get_refund_source(self):
        """What the money was paid for and goes back from: the deposit. Its
        model implements the refund source methods (``_get_refundable_left``,
        ``_get_refund_partner``, ``_create_credit_note``, ``_record_refund``,
        ``_undo_refund``...)."""
        self.ensure_one()
        return self.deposit_id

    def _get_refund_about(self):
        """What the refund is for, as the patient's mails say it."""
        self.ensure_one()
        return self.env._("your appointment %(ref)s", ref=self.appointment_id.name)

    @api.depends("deposit_id")
    def _compute_amount(self):
        """Suggested from the cancellation policy: what is refundable now."""
        for request in self:
            if request.state == "draft" or not request.amount:
                request.amount = request._get_refund_source()._get_refundable_left(exclude=request)

    @api.depends("deposit_id")
    def _compute_method(self):
        """Kept as credit when the clinic chose so, else back through the
        provider when the original payment supports it."""
        for request in self:
            # money that came from the patient's credit goes back to it
            if request.company_id.clinic_refund_as_credit or (
                request._get_refund_source()._refund_goes_to_credit()
            ):
                request.method = "credit"
            else:
                request.method = "provider" if request._get_source_transaction() else "manual"

    @api.depends(
        "amount",
        "company_id.clinic_refund_double_approval_amount",
        "deposit_id.refund_request_ids.state",
        "deposit_id.refund_request_ids.amount_approved",
    )
    def _compute_needs_second_approval(self):
        """Two managers approve when what the deposit would then have given
        back in all (this request and the ones approved before it) is above
        the company threshold: splitting a refund does not avoid it."""
        for request in self:
            threshold = request.company_id.clinic_refund_double_approval_amount
            others = (
                request._get_refund_source()
                ._get_refund_requests()
                .filtered(
                    lambda r, request=request: (
                        r.state in ("approved", "in_progress", "done") and r != request
                    )
                )
            )
            total = request.amount + sum(others.mapped("amount_approved"))
            request.needs_second_approval = (
                bool(threshold) and request.currency_id.compare_amounts(total, threshold) > 0
            )

    @api.model_create_multi
    def create(self, vals_list):
        self._clinic_check_create(vals_list)
        if not self.env.su:
            for vals in vals_list:
                self._clinic_check_user_write({"method": vals.get("method")})
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("clinic.refund.request") or "/"
            # the requester is whoever creates it, never a given value
            vals["requested_by_id"] = self.env.uid
        requests = super().create(vals_list)
        requests._check_amount()
        return requests

    def write(self, vals):
        self._clinic_check_write(vals)
        reapprove = (
            self.filtered(
                lambda r: (
                    r.state in ("submitted", "approved")
                    and (
                        (
                            "amount" in vals
                            and r.currency_id.compare_amounts(vals["amount"], r.amount)
                        )
                        or ("method" in vals and vals["method"] != r.method)
                    )
                )
            )
            if not self.env.su
            else self.browse()
        )
        res = super().write(vals)
        if "amount" in vals and not self.env.su:
            self._check_amount()
        if reapprove:
            # an edit after (first) approval sends it back to the approvers
            reapprove.sudo().write(
                {
                    "state": "submitted",
                    "approved_by_id": False,
                    "second_approved_by_id": False,
                    "approval_date": False,
                    "amount_approved": 0.0,
                }
            )
            for request in reapprove:
                request.message_post(
                    body=self.env._(
                        "Changed by %(user)s after approval: it must be approved again.",
                        user=self.env.user.name,
                    )
                )
        return res

    def _clinic_check_user_write(self, vals):
        if vals.get("method") == "outside":
            raise ValidationError(
                self.env._(
                    "Only the provider's notification records a refund made at the provider."
                )
            )
        fields_by_state = {
            "deposit_id": ("draft",),
            "reason": ("draft",),
            "amount": ("draft", "submitted", "approved"),
            "method": ("draft", "submitted", "approved"),
            "reject_reason": ("submitted", "approved"),
        }
        for request in self:
            for name in set(vals) & set(fields_by_state):
                if request.state not in fields_by_state[name]:
                    raise UserError(
                        self.env._(
                            "%(ref)s is %(state)s: %(field)s no longer changes.",
                            ref=request.name,
                            state=request._get_state_label(),
                            field=self._fields[name]._description_string(self.env),
                        )
                    )
        if {"amount", "method", "reject_reason"} & set(vals) and self.filtered(
            lambda r: r.state != "draft"
        ):
            self._check_manager()

    @api.ondelete(at_uninstall=False)
    def _unlink_except_draft(self):
        if self.filtered(lambda r: r.state != "draft"):
            raise UserError(self.env._("Only a draft refund request can be deleted."))

    def _get_state_label(self):
        self.ensure_one()
        return dict(self._fields["state"]._description_selection(self.env))[self.state]

    def _get_source_transaction(self):
        self.ensure_one()
        return (
            self._get_refund_source()
            ._get_refund_transactions()
            .filtered(
                lambda tx: (
                    tx.state == "done"
                    and tx.operation != "refund"
                    and tx.provider_id.support_refund in ("full_only", "partial")
                )
            )[:1]
        )

    # ------------------------------------------------------------------------
    # Workflow
    # ------------------------------------------------------------------------

    def _check_amount(self):
        for request in self:
            if request.state in ("in_progress", "done", "rejected", "failed"):
                continue
            source = request._get_refund_source()
            left = source._get_refundable_left(exclude=request)
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
                        deposit=source.display_name,
                    )
                )

    def _check_state(self, *states):
        for request in self:
            if request.state not in states:
                raise UserError(
                    self.env._(
                        "%(ref)s is %(state)s; this step is not possible now.",
                        ref=request.name,
                        state=request._get_state_label(),
                    )
                )

    def _check_manager(self):
        if not self.env.user.has_group("clinic_prepay.group_clinic_manager"):
            raise AccessError(self.env._("Only a clinic manager can approve or reject refunds."))

    def _get_patient_status(self):
        """What happened to this refund, in the patient's words (their
        portal page): kept as credit, on its way, or refunded, when and to
        which card."""
        self.ensure_one()
        amount = format_amount(self.env, self.amount, self.currency_id)
        if self.state == "rejected":
            # the reason is the clinic's note; the patient hears it from the clinic
            return self.env._("%(amount)s: not refunded.", amount=amount)
        if self.method == "credit":
            if self.state == "done":
                return self.env._(
                    "Kept as your credit: %(amount)s, usable on your next booking.", amount=amount
                )
            return self.env._("%(amount)s to be kept as your credit.", amount=amount)
        if self.state == "failed":
            return self.env._(
                "Refund of %(amount)s delayed: the clinic is sending it again.", amount=amount
            )
        if self.state != "done":
            return self.env._("Refund of %(amount)s on its way.", amount=amount)
        when = format_date(self.env, self.done_date) if self.done_date else ""
        tx = self.sudo().refund_transaction_id
        card = (tx.source_transaction_id or tx).token_id.payment_details
        if card:
            return self.env._(
                "%(amount)s refunded on %(date)s to your card ending %(card)s.",
                amount=amount,
                date=when,
                card=card[-4:],
            )
        return self.env._("%(amount)s refunded on %(date)s.", amount=amount, date=when)

    def action_submit(self):
        self._check_state("draft")
        if not self.env.su and not self.env.user.has_group("clinic_prepay.group_clinic_manager"):
            if self.filtered(lambda r: r.requested_by_id != self.env.user):
                raise AccessError(self.env._("Only its requester submits a refund request."))
        self._check_amount()
        self.sudo().write({"state": "submitted", "submit_date": fields.Datetime.now()})
        # once submitted the requester may no longer edit it: log as the system,
        # the message keeps the requester as author
        for request in self.sudo():
            request.message_post(
                body=self.env._(
                    "Refund of %(amount)s requested by %(user)s: %(reason)s",
                    amount=format_amount(self.env, request.amount, request.currency_id),
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
                request.sudo().write({"approved_by_id": user.id})
                request.message_post(
                    body=self.env._(
                        "First approval by %(user)s; a second manager must approve.",
                        user=user.name,
                    )
                )
                continue
            if request.approved_by_id == user:
                raise UserError(self.env._("The second approval must come from another manager."))
            vals = {
                "state": "approved",
                "approval_date": fields.Datetime.now(),
                "amount_approved": request.amount,
            }
            vals["second_approved_by_id" if request.approved_by_id else "approved_by_id"] = user.id
            request.sudo().write(vals)
            request.message_post(body=self.env._("Approved by %(user)s.", user=user.name))
            request._notify_patient("clinic_prepay.mail_template_refund_approved")
        return True

    def _notify_patient(self, xmlid):
        """Tell the patients what became of their refund (managers' actions,
        a few a day: the mail is rendered at once)."""
        template = self.env.ref(xmlid, raise_if_not_found=False)
        to_notify = self.filtered("patient_id.email")
        if template and to_notify:
            to_notify.sudo().with_context(mail_notify_force_send=False).message_post_with_source(
                template, subtype_xmlid="mail.mt_note"
            )

    def _approve_automatically(self):
        """The cancellation policy set the amount: no manager needed."""
        for request in self:
            request.sudo().write(
                {
                    "state": "approved",
                    "approval_date": fields.Datetime.now(),
                    "amount_approved": request.amount,
                }
            )
            request.message_post(
                body=self.env._("Approved automatically: the cancellation policy set the amount.")
            )
            request._notify_patient("clinic_prepay.mail_template_refund_approved")

    def action_open_reject(self):
        """Ask the manager why, then reject."""
        self._check_manager()
        self._check_state("submitted", "approved")
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Reject the refund"),
            "res_model": "clinic.refund.reject",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_request_ids": self.ids},
        }

    def action_reject(self):
        self._check_manager()
        self._check_state("submitted", "approved")
        for request in self:
            if not (request.reject_reason or "").strip():
                raise UserError(self.env._("Give the reason of the rejection first."))
            request.sudo().write({"state": "rejected"})
            request.message_post(
                body=self.env._(
                    "Rejected by %(user)s: %(reason)s",
                    user=self.env.user.name,
                    reason=request.reject_reason,
                )
            )
            request._notify_patient("clinic_prepay.mail_template_refund_rejected")
        return True

    def action_execute(self):
        """Give the money back: credit note on the deposit account and the
        outbound payment to whoever paid (through the provider or Odoo's
        register-payment), reconciled. A request done or in progress is left
        as it is."""
        self._check_manager()
        for request in self:
            if request.state in ("done", "in_progress"):
                continue
            request._check_state("approved")
            request._get_refund_source()._lock_for_refund()
            request.invalidate_recordset()
            request._check_state("approved")
            request._check_executable()
            request.sudo()._execute()
        return True

    def _check_executable(self):
        """At execution the amount is what was approved, at most, and what
        the ledger still holds for the patient."""
        self.ensure_one()
        currency = self.currency_id
        deposit = self._get_refund_source().sudo()
        refundable, held = deposit._get_refund_limits()
        if (
            currency.compare_amounts(self.amount, 0.0) <= 0
            or currency.compare_amounts(self.amount, self.amount_approved) > 0
            or currency.compare_amounts(self.amount, refundable) > 0
            or currency.compare_amounts(self.amount, held) > 0
        ):
            raise ValidationError(
                self.env._(
                    "%(ref)s: %(amount)s cannot be refunded; %(approved)s was approved and"
                    " %(refundable)s is refundable on %(deposit)s.",
                    ref=self.name,
                    amount=self.amount,
                    approved=self.amount_approved,
                    refundable=refundable,
                    deposit=deposit.display_name,
                )
            )

    def _execute(self):
        self.ensure_one()
        deposit = self._get_refund_source()
        partner = deposit._get_refund_partner()
        credit_note = deposit._create_credit_note(
            self.amount, self.env._("Refund %(ref)s", ref=self.name), partner=partner
        )
        self.write({"credit_note_id": credit_note.id})
        if self.method == "credit":
            # nothing is paid out: the open credit is the patient's credit
            credit_note.clinic_patient_credit = True
            self._finish(self.env["account.payment"])
            return
        source_tx = self._get_source_transaction() if self.method == "provider" else False
        if source_tx:
            refunded = -sum(
                source_tx.child_transaction_ids.filtered(
                    lambda tx: tx.operation == "refund" and tx.state in ("pending", "done")
                ).mapped("amount")
            )
            if self.currency_id.compare_amounts(self.amount, source_tx.amount - refunded) > 0:
                # more than that card paid (part came another way): by transfer
                source_tx = False
        if source_tx:
            # The provider's notification of this refund waits for this
            # transaction's commit on the same row lock: it finds the refund
            # recorded here instead of taking it for one made at the provider.
            self.env.cr.execute(
                "SELECT id FROM payment_transaction WHERE id = %s FOR UPDATE", [source_tx.id]
            )
            refund_tx = source_tx.with_context(
                clinic_refund_request_id=self.id
            )._send_refund_request(amount_to_refund=self.amount)
            self.write({"state": "in_progress", "refund_transaction_id": refund_tx.id})
            if refund_tx.state == "done":
                # the provider confirmed at once; else its notification finishes it
                refund_tx._post_process()
            return
        # paid back from where it came: cash back in cash
        journal = deposit._get_refund_payments().journal_id
        journal = journal.filtered(lambda j: j.type in ("bank", "cash"))[:1]
        wizard = (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=credit_note.ids)
            .create(
                {"communication": self.name, **({"journal_id": journal.id} if journal else {})}
            )
        )
        payment = wizard._create_payments()
        self._finish(payment)

    def _finish(self, payment):
        """The money left: reconcile it with the credit note, record it on
        the deposit, close the request."""
        self.ensure_one()
        deposit = self._get_refund_source()
        if payment:
            deposit._reconcile_receivables(payment.move_id | self.credit_note_id)
        from_refundable = deposit._record_refund(self.amount)
        self.write(
            {
                "amount_recorded": self.amount,
                "amount_recorded_refundable": from_refundable,
                "state": "done",
                "done_date": fields.Datetime.now(),
                "payment_id": payment.id,
            }
        )
        self.message_post(
            body=self.env._(
                "%(amount)s refunded to %(partner)s (%(method)s).",
                amount=self.amount,
                partner=(payment.partner_id or self.patient_id).name,
                method=dict(self._fields["method"]._description_selection(self.env))[self.method],
            )
        )
        self._notify_patient(
            "clinic_prepay.mail_template_refund_credit"
            if self.method == "credit"
            else "clinic_prepay.mail_template_refund_paid"
        )

    def _on_refund_transaction_failed(self):
        """The provider refused the refund: the credit note is cancelled (no
        money left) and the request goes back to approved, to be executed
        again (by transfer, for instance) or rejected."""
        for request in self.filtered(lambda r: r.state == "in_progress"):
            credit_note = request.credit_note_id
            credit_note.button_draft()
            credit_note.button_cancel()
            request.write(
                {
                    "state": "approved",
                    "credit_note_id": False,
                    "provider_attempt": request.provider_attempt + 1,
                }
            )
            request.message_post(
                body=self.env._(
                    "The provider did not refund %(amount)s (%(tx)s): the credit note %(move)s"
                    " is cancelled; refund it another way or reject the request.",
                    amount=request.amount,
                    tx=request.refund_transaction_id.reference,
                    move=credit_note.display_name,
                )
            )
            request.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=self.env._("Refund failed at the provider"),
                user_id=(request.approved_by_id or self.env.user).id,
            )

    def _on_done_refund_failed(self):
        """The provider reports a refund it had confirmed as failed (its
        ``charge.refund.updated``): the money is back in its balance. The
        books are undone: the outbound payment cancelled, the credit note
        reversed, the money held by the deposit again; a manager decides."""
        for request in self.filtered(lambda r: r.state == "done"):
            deposit = request._get_refund_source()
            deposit._lock_for_refund()
            deposit.invalidate_recordset()
            payment = request.payment_id
            if payment.state not in ("draft", "canceled"):
                payment.action_draft()
                payment.action_cancel()
            credit_note = request.credit_note_id
            if credit_note.state == "posted":
                credit_note._reverse_moves(
                    [
                        {
                            "ref": self.env._("Refund %(ref)s failed", ref=request.name),
                            "date": fields.Date.context_today(request),
                        }
                    ],
                    cancel=True,
                )
            # exactly what the refund moved: what it counted as refunded, of
            # which what had been refundable (the rest was money held)
            recorded = request.amount_recorded
            from_refundable = request.amount_recorded_refundable
            if not recorded:
                # a request done before these amounts were kept
                recorded = min(request.amount, deposit.amount_refunded)
                from_refundable = recorded if request.method != "outside" else 0.0
            deposit._undo_refund(recorded, from_refundable)
            request.write({"state": "failed", "provider_attempt": request.provider_attempt + 1})
            message = self.env._(
                "%(provider)s reports the refund of %(amount)s (%(tx)s) as failed: the money is"
                " back in its balance. The payment %(payment)s is cancelled and the credit note"
                " %(move)s reversed; %(deposit)s holds the money again.",
                provider=request.refund_transaction_id.provider_id.name,
                amount=request.amount,
                tx=request.refund_transaction_id.reference,
                payment=payment.display_name,
                move=credit_note.display_name,
                deposit=deposit.display_name,
            )
            request.message_post(body=message)
            deposit._schedule_refund_failed_activity(message, request)

    def _on_refund_transaction_done(self, refund_tx):
        """The provider confirmed the refund and Odoo posted its payment."""
        for request in self.filtered(lambda r: r.state == "in_progress"):
            request._finish(refund_tx.payment_id)

    def _get_provider_idempotency_key(self):
        """One key per request and attempt: a retried execution (a rollback
        after the provider answered, a second click) asks the provider for
        the same refund, which it makes once."""
        self.ensure_one()
        uuid = self.env["ir.config_parameter"].sudo().get_param("database.uuid")
        return f"clinic-refund-{uuid}-{self.id}-{self.provider_attempt}"

    def _adopt_refund_transaction(self, refund_tx):
        """The provider made this approved request's refund, but the
        execution that asked for it never committed (its notification
        arrived alone): the request takes it as its own."""
        for request in self.filtered(lambda r: r.state == "approved"):
            deposit = request._get_refund_source()
            credit_note = deposit._create_credit_note(
                request.amount,
                self.env._("Refund %(ref)s", ref=request.name),
                partner=deposit._get_refund_partner(),
            )
            request.write(
                {
                    "state": "in_progress",
                    "credit_note_id": credit_note.id,
                    "refund_transaction_id": refund_tx.id,
                }
            )
