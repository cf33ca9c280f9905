# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import re

from odoo import Command, api, models

# References the patient may quote on a transfer: DEP/2030/00001 (deposit),
# APT/2030/00001 (appointment) or the deposit invoice's number.
REFERENCE_PATTERN = re.compile(r"[A-Z][A-Z0-9]*/\d{4}/\d+")


class AccountBankStatementLine(models.Model):
    _inherit = "account.bank.statement.line"

    @api.model_create_multi
    def create(self, vals_list):
        st_lines = super().create(vals_list)
        st_lines._clinic_reconcile_deposits()
        return st_lines

    def write(self, vals):
        res = super().write(vals)
        # the accountant adds the reference a transfer forgot: match it now
        if "payment_ref" in vals and not self.env.context.get("clinic_matching"):
            self._clinic_reconcile_deposits()
        return res

    def _clinic_find_deposits(self):
        """Pending deposits of the line's company quoted in its label."""
        self.ensure_one()
        text = " ".join(
            filter(
                None,
                (self.payment_ref, self.transaction_details and str(self.transaction_details)),
            )
        ).upper()
        refs = set(REFERENCE_PATTERN.findall(text))
        if not refs or self.amount <= 0:
            return self.env["clinic.deposit"]
        return (
            self.env["clinic.deposit"]
            .sudo()
            .search(
                [
                    ("state", "=", "pending"),
                    ("company_id", "=", self.company_id.id),
                    "|",
                    "|",
                    ("name", "in", list(refs)),
                    ("appointment_id.name", "in", list(refs)),
                    ("invoice_ids.name", "in", list(refs)),
                ]
            )
        )

    def _clinic_reconcile_deposits(self):
        """Match incoming bank lines quoting a deposit with its invoice: the
        suspense counterpart becomes the patient's receivable, reconciled with
        the deposit invoice (what the accountant would do by hand)."""
        for st_line in self.with_context(clinic_matching=True).filtered(
            lambda line: not line.is_reconciled
        ):
            deposit = st_line._clinic_find_deposits()[:1]
            if not deposit:
                continue
            st_line.sudo().partner_id = deposit.patient_id
            _liquidity, suspense, other = st_line._seek_for_lines()
            if len(suspense) != 1 or other:
                continue
            deposit.appointment_id._lock_for_update()
            deposit.invalidate_recordset()
            if deposit.state != "pending":
                continue
            # the money is here: an invoice of that money enters the ledger now
            invoice = deposit._invoice_for_money(min(suspense.credit, deposit.amount_residual))
            invoice_line = invoice.line_ids.filtered(
                lambda line: (
                    line.account_id.account_type == "asset_receivable" and not line.reconciled
                )
            )
            residual = invoice_line.amount_residual
            matched = min(suspense.credit, residual)
            commands = [
                Command.update(
                    suspense.id,
                    {"credit": suspense.credit - matched}
                    if matched < suspense.credit
                    else {
                        "account_id": invoice_line.account_id.id,
                        "partner_id": deposit.patient_id.id,
                    },
                )
            ]
            if matched < suspense.credit:
                commands.append(
                    Command.create(
                        {
                            "name": suspense.name,
                            "account_id": invoice_line.account_id.id,
                            "partner_id": deposit.patient_id.id,
                            "credit": matched,
                        }
                    )
                )
            st_line.move_id.sudo().with_context(skip_readonly_check=True).write(
                {"line_ids": commands}
            )
            account = invoice_line.account_id
            receivable = st_line.move_id.line_ids.filtered(
                lambda line, account=account: line.account_id == account and not line.reconciled
            )
            (receivable | invoice_line).sudo().reconcile()
            deposit._sync_money()
