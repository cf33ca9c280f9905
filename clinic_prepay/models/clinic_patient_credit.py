# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Money kept as the patient's credit instead of paid back.

A refund request with the method "credit" posts its credit note (the
deposit account is debited, the patient's receivable credited) and pays
nothing out: the open receivable credit is the patient's credit, an
ordinary customer credit in Odoo's ledger. It is used automatically, oldest
first, on the patient's next deposit (its invoice is posted for the credit
and reconciled with it) or final invoice.
"""

from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    def _clinic_credit_lines(self, company):
        """The open receivable credits kept for this patient, oldest first."""
        self.ensure_one()
        return (
            self.env["account.move.line"]
            .sudo()
            .search(
                [
                    ("partner_id", "=", self.commercial_partner_id.id),
                    ("company_id", "=", company.id),
                    ("move_id.clinic_patient_credit", "=", True),
                    ("parent_state", "=", "posted"),
                    ("account_id.account_type", "=", "asset_receivable"),
                    ("reconciled", "=", False),
                    ("amount_residual", "<", 0),
                ],
                order="date, id",
            )
        )

    def _clinic_credit_amount(self, company=None):
        """What the clinic keeps for the patient, in the company currency."""
        self.ensure_one()
        company = company or self.env.company
        return company.currency_id.round(
            -sum(self._clinic_credit_lines(company).mapped("amount_residual"))
        )


class AccountMove(models.Model):
    _inherit = "account.move"

    clinic_patient_credit = fields.Boolean(
        string="Kept as Patient Credit",
        readonly=True,
        copy=False,
        help="A credit note whose money the clinic keeps for the patient's next visits"
        " instead of paying it out.",
    )


class ClinicAppointment(models.Model):
    _inherit = "clinic.appointment"

    patient_credit = fields.Monetary(
        compute="_compute_patient_credit",
        help="What the clinic keeps for the patient, used on their next deposit or invoice.",
    )

    def _compute_patient_credit(self):
        for appointment in self:
            appointment.patient_credit = (
                appointment.patient_id._clinic_credit_amount(appointment.company_id)
                if appointment.patient_id
                else 0.0
            )

    def _use_patient_credit(self, deposit=None, invoice=None):
        """Pay ``deposit`` (what it still asks) or ``invoice`` (its residual)
        from the patient's credit, as far as it goes. Returns the amount
        used."""
        self.ensure_one()
        credit_lines = self.patient_id._clinic_credit_lines(self.company_id)
        currency = self.currency_id
        available = currency.round(-sum(credit_lines.mapped("amount_residual")))
        if currency.compare_amounts(available, 0.0) <= 0:
            return 0.0
        if deposit:
            amount = min(available, deposit.amount_residual)
            if currency.compare_amounts(amount, 0.0) <= 0:
                return 0.0
            invoice = deposit._invoice_for_money(amount)
        else:
            amount = min(available, invoice.amount_residual)
            if currency.compare_amounts(amount, 0.0) <= 0:
                return 0.0
        receivable = invoice.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable" and not line.reconciled
        )
        (receivable | credit_lines).sudo().reconcile()
        self.sudo().message_post(
            body=self.env._(
                "%(amount)s of the patient's credit used on %(move)s.",
                amount=currency.format(amount),
                move=invoice.name,
            )
        )
        if deposit:
            deposit._sync_money()
        return amount
