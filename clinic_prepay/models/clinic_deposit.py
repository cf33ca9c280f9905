# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError


class ClinicDeposit(models.Model):
    """Money asked ahead of one appointment.

    Until money arrives a deposit is a payment request: its invoice is a
    draft, outside the ledger. Every payment path (online transaction,
    payment registered at the desk, bank line quoting the reference) posts
    an invoice of exactly the money received (:meth:`_invoice_for_money`),
    on the company's deposit (liability) account, and reconciles the money
    with it in the same transaction; the deposit then learns what it holds
    in :meth:`_sync_money`.

    The deposit owns its money facts. What was paid is read from the
    ledger; what is forfeited, refundable, refunded and applied changes in
    :meth:`_set_amounts` only, and the state in :meth:`_set_state` only.
    Nobody writes a deposit: users read it, its methods act in sudo mode.
    """

    _name = "clinic.deposit"
    _description = "Appointment Deposit"
    # no chatter: a deposit's story is told on its appointment and in the ledger
    _inherit = ["clinic.guard.mixin"]
    _order = "id desc"
    _check_company_auto = True

    # indexed: every new deposit checks its name is not taken
    name = fields.Char(required=True, readonly=True, copy=False, default="/", index=True)
    appointment_id = fields.Many2one(
        "clinic.appointment", required=True, ondelete="cascade", index=True, readonly=True
    )
    patient_id = fields.Many2one(related="appointment_id.patient_id", store=True, index=True)
    company_id = fields.Many2one(related="appointment_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    amount = fields.Monetary(required=True, readonly=True)
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
        index=True,
    )
    amount_from_credit = fields.Monetary(
        readonly=True, copy=False, help="Paid from the patient's credit, not new money."
    )
    paid_date = fields.Datetime(
        readonly=True, copy=False, help="When the deposit was first paid in full."
    )
    invoice_id = fields.Many2one(
        "account.move",
        string="Deposit Invoice",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The payment request drafted at booking; posted when its money arrives.",
    )
    invoice_ids = fields.One2many(
        "account.move",
        "clinic_deposit_id",
        string="Deposit Invoices",
        help="One invoice per money received (a partial payment posts its own), the"
        " draft asking for the rest, and the credit notes of refunds.",
    )
    forfeit_move_id = fields.Many2one(
        "account.move", string="Forfeit Entry", readonly=True, copy=False
    )
    amount_total = fields.Monetary(
        string="Amount to Pay",
        readonly=True,
        copy=False,
        help="The deposit with the taxes of the deposit product: what the patient pays.",
    )
    amount_paid = fields.Monetary(
        compute="_compute_amount_paid",
        store=True,
        help="What the patient paid against the deposit invoice.",
    )
    amount_residual = fields.Monetary(
        compute="_compute_amount_residual", store=True, string="Amount Due"
    )
    amount_forfeited = fields.Monetary(readonly=True, copy=False)
    policy_forfeited = fields.Monetary(readonly=True, copy=False)
    policy_refundable = fields.Monetary(readonly=True, copy=False)
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
        "account.payment", compute="_compute_payment_ids", string="Payments", compute_sudo=True
    )
    transaction_ids = fields.Many2many(
        "payment.transaction",
        compute="_compute_payment_ids",
        string="Transactions",
        compute_sudo=True,
    )

    @api.depends(
        "invoice_ids.state",
        "invoice_ids.amount_residual",
        "invoice_ids.payment_state",
        "invoice_ids.line_ids.matched_credit_ids",
    )
    def _compute_amount_paid(self):
        """Money reconciled with the deposit invoices (credit notes are not
        money, except the patient's credit kept from another deposit)."""
        for deposit in self:
            paid = 0.0
            for invoice in deposit._get_posted_invoices():
                for partial in invoice._get_all_reconciled_invoice_partials():
                    counterpart = self.env["account.move.line"].browse(partial["aml_id"])
                    move = counterpart.move_id
                    if not partial.get("is_exchange") and (
                        move.move_type != "out_refund"
                        or (move.clinic_patient_credit and move.clinic_deposit_id != deposit)
                    ):
                        paid += partial["amount"]
            deposit.amount_paid = deposit.currency_id.round(paid)

    @api.depends("amount_paid", "amount_total", "state")
    def _compute_amount_residual(self):
        """What is still asked: nothing once the deposit is no longer open."""
        for deposit in self:
            deposit.amount_residual = (
                max(deposit.currency_id.round(deposit.amount_total - deposit.amount_paid), 0.0)
                if deposit.state == "pending"
                else 0.0
            )

    @api.depends("invoice_ids.line_ids.matched_credit_ids", "invoice_ids.transaction_ids")
    def _compute_payment_ids(self):
        """Payments and transactions of the deposit invoices."""
        for deposit in self:
            deposit.payment_ids = deposit.invoice_ids._get_reconciled_payments()
            deposit.transaction_ids = deposit.invoice_ids.transaction_ids

    @api.model
    def action_open_deposit_ledger(self):
        """The journal items of the company's customer deposits account, for
        the accountant reconciling it."""
        account = self.env.company.clinic_deposit_account_id
        action = self.env["ir.actions.act_window"]._for_xml_id("account.action_account_moves_all")
        action.update(
            name=self.env._("Customer Deposits: %(account)s", account=account.display_name),
            domain=[("account_id", "=", account.id), ("parent_state", "=", "posted")],
            context={"search_default_group_by_partner": 1},
        )
        return action

    def _get_posted_invoices(self):
        self.ensure_one()
        return self.invoice_ids.filtered(
            lambda inv: inv.state == "posted" and inv.move_type == "out_invoice"
        ).sorted("id")

    def _get_request_invoice(self):
        """The draft asking for what is still due (outside the ledger)."""
        self.ensure_one()
        return self.invoice_ids.filtered(
            lambda inv: inv.state == "draft" and inv.move_type == "out_invoice"
        )[:1]

    @api.model_create_multi
    def create(self, vals_list):
        self._clinic_check_create(vals_list)
        for vals in vals_list:
            if vals.get("name", "/") == "/" and vals.get("appointment_id"):
                # named after its appointment: APT/2026/00013 asks DEP/2026/00013
                appointment = self.env["clinic.appointment"].browse(vals["appointment_id"])
                name = appointment.name.replace("APT/", "DEP/", 1)
                if not name.startswith("DEP/"):
                    name = f"DEP/{name}"
                others = len(appointment.deposit_ids)
                if others or self.sudo().search_count([("name", "=", name)], limit=1):
                    # a second deposit, or an older one numbered by sequence
                    name = f"{name}-{others + 1}"
                vals["name"] = name
        return super().create(vals_list)

    def write(self, vals):
        self._clinic_check_write(vals)
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_money(self):
        if self.filtered(lambda d: "posted" in d.invoice_ids.mapped("state") or d.forfeit_move_id):
            raise UserError(self.env._("A deposit that holds money cannot be deleted."))

    # ------------------------------------------------------------------------
    # State and amounts: the only writers
    # ------------------------------------------------------------------------

    _TRANSITIONS = {
        # money arriving on a deposit that is no longer open makes it paid
        # again, holding that money for its refund
        "paid": ("pending", "cancelled", "forfeited", "applied", "refunded"),
        "applied": ("paid",),
        "forfeited": ("paid",),
        "refunded": ("paid", "forfeited"),
        "cancelled": ("pending",),
    }

    def _set_amounts(self, **deltas):
        """Add ``deltas`` to the forfeited, refundable, refunded and applied
        amounts: the one place they change. Their sum never exceeds the money
        the ledger says was paid, and none of them goes negative."""
        fields_map = {
            "forfeited": "amount_forfeited",
            "refundable": "amount_refundable",
            "refunded": "amount_refunded",
            "applied": "amount_applied",
        }
        for deposit in self:
            currency = deposit.currency_id
            vals = {
                fields_map[key]: currency.round(deposit[fields_map[key]] + delta)
                for key, delta in deltas.items()
            }
            new = {name: vals.get(name, deposit[name]) for name in fields_map.values()}
            if any(currency.compare_amounts(amount, 0.0) < 0 for amount in new.values()) or (
                currency.compare_amounts(sum(new.values()), deposit.amount_paid) > 0
            ):
                raise ValidationError(
                    self.env._(
                        "%(ref)s: %(paid)s was paid; it cannot be forfeited, refunded"
                        " and applied beyond that.",
                        ref=deposit.name,
                        paid=deposit.amount_paid,
                    )
                )
            deposit.sudo().write(vals)

    def _get_unaccounted(self):
        """Money received that no policy outcome accounts for yet."""
        self.ensure_one()
        return self.currency_id.round(
            self.amount_paid
            - self.amount_forfeited
            - self.amount_refundable
            - self.amount_refunded
            - self.amount_applied
        )

    # ------------------------------------------------------------------------
    # Invoice
    # ------------------------------------------------------------------------

    def _prepare_invoice_vals(self, amount=None):
        """Invoice of ``amount`` (the deposit by default, taxes excluded as
        the deposit product is priced)."""
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
            "payment_reference": self.name,
            "clinic_deposit_id": self.id,
            "invoice_date_due": appointment.payment_deadline
            and fields.Date.to_date(appointment.payment_deadline),
            "invoice_line_ids": [Command.create(self._prepare_invoice_line_vals(amount))],
        }

    def _prepare_invoice_line_vals(self, amount=None):
        self.ensure_one()
        company = self.company_id
        appointment = self.appointment_id
        return {
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
            "price_unit": self.amount if amount is None else amount,
        }

    def _create_invoice(self):
        """Draft the deposit invoice: a payment request, nothing in the ledger
        (no number, no entry) until money arrives."""
        for deposit in self:
            invoice = (
                self.env["account.move"]
                .sudo()
                .with_company(deposit.company_id)
                .create(deposit._prepare_invoice_vals())
            )
            # what the patient pays: the deposit and its product's taxes
            deposit.sudo().write({"invoice_id": invoice.id, "amount_total": invoice.amount_total})
        return True

    def _invoice_for_money(self, amount):
        """``amount`` (taxes included) arrives: post an invoice of exactly that
        money, so the ledger holds only money received. The draft request is
        posted (cut to ``amount`` when it asks more, a new draft then asks
        for the rest); money beyond what is asked (a second payment, money
        after the booking ended) gets an invoice of its own, refunded later.
        Returns the posted invoice to reconcile the money with."""
        self.ensure_one()
        self = self.sudo()
        currency = self.currency_id
        request = self._get_request_invoice()
        if not request:
            # a cancelled request comes back for money that arrives late
            request = self.invoice_ids.filtered(
                lambda inv: inv.state == "cancel" and inv.move_type == "out_invoice"
            )[:1]
            request.button_draft()
        if request and currency.compare_amounts(request.amount_total, amount) <= 0:
            request.action_post()
            return request
        price = self._get_untaxed_price(amount)
        if request:
            request.invoice_line_ids.price_unit = price
            invoice = request
            if self.state == "pending":
                rest_amount = self.amount_residual - amount
                rest = (
                    self.env["account.move"]
                    .with_company(self.company_id)
                    .create(self._prepare_invoice_vals(self._get_untaxed_price(rest_amount)))
                )
                self._fit_total(rest, rest_amount)
        else:
            invoice = (
                self.env["account.move"]
                .with_company(self.company_id)
                .create(self._prepare_invoice_vals(price))
            )
        self._fit_total(invoice, amount)
        invoice.action_post()
        return invoice

    def _get_untaxed_price(self, amount):
        """Price of the deposit line whose total, taxes included, is ``amount``."""
        self.ensure_one()
        total = self.amount_total or self.amount
        return self.currency_id.round(self.amount * amount / total) if total else amount

    def _cancel_documents(self):
        """The booking ends: the draft asking for what is still due is
        cancelled (it never reached the ledger); an invoice posted and not
        fully paid (reconciled by hand) has its unpaid rest reversed. What was
        paid stays on the deposit."""
        pending = self.filtered(lambda d: d.state == "pending")
        requests = self.env["account.move"].sudo()
        for deposit in pending:
            requests |= deposit._get_request_invoice()
        # one cancellation for the batch
        requests.button_cancel()
        for deposit in pending:
            for invoice in deposit._get_posted_invoices():
                if not invoice.currency_id.is_zero(invoice.amount_residual):
                    deposit._reverse_unpaid_rest(invoice)
        pending.invalidate_recordset(["amount_paid", "amount_residual"])
        unpaid = pending.filtered(lambda d: d.currency_id.is_zero(d.amount_paid))
        unpaid._set_state("cancelled")
        (pending - unpaid)._set_state("paid")

    def _reverse_unpaid_rest(self, invoice):
        """Credit note for the unpaid rest of a partly paid deposit invoice,
        reconciled with it; what was paid stays on the deposit.
        (Odoo's full reversal would unreconcile the payment instead.)"""
        self.ensure_one()
        refund = self._create_credit_note(
            invoice.amount_residual,
            self.env._("Unpaid rest of %(ref)s", ref=self.name),
            invoice=invoice,
        )
        self._reconcile_receivables(refund | invoice)
        return refund

    def _create_credit_note(self, amount, label, partner=None, invoice=None):
        """Post a credit note of ``amount`` (taxes included) on a deposit
        invoice: its lines scaled, so it debits the deposit account.
        ``partner`` is who gets the money back (the invoice's patient by default)."""
        self.ensure_one()
        invoice = (invoice or self._get_posted_invoices()[:1]).sudo()
        ratio = amount / invoice.amount_total
        default = {"ref": label}
        if partner:
            default["partner_id"] = partner.id
        credit_note = invoice._reverse_moves([default])
        credit_note.clinic_deposit_id = self
        for line in credit_note.invoice_line_ids:
            line.price_unit = invoice.currency_id.round(line.price_unit * ratio)
        self._fit_total(credit_note, amount)
        credit_note.action_post()
        return credit_note

    @api.model
    def _fit_total(self, move, amount):
        """Taxes computed on a scaled price can miss ``amount`` by a cent or
        two: nudge the draft's price until its total is exactly the money."""
        currency = move.currency_id
        line = move.invoice_line_ids[:1]
        for _attempt in range(6):
            gap = currency.round(amount - move.amount_total)
            if currency.is_zero(gap):
                return True
            taxed = (
                1
                + sum(line.tax_ids.filtered(lambda t: not t.price_include).mapped("amount")) / 100
            )
            step = currency.round(gap / taxed) or (
                currency.rounding if gap > 0 else -currency.rounding
            )
            line.price_unit = currency.round(line.price_unit + step)
        return currency.is_zero(amount - move.amount_total)

    @api.model
    def _reconcile_receivables(self, moves):
        """Reconcile the open receivable lines of ``moves`` together."""
        moves.sudo().line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable" and not line.reconciled
        ).reconcile()

    # ------------------------------------------------------------------------
    # Payment
    # ------------------------------------------------------------------------

    def _check_payable(self, amount):
        """Refuse money the deposit does not ask for: a booking no longer
        awaiting it, nothing due, or another amount than what is due."""
        for deposit in self:
            currency = deposit.currency_id
            if deposit.state != "pending" or deposit.appointment_id.state not in (
                "awaiting_payment",
                "confirmed",
            ):
                raise UserError(
                    self.env._(
                        "%(ref)s no longer awaits a payment (the booking is %(state)s).",
                        ref=deposit.appointment_id.name,
                        state=dict(
                            deposit.appointment_id._fields["state"]._description_selection(
                                self.env
                            )
                        )[deposit.appointment_id.state],
                    )
                )
            due = deposit.amount_residual
            if currency.compare_amounts(amount, 0.0) <= 0 or currency.compare_amounts(amount, due):
                raise UserError(
                    self.env._(
                        "%(amount)s is not what %(ref)s asks: %(due)s is due.",
                        amount=amount,
                        ref=deposit.name,
                        due=due,
                    )
                )

    def _register_desk_payment(self, journal, payment_method_line=None, payment_date=None):
        """Payment of what is due taken at the desk (cash, card terminal):
        the invoice is posted and Odoo's register-payment reconciles the
        money with it, in one transaction."""
        self.ensure_one()
        self.appointment_id._lock_for_update()
        self.invalidate_recordset()
        self._check_payable(self.amount_residual)
        amount = self.amount_residual
        invoice = self._invoice_for_money(amount)
        wizard = (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create(
                {
                    "journal_id": journal.id,
                    "amount": amount,
                    "payment_date": payment_date or fields.Date.context_today(self),
                    "communication": self.name,
                    **(
                        {"payment_method_line_id": payment_method_line.id}
                        if payment_method_line
                        else {}
                    ),
                }
            )
        )
        payments = wizard._create_payments()
        self._sync_money()
        return payments

    def _sync_money(self):
        """Learn from the ledger what the deposit now holds, and react.

        Called by every payment path once money is reconciled. A pending
        deposit whose money reaches what it asks is paid (the appointment is
        confirmed). Money the booking does not hold (it was cancelled or has
        ended, or a second payment) becomes refundable, with a refund request
        and a manager activity; no debt is ever re-opened. Calling it again
        changes nothing.
        """
        self.invalidate_recordset(["amount_paid", "amount_residual"])
        for deposit in self:
            currency = deposit.currency_id
            appointment = deposit.appointment_id
            if deposit.state == "pending":
                if currency.compare_amounts(deposit.amount_paid, deposit.amount_total) < 0:
                    continue
                deposit._set_state("paid", paid_date=deposit.paid_date or fields.Datetime.now())
                appointment._on_deposit_paid(deposit)
            elif deposit.state == "cancelled":
                if currency.compare_amounts(deposit._get_unaccounted(), 0.0) <= 0:
                    continue
                deposit._set_state("paid")
                appointment._on_late_deposit_paid(deposit)
            # an active booking holds its deposit; anything else goes back
            held = (
                deposit.amount_total
                if deposit.state == "paid"
                and appointment.state in ("awaiting_payment", "confirmed")
                else 0.0
            )
            extra = currency.round(deposit._get_unaccounted() - held)
            if currency.compare_amounts(extra, 0.0) <= 0:
                continue
            if deposit.state != "paid":
                deposit._set_state("paid")  # a forfeited, applied or refunded one
            deposit._set_amounts(refundable=extra)
            deposit._create_refund_request(
                self.env._(
                    "%(amount)s was received that the booking does not hold.",
                    amount=extra,
                )
            )
            appointment._schedule_refund_activity(deposit, extra)

    # ------------------------------------------------------------------------
    # Policy outcomes
    # ------------------------------------------------------------------------

    def _get_refundable_left(self, exclude=None):
        """Refundable money not yet claimed by another open refund request."""
        self.ensure_one()
        claimed = self.refund_request_ids.filtered(
            lambda r: (
                r.state in ("submitted", "approved", "in_progress")
                and r not in (exclude or r.browse())
            )
        )
        return self.currency_id.round(self.amount_refundable - sum(claimed.mapped("amount")))

    # --- as the source of refund requests (see clinic.refund.request) -----

    def _refund_goes_to_credit(self):
        """Money that came from the patient's credit goes back to it."""
        self.ensure_one()
        return bool(self.amount_from_credit)

    def _get_refund_requests(self):
        self.ensure_one()
        return self.refund_request_ids

    def _get_refund_transactions(self):
        self.ensure_one()
        return self.transaction_ids

    def _get_refund_payments(self):
        """The payments that brought the money (cash goes back in cash)."""
        self.ensure_one()
        return self.payment_ids.filtered(lambda p: p.payment_type == "inbound")

    def _lock_for_refund(self):
        self.appointment_id._lock_for_update()

    def _get_refund_limits(self):
        """(refundable, held): what the policy gives back, and what the
        ledger still holds for the patient."""
        self.ensure_one()
        self.invalidate_recordset(["amount_paid"])
        held = self.amount_paid - self.amount_forfeited - self.amount_refunded
        held -= self.amount_applied
        return self.amount_refundable, held

    def _undo_refund(self, recorded, from_refundable):
        """A refund reported failed after it was done: the deposit holds the
        money again (``from_refundable`` of it refundable)."""
        self.ensure_one()
        self._set_amounts(refunded=-recorded, refundable=from_refundable)
        if self.state == "refunded":
            self._set_state("paid")

    def _schedule_refund_failed_activity(self, message, request):
        self.appointment_id._schedule_manager_activity(
            self.env._("Refund failed at the provider"), message
        )

    def _get_refund_partner(self):
        """Who paid: the partner of the money reconciled with the deposit."""
        self.ensure_one()
        payments = self._get_refund_payments()
        return (payments.partner_id or self.invoice_ids.partner_id)[:1].commercial_partner_id

    def _create_refund_request(self, reason, auto_approve=True):
        """Refund request for what the policy gives back; approved at once
        when the company allows it (the policy made the amount certain) and
        ``auto_approve`` (not a decision that overrides the policy)."""
        Request = self.env["clinic.refund.request"].sudo()
        for deposit in self:
            left = deposit._get_refundable_left()
            if deposit.currency_id.compare_amounts(left, 0) <= 0:
                continue
            request = Request.create({"deposit_id": deposit.id, "reason": reason, "amount": left})
            request.action_submit()
            if auto_approve and deposit.company_id.clinic_refund_auto_approve:
                request._approve_automatically()

    def _apply_policy(self, forfeit_percent):
        """Forfeit ``forfeit_percent`` % of what was paid, the rest becomes
        refundable; the unpaid rest of the invoice is cancelled."""
        self._cancel_documents()
        for deposit in self.filtered(lambda d: d.state == "paid"):
            currency = deposit.currency_id
            paid = deposit._get_unaccounted()
            forfeit = currency.round(paid * forfeit_percent / 100.0)
            if forfeit:
                # the deposit account holds the untaxed part of the invoice
                invoice = deposit._get_posted_invoices()[:1]
                untaxed = invoice.amount_untaxed * paid / invoice.amount_total
                deposit._create_forfeit_move(currency.round(untaxed * forfeit_percent / 100.0))
            deposit._set_amounts(forfeited=forfeit, refundable=paid - forfeit)
            # what this policy decided, for an undo of the same day
            deposit.write({"policy_forfeited": forfeit, "policy_refundable": paid - forfeit})
            if forfeit:
                deposit._set_state("forfeited")

    def _undo_policy(self):
        """Undo a no-show's policy: the forfeit entry is reversed and the
        money is held again, neither kept nor refundable."""
        for deposit in self.filtered(lambda d: d.state in ("paid", "forfeited")):
            move = deposit.forfeit_move_id
            if move:
                reversal = move._reverse_moves(
                    [
                        {
                            "ref": self.env._("No-show undone: %(ref)s", ref=move.ref),
                            "date": fields.Date.context_today(self),
                        }
                    ]
                )
                reversal.action_post()
                deposit.forfeit_move_id = False
            # only what the policy set: earlier refundable money stays
            deposit._set_amounts(
                forfeited=-deposit.policy_forfeited, refundable=-deposit.policy_refundable
            )
            deposit.write({"policy_forfeited": 0.0, "policy_refundable": 0.0})
            if deposit.state == "forfeited":
                deposit._set_state("paid")

    def _apply_to_final_invoice(self):
        """The treatment is invoiced: what was paid is deducted there."""
        for deposit in self.filtered(lambda d: d.state == "paid"):
            deposit._set_amounts(applied=deposit._get_unaccounted())
            deposit._set_state("applied")

    def _prepare_final_invoice_line_vals(self):
        """Deduction of the paid deposit on the final invoice, on the deposit
        account and with the deposit's taxes, so the liability returns to zero."""
        self.ensure_one()
        company = self.company_id
        invoice = self._get_posted_invoices()[:1]
        deposit_line = invoice.invoice_line_ids[:1]
        paid = self._get_unaccounted()
        price = deposit_line.price_unit * paid / invoice.amount_total
        return {
            "product_id": company.clinic_deposit_product_id.id,
            "name": self.env._("Deposit %(deposit)s deducted", deposit=self.name),
            "account_id": company.clinic_deposit_account_id.id,
            "quantity": -1.0,
            "price_unit": self.currency_id.round(price),
            "tax_ids": [Command.set(deposit_line.tax_ids.ids)],
        }

    def _record_refund(self, amount):
        """``amount`` went back to the patient: what was refundable first,
        then (a refund made at the provider) money the deposit still held.
        Returns what was taken from the refundable money (one deposit)."""
        from_refundable = 0.0
        for deposit in self:
            from_refundable = min(amount, deposit.amount_refundable)
            deposit._set_amounts(refunded=amount, refundable=-from_refundable)
            holds = deposit.appointment_id.state in ("awaiting_payment", "confirmed")
            if deposit.currency_id.is_zero(deposit.amount_refundable) and not (
                deposit.amount_forfeited or deposit.amount_applied or holds
            ):
                deposit._set_state("refunded")
        return from_refundable

    def _record_outside_refund(self, amount, payment, reason, label=None, refund_tx=None):
        """Money that left outside a refund request (refunded at the
        provider, a lost card dispute), paid by ``payment``: it ends as a
        done request whose credit note is reconciled with that payment, and
        the deposit counts as refunded what it still held."""
        self.ensure_one()
        currency = self.currency_id
        held = currency.round(self.amount_refundable + self._get_unaccounted())
        request = (
            self.env["clinic.refund.request"]
            .sudo()
            .create(
                {
                    "deposit_id": self.id,
                    "amount": amount,
                    "method": "outside",
                    "state": "in_progress",
                    "refund_transaction_id": refund_tx and refund_tx.id,
                    "reason": reason,
                }
            )
        )
        credit_note = self._create_credit_note(
            amount,
            label or self.env._("Refund %(ref)s", ref=request.name),
            partner=payment.partner_id.commercial_partner_id or self._get_refund_partner(),
        )
        self._reconcile_receivables(payment.move_id | credit_note)
        recorded = min(amount, held)
        from_refundable = self._record_refund(recorded)
        request.write(
            {
                "amount_recorded": recorded,
                "amount_recorded_refundable": from_refundable,
                "state": "done",
                "done_date": fields.Datetime.now(),
                "credit_note_id": credit_note.id,
                "payment_id": payment.id,
                "amount_approved": amount,
            }
        )
        return request

    def _record_provider_refund(self, refund_tx):
        """A refund made at the provider (its dashboard), not asked by a
        refund request, recorded with its credit note. A booking still on,
        or a refund of more than the deposit held, is left to a manager."""
        self.ensure_one()
        currency = self.currency_id
        amount = currency.round(-refund_tx.amount)
        held = currency.round(self.amount_refundable + self._get_unaccounted())
        request = self._record_outside_refund(
            amount,
            refund_tx.payment_id,
            self.env._(
                "Refunded at %(provider)s (%(ref)s), not through a refund request.",
                provider=refund_tx.provider_id.name,
                ref=refund_tx.provider_reference or refund_tx.reference,
            ),
            refund_tx=refund_tx,
        )
        request.message_post(
            body=self.env._(
                "%(amount)s was refunded at %(provider)s; recorded with its credit note.",
                amount=amount,
                provider=refund_tx.provider_id.name,
            )
        )
        request._notify_patient("clinic_prepay.mail_template_refund_paid")
        appointment = self.appointment_id
        if (
            appointment.state in ("awaiting_payment", "confirmed")
            or currency.compare_amounts(amount, held) > 0
        ):
            appointment._schedule_manager_activity(
                self.env._("Refunded at the provider"),
                self.env._(
                    "%(amount)s of %(deposit)s was refunded at %(provider)s (%(held)s was"
                    " held). Check the booking %(ref)s and its deposit.",
                    amount=amount,
                    deposit=self.name,
                    provider=refund_tx.provider_id.name,
                    held=held,
                    ref=appointment.name,
                ),
            )
        return request

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
        move = (
            self.env["account.move"]
            .sudo()
            .with_company(company)
            .create(self._prepare_forfeit_move_vals(amount))
        )
        move.action_post()
        self.sudo().forfeit_move_id = move
        return move

    def _prepare_forfeit_move_vals(self, amount):
        self.ensure_one()
        company = self.company_id
        label = self.env._(
            "Forfeited deposit %(deposit)s (%(ref)s)",
            deposit=self.name,
            ref=self.appointment_id.name,
        )
        line = {"name": label, "partner_id": self.patient_id.id}
        return {
            "move_type": "entry",
            "journal_id": company.clinic_forfeit_journal_id.id,
            "ref": label,
            "line_ids": [
                Command.create(
                    {**line, "account_id": company.clinic_deposit_account_id.id, "debit": amount}
                ),
                Command.create(
                    {**line, "account_id": company.clinic_fee_account_id.id, "credit": amount}
                ),
            ],
        }

    def action_view_invoice(self):
        self.ensure_one()
        return self.invoice_ids._get_records_action(name=self.env._("Deposit Invoices"))
