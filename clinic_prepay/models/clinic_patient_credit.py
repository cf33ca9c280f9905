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


class AccountMove(models.Model):
    # the credit's flag, beside the feature it belongs to
    _inherit = "account.move"  # pylint: disable=consider-merging-classes-inherited

    clinic_patient_credit = fields.Boolean(
        string="Kept as Patient Credit",
        readonly=True,
        copy=False,
        help="A credit note whose money the clinic keeps for the patient's next visits"
        " instead of paying it out.",
    )


class ClinicAppointment(models.Model):
    # one file per feature of the booking
    _inherit = "clinic.appointment"  # pylint: disable=consider-merging-classes-inherited

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
            deposit.sudo().amount_from_credit += amount
            deposit._sync_money()
        return amount
