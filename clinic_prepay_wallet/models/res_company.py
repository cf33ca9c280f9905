# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import Command, fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    clinic_wallet_account_id = fields.Many2one(
        "account.account",
        string="Prepaid Courses Account",
        domain="[('account_type', '=', 'liability_current')]",
        help="Current liability (unearned revenue) holding the price of courses sold until"
        " their sessions are used or expire.",
    )
    clinic_gift_card_account_id = fields.Many2one(
        "account.account",
        string="Gift Cards Account",
        domain="[('account_type', '=', 'liability_current')]",
        help="Current liability holding the value of gift cards sold until they are spent"
        " or expire.",
    )
    clinic_breakage_account_id = fields.Many2one(
        "account.account",
        string="Breakage Income Account",
        domain="[('account_type', 'in', ('income', 'income_other'))]",
        help="Income account crediting the value of sessions that expired unused.",
    )
    clinic_wallet_expiry = fields.Selection(
        [
            ("breakage", "Becomes breakage income"),
            ("refundable", "Stays refundable"),
        ],
        string="Unused Sessions at Expiry",
        default="breakage",
        required=True,
        help="What the value of unused sessions becomes when a course expires: income"
        " of the expiry date, or money the clinic still owes the patient.",
    )

    def _clinic_ensure_accounting(self):
        res = super()._clinic_ensure_accounting()
        Account = self.env["account.account"].sudo()
        for company in self.sudo().filtered("chart_template"):
            Account = Account.with_company(company)
            vals = {}
            if not company.clinic_wallet_account_id:
                vals["clinic_wallet_account_id"] = Account.create(
                    {
                        "name": self.env._("Prepaid Courses (Unearned Revenue)"),
                        "code": Account._search_new_account_code("2195", cache=set()),
                        "account_type": "liability_current",
                        "company_ids": [Command.set(company.ids)],
                    }
                ).id
            if not company.clinic_gift_card_account_id:
                vals["clinic_gift_card_account_id"] = Account.create(
                    {
                        "name": self.env._("Gift Cards Outstanding"),
                        "code": Account._search_new_account_code("2196", cache=set()),
                        "account_type": "liability_current",
                        "company_ids": [Command.set(company.ids)],
                    }
                ).id
            if not company.clinic_breakage_account_id:
                vals["clinic_breakage_account_id"] = Account.create(
                    {
                        "name": self.env._("Breakage: Expired Courses"),
                        "code": Account._search_new_account_code("4195", cache=set()),
                        "account_type": "income_other",
                        "company_ids": [Command.set(company.ids)],
                    }
                ).id
            if vals:
                company.write(vals)
        return res
