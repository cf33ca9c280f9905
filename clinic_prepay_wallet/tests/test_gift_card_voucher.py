# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import GiftCardCommon


@tagged("post_install", "-at_install")
class TestGiftCardVoucher(GiftCardCommon):
    """EU Directive 2016/1065: a single-purpose voucher is taxed when sold
    and pays its treatments' invoices with that VAT already paid."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # a tax of the chart, with its tax account
        cls.vat = cls.env["account.tax"].create(
            {
                "name": "VAT 21 %",
                "amount": 21.0,
                "type_tax_use": "sale",
                "company_id": cls.company.id,
                "invoice_repartition_line_ids": [
                    Command.create({"repartition_type": "base"}),
                    Command.create(
                        {"repartition_type": "tax", "account_id": cls._vat_account().id}
                    ),
                ],
                "refund_repartition_line_ids": [
                    Command.create({"repartition_type": "base"}),
                    Command.create(
                        {"repartition_type": "tax", "account_id": cls._vat_account().id}
                    ),
                ],
            }
        )
        cls.product_botox.taxes_id = cls.vat
        cls.botox_voucher = (
            cls.env["loyalty.program"]
            .with_user(cls.manager)
            .create(
                {
                    "name": "Botox Gift",
                    "program_type": "gift_card",
                    "clinic_gift_card": True,
                    "clinic_voucher_type": "single",
                    "clinic_treatment_ids": [Command.set(cls.treatment_botox.ids)],
                }
            )
        )

    @classmethod
    def _vat_account(cls):
        return cls.env["account.account"].search(
            [("company_ids", "in", cls.company.ids), ("account_type", "=", "liability_current")],
            limit=1,
        )

    def _paid_voucher(self, amount=121.0):
        card = (
            self.env["loyalty.card"]
            .sudo()
            ._clinic_sell_gift_card(
                self.botox_voucher, self.buyer, amount, "Patricia", "patricia@example.com", ""
            )
        )
        card._clinic_register_desk_payment(self.bank_journal)
        return card

    def _tax_total(self, moves):
        lines = moves.line_ids.filtered(lambda line: line.tax_line_id == self.vat)
        return self.currency.round(-sum(lines.mapped("balance")))

    def test_taxed_when_sold_and_not_again_when_used(self):
        card = self._paid_voucher()
        sale = card.clinic_invoice_id
        self.assertEqual((sale.amount_untaxed, sale.amount_tax, sale.amount_total), (100, 21, 121))
        # the liability holds the value before VAT; the patient spends 121
        self.assertEqual(
            (card.points, card.clinic_value, self._gift_balance(card)), (121, 100, 100)
        )
        self.assertEqual(self._tax_total(sale), 21.0)

        appointment = self._appointment(self._bookable_time(), patient=self.patient2)
        appointment.action_book()
        moves_before = self.env["account.move"].search_count([])
        with self.assertRaisesRegex(UserError, "not its deposit"):
            appointment._clinic_pay_with_gift_card(card.code)
        self.assertEqual(self.env["account.move"].search_count([]), moves_before)
        self.assertEqual(card.points, 121.0)
        self._pay_online(appointment)
        with freeze_time(appointment.start + timedelta(hours=1)):
            appointment.action_done()
        final = appointment.final_invoice_id
        due = final.amount_residual
        self.assertGreater(due, 121.0)
        invoice_vat = self._tax_total(final)

        self.assertEqual(appointment._clinic_pay_with_gift_card(card.code), 121.0)
        credit_note = card.clinic_move_ids.filtered(lambda m: m.move_type == "out_refund")
        self.assertEqual(credit_note.state, "posted")
        gift_line = credit_note.line_ids.filtered(
            lambda line: line.account_id == self.gift_account
        )
        self.assertEqual(gift_line.debit, 100.0)
        self.assertEqual(self._tax_total(credit_note), -21.0)
        self.assertEqual(final.amount_residual, self.currency.round(due - 121.0))
        self.assertEqual(
            (card.points, card.clinic_state, self._gift_balance(card)), (0, "used", 0)
        )
        # the visit's VAT is counted once, over the sale and the visit
        self.assertEqual(self._tax_total(sale | final | credit_note), invoice_vat)
        self.assertEqual(appointment.gift_card_paid, 121.0)

        # the wallet figures read it as used, at its value before VAT
        self.env.flush_all()
        [(used,)] = self.env["clinic.wallet.report"]._read_group(
            [("card_id", "=", card.id)], [], ["amount_used:sum"]
        )
        self.assertEqual(used, 100.0)

    def test_only_for_its_treatments_and_one_vat(self):
        card = self._paid_voucher()
        appointment = self._appointment(
            self._bookable_time(self.treatment_consult),
            treatment=self.treatment_consult,
            patient=self.patient2,
        )
        appointment.action_book()
        with freeze_time(appointment.start + timedelta(hours=1)):
            appointment.action_done()
        self.assertTrue(appointment.final_invoice_id)
        with self.assertRaisesRegex(UserError, "for Botox only"):
            appointment._clinic_pay_with_gift_card(card.code)
        self.assertEqual(card.points, 121.0)
        with self.assertRaisesRegex(ValidationError, "known treatments"):
            self.botox_voucher.with_user(self.manager).clinic_treatment_ids = [Command.clear()]
        with self.assertRaisesRegex(ValidationError, "one VAT"):
            self.botox_voucher.with_user(self.manager).clinic_treatment_ids = [
                Command.set((self.treatment_botox | self.treatment_consult).ids)
            ]

    def test_expired_voucher_leaves_its_value_before_vat(self):
        card = self._paid_voucher()
        with freeze_time(card.expiration_date + timedelta(days=2)):
            card._clinic_expire()
        breakage = card.clinic_move_ids.filtered(
            lambda m: self.breakage_account in m.line_ids.account_id
        )
        self.assertEqual(
            breakage.line_ids.filtered(
                lambda line: line.account_id == self.breakage_account
            ).credit,
            100.0,
        )
        self.assertEqual((card.clinic_state, self._gift_balance(card)), ("expired", 0.0))
        # the VAT paid when sold stays paid
        self.assertEqual(self._tax_total(card.clinic_move_ids), 21.0)
