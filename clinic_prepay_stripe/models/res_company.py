# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import Command, api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    _inherit = "res.company"

    clinic_provider_fee_account_id = fields.Many2one(
        "account.account",
        string="Payment Provider Fees Account",
        domain="[('account_type', 'in', ('expense', 'expense_direct_cost'))]",
        help="Expense account of the fees the payment provider keeps (dispute and"
        " processing fees); the chart's bank fees account by default.",
    )

    clinic_card_hold_days = fields.Integer(
        string="Card Hold (days before)",
        default=0,
        help="This many days before a visit protected by a card on file, the no-show fee is"
        " authorized on the card (not charged): the card is checked in time and the money is"
        " there on a no-show. 0: no hold. At most 6 (Stripe releases holds after about 7"
        " days, 5 for some cards).",
    )

    @api.constrains("clinic_card_hold_days")
    def _check_clinic_card_hold_days(self):
        for company in self:
            if not 0 <= company.clinic_card_hold_days <= 6:
                raise ValidationError(
                    self.env._(
                        "A card hold is placed at most 6 days before the visit (Stripe"
                        " releases it after about 7)."
                    )
                )

    def _clinic_ensure_accounting(self):
        res = super()._clinic_ensure_accounting()
        Account = self.env["account.account"].sudo()
        for company in self.sudo().filtered("chart_template"):
            if company.clinic_provider_fee_account_id:
                continue
            # the chart's bank fees account where it has one
            fee_account = (
                self.env["account.chart.template"]
                .with_company(company)
                .ref("expense_finance", raise_if_not_found=False)
            )
            if not fee_account:
                company_account = Account.with_company(company)
                fee_account = company_account.create(
                    {
                        "name": self.env._("Payment Provider Fees"),
                        "code": company_account._search_new_account_code("6270", cache=set()),
                        "account_type": "expense",
                        "company_ids": [Command.set(company.ids)],
                    }
                )
            company.clinic_provider_fee_account_id = fee_account
        return res
