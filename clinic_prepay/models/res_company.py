# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import Command, fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    # --- policy defaults for new treatments -------------------------------
    clinic_payment_hours = fields.Float(
        string="Payment Deadline (hours after booking)", default=24.0
    )
    clinic_payment_before_hours = fields.Float(
        string="Payment Deadline (hours before the visit)", default=2.0
    )
    clinic_free_cancel_hours = fields.Float(
        string="Free Cancellation Window (hours)", default=24.0
    )
    clinic_late_cancel_forfeit_percent = fields.Float(
        string="Late Cancellation Forfeit (%)", default=50.0
    )
    clinic_no_show_forfeit_percent = fields.Float(string="No-show Forfeit (%)", default=100.0)
    clinic_refund_as_credit = fields.Boolean(
        string="Keep Refunds as Credit",
        help="What the policy gives back is kept as the patient's credit (used on their next"
        " deposit or visit) instead of being paid out. Each refund request can still choose.",
    )
    clinic_waitlist_offer_count = fields.Integer(
        string="Waitlist: Patients Offered a Freed Time",
        default=3,
        help="A freed time is offered to this many waiting patients at once, in the order"
        " they joined; the first to book (and pay) takes it.",
    )
    clinic_waitlist_offer_hours = fields.Float(
        string="Waitlist: Offer Valid (hours)",
        default=2.0,
        help="An offer expires after this many hours (or at the treatment's minimum notice"
        " before the time).",
    )
    clinic_risk_threshold = fields.Integer(
        string="Full Pre-payment After (missed visits)",
        default=2,
        help="A patient with this many no-shows and late cancellations in the last 12 months"
        " pre-pays the full price of their next bookings. 0: never.",
    )
    clinic_visit_reminder_hours = fields.Integer(
        string="Visit Reminder (hours before)",
        default=24,
        help="Patients are reminded of their visit this many hours before it, with links to"
        " confirm, move or cancel it. 0: no reminder.",
    )
    clinic_payment_reminder_hours = fields.Integer(
        string="Payment Reminder (hours before the deadline)",
        default=3,
        help="Patients who have not paid are reminded this many hours before their booking"
        " is released. 0: no reminder.",
    )
    clinic_online_hold_minutes = fields.Integer(
        string="Online Hold (minutes)",
        default=15,
        help="A slot chosen online is held this long while the patient pays.",
    )
    clinic_min_notice_hours = fields.Float(
        string="Minimum Notice (hours)",
        default=2.0,
        help="Online bookings start at least this many hours from now.",
    )
    clinic_max_days_ahead = fields.Integer(
        string="Book Up To (days ahead)", default=60, help="How far ahead patients book online."
    )
    clinic_slot_minutes = fields.Integer(
        string="Slot Step (minutes)",
        default=30,
        help="Online slots start every this many minutes within working hours.",
    )

    clinic_refund_double_approval_amount = fields.Monetary(
        string="Second Refund Approval Above",
        currency_field="currency_id",
        help="Refunds above this amount need the approval of two managers (0: never).",
    )
    clinic_refund_auto_approve = fields.Boolean(
        string="Approve Policy Refunds Automatically",
        help="Refund requests created by a cancellation that the policy refunds are "
        "approved at once.",
    )

    # --- accounting ---------------------------------------------------------
    clinic_deposit_account_id = fields.Many2one(
        "account.account",
        string="Customer Deposits Account",
        domain="[('account_type', '=', 'liability_current')]",
        help="Current liability holding the deposits received before the visit.",
    )
    clinic_fee_account_id = fields.Many2one(
        "account.account",
        string="Forfeit and Fee Income Account",
        domain="[('account_type', 'in', ('income', 'income_other'))]",
        help="Income account crediting forfeited deposits and no-show fees.",
    )
    clinic_deposit_product_id = fields.Many2one(
        "product.product",
        string="Deposit Product",
        domain="[('type', '=', 'service')]",
        help="Product of deposit invoice lines; its customer taxes apply to deposits.",
    )
    clinic_journal_id = fields.Many2one(
        "account.journal",
        string="Clinic Sales Journal",
        domain="[('type', '=', 'sale')]",
        help="Journal of deposit and final invoices; the first sales journal if empty.",
    )
    clinic_forfeit_journal_id = fields.Many2one(
        "account.journal",
        string="Forfeit Journal",
        domain="[('type', '=', 'general')]",
        help="Journal of the entries moving forfeited deposits to income.",
    )

    def _get_clinic_tz(self):
        """The clinic's timezone: its working hours', else its address'."""
        self.ensure_one()
        return self.resource_calendar_id.tz or self.partner_id.tz or "UTC"

    def _clinic_ensure_accounting(self):
        """Create the clinic's default accounts, journals and deposit product
        for companies that have a chart of accounts and lack them."""
        Account = self.env["account.account"].sudo()
        for company in self.sudo().filtered("chart_template"):
            Account = Account.with_company(company)
            vals = {}
            if not company.clinic_deposit_account_id:
                vals["clinic_deposit_account_id"] = Account.create(
                    {
                        "name": self.env._("Customer Deposits"),
                        "code": Account._search_new_account_code("2190", cache=set()),
                        "account_type": "liability_current",
                        "company_ids": [Command.set(company.ids)],
                    }
                ).id
            if not company.clinic_fee_account_id:
                vals["clinic_fee_account_id"] = Account.create(
                    {
                        "name": self.env._("No-show and Cancellation Fees"),
                        "code": Account._search_new_account_code("4190", cache=set()),
                        "account_type": "income_other",
                        "company_ids": [Command.set(company.ids)],
                    }
                ).id
            if not company.clinic_deposit_product_id:
                product = self.env.ref(
                    "clinic_prepay.product_clinic_deposit", raise_if_not_found=False
                )
                if not product:
                    product = (
                        self.env["product.product"]
                        .sudo()
                        .create(
                            {
                                "name": self.env._("Appointment Deposit"),
                                "type": "service",
                                "sale_ok": False,
                                "purchase_ok": False,
                                "taxes_id": [Command.clear()],
                            }
                        )
                    )
                vals["clinic_deposit_product_id"] = product.id
            journals = self.env["account.journal"].sudo().with_company(company)
            if not company.clinic_journal_id:
                vals["clinic_journal_id"] = journals.search(
                    [("company_id", "=", company.id), ("type", "=", "sale")], limit=1
                ).id
            if not company.clinic_forfeit_journal_id:
                vals["clinic_forfeit_journal_id"] = journals.search(
                    [("company_id", "=", company.id), ("type", "=", "general")], limit=1
                ).id
            if vals:
                company.write(vals)
        return True
