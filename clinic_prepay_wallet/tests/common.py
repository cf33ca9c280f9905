# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import Command
from odoo.addons.clinic_prepay.tests.common import ClinicPaymentCommon


class WalletCommon(ClinicPaymentCommon):
    """Adds a course of six Botox sessions (600 before taxes)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.wallet_account = cls.company.clinic_wallet_account_id
        cls.breakage_account = cls.company.clinic_breakage_account_id
        cls.botox_income = cls.product_botox.product_tmpl_id._get_product_accounts()["income"]
        cls.course = (
            cls.env["loyalty.program"]
            .with_user(cls.manager)
            .create(
                {
                    "name": "Six Botox",
                    "program_type": "clinic_course",
                    "clinic_treatment_ids": [Command.set(cls.treatment_botox.ids)],
                    "clinic_session_count": 6,
                    "clinic_price": 600.0,
                    "clinic_validity_months": 12,
                }
            )
        )

    def _sell(self, patient=None, course=None, user=None):
        """The desk sells the course (pending: waiting for its money)."""
        wizard = (
            self.env["clinic.wallet.sell"]
            .with_user(user or self.front_desk)
            .create(
                {
                    "partner_id": (patient or self.patient).id,
                    "program_id": (course or self.course).id,
                }
            )
        )
        card = wizard._sell()
        return card.sudo()

    def _sell_paid(self, patient=None, course=None):
        """Sold and paid at the desk, through the desk payment wizard."""
        card = self._sell(patient, course)
        action = card.with_user(self.front_desk).action_take_payment()
        wizard = (
            self.env[action["res_model"]]
            .with_user(self.front_desk)
            .with_context(**action["context"])
            .create({"journal_id": self.bank_journal.id})
        )
        wizard.action_confirm()
        return card

    def _start_course_payment(self, card, amount=None):
        """The patient opens the payment form of the course: a draft
        transaction of its price (or of ``amount``)."""
        invoice = card.clinic_invoice_id
        Tx = self.env["payment.transaction"].sudo()
        return Tx.create(
            {
                "provider_id": self.provider.id,
                "payment_method_id": self.payment_method.id,
                "amount": amount or invoice.amount_total,
                "currency_id": invoice.currency_id.id,
                "partner_id": invoice.partner_id.id,
                "reference": Tx._compute_reference("demo", invoice_ids=[Command.set(invoice.ids)]),
                "operation": "online_redirect",
                "invoice_ids": [Command.set(invoice.ids)],
            }
        )

    def _pay_course_online(self, card):
        tx = self._start_course_payment(card)
        tx._handle_notification_data(
            "demo", {"reference": tx.reference, "simulated_state": "done"}
        )
        tx._post_process()
        return tx

    def _wallet_balance(self, card):
        """What the prepaid courses account holds for ``card``: the credit of
        its sale invoice less its session and expiry entries."""
        lines = self.env["account.move.line"].search(
            [
                ("account_id", "=", self.wallet_account.id),
                ("parent_state", "=", "posted"),
                ("move_id.clinic_wallet_card_id", "=", card.id),
            ]
        )
        return self.currency.round(-sum(lines.mapped("balance")))

    def _book_course(self, start, card=None, patient=None):
        appointment = self._appointment(start, patient=patient, user=self.front_desk)
        if card is not None:
            appointment.wallet_card_id = card
        appointment.with_user(self.front_desk).action_book()
        return appointment


class GiftCardCommon(WalletCommon):
    """Adds the clinic's gift card program and a buyer."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company._clinic_ensure_accounting()
        cls.gift_account = cls.company.clinic_gift_card_account_id
        cls.gift_program = (
            cls.env["loyalty.program"]
            .with_user(cls.manager)
            .create(
                {
                    "name": "Clinic Gift Card",
                    "program_type": "gift_card",
                    "clinic_gift_card": True,
                    "clinic_validity_months": 12,
                }
            )
        )
        cls.buyer = cls.env["res.partner"].create(
            {"name": "Sam Buyer", "email": "sam@example.com"}
        )

    def _sell_gift(self, amount=150.0, buyer=None, recipient_email="patricia@example.com"):
        """Sold as the website sells it: pending, waiting for its money."""
        return (
            self.env["loyalty.card"]
            .sudo()
            ._clinic_sell_gift_card(
                self.gift_program,
                buyer or self.buyer,
                amount,
                "Patricia",
                recipient_email,
                "Happy birthday!",
            )
        )

    def _gift_balance(self, card):
        lines = self.env["account.move.line"].search(
            [
                ("account_id", "=", self.gift_account.id),
                ("parent_state", "=", "posted"),
                ("move_id.clinic_wallet_card_id", "=", card.id),
            ]
        )
        return self.currency.round(-sum(lines.mapped("balance")))

    def _pay_with_card(self, appointment, code, amount=None, user=None):
        wizard = (
            self.env["clinic.gift.card.pay"]
            .with_user(user or self.front_desk)
            .create({"appointment_id": appointment.id, "code": code, "amount": amount})
        )
        wizard.action_confirm()

    def _awaiting_deposit(self, start=None):
        appointment = self._appointment(start or self._bookable_time(), user=self.front_desk)
        appointment.with_user(self.front_desk).action_book()
        self.assertEqual(appointment.state, "awaiting_payment")
        return appointment
