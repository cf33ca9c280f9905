# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Every money path down to the journal items, in the main company without
deposit tax, and in a second company whose deposit product carries a tax."""

from datetime import timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .common import NOW, ClinicPaymentCommon


class MoneyPaths:
    """Mixin: the paths; subclasses set up the company."""

    @property
    def deposit_total(self):
        """What the patient pays for a 50.00 deposit, taxes of the company's
        deposit product included."""
        taxes = self.company.clinic_deposit_product_id.taxes_id.filtered(
            lambda tax: tax.company_id == self.company
        )
        return self.currency.round(50.0 * (1 + sum(taxes.mapped("amount")) / 100))

    def _book_paid(self, hours=72):
        appointment = self._appointment(NOW + timedelta(hours=hours))
        appointment.action_book()
        self.assertEqual(appointment.deposit_ids.invoice_id.amount_total, self.deposit_total)
        self._pay_at_desk(appointment)
        self.assertEqual(appointment.state, "confirmed")
        return appointment

    def _deposit_lines(self, appointment):
        deposits = appointment.deposit_ids
        moves = deposits.invoice_id | deposits.forfeit_move_id | appointment.final_invoice_id
        return moves.filtered(lambda m: m.state == "posted").line_ids.filtered(
            lambda line: line.account_id == self.deposit_account
        )

    def _assert_receivable_reconciled(self, appointment):
        moves = appointment.deposit_ids.invoice_id
        receivable = moves.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )
        self.assertTrue(all(receivable.mapped("reconciled")))
        self.assertEqual(sum(receivable.mapped("amount_residual")), 0.0)

    def test_pay_at_desk_then_done(self):
        appointment = self._book_paid()
        self._assert_receivable_reconciled(appointment)
        appointment.action_done()
        lines = self._deposit_lines(appointment)
        self.assertEqual(sorted(lines.mapped("balance")), [-50.0, 50.0])
        self.assertEqual(self.currency.round(sum(lines.mapped("balance"))), 0.0)
        final = appointment.final_invoice_id
        self.assertEqual(final.amount_total, 300.0 * self.price_tax_factor - self.deposit_total)
        revenue = final.line_ids.filtered(lambda line: line.account_id.account_type == "income")
        self.assertEqual(revenue.balance, -300.0)

    def test_pay_online_then_done(self):
        appointment = self._appointment(NOW + timedelta(days=3))
        appointment.action_book()
        self._pay_online(appointment)
        self.assertEqual(appointment.state, "confirmed")
        self._assert_receivable_reconciled(appointment)
        appointment.action_done()
        self.assertEqual(
            self.currency.round(sum(self._deposit_lines(appointment).mapped("balance"))), 0.0
        )

    def test_partial_payments_refunded_exactly(self):
        """Two transfers, a cancellation, the refund: every document is
        exactly the money, taxes included, and the liability returns to 0."""
        appointment = self._appointment(NOW + timedelta(days=3))
        appointment.action_book()
        total = self.deposit_total
        self._pay_by_bank(appointment, 10.0)
        self._pay_by_bank(appointment, self.currency.round(total - 10.0))
        self.assertEqual(appointment.state, "confirmed")
        deposit = appointment.deposit_ids
        invoices = deposit.invoice_ids.filtered(lambda inv: inv.state == "posted")
        self.assertEqual(sorted(invoices.mapped("amount_total")), sorted([10.0, total - 10.0]))
        self.assertEqual(sum(invoices.mapped("amount_residual")), 0.0)
        appointment.action_cancel_by_clinic()
        request = deposit.refund_request_ids
        request.with_user(self.manager).action_approve()
        request.with_user(self.manager).action_execute()
        self.assertEqual(request.credit_note_id.amount_total, total)
        self.assertEqual(request.payment_id.amount, total)
        self.assertEqual(deposit.amount_refunded, total)
        lines = (deposit.invoice_ids | request.credit_note_id).line_ids
        self.assertEqual(
            self.currency.round(
                sum(
                    lines.filtered(lambda line: line.account_id == self.deposit_account).mapped(
                        "balance"
                    )
                )
            ),
            0.0,
        )
        receivable = lines.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )
        self.assertTrue(all(receivable.mapped("reconciled")))

    def test_no_show_forfeit(self):
        appointment = self._book_paid()
        with freeze_time(appointment.start + timedelta(hours=1)):
            appointment.action_no_show()
        forfeit = appointment.deposit_ids.forfeit_move_id
        fee = forfeit.line_ids.filtered(lambda line: line.account_id == self.fee_account)
        self.assertEqual(fee.balance, -50.0)
        self.assertTrue(
            forfeit.line_ids.filtered(lambda line: line.account_id == self.deposit_account)
        )
        self.assertEqual(
            self.currency.round(sum(self._deposit_lines(appointment).mapped("balance"))), 0.0
        )
        self.assertEqual(appointment.amount_forfeited, self.deposit_total)

    def test_late_cancel_partial_forfeit(self):
        appointment = self._book_paid(hours=10)
        appointment.action_cancel_by_patient()
        self.assertEqual(appointment.cancel_reason, "late")
        fee = appointment.deposit_ids.forfeit_move_id.line_ids.filtered(
            lambda line: line.account_id == self.fee_account
        )
        self.assertEqual(fee.balance, -25.0)
        # the other half is owed to the patient until the refund (refund requests)
        self.assertEqual(
            self.currency.round(sum(self._deposit_lines(appointment).mapped("balance"))), -25.0
        )
        self.assertEqual(appointment.amount_refundable, self.deposit_total / 2)

    def test_cancel_inside_free_window(self):
        appointment = self._book_paid()
        appointment.action_cancel_by_patient()
        self.assertEqual(appointment.cancel_reason, "patient")
        self.assertFalse(appointment.deposit_ids.forfeit_move_id)
        self.assertEqual(appointment.amount_refundable, self.deposit_total)
        self.assertEqual(
            self.currency.round(sum(self._deposit_lines(appointment).mapped("balance"))), -50.0
        )

    def test_cancel_unpaid_leaves_nothing(self):
        appointment = self._appointment(NOW + timedelta(days=3))
        appointment.action_book()
        appointment.action_cancel_by_patient()
        self.assertEqual(appointment.deposit_ids.invoice_id.state, "cancel")
        self.assertFalse(self._deposit_lines(appointment))


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestMoneyPathsMainCompany(MoneyPaths, ClinicPaymentCommon):
    price_tax_factor = 1.0


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestMoneyPathsSecondCompanyTaxed(MoneyPaths, ClinicPaymentCommon):
    """A company created later gets its clinic accounts with its chart; its
    deposit product carries a 10 % tax, excluded from the price."""

    price_tax_factor = 1.0

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.env["res.company"].create({"name": "Second Clinic"})
        cls.env.user.company_ids |= company
        cls.env = cls.env(context=dict(cls.env.context, allowed_company_ids=[company.id]))
        cls.env["account.chart.template"].try_loading("generic_coa", company, install_demo=False)
        cls.company = company
        cls.currency = company.currency_id
        cls.assertTrue(cls, company.clinic_deposit_account_id)
        cls.deposit_account = company.clinic_deposit_account_id
        cls.fee_account = company.clinic_fee_account_id
        cls.bank_journal = cls.env["account.journal"].search(
            [("company_id", "=", company.id), ("type", "=", "bank")], limit=1
        )
        tax_account = cls.env["account.account"].create(
            {
                "name": "Output tax",
                "code": "251099",
                "account_type": "liability_current",
                "company_ids": [Command.set(company.ids)],
            }
        )
        repartition = [
            Command.create({"repartition_type": "base"}),
            Command.create({"repartition_type": "tax", "account_id": tax_account.id}),
        ]
        tax = cls.env["account.tax"].create(
            {
                "name": "Deposit tax 10%",
                "amount": 10.0,
                "type_tax_use": "sale",
                "company_id": company.id,
                "invoice_repartition_line_ids": repartition,
                "refund_repartition_line_ids": repartition,
            }
        )
        company.clinic_deposit_product_id.taxes_id = [Command.link(tax.id)]
        for user in (cls.front_desk, cls.manager, cls.practitioner, cls.practitioner2):
            user.write({"company_ids": [Command.link(company.id)], "company_id": company.id})
        cls.treatment_botox = cls.treatment_botox.copy({"company_id": company.id})
        cls.provider = cls.provider.copy({"company_id": company.id, "state": "test"})
