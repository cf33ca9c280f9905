# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import Command, api, fields, models
from odoo.exceptions import UserError


class ClinicDeposit(models.Model):
    """Money asked ahead of one appointment.

    The deposit is a customer advance: its invoice posts to the company's
    deposit (liability) account. Every payment path (online transaction,
    payment registered at the desk, bank reconciliation) ends in the
    reconciliation of that invoice, which is where the deposit learns it is
    paid (:meth:`account.move._invoice_paid_hook`).
    """

    _name = "clinic.deposit"
    _description = "Appointment Deposit"
    _inherit = ["mail.thread"]
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(required=True, readonly=True, copy=False, default="/")
    appointment_id = fields.Many2one(
        "clinic.appointment", required=True, ondelete="cascade", index=True, readonly=True
    )
    patient_id = fields.Many2one(related="appointment_id.patient_id", store=True, index=True)
    company_id = fields.Many2one(related="appointment_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    amount = fields.Monetary(required=True, readonly=True, tracking=True)
    state = fields.Selection(
        [
            ("pending", "Pending"),
            ("paid", "Paid"),
            ("applied", "Applied"),
            ("forfeited", "Forfeited"),
            ("refunded", "Refunded"),
            ("cancelled", "Cancelled"),
        ],
        default="pending",
        required=True,
        readonly=True,
        tracking=True,
        index=True,
    )
    invoice_id = fields.Many2one(
        "account.move", string="Deposit Invoice", readonly=True, copy=False, index="btree_not_null"
    )
    forfeit_move_id = fields.Many2one(
        "account.move", string="Forfeit Entry", readonly=True, copy=False
    )
    amount_paid = fields.Monetary(
        compute="_compute_amount_paid",
        store=True,
        help="What the patient paid against the deposit invoice.",
    )
    amount_residual = fields.Monetary(
        compute="_compute_amount_paid", store=True, string="Amount Due"
    )
    amount_forfeited = fields.Monetary(readonly=True, copy=False)
    amount_applied = fields.Monetary(
        readonly=True, copy=False, help="Deducted from the final invoice."
    )
    amount_refunded = fields.Monetary(readonly=True, copy=False)
    refund_request_ids = fields.One2many("clinic.refund.request", "deposit_id")
    amount_refundable = fields.Monetary(
        readonly=True,
        copy=False,
        help="Paid money the policy gives back to the patient, not refunded yet.",
    )
    payment_ids = fields.Many2many(
        "account.payment", compute="_compute_payment_ids", string="Payments"
    )
    transaction_ids = fields.Many2many(related="invoice_id.transaction_ids")

    @api.depends(
        "invoice_id.state", "invoice_id.amount_residual", "invoice_id.payment_state", "amount"
    )
    def _compute_amount_paid(self):
        """Paid part of the deposit invoice (credit notes do not count as paid)."""
        for deposit in self:
            invoice = deposit.invoice_id
            if invoice.state != "posted":
                deposit.amount_paid = 0.0
                deposit.amount_residual = 0.0 if invoice.state == "cancel" else deposit.amount
                continue
            paid = 0.0
            for partial in invoice._get_all_reconciled_invoice_partials():
                counterpart = self.env["account.move.line"].browse(partial["aml_id"])
                if (
                    not partial.get("is_exchange")
                    and counterpart.move_id.move_type != "out_refund"
                ):
                    paid += partial["amount"]
            deposit.amount_paid = deposit.currency_id.round(paid)
            deposit.amount_residual = invoice.amount_residual

    @api.depends("invoice_id.line_ids.matched_credit_ids")
    def _compute_payment_ids(self):
        """Payments reconciled with the deposit invoice."""
        for deposit in self:
            deposit.payment_ids = deposit.invoice_id._get_reconciled_payments()

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("clinic.deposit") or "/"
        return super().create(vals_list)

    # ------------------------------------------------------------------------
    # Invoice
    # ------------------------------------------------------------------------

    def _prepare_invoice_vals(self):
        self.ensure_one()
        company = self.company_id
        company._clinic_ensure_accounting()
        if not company.clinic_deposit_account_id or not company.clinic_deposit_product_id:
            raise UserError(
                self.env._(
                    "Set the customer deposits account and the deposit product of "
                    "%(company)s in the Clinic settings first.",
                    company=company.name,
                )
            )
        appointment = self.appointment_id
        return {
            "move_type": "out_invoice",
            "partner_id": appointment.patient_id.id,
            "company_id": company.id,
            "currency_id": company.currency_id.id,
            "journal_id": company.clinic_journal_id.id,
            "invoice_origin": appointment.name,
            "ref": self.name,
            "invoice_date_due": appointment.payment_deadline
            and fields.Date.to_date(appointment.payment_deadline),
            "invoice_line_ids": [
                Command.create(
                    {
                        "product_id": company.clinic_deposit_product_id.id,
                        "name": self.env._(
                            "Deposit %(deposit)s for %(treatment)s on %(date)s (%(ref)s)",
                            deposit=self.name,
                            treatment=appointment.treatment_id.name,
                            date=appointment._format_start(),
                            ref=appointment.name,
                        ),
                        "account_id": company.clinic_deposit_account_id.id,
                        "quantity": 1.0,
                        "price_unit": self.amount,
                    }
                )
            ],
        }

    def _create_invoice(self):
        """Post the deposit invoice of each deposit (in the patient's name)."""
        for deposit in self:
            invoice = (
                self.env["account.move"]
                .sudo()
                .with_company(deposit.company_id)
                .create(deposit._prepare_invoice_vals())
            )
            invoice.action_post()
            deposit.invoice_id = invoice
        return True

    def _cancel_documents(self):
        """Cancel what is still unpaid: an unpaid invoice is cancelled, the
        unpaid rest of a partly paid one is reversed by a credit note."""
        for deposit in self:
            invoice = deposit.invoice_id.sudo()
            if invoice.state == "posted" and invoice.payment_state == "not_paid":
                invoice.button_draft()
                invoice.button_cancel()
            elif invoice.state == "posted" and invoice.payment_state == "partial":
                deposit._reverse_unpaid_rest()
            elif invoice.state == "draft":
                invoice.button_cancel()
        self.invalidate_recordset(["amount_paid", "amount_residual"])
        for deposit in self:
            refundable = deposit.amount_paid
            deposit.write(
                {
                    "state": "paid" if refundable else "cancelled",
                    "amount_refundable": refundable,
                }
            )

    def _reverse_unpaid_rest(self):
        """Credit note for the unpaid rest of a partly paid deposit invoice,
        reconciled with it; what was paid stays on the deposit (refundable).
        (Odoo's full reversal would unreconcile the payment instead.)"""
        self.ensure_one()
        refund = self._create_credit_note(
            self.invoice_id.amount_residual,
            self.env._("Unpaid rest of %(ref)s", ref=self.name),
        )
        self._reconcile_receivables(refund | self.invoice_id)
        return refund

    def _create_credit_note(self, amount, label):
        """Post a credit note of ``amount`` (taxes included) on the deposit
        invoice: its lines scaled down, so it credits the deposit account."""
        self.ensure_one()
        invoice = self.invoice_id.sudo()
        ratio = amount / invoice.amount_total
        credit_note = invoice._reverse_moves([{"ref": label}])
        for line in credit_note.invoice_line_ids:
            line.price_unit = invoice.currency_id.round(line.price_unit * ratio)
        credit_note.action_post()
        return credit_note

    @api.model
    def _reconcile_receivables(self, moves):
        """Reconcile the open receivable lines of ``moves`` together."""
        moves.sudo().line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable" and not line.reconciled
        ).reconcile()

    # ------------------------------------------------------------------------
    # Payment
    # ------------------------------------------------------------------------

    def _on_invoice_paid(self):
        """The deposit invoice is paid: mark the deposit paid and let the
        appointment react (confirm, or settle a payment that came late)."""
        for deposit in self.filtered(lambda d: d.state in ("pending", "cancelled")):
            # settled by a credit note (our own cancellation), not by payments
            if (
                deposit.currency_id.compare_amounts(
                    deposit.amount_paid, deposit.invoice_id.amount_total
                )
                < 0
            ):
                continue
            deposit.state = "paid"
            deposit.appointment_id._on_deposit_paid(deposit)

    # ------------------------------------------------------------------------
    # Policy outcomes
    # ------------------------------------------------------------------------

    def _get_refundable_left(self, exclude=None):
        """Refundable money not yet claimed by another open refund request."""
        self.ensure_one()
        claimed = self.refund_request_ids.filtered(
            lambda r: r.state in ("submitted", "approved") and r not in (exclude or r.browse())
        )
        return self.currency_id.round(self.amount_refundable - sum(claimed.mapped("amount")))

    def _create_refund_request(self, reason):
        """Refund request for what the policy gives back; approved at once
        when the company allows it (the policy made the amount certain)."""
        Request = self.env["clinic.refund.request"].sudo()
        for deposit in self.filtered(
            lambda d: d.currency_id.compare_amounts(d.amount_refundable, 0) > 0
        ):
            request = Request.create({"deposit_id": deposit.id, "reason": reason})
            request.action_submit()
            if deposit.company_id.clinic_refund_auto_approve:
                request.write({"state": "approved", "approval_date": fields.Datetime.now()})
                request.message_post(
                    body=self.env._(
                        "Approved automatically: the cancellation policy set the amount."
                    )
                )

    def _apply_policy(self, forfeit_percent):
        """Forfeit ``forfeit_percent`` % of what was paid, the rest becomes
        refundable; the unpaid rest of the invoice is cancelled."""
        for deposit in self:
            if deposit.state == "pending":
                deposit._cancel_documents()
            if deposit.state != "paid":
                continue
            currency = deposit.currency_id
            paid = deposit.amount_paid
            forfeit = currency.round(paid * forfeit_percent / 100.0)
            if forfeit:
                # the deposit account holds the untaxed part of the invoice
                invoice = deposit.invoice_id
                untaxed = invoice.amount_untaxed * paid / invoice.amount_total
                deposit._create_forfeit_move(currency.round(untaxed * forfeit_percent / 100.0))
            deposit.write(
                {
                    "amount_forfeited": forfeit,
                    "amount_refundable": paid - forfeit,
                    "state": "forfeited" if forfeit else "paid",
                }
            )

    def _create_forfeit_move(self, amount):
        """Move ``amount`` from the deposit liability to fee income."""
        self.ensure_one()
        company = self.company_id
        if not company.clinic_fee_account_id:
            raise UserError(
                self.env._(
                    "Set the forfeit and fee income account of %(company)s first.",
                    company=company.name,
                )
            )
        label = self.env._(
            "Forfeited deposit %(deposit)s (%(ref)s)",
            deposit=self.name,
            ref=self.appointment_id.name,
        )
        move = (
            self.env["account.move"]
            .sudo()
            .with_company(company)
            .create(
                {
                    "move_type": "entry",
                    "journal_id": company.clinic_forfeit_journal_id.id,
                    "ref": label,
                    "line_ids": [
                        Command.create(
                            {
                                "name": label,
                                "account_id": company.clinic_deposit_account_id.id,
                                "partner_id": self.patient_id.id,
                                "debit": amount,
                            }
                        ),
                        Command.create(
                            {
                                "name": label,
                                "account_id": company.clinic_fee_account_id.id,
                                "partner_id": self.patient_id.id,
                                "credit": amount,
                            }
                        ),
                    ],
                }
            )
        )
        move.action_post()
        self.forfeit_move_id = move
        return move

    def action_view_invoice(self):
        self.ensure_one()
        return self.invoice_id._get_records_action(name=self.env._("Deposit Invoice"))
