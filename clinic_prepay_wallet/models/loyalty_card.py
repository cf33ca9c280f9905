# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import secrets

from dateutil.relativedelta import relativedelta

from odoo import Command, api, fields, models
from odoo.addons.clinic_prepay.models.clinic_appointment import invoice_payment_link
from odoo.exceptions import AccessError, UserError

# a code is read out on the phone: no 0/O, 1/I
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 16
# fields of Odoo's card that hold a clinic card's value and identity
CARD_VALUE_FIELDS = frozenset(
    {"points", "code", "partner_id", "expiration_date", "program_id", "active"}
)


class LoyaltyCard(models.Model):
    """A course a patient bought: the points are the sessions still free to
    book. Until it is paid it is a payment request (a draft invoice outside
    the ledger); paid, its price (before taxes) is a liability on the
    company's prepaid courses account, and every session used moves its
    share to revenue in an entry of its own, as expiry moves what is left
    to breakage income. The card's value fields change only through these
    methods, in sudo mode."""

    _name = "loyalty.card"
    _inherit = ["loyalty.card", "clinic.guard.mixin"]

    clinic_state = fields.Selection(
        [
            ("pending", "Awaiting Payment"),
            ("active", "Active"),
            ("used", "Used Up"),
            ("expired", "Expired"),
            ("refunded", "Refunded"),
            ("cancelled", "Cancelled"),
        ],
        string="Course Status",
        readonly=True,
        copy=False,
        index="btree_not_null",
    )
    clinic_invoice_id = fields.Many2one(
        "account.move",
        string="Sale Invoice",
        readonly=True,
        copy=False,
        help="The payment request of the course; posted when its money arrives.",
    )
    clinic_sessions_total = fields.Integer(string="Sessions Bought", readonly=True, copy=False)
    clinic_sessions_used = fields.Integer(
        string="Sessions Used", readonly=True, copy=False, help="Visits done or missed."
    )
    clinic_sessions_expired = fields.Integer(string="Sessions Expired", readonly=True, copy=False)
    clinic_sessions_reserved = fields.Integer(
        string="Sessions Booked",
        compute="_compute_clinic_sessions_reserved",
        help="Sessions booked for visits still ahead.",
    )
    clinic_value_sold = fields.Monetary(
        string="Price Held",
        readonly=True,
        copy=False,
        help="The course's price before taxes, held as a liability when it was paid.",
    )
    clinic_value = fields.Monetary(
        string="Value Left",
        readonly=True,
        copy=False,
        help="What the prepaid courses account still holds for this course.",
    )
    clinic_sessions_refunded = fields.Integer(
        string="Sessions Refunded", readonly=True, copy=False
    )
    clinic_amount_refundable = fields.Monetary(
        string="Refundable",
        readonly=True,
        copy=False,
        help="Money (taxes included) the course gives back for its unused sessions, not"
        " refunded yet.",
    )
    clinic_amount_refunded = fields.Monetary(string="Refunded", readonly=True, copy=False)
    clinic_refund_request_ids = fields.One2many(
        "clinic.refund.request", "wallet_card_id", string="Refund Requests", readonly=True
    )
    clinic_paid_date = fields.Date(string="Paid On", readonly=True, copy=False)
    clinic_appointment_ids = fields.One2many(
        "clinic.appointment", "wallet_card_id", string="Course Appointments", readonly=True
    )
    clinic_move_ids = fields.One2many(
        "account.move", "clinic_wallet_card_id", string="Course Entries", readonly=True
    )

    @api.model
    def _generate_code(self):
        """Random codes of 16 characters, for all cards: a code is what lets
        someone spend a card."""
        return "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))

    @api.depends("clinic_appointment_ids.wallet_session_state")
    def _compute_clinic_sessions_reserved(self):
        for card in self:
            card.clinic_sessions_reserved = len(
                card.clinic_appointment_ids.filtered(
                    lambda a: a.wallet_session_state == "reserved"
                )
            )

    def _compute_display_name(self):
        res = super()._compute_display_name()
        for card in self.filtered("clinic_state"):
            if card.program_id.clinic_gift_card:
                card.display_name = self.env._(
                    "%(program)s: %(left)s left (%(code)s)",
                    program=card.program_id.name,
                    left=card.currency_id.format(card.points),
                    code=card.code,
                )
                continue
            card.display_name = self.env._(
                "%(course)s: %(left)s of %(total)s sessions left (%(code)s)",
                course=card.program_id.name,
                left=int(card.points),
                total=card.clinic_sessions_total,
                code=card.code,
            )
        return res

    # ------------------------------------------------------------------------
    # Write guard
    # ------------------------------------------------------------------------

    def _clinic_cards(self):
        return self.sudo().filtered(
            lambda card: (
                card.clinic_state
                or card.program_id.program_type == "clinic_course"
                or card.program_id.clinic_gift_card
            )
        )

    @api.model_create_multi
    def create(self, vals_list):
        self._clinic_check_create(vals_list)
        if not self.env.su:
            programs = (
                self.env["loyalty.program"]
                .sudo()
                .browse(
                    [
                        vals.get("program_id") or self.env.context.get("active_id")
                        for vals in vals_list
                    ]
                )
            )
            if "clinic_course" in programs.mapped("program_type") or any(
                programs.mapped("clinic_gift_card")
            ):
                raise AccessError(
                    self.env._("A course is sold to a patient (Sell a Course), not created.")
                )
        return super().create(vals_list)

    def write(self, vals):
        self._clinic_check_write(vals)
        if not self.env.su and CARD_VALUE_FIELDS & set(vals) and self._clinic_cards():
            raise AccessError(
                self.env._(
                    "A course's sessions, code, owner and expiry change only through the"
                    " clinic's actions (pay, book, expire, adjust by a manager)."
                )
            )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_clinic_course(self):
        if self._clinic_cards().filtered(lambda c: c.clinic_state not in (False, "cancelled")):
            raise UserError(self.env._("A course that was sold is kept; it is not deleted."))

    # ------------------------------------------------------------------------
    # Selling
    # ------------------------------------------------------------------------

    @api.model
    def _clinic_sell_course(self, program, partner):
        """A pending course of ``program`` for ``partner``, with its payment
        request: a draft invoice of the course product on the prepaid
        courses account."""
        program = program.sudo()
        if program.program_type != "clinic_course" or not program.active:
            raise UserError(self.env._("Pick a course the clinic sells."))
        if not partner:
            raise UserError(self.env._("Pick the patient who buys the course."))
        company = program.company_id or self.env.company
        company._clinic_ensure_accounting()
        program._check_clinic_course()
        card = (
            self.sudo()
            .with_company(company)
            .create(
                {
                    "program_id": program.id,
                    "partner_id": partner.id,
                    "points": 0,
                    "clinic_state": "pending",
                    "clinic_sessions_total": program.clinic_session_count,
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
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "journal_id": company.clinic_journal_id.id,
                    "invoice_origin": card.code,
                    "clinic_wallet_card_id": card.id,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "product_id": program.clinic_product_id.id,
                                "name": self.env._(
                                    "%(course)s: %(count)s sessions (%(code)s)",
                                    course=program.name,
                                    count=program.clinic_session_count,
                                    code=card.code,
                                ),
                                "quantity": 1.0,
                                "price_unit": program.clinic_price,
                                "account_id": company.clinic_wallet_account_id.id,
                            }
                        )
                    ],
                }
            )
        )
        card.clinic_invoice_id = invoice
        return card

    def _clinic_check_pending(self):
        for card in self:
            if card.clinic_state != "pending" or card.clinic_invoice_id.state != "draft":
                raise UserError(
                    self.env._("%(code)s is not waiting for its payment.", code=card.code)
                )

    def _clinic_get_payment_link(self):
        """Odoo's payment link (``/payment/pay``) of the course's price: the
        amount is fixed server-side and signed in the token."""
        self.ensure_one()
        invoice = self.sudo().clinic_invoice_id
        if self.clinic_state != "pending" or invoice.state != "draft":
            return False
        return invoice_payment_link(self.env, invoice, invoice.amount_total)

    def _clinic_check_desk(self):
        """The caller is the clinic's staff, for cards of its companies."""
        if not self.env.user.has_group("clinic_prepay.group_clinic_user"):
            raise AccessError(self.env._("Only the clinic's staff sells courses."))
        self.check_access("read")
        if self.company_id - self.env.companies:
            raise AccessError(self.env._("This course belongs to a company you do not work for."))

    def action_send_payment_link(self):
        """Mail the patient the payment link of the course."""
        self._clinic_check_desk()
        self._clinic_check_pending()
        for card in self.sudo():
            template = self.env.ref(
                "clinic_prepay_wallet.mail_template_gift_card_payment_link"
                if card._clinic_is_gift_card()
                else "clinic_prepay_wallet.mail_template_course_payment_link"
            )
            if not card.partner_id.email:
                raise UserError(
                    self.env._(
                        "%(patient)s has no email address: read the link out instead.",
                        patient=card.partner_id.name,
                    )
                )
            card.message_post_with_source(template, subtype_xmlid="mail.mt_comment")
        return True

    def action_adjust(self):
        """A manager adjusts the card, saying why."""
        self.ensure_one()
        if not self.env.user.has_group("clinic_prepay.group_clinic_manager"):
            raise AccessError(self.env._("Only a clinic manager adjusts a wallet."))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Adjust"),
            "res_model": "clinic.wallet.adjust",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_card_id": self.id},
        }

    def action_take_payment(self):
        """The desk takes the course's price (cash, card terminal)."""
        self.ensure_one()
        self._clinic_check_desk()
        self._clinic_check_pending()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Take a Payment"),
            "res_model": "clinic.wallet.payment",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_card_id": self.id},
        }

    def action_cancel_course(self):
        """Withdraw a course that was never paid: its request is cancelled."""
        self._clinic_check_desk()
        self._clinic_check_pending()
        for card in self.sudo():
            card._clinic_lock()
            card.clinic_invoice_id.button_cancel()
            card.write({"clinic_state": "cancelled", "active": False})
        return True

    def _clinic_lock(self):
        """Lock the cards' rows: sessions and value move one at a time (a
        second worker waits, then fails to serialize and is retried as
        every Odoo request is, reading what the first one left)."""
        if self.ids:
            self.env.cr.execute(
                "SELECT id FROM loyalty_card WHERE id IN %s ORDER BY id FOR NO KEY UPDATE",
                [tuple(self.ids)],
            )
            self.invalidate_recordset()

    def _clinic_register_desk_payment(self, journal, payment_method_line=None, payment_date=None):
        """The price taken at the desk: the invoice is posted and Odoo's
        register-payment reconciles the money with it, in one transaction."""
        self.ensure_one()
        self._clinic_lock()
        self._clinic_check_pending()
        invoice = self.clinic_invoice_id
        invoice.action_post()
        wizard = (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create(
                {
                    "journal_id": journal.id,
                    "amount": invoice.amount_total,
                    "payment_date": payment_date or fields.Date.context_today(self),
                    "communication": invoice.name,
                    **(
                        {"payment_method_line_id": payment_method_line.id}
                        if payment_method_line
                        else {}
                    ),
                }
            )
        )
        return wizard._create_payments()

    def _clinic_on_paid(self):
        """The sale invoice is paid (online, at the desk, by bank): the course
        opens with all its sessions, valid from today."""
        for card in self.sudo():
            card._clinic_lock()
            if card.clinic_state != "pending":
                continue
            invoice = card.clinic_invoice_id
            company = card.company_id or invoice.company_id
            today = fields.Date.context_today(card.with_context(tz=company._get_clinic_tz()))
            value = company.currency_id.round(
                sum(
                    -line.balance
                    for line in invoice.line_ids
                    if line.account_id == card._clinic_liability_account()
                )
            )
            if card._clinic_is_gift_card():
                card._clinic_open_gift_card(value, today)
                continue
            if not card.partner_id.clinic_bought_course:
                card.partner_id.clinic_bought_course = True
            card.write(
                {
                    "clinic_state": "active",
                    "points": card.clinic_sessions_total,
                    "clinic_value_sold": value,
                    "clinic_value": value,
                    "clinic_paid_date": today,
                    "expiration_date": today
                    + relativedelta(months=card.program_id.clinic_validity_months),
                }
            )
            card._clinic_log(
                "sold",
                self.env._("Bought: %(count)s sessions", count=card.clinic_sessions_total),
                issued=card.clinic_sessions_total,
                amount=value,
                move=invoice,
            )
            card.message_post(
                body=self.env._(
                    "Paid: %(count)s sessions of %(course)s, valid until %(date)s.",
                    count=card.clinic_sessions_total,
                    course=card.program_id.name,
                    date=card.expiration_date,
                )
            )

    # ------------------------------------------------------------------------
    # Sessions
    # ------------------------------------------------------------------------

    def _clinic_log(
        self, kind, description, issued=0.0, used=0.0, amount=0.0, move=None, appointment=None
    ):
        self.ensure_one()
        return (
            self.env["loyalty.history"]
            .sudo()
            .create(
                {
                    "card_id": self.id,
                    "clinic_kind": kind,
                    "description": description,
                    "issued": issued,
                    "used": used,
                    "clinic_amount": amount,
                    "clinic_move_id": move.id if move else False,
                    "order_model": appointment and appointment._name,
                    "order_id": appointment.id if appointment else False,
                }
            )
        )

    def _clinic_is_usable_for(self, appointment):
        """Why the course cannot pay ``appointment``'s visit, or None."""
        self.ensure_one()
        card = self.sudo()
        if card.clinic_state != "active":
            return self.env._("%(code)s is not an active course.", code=card.code)
        if card.partner_id != appointment.patient_id:
            return self.env._("The course %(code)s belongs to another patient.", code=card.code)
        if not card.program_id._clinic_covers(appointment.treatment_id):
            return self.env._(
                "The course %(code)s is not for %(treatment)s.",
                code=card.code,
                treatment=appointment.treatment_id.name,
            )
        if card.company_id and card.company_id != appointment.company_id:
            return self.env._("The course %(code)s is of another clinic.", code=card.code)
        if card.points < 1:
            return self.env._("The course %(code)s has no session left.", code=card.code)
        if card.expiration_date and appointment._clinic_local_date() > card.expiration_date:
            return self.env._(
                "The course %(code)s is valid until %(date)s, before this visit.",
                code=card.code,
                date=card.expiration_date,
            )
        return None

    def _clinic_reserve(self, appointment):
        """Book a session of the course for ``appointment``; returns its
        number ("session 3 of 6")."""
        self.ensure_one()
        card = self.sudo()
        card._clinic_lock()
        problem = card._clinic_is_usable_for(appointment)
        if problem:
            raise UserError(problem)
        card.points -= 1
        number = card.clinic_sessions_total - int(card.points)
        card._clinic_log(
            "reserved",
            self.env._(
                "Session %(number)s of %(total)s booked: %(ref)s",
                number=number,
                total=card.clinic_sessions_total,
                ref=appointment.name,
            ),
            used=1,
            appointment=appointment,
        )
        return number

    def _clinic_release(self, appointment):
        """The booking is cancelled in time: its session is free again."""
        self.ensure_one()
        card = self.sudo()
        card._clinic_lock()
        card.points += 1
        if card.clinic_state == "used":
            card.clinic_state = "active"
        card._clinic_log(
            "returned",
            self.env._("Session given back: %(ref)s cancelled", ref=appointment.name),
            issued=1,
            appointment=appointment,
        )

    def _clinic_session_share(self):
        """What one session moves from the liability to revenue: an equal
        share of the value left over the sessions still open (booked or
        not), so sessions given or taken off by a manager spread it again;
        the course's last session takes what is left."""
        self.ensure_one()
        currency = self.currency_id or self.company_id.currency_id
        open_sessions = (
            self.clinic_sessions_total
            - self.clinic_sessions_used
            - self.clinic_sessions_expired
            - self.clinic_sessions_refunded
        )
        if open_sessions <= 1:
            return self.clinic_value
        return min(currency.round(self.clinic_value / open_sessions), self.clinic_value)

    def _clinic_post_entry(self, amount, account, label, appointment=None, date=None):
        """An entry moving ``amount`` from the card's liability account to
        ``account`` (a negative amount moves it the other way), for this
        card's patient."""
        self.ensure_one()
        company = self.company_id or appointment.company_id
        company._clinic_ensure_accounting()
        ref = f"{appointment.name}: {label}" if appointment else label
        move = (
            self.env["account.move"]
            .sudo()
            .with_company(company)
            .create(
                {
                    "move_type": "entry",
                    "journal_id": company.clinic_forfeit_journal_id.id,
                    "date": date or fields.Date.context_today(self),
                    "ref": ref,
                    "clinic_wallet_card_id": self.id,
                    "line_ids": [
                        Command.create(
                            {
                                "name": f"{ref} ({self.code})",
                                "account_id": self._clinic_liability_account().id,
                                "partner_id": self.partner_id.id,
                                "debit": max(amount, 0.0),
                                "credit": max(-amount, 0.0),
                            }
                        ),
                        Command.create(
                            {
                                "name": f"{ref} ({self.code})",
                                "account_id": account.id,
                                "partner_id": self.partner_id.id,
                                "debit": max(-amount, 0.0),
                                "credit": max(amount, 0.0),
                            }
                        ),
                    ],
                }
            )
        )
        move.action_post()
        return move

    def _clinic_consume(self, appointment, why):
        """The session of ``appointment`` is used (visit done, missed or
        cancelled late): its share of the price becomes the treatment's
        revenue. Returns the entry."""
        self.ensure_one()
        card = self.sudo()
        card._clinic_lock()
        amount = card._clinic_session_share()
        company = card.company_id or appointment.company_id
        income = appointment.treatment_id.product_id.product_tmpl_id.with_company(
            company
        )._get_product_accounts()["income"]
        label = self.env._(
            "course session %(number)s of %(total)s, %(why)s",
            number=appointment.wallet_session_no,
            total=card.clinic_sessions_total,
            why=why,
        )
        move = (
            card._clinic_post_entry(amount, income, label, appointment)
            if not card.currency_id.is_zero(amount)
            else self.env["account.move"]
        )
        card.write(
            {
                "clinic_value": card.clinic_value - amount,
                "clinic_sessions_used": card.clinic_sessions_used + 1,
            }
        )
        card._clinic_log(
            "used",
            self.env._("Session used: %(ref)s, %(why)s", ref=appointment.name, why=why),
            amount=amount,
            move=move,
            appointment=appointment,
        )
        return move

    def _clinic_unconsume(self, appointment):
        """A missed visit is undone: the session is booked again and its
        revenue entry reversed."""
        self.ensure_one()
        card = self.sudo()
        card._clinic_lock()
        move = appointment.sudo().wallet_move_id
        amount = 0.0
        if move:
            amount = sum(
                move.line_ids.filtered(
                    lambda line: line.account_id == card._clinic_liability_account()
                ).mapped("debit")
            )
            move._reverse_moves(
                [
                    {
                        "ref": self.env._("Undone: %(ref)s", ref=move.ref),
                        "clinic_wallet_card_id": card.id,
                    }
                ],
                cancel=True,
            )
        card.write(
            {
                "clinic_value": card.clinic_value + amount,
                "clinic_sessions_used": card.clinic_sessions_used - 1,
                "clinic_state": "active" if card.clinic_state == "used" else card.clinic_state,
            }
        )
        card._clinic_log(
            "adjusted",
            self.env._("No-show undone: %(ref)s", ref=appointment.name),
            amount=-amount,
            appointment=appointment,
        )

    def _clinic_adjust(self, delta, reason):
        """A manager's adjustment: ``delta`` sessions of a course or money
        of a gift card, added (positive) or taken off. The value it moves
        is posted between the card's liability and the breakage income
        account (wallet adjustments), and logged with its reason."""
        self.ensure_one()
        if not self.env.su and not self.env.user.has_group("clinic_prepay.group_clinic_manager"):
            raise AccessError(self.env._("Only a clinic manager adjusts a wallet."))
        self.check_access("read")
        reason = (reason or "").strip()
        if not reason:
            raise UserError(self.env._("Say why the wallet is adjusted."))
        card = self.sudo()
        card._clinic_lock()
        if card.clinic_state not in ("active", "used"):
            raise UserError(
                self.env._(
                    "Only an active or used-up card is adjusted; %(code)s is not.", code=card.code
                )
            )
        company = card.company_id or self.env.company
        company._clinic_ensure_accounting()
        currency = company.currency_id
        if card._clinic_is_gift_card():
            amount = currency.round(delta or 0.0)
            if currency.is_zero(amount):
                raise UserError(self.env._("An adjustment changes the balance."))
            if currency.compare_amounts(card.points + amount, 0.0) < 0:
                raise UserError(
                    self.env._(
                        "The gift card holds %(balance)s; it cannot lose %(amount)s.",
                        balance=currency.format(card.points),
                        amount=currency.format(-amount),
                    )
                )
            label = self.env._(
                "Gift card adjusted by %(amount)s: %(reason)s",
                amount=currency.format(amount),
                reason=reason,
            )
            points = currency.round(card.points + amount)
            vals = {"points": points}
            change = amount
            # a single-purpose voucher's account holds its value before VAT
            amount = currency.round(amount * card._clinic_net_ratio())
        else:
            sessions = int(delta or 0)
            if sessions != (delta or 0) or not sessions:
                raise UserError(self.env._("A course is adjusted by a whole number of sessions."))
            if card.points + sessions < 0:
                raise UserError(
                    self.env._(
                        "The course has %(left)s sessions left to book; it cannot lose %(count)s.",
                        left=int(card.points),
                        count=-sessions,
                    )
                )
            open_sessions = (
                card.clinic_sessions_total
                - card.clinic_sessions_used
                - card.clinic_sessions_expired
                - card.clinic_sessions_refunded
            )
            # sessions given move no money; sessions taken off take their
            # share of the value left with them
            amount = (
                -currency.round(card.clinic_value * -sessions / open_sessions)
                if sessions < 0
                else 0.0
            )
            label = self.env._(
                "Course adjusted by %(count)s sessions: %(reason)s", count=sessions, reason=reason
            )
            points = card.points + sessions
            vals = {
                "points": points,
                "clinic_sessions_total": card.clinic_sessions_total + sessions,
            }
            change = sessions
        # the entry moves money into the liability for a positive amount
        move = (
            card._clinic_post_entry(-amount, company.clinic_breakage_account_id, label)
            if not currency.is_zero(amount)
            else self.env["account.move"]
        )
        if currency.compare_amounts(points, 0.0) > 0 and card.clinic_state == "used":
            vals["clinic_state"] = "active"
        card.write(vals)
        card._clinic_sync_value()
        card._clinic_log(
            "adjusted",
            label,
            issued=max(change, 0),
            used=max(-change, 0),
            amount=-amount,
            move=move,
        )
        card.message_post(body=label)
        if card._clinic_is_gift_card():
            if currency.is_zero(card.points):
                card.clinic_state = "used"
        else:
            card._clinic_check_used_up()
        return move

    def _clinic_check_used_up(self):
        for card in self:
            if (
                card.clinic_state == "active"
                and card.points < 1
                and not card.clinic_sessions_reserved
                and card.currency_id.is_zero(card.clinic_value)
            ):
                card.clinic_state = "used"

    # ------------------------------------------------------------------------
    # Expiry
    # ------------------------------------------------------------------------

    @api.model
    def _cron_expire_courses(self, batch_size=200):
        """Courses whose validity ended (the clinic's day): the sessions not
        booked expire. Their value becomes breakage income in an entry dated
        the day after the last valid day, or stays refundable, as the
        company decides."""
        cards = self.sudo().search(
            [("clinic_state", "=", "active"), ("expiration_date", "!=", False)],
            order="expiration_date, id",
        )
        done = self.browse()
        for card in cards:
            company = card.company_id or self.env.company
            today = fields.Date.context_today(card.with_context(tz=company._get_clinic_tz()))
            if card.expiration_date >= today:
                continue
            card._clinic_expire()
            done |= card
            if len(done) >= batch_size:
                break
        return done

    def _clinic_expire(self):
        self.ensure_one()
        card = self.sudo()
        card._clinic_lock()
        if card.clinic_state != "active":
            return
        company = card.company_id or self.env.company
        if card._clinic_is_gift_card():
            return card._clinic_expire_gift_card()
        count = int(card.points)
        currency = company.currency_id
        if card.clinic_sessions_reserved:
            amount = min(currency.round(card._clinic_session_share() * count), card.clinic_value)
        else:
            amount = card.clinic_value
        date = card.expiration_date + relativedelta(days=1)
        move = self.env["account.move"]
        breakage = company.clinic_wallet_expiry == "breakage"
        if breakage and not currency.is_zero(amount):
            move = card._clinic_post_entry(
                amount,
                company.clinic_breakage_account_id,
                self.env._(
                    "%(course)s expired: %(count)s sessions unused",
                    course=card.program_id.name,
                    count=count,
                ),
                date=date,
            )
        card.write(
            {
                "clinic_state": "expired",
                "points": 0,
                "clinic_sessions_expired": card.clinic_sessions_expired + count,
                "clinic_value": card.clinic_value - (amount if breakage else 0.0),
            }
        )
        card._clinic_log(
            "expired",
            self.env._("Expired: %(count)s sessions unused", count=count)
            if breakage
            else self.env._("Expired: %(count)s sessions unused, still refundable", count=count),
            used=count,
            amount=amount,
            move=move,
        )

    # ------------------------------------------------------------------------
    # Refund of unused sessions
    # ------------------------------------------------------------------------

    def action_request_refund(self):
        """The patient gives up the sessions not booked: they are withdrawn
        now, the share the course's policy keeps becomes income, and a
        refund request of the rest (taxes included, pro rata of the price)
        goes to a manager. Returns the request."""
        self.ensure_one()
        self._clinic_check_desk()
        card = self.sudo()
        card._clinic_lock()
        expired_refundable = card.clinic_state == "expired" and not card.currency_id.is_zero(
            card.clinic_value
        )
        if card.clinic_state != "active" and not expired_refundable:
            raise UserError(
                self.env._("%(code)s has no unused session to refund.", code=card.code)
            )
        count = int(card.points)
        currency = card.currency_id
        invoice = card.clinic_invoice_id
        # what the account holds beyond the booked sessions and the refunds
        # already asked
        reserved_value = currency.round(
            card._clinic_session_share() * card.clinic_sessions_reserved
        )
        asked = currency.round(
            card.clinic_amount_refundable * invoice.amount_untaxed / invoice.amount_total
        )
        unused = currency.round(card.clinic_value - reserved_value - asked)
        if (card.clinic_state == "active" and count < 1) or currency.compare_amounts(
            unused, 0.0
        ) <= 0:
            raise UserError(
                self.env._("%(code)s has no unused session to refund.", code=card.code)
            )
        company = card.company_id
        kept = currency.round(unused * card.program_id.clinic_refund_keep_percent / 100)
        if not currency.is_zero(kept):
            card._clinic_post_entry(
                kept,
                company.clinic_fee_account_id,
                self.env._(
                    "%(course)s refunded: %(percent)s %% kept by its policy",
                    course=card.program_id.name,
                    percent=card.program_id.clinic_refund_keep_percent,
                ),
            )
        refundable = currency.round(
            (unused - kept) * invoice.amount_total / invoice.amount_untaxed
        )
        card.write(
            {
                "points": 0,
                "clinic_sessions_refunded": card.clinic_sessions_refunded + count,
                "clinic_amount_refundable": card.clinic_amount_refundable + refundable,
            }
        )
        card._clinic_sync_value()
        card._clinic_log(
            "refunded",
            self.env._(
                "Refund asked: %(count)s unused sessions, %(amount)s to give back",
                count=count,
                amount=currency.format(refundable),
            ),
            used=count,
            amount=unused,
        )
        request = (
            self.env["clinic.refund.request"]
            .sudo()
            .create(
                {
                    "wallet_card_id": card.id,
                    "amount": refundable,
                    "reason": self.env._(
                        "%(count)s unused sessions of %(course)s, pro rata of its price"
                        " less %(percent)s %% kept by its policy.",
                        count=count,
                        course=card.program_id.name,
                        percent=card.program_id.clinic_refund_keep_percent,
                    ),
                }
            )
        )
        request.action_submit()
        return request.with_env(self.env)

    def _clinic_sync_value(self):
        """The value left is what the prepaid courses account holds for the
        course: read from the ledger."""
        for card in self.sudo():
            company = card.company_id
            lines = self.env["account.move.line"].search(
                [
                    ("move_id.clinic_wallet_card_id", "=", card.id),
                    ("account_id", "=", card._clinic_liability_account().id),
                    ("parent_state", "=", "posted"),
                ]
            )
            card.clinic_value = company.currency_id.round(-sum(lines.mapped("balance")))

    # --- as the source of refund requests (see clinic.refund.request) -----

    def _refund_goes_to_credit(self):
        return False

    def _get_refund_requests(self):
        self.ensure_one()
        return self.clinic_refund_request_ids

    def _get_refund_transactions(self):
        self.ensure_one()
        return self.sudo().clinic_invoice_id.transaction_ids

    def _get_refund_payments(self):
        self.ensure_one()
        return (
            self.sudo()
            .clinic_invoice_id._get_reconciled_payments()
            .filtered(lambda p: p.payment_type == "inbound")
        )

    def _get_refund_partner(self):
        """Who paid the course."""
        self.ensure_one()
        payments = self._get_refund_payments()
        return (payments.partner_id or self.clinic_invoice_id.partner_id)[:1].commercial_partner_id

    def _lock_for_refund(self):
        self._clinic_lock()

    def _get_refundable_left(self, exclude=None):
        self.ensure_one()
        claimed = self.clinic_refund_request_ids.filtered(
            lambda r: (
                r.state in ("submitted", "approved", "in_progress")
                and r not in (exclude or r.browse())
            )
        )
        return self.currency_id.round(
            self.clinic_amount_refundable - sum(claimed.mapped("amount"))
        )

    def _get_refund_limits(self):
        self.ensure_one()
        invoice = self.sudo().clinic_invoice_id
        return self.clinic_amount_refundable, invoice.amount_total - self.clinic_amount_refunded

    def _create_credit_note(self, amount, label, partner=None, invoice=None):
        """A credit note of ``amount`` (taxes included) on the sale invoice:
        its lines scaled, so it debits the prepaid courses account."""
        self.ensure_one()
        invoice = (invoice or self.clinic_invoice_id).sudo()
        default = {"ref": label, "clinic_wallet_card_id": self.id}
        if partner:
            default["partner_id"] = partner.id
        credit_note = invoice._reverse_moves([default])
        ratio = amount / invoice.amount_total
        for line in credit_note.invoice_line_ids:
            line.price_unit = invoice.currency_id.round(line.price_unit * ratio)
        self.env["clinic.deposit"]._fit_total(credit_note, amount)
        credit_note.action_post()
        return credit_note

    @api.model
    def _reconcile_receivables(self, moves):
        return self.env["clinic.deposit"]._reconcile_receivables(moves)

    def _clinic_record_provider_refund(self, refund_tx):
        """A refund of the card's sale made at the provider (its dashboard),
        not asked by a refund request."""
        self.ensure_one()
        return self._clinic_record_outside_refund(
            -refund_tx.amount,
            refund_tx.payment_id,
            self.env._(
                "Refunded at %(provider)s (%(ref)s), not through a refund request.",
                provider=refund_tx.provider_id.name,
                ref=refund_tx.provider_reference or refund_tx.reference,
            ),
            refund_tx=refund_tx,
        )

    def _clinic_record_outside_refund(self, amount, payment, reason, label=None, refund_tx=None):
        """Money of the card's sale that went back outside a refund request
        (refunded at the provider, a lost card dispute), paid by
        ``payment``: a done request of the method "outside" with its credit
        note on the sale invoice (debiting the card's liability account),
        reconciled with that payment. A gift card's balance loses what
        went back; a course gives up the sessions not booked in proportion of
        the value refunded. A manager is told, to check the rest (Adjust)."""
        self.ensure_one()
        card = self.sudo()
        card._clinic_lock()
        currency = card.currency_id
        amount = currency.round(amount)
        request = (
            self.env["clinic.refund.request"]
            .sudo()
            .create(
                {
                    "wallet_card_id": card.id,
                    "amount": amount,
                    "method": "outside",
                    "state": "in_progress",
                    "refund_transaction_id": refund_tx and refund_tx.id,
                    "reason": reason,
                }
            )
        )
        credit_note = card._create_credit_note(
            amount,
            label or self.env._("Refund %(ref)s", ref=request.name),
            partner=payment.partner_id.commercial_partner_id or card._get_refund_partner(),
        )
        card._reconcile_receivables(payment.move_id | credit_note)
        request.credit_note_id = credit_note
        if not card._clinic_is_gift_card():
            # the sessions not booked whose value went back are withdrawn
            held = card.clinic_value
            card._clinic_sync_value()
            open_sessions = int(card.points) + card.clinic_sessions_reserved
            withdrawn = int(card.points)
            if currency.compare_amounts(card.clinic_value, 0.0) > 0 and held:
                withdrawn = min(
                    withdrawn, round(open_sessions * (held - card.clinic_value) / held)
                )
            if withdrawn:
                card.write(
                    {
                        "points": card.points - withdrawn,
                        "clinic_sessions_refunded": card.clinic_sessions_refunded + withdrawn,
                    }
                )
        from_refundable = card._record_refund(amount)
        request.write(
            {
                "amount_recorded": amount,
                "amount_recorded_refundable": from_refundable,
                "state": "done",
                "done_date": fields.Datetime.now(),
                "payment_id": payment.id,
                "amount_approved": amount,
            }
        )
        message = self.env._(
            "%(amount)s of %(card)s went back to the buyer (%(reason)s); recorded with the credit"
            " note %(note)s. Check what the card still gives.",
            amount=currency.format(amount),
            card=card.display_name,
            reason=reason,
            note=credit_note.name,
        )
        if currency.compare_amounts(card.clinic_value, 0.0) < 0:
            # more went back than the card held: the rest was already spent
            # on visits, a loss written off against wallet breakage, so the
            # card's account ends at zero
            excess = -card.clinic_value
            label = self.env._(
                "%(card)s: %(excess)s given back beyond what it held, written off",
                card=card.code,
                excess=currency.format(excess),
            )
            company = card.company_id or self.env.company
            write_off = card._clinic_post_entry(-excess, company.clinic_breakage_account_id, label)
            card._clinic_sync_value()
            card._clinic_log("adjusted", label, amount=-excess, move=write_off)
            message += " " + self.env._(
                "It gave back %(excess)s more than the card still held (already spent on"
                " visits); that loss is written off against wallet breakage.",
                excess=currency.format(excess),
            )
        request.message_post(body=message)
        card.message_post(body=message)
        request.activity_schedule(
            "mail.mail_activity_data_todo",
            summary=self.env._("Money of a card went back"),
            note=message,
            user_id=card._clinic_manager_user().id,
        )
        return request

    def _clinic_manager_user(self):
        """Who is told: the company's first clinic manager, else the admin."""
        self.ensure_one()
        managers = self.env.ref("clinic_prepay.group_clinic_manager").sudo().users
        company = self.company_id or self.env.company
        # a provider's notification runs as the public user: never them
        return managers.filtered(lambda user: company in user.company_ids and not user.share)[
            :1
        ] or self.env.ref("base.user_admin")

    def _record_refund(self, amount):
        from_refundable = 0.0
        for card in self.sudo():
            from_refundable = min(amount, card.clinic_amount_refundable)
            card.write(
                {
                    "clinic_amount_refundable": card.clinic_amount_refundable - from_refundable,
                    "clinic_amount_refunded": card.clinic_amount_refunded + amount,
                }
            )
            card._clinic_sync_value()
            spent = 0.0
            if card._clinic_is_gift_card():
                # what went back is no longer to spend
                spent = min(card.points, amount)
                card.points = card.currency_id.round(card.points - spent)
            card._clinic_log(
                "refunded",
                self.env._("Refunded: %(amount)s", amount=card.currency_id.format(amount)),
                used=spent,
                amount=amount,
                move=card.clinic_refund_request_ids.filtered(
                    lambda r: r.state in ("in_progress", "approved")
                ).credit_note_id[:1],
            )
            if (
                card.currency_id.is_zero(card.clinic_amount_refundable)
                and not card.clinic_sessions_reserved
                and (
                    card.currency_id.is_zero(card.points)
                    if card._clinic_is_gift_card()
                    else card.points < 1
                )
            ):
                card.clinic_state = "refunded"
        return from_refundable

    def _undo_refund(self, recorded, from_refundable):
        self.ensure_one()
        card = self.sudo()
        card.write(
            {
                "clinic_amount_refundable": card.clinic_amount_refundable + from_refundable,
                "clinic_amount_refunded": card.clinic_amount_refunded - recorded,
                "clinic_state": "active" if card.clinic_state == "refunded" else card.clinic_state,
            }
        )
        card._clinic_sync_value()
        given_back = 0.0
        if card._clinic_is_gift_card():
            given_back = recorded
            card.points = card.currency_id.round(card.points + recorded)
        card._clinic_log(
            "adjusted",
            self.env._(
                "Refund of %(amount)s failed: refundable again",
                amount=card.currency_id.format(recorded),
            ),
            issued=given_back,
            amount=-recorded,
        )

    def _schedule_refund_failed_activity(self, message, request):
        """The course has no activities: a manager gets one on the request."""
        self.ensure_one()
        self.sudo().message_post(body=message)
        request.sudo().activity_schedule(
            "mail.mail_activity_data_todo",
            summary=self.env._("Refund failed at the provider"),
            note=message,
            user_id=(request.approved_by_id or self.env.user).id,
        )
