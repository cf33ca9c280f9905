# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class OnlineBankStatementProvider(models.Model):
    _inherit = "online.bank.statement.provider"

    stripe_fee_account_id = fields.Many2one(
        "account.account",
        string="Stripe Fees Account",
        compute="_compute_stripe_fee_account_id",
        store=True,
        readonly=False,
        check_company=True,
        domain="[('account_type', 'in', ('expense', 'expense_direct_cost'))]",
        help="Expense account of the Stripe processing fees: the fee line of each "
        "imported charge is reconciled against it. Defaults to the company's payment "
        "provider fees account (the chart's Bank Fees); empty, the fee lines are left to "
        "the accountant.",
    )

    @api.depends("service", "company_id")
    def _compute_stripe_fee_account_id(self):
        """Default the fees account to the company's payment provider fees."""
        for provider in self:
            if provider.service != "stripe" or provider.stripe_fee_account_id:
                continue
            provider.stripe_fee_account_id = (
                provider.company_id.clinic_provider_fee_account_id
                or self.env["account.chart.template"]
                .with_company(provider.company_id)
                .ref("expense_finance", raise_if_not_found=False)
            )
