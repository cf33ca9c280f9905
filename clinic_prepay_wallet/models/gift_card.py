# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Gift cards the clinic sells: cards of Odoo's gift card programs.

A gift card is sold like a course: a draft invoice of its amount (no VAT:
a multi-purpose voucher is taxed when it is spent) is its payment request,
posted when the money arrives, crediting the company's gift cards account.
Its points are the money left on it. Spending it posts an entry that moves
the amount from the gift cards account to the patient's receivable,
reconciled with the deposit or invoice it pays, so the accountant reads
each use as a payment of that document by the card.

A single-purpose voucher (the program's setting, for known treatments and
their VAT) is sold with that VAT, and pays a visit's invoice with a credit
note of the same VAT: the gift cards account is debited by the value
before VAT and the VAT paid at the sale is given back, so it is counted
once.
"""

from dateutil.relativedelta import relativedelta

from odoo import Command, api, fields, models
from odoo.exceptions import UserError

from .loyalty_card import CODE_ALPHABET


class LoyaltyCard(models.Model):
    # the gift card feature of the clinic's cards
    _inherit = "loyalty.card"  # pylint: disable=consider-merging-classes-inherited

    clinic_recipient_name = fields.Char(string="Recipient", readonly=True, copy=False)
    clinic_recipient_email = fields.Char(string="Recipient Email", readonly=True, copy=False)
    clinic_gift_message = fields.Text(string="Message", readonly=True, copy=False)
    clinic_sale_key = fields.Char(
        readonly=True, copy=False, index="btree_not_null", groups="base.group_system"
    )
    clinic_amount_sold = fields.Monetary(
        string="Amount Bought", readonly=True, copy=False, help="The gift card's value when sold."
    )
    clinic_holder_id = fields.Many2one(
        "res.partner",
        string="In the Wallet of",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The patient who added the gift card to their portal wallet with its code.",
    )

    def _clinic_open_form(self):
        self.ensure_one()
        view = (
            "clinic_prepay_wallet.loyalty_card_view_form_gift_card"
            if self._clinic_is_gift_card()
            else "clinic_prepay_wallet.loyalty_card_view_form_course"
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": "loyalty.card",
            "res_id": self.id,
            "view_mode": "form",
            "views": [(self.env.ref(view).id, "form")],
            "target": "current",
        }

    def _clinic_is_gift_card(self):
        self.ensure_one()
        return bool(self.sudo().program_id.clinic_gift_card)

    def _clinic_liability_account(self):
        self.ensure_one()
        company = self.company_id or self.env.company
        if self._clinic_is_gift_card():
            return company.clinic_gift_card_account_id
        return company.clinic_wallet_account_id

    # ------------------------------------------------------------------------
    # Selling
    # ------------------------------------------------------------------------

    @api.model
    def _clinic_sell_gift_card(
        self, program, buyer, amount, recipient_name, recipient_email, message
    ):
        """A pending gift card of ``amount`` bought by ``buyer`` for a
        recipient, with its payment request (a draft invoice, outside the
        ledger)."""
        program = program.sudo()
        if not (
            program.program_type == "gift_card" and program.clinic_gift_card and program.active
        ):
            raise UserError(self.env._("Pick a gift card the clinic sells."))
        if not buyer:
            raise UserError(self.env._("Say who buys the gift card."))
        currency = program.currency_id
        if currency.compare_amounts(amount or 0.0, 0.0) <= 0:
            raise UserError(self.env._("A gift card's amount is positive."))
        if (
            currency.compare_amounts(amount, program.clinic_amount_min) < 0
            or currency.compare_amounts(amount, program.clinic_amount_max) > 0
        ):
            raise UserError(
                self.env._(
                    "A gift card is sold for %(low)s to %(high)s.",
                    low=currency.format(program.clinic_amount_min),
                    high=currency.format(program.clinic_amount_max),
                )
            )
        recipient_name = (recipient_name or "").strip()
        recipient_email = (recipient_email or "").strip()
        if not recipient_name:
            raise UserError(self.env._("Say whom the gift card is for."))
        company = program.company_id or self.env.company
        company._clinic_ensure_accounting()
        # a single-purpose voucher is taxed when sold: its amount includes VAT
        taxes = (
            program._clinic_voucher_taxes(company)
            if program.clinic_voucher_type == "single"
            else self.env["account.tax"]
        )
        card = (
            self.sudo()
            .with_company(company)
            .with_context(loyalty_no_mail=True)
            .create(
                {
                    "program_id": program.id,
                    "partner_id": buyer.id,
                    "points": 0,
                    "clinic_state": "pending",
                    "clinic_amount_sold": currency.round(amount),
                    "clinic_recipient_name": recipient_name,
                    "clinic_recipient_email": recipient_email or False,
                    "clinic_gift_message": (message or "").strip() or False,
                }
            )
        )
        invoice = (
            self.env["account.move"]
            .sudo()
            .with_company(company)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": buyer.id,
                    "company_id": company.id,
                    "journal_id": company.clinic_journal_id.id,
                    "invoice_origin": card.code,
                    "clinic_wallet_card_id": card.id,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "product_id": program.clinic_product_id.id,
                                "name": self.env._(
                                    "%(program)s for %(recipient)s (%(code)s)",
                                    program=program.name,
                                    recipient=recipient_name,
                                    code=card.code,
                                ),
                                "quantity": 1.0,
                                "price_unit": card._clinic_untaxed_price(amount, taxes),
                                "tax_ids": [Command.set(taxes.ids)],
                                "account_id": company.clinic_gift_card_account_id.id,
                            }
                        )
                    ],
                }
            )
        )
        if taxes:
            self.env["clinic.deposit"]._fit_total(invoice, currency.round(amount))
        card.clinic_invoice_id = invoice
        return card

    def _clinic_untaxed_price(self, amount, taxes):
        """The unit price whose total with ``taxes`` is ``amount``."""
        excluded = sum(taxes.filtered(lambda tax: not tax.price_include).mapped("amount"))
        return self.currency_id.round(amount / (1 + excluded / 100))

    def _clinic_is_single_purpose(self):
        self.ensure_one()
        return self.sudo().program_id.clinic_voucher_type == "single"

    def _clinic_net_ratio(self):
        """What of the card's money its liability holds: all of it for a
        multi-purpose voucher, the part before VAT for a single-purpose one."""
        self.ensure_one()
        invoice = self.sudo().clinic_invoice_id
        if not self._clinic_is_single_purpose() or not invoice.amount_total:
            return 1.0
        return invoice.amount_untaxed / invoice.amount_total

    def _clinic_open_gift_card(self, value, today):
        """The gift card's money arrived: its amount is spendable, valid for
        the program's months, and the recipient gets the code."""
        self.ensure_one()
        self.write(
            {
                "clinic_state": "active",
                "points": self.clinic_amount_sold,
                "clinic_value_sold": value,
                "clinic_value": value,
                "clinic_paid_date": today,
                "expiration_date": today
                + relativedelta(months=self.program_id.clinic_validity_months),
            }
        )
        amount = self.currency_id.format(self.clinic_amount_sold)
        self._clinic_log(
            "sold",
            self.env._("Bought: %(amount)s", amount=amount),
            issued=self.clinic_amount_sold,
            amount=value,
            move=self.clinic_invoice_id,
        )
        self.message_post(
            body=self.env._(
                "Paid: %(amount)s for %(recipient)s, valid until %(date)s.",
                amount=amount,
                recipient=self.clinic_recipient_name,
                date=self.expiration_date,
            )
        )
        self._clinic_send_gift_card()

    def _clinic_expire_gift_card(self):
        """What is left on an expired gift card becomes breakage income in
        an entry dated the day after its last valid day, or stays owed
        (refundable), as the company decides."""
        self.ensure_one()
        card = self.sudo()
        company = card.company_id or self.env.company
        currency = company.currency_id
        amount = card.clinic_value
        left = card.points
        move = self.env["account.move"]
        breakage = company.clinic_wallet_expiry == "breakage"
        if breakage and not currency.is_zero(amount):
            move = card._clinic_post_entry(
                amount,
                company.clinic_breakage_account_id,
                self.env._(
                    "%(program)s expired: %(amount)s unused",
                    program=card.program_id.name,
                    amount=currency.format(left),
                ),
                date=card.expiration_date + relativedelta(days=1),
            )
        card.write(
            {
                "clinic_state": "expired",
                "points": 0,
                "clinic_value": card.clinic_value - (amount if breakage else 0.0),
            }
        )
        card._clinic_log(
            "expired",
            self.env._("Expired: %(amount)s unused", amount=currency.format(left))
            if breakage
            else self.env._(
                "Expired: %(amount)s unused, still refundable", amount=currency.format(left)
            ),
            used=left,
            amount=amount,
            move=move,
        )

    @api.model
    def _clinic_sale_key(self, address):
        return self.env["clinic.gift.card.attempt"]._visitor_key(address)

    @api.model
    def _clinic_sales_this_hour(self, key):
        # one visitor's sales are counted one request at a time
        self.env.cr.execute("SELECT pg_advisory_xact_lock(%s)", [int(key[15:30], 16)])
        return self.sudo().search_count(
            [
                ("clinic_sale_key", "=", key),
                ("create_date", ">", fields.Datetime.now() - relativedelta(hours=1)),
            ]
        )

    def _clinic_send_gift_card(self):
        """The recipient gets the code in a mail with a printable card."""
        template = self.env.ref("clinic_prepay_wallet.mail_template_gift_card_recipient")
        for card in self.sudo():
            if card.clinic_recipient_email or card.partner_id.email:
                template.send_mail(card.id, email_layout_xmlid="mail.mail_notification_light")

    def _clinic_get_print_url(self):
        """The printable card: the code is its secret, so is the link."""
        self.ensure_one()
        base = self.get_base_url()
        return f"{base}/gift-card/{self.id}/print?code={self.code}"

    # ------------------------------------------------------------------------
    # Spending
    # ------------------------------------------------------------------------

    @api.model
    def _clinic_normalize_code(self, code):
        code = "".join((code or "").split()).replace("-", "").upper()
        return code if code and set(code) <= set(CODE_ALPHABET) else ""

    @api.model
    def _clinic_find_gift_card(self, code, company):
        """The clinic's gift card of ``code`` in ``company``; a wrong code
        and another clinic's code get the same answer."""
        code = self._clinic_normalize_code(code)
        card = self.browse()
        if code:
            card = (
                self.sudo().with_context(active_test=False).search([("code", "=", code)], limit=1)
            )
        if (
            not card
            or not card.program_id.clinic_gift_card
            or (card.company_id or card.program_id.company_id or company) != company
            or card.clinic_state in (False, "cancelled")
        ):
            raise UserError(self.env._("This code is not one of our gift cards."))
        return card

    @api.model
    def _clinic_add_to_wallet(self, code, partner, company):
        """The gift card of ``code`` joins ``partner``'s portal wallet, where
        they follow its balance, expiry and history. Returns the card."""
        card = self._clinic_find_gift_card(code, company)
        card._clinic_lock()
        problem = card._clinic_gift_card_problem(fields.Date.context_today(self))
        if problem:
            raise UserError(problem)
        partner = partner.commercial_partner_id
        if card.clinic_holder_id and card.clinic_holder_id != partner:
            raise UserError(self.env._("This gift card is already in another patient's wallet."))
        if not card.clinic_holder_id:
            card.clinic_holder_id = partner
            card.message_post(
                body=self.env._(
                    "Added to the wallet of %(patient)s on the portal.", patient=partner.name
                )
            )
        return card

    def _clinic_gift_card_problem(self, on_date):
        """Why the gift card cannot pay today, or None."""
        self.ensure_one()
        card = self.sudo()
        if card.clinic_state == "pending":
            return self.env._("This gift card is not paid yet.")
        if card.clinic_state == "expired" or (
            card.expiration_date and on_date > card.expiration_date
        ):
            return self.env._("This gift card expired on %(date)s.", date=card.expiration_date)
        if (
            card.clinic_state in ("used", "refunded")
            or card.currency_id.compare_amounts(card.points, 0.0) <= 0
        ):
            return self.env._("This gift card has been used up.")
        return None

    def _clinic_redeem(self, invoice, amount, appointment=None):
        """``amount`` of the card pays the posted ``invoice``: an entry moves
        it from the gift cards account to the invoice's receivable, and is
        reconciled with it. The card's row is locked by the caller."""
        self.ensure_one()
        card = self.sudo()
        receivable = invoice.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable" and not line.reconciled
        )
        ref = self.env._("Gift card %(code)s on %(move)s", code=card.code, move=invoice.name)
        if card._clinic_is_single_purpose():
            move = card._clinic_redeem_single_purpose(invoice, amount, ref)
        else:
            move = card._clinic_redeem_entry(invoice, amount, ref, receivable)
        move.action_post()
        (
            receivable
            | move.line_ids.filtered(lambda line: line.account_id == receivable[:1].account_id)
        ).reconcile()
        card.points = card.currency_id.round(card.points - amount)
        card._clinic_sync_value()
        card._clinic_log(
            "used",
            self.env._(
                "Paid %(amount)s of %(move)s",
                amount=card.currency_id.format(amount),
                move=invoice.name,
            ),
            used=amount,
            amount=card.currency_id.round(amount * card._clinic_net_ratio()),
            move=move,
            appointment=appointment,
        )
        if card.currency_id.is_zero(card.points):
            card.clinic_state = "used"
        return move

    def _clinic_redeem_single_purpose(self, invoice, amount, ref):
        """A single-purpose voucher pays with a credit note of the invoice:
        its line, with the voucher's VAT, debits the gift cards account by
        the value before VAT and gives back the VAT paid when it was sold,
        so the visit's VAT is counted once."""
        card = self.sudo()
        company = card.company_id or invoice.company_id
        taxes = card.program_id._clinic_voucher_taxes(company)
        credit_note = (
            self.env["account.move"]
            .sudo()
            .with_company(company)
            .create(
                {
                    "move_type": "out_refund",
                    "partner_id": invoice.commercial_partner_id.id,
                    "journal_id": invoice.journal_id.id,
                    "ref": ref,
                    "clinic_wallet_card_id": card.id,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "name": ref,
                                "quantity": 1.0,
                                "price_unit": card._clinic_untaxed_price(amount, taxes),
                                "tax_ids": [Command.set(taxes.ids)],
                                "account_id": company.clinic_gift_card_account_id.id,
                            }
                        )
                    ],
                }
            )
        )
        self.env["clinic.deposit"]._fit_total(credit_note, amount)
        return credit_note

    def _clinic_redeem_entry(self, invoice, amount, ref, receivable):
        """A multi-purpose voucher pays with an entry from the gift cards
        account to the invoice's receivable."""
        card = self.sudo()
        company = card.company_id or invoice.company_id
        return (
            self.env["account.move"]
            .sudo()
            .with_company(company)
            .create(
                {
                    "move_type": "entry",
                    "journal_id": company.clinic_forfeit_journal_id.id,
                    "date": fields.Date.context_today(self),
                    "ref": ref,
                    "clinic_wallet_card_id": card.id,
                    "line_ids": [
                        Command.create(
                            {
                                "name": ref,
                                "account_id": company.clinic_gift_card_account_id.id,
                                "partner_id": card.partner_id.id,
                                "debit": amount,
                            }
                        ),
                        Command.create(
                            {
                                "name": ref,
                                "account_id": receivable[:1].account_id.id,
                                "partner_id": invoice.commercial_partner_id.id,
                                "credit": amount,
                            }
                        ),
                    ],
                }
            )
        )


class ClinicAppointment(models.Model):
    # the gift card payments of a booking
    _inherit = "clinic.appointment"  # pylint: disable=consider-merging-classes-inherited

    gift_card_paid = fields.Monetary(
        compute="_compute_gift_card_paid",
        string="Paid by Gift Card",
        help="What gift cards paid of this visit's deposit and invoice.",
    )

    def _compute_gift_card_paid(self):
        History = self.env["loyalty.history"].sudo()
        groups = (
            History._read_group(
                [
                    ("order_model", "=", self._name),
                    ("order_id", "in", self.ids),
                    ("clinic_kind", "=", "used"),
                    ("card_id.program_id.clinic_gift_card", "=", True),
                ],
                ["order_id"],
                # the money paid (a gift card's points), VAT included
                ["used:sum"],
            )
            if self.ids
            else []
        )
        paid = dict(groups)
        for appointment in self:
            appointment.gift_card_paid = paid.get(appointment.id, 0.0)

    def _clinic_gift_card_due(self):
        """What a gift card may pay now: the open deposit of a booking
        waiting for it, else what the visit's final invoice still asks."""
        self.ensure_one()
        appointment = self.sudo()
        if appointment.state == "awaiting_payment":
            deposit = appointment.deposit_ids.filtered(lambda d: d.state == "pending")[:1]
            if deposit and not deposit.currency_id.is_zero(deposit.amount_residual):
                return deposit, deposit.amount_residual
        invoice = appointment.final_invoice_id
        if (
            invoice.state == "posted"
            and invoice.payment_state not in ("paid", "in_payment", "reversed")
            and not invoice.currency_id.is_zero(invoice.amount_residual)
        ):
            return invoice, invoice.amount_residual
        return None, 0.0

    def _clinic_check_gift_card_due(self):
        """What a gift card may pay now, as :meth:`_clinic_gift_card_due`;
        a clear refusal when nothing is due."""
        target, due = self._clinic_gift_card_due()
        if not target:
            raise UserError(
                self.env._("Nothing is due on %(ref)s for a gift card to pay.", ref=self.name)
            )
        return target, due

    def _clinic_pay_with_gift_card(self, code, amount=None):
        """Pay the deposit or the final invoice with the gift card of
        ``code``, fully or up to ``amount``; the rest stays to pay as before.
        Returns the amount paid. Everything is checked before anything is
        written."""
        self.ensure_one()
        appointment = self.sudo()
        company = appointment.company_id
        Card = self.env["loyalty.card"].sudo()
        card = Card._clinic_find_gift_card(code, company)
        card._clinic_lock()
        problem = card._clinic_gift_card_problem(appointment._clinic_today())
        if problem:
            raise UserError(problem)
        target, due = appointment._clinic_check_gift_card_due()
        currency = company.currency_id
        if card._clinic_is_single_purpose():
            if target._name == "clinic.deposit":
                raise UserError(
                    self.env._(
                        "This gift card pays the invoice of the visit, not its deposit: its VAT"
                        " was paid when it was bought. Pay the deposit another way."
                    )
                )
            if appointment.treatment_id not in card.program_id.clinic_treatment_ids:
                raise UserError(
                    self.env._(
                        "This gift card is for %(treatments)s only.",
                        treatments=", ".join(card.program_id.clinic_treatment_ids.mapped("name")),
                    )
                )
        if amount is None:
            amount = min(card.points, due)
        amount = currency.round(amount)
        if currency.compare_amounts(amount, 0.0) <= 0:
            raise UserError(self.env._("A gift card pays a positive amount."))
        if currency.compare_amounts(amount, card.points) > 0:
            raise UserError(
                self.env._(
                    "The gift card holds %(balance)s, less than %(amount)s.",
                    balance=currency.format(card.points),
                    amount=currency.format(amount),
                )
            )
        if currency.compare_amounts(amount, due) > 0:
            raise UserError(
                self.env._(
                    "%(amount)s is more than the %(due)s due.",
                    amount=currency.format(amount),
                    due=currency.format(due),
                )
            )
        if target._name == "clinic.deposit":
            invoice = target._invoice_for_money(amount)
        else:
            invoice = target
        card._clinic_redeem(invoice, amount, appointment)
        self.invalidate_recordset(["gift_card_paid"])
        appointment.message_post(
            body=self.env._(
                "%(amount)s paid by gift card %(code)s on %(move)s.",
                amount=currency.format(amount),
                code=card.code[-4:].rjust(len(card.code), "•"),
                move=invoice.name,
            )
        )
        if target._name == "clinic.deposit":
            # a refund of this money goes back to the patient's credit
            target.amount_from_credit += amount
            target._sync_money()
        return amount

    def _clinic_today(self):
        self.ensure_one()
        tz = self.company_id._get_clinic_tz()
        return fields.Date.context_today(self.with_context(tz=tz))

    def action_pay_with_gift_card(self):
        """The desk takes a gift card for the deposit or the final invoice."""
        self.ensure_one()
        self._check_workflow_access()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Pay with a Gift Card"),
            "res_model": "clinic.gift.card.pay",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_appointment_id": self.id},
        }
