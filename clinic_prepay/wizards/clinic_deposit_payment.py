# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.exceptions import UserError


class ClinicDeskPayment(models.AbstractModel):
    """Money taken at the desk (cash, card terminal): the journal, its
    manual payment method and the date. Each wizard of a document the desk
    is paid for (a deposit, a course) adds its ``company_id`` and calls
    :meth:`_get_desk_payment_args`."""

    _name = "clinic.desk.payment"
    _description = "Take a Payment at the Desk"

    journal_id = fields.Many2one(
        "account.journal",
        required=True,
        domain="[('company_id', '=', company_id), ('type', 'in', ('bank', 'cash'))]",
        compute="_compute_journal_id",
        store=True,
        readonly=False,
        precompute=True,
    )
    payment_method_line_id = fields.Many2one(
        "account.payment.method.line",
        string="Payment Method",
        domain="[('id', 'in', available_payment_method_line_ids)]",
        compute="_compute_payment_method_line_id",
        store=True,
        readonly=False,
        precompute=True,
    )
    available_payment_method_line_ids = fields.Many2many(
        "account.payment.method.line", compute="_compute_available_payment_method_line_ids"
    )
    payment_date = fields.Date(required=True, default=fields.Date.context_today)

    @api.depends("company_id")
    def _compute_journal_id(self):
        """The company's cash journal, else its first bank journal."""
        for wizard in self:
            journals = self.env["account.journal"].search(
                [("company_id", "=", wizard.company_id.id), ("type", "in", ("cash", "bank"))]
            )
            wizard.journal_id = journals.filtered(lambda j: j.type == "cash")[:1] or journals[:1]

    @api.depends("journal_id")
    def _compute_available_payment_method_line_ids(self):
        """Manual inbound methods of the journal (not the online providers')."""
        for wizard in self:
            wizard.available_payment_method_line_ids = (
                wizard.journal_id.inbound_payment_method_line_ids.filtered(
                    lambda line: not line.payment_provider_id
                )
            )

    @api.depends("available_payment_method_line_ids")
    def _compute_payment_method_line_id(self):
        """The journal's first manual method."""
        for wizard in self:
            wizard.payment_method_line_id = wizard.available_payment_method_line_ids[:1]

    def _get_desk_payment_args(self, company):
        """(journal, payment method, date) of the money taken, checked: a
        cash or bank journal of ``company`` and one of its manual methods;
        today, unless an accountant dates it."""
        self.ensure_one()
        journal = self.journal_id
        method = self.payment_method_line_id
        if (
            journal.company_id != company
            or journal.type not in ("bank", "cash")
            or (method and (method.journal_id != journal or method.payment_provider_id))
        ):
            raise UserError(
                self.env._(
                    "Take the payment on a cash or bank journal of %(company)s.",
                    company=company.name,
                )
            )
        # the money is received now; only accountants date it otherwise
        date = fields.Date.context_today(self)
        if self.env.user.has_group("account.group_account_invoice"):
            date = self.payment_date or date
        return journal, method, date


class ClinicDepositPayment(models.TransientModel):
    """Take what is due on a deposit at the desk (cash, card terminal)."""

    _name = "clinic.deposit.payment"
    _inherit = ["clinic.desk.payment"]
    _description = "Take a Deposit Payment"

    deposit_id = fields.Many2one("clinic.deposit", required=True, readonly=True)
    appointment_id = fields.Many2one(related="deposit_id.appointment_id")
    company_id = fields.Many2one(related="deposit_id.company_id")
    currency_id = fields.Many2one(related="deposit_id.currency_id")
    amount = fields.Monetary(related="deposit_id.amount_residual", string="Amount Due")

    def action_confirm(self):
        self.ensure_one()
        deposit = self.deposit_id
        # the desk has no accounting rights: the clinic posts and reconciles
        # the payment, for a deposit the user may see
        deposit.check_access("read")
        deposit.appointment_id.check_access("write")
        journal, method, date = self._get_desk_payment_args(deposit.company_id)
        deposit.sudo()._register_desk_payment(journal, method, date)
        return {"type": "ir.actions.act_window_close"}
