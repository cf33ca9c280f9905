# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.addons.clinic_prepay.tests.common import NOW
from odoo.addons.clinic_prepay_wallet.tests.common import WalletCommon


class MembershipCommon(WalletCommon):
    """A monthly plan of 69: one Botox credit worth 40 a month (one rolled
    over), 10 % off treatments, no deposit. Sign-ups happen at ``NOW``
    (the clock is frozen: periods have known dates)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.plan = (
            cls.env["clinic.membership.plan"]
            .with_user(cls.manager)
            .create(
                {
                    "name": "Glow",
                    "price": 69.0,
                    "period": "month",
                    "min_periods": 3,
                    "notice_days": 7,
                    "treatment_ids": [Command.set(cls.treatment_botox.ids)],
                    "credits_per_period": 1,
                    "credit_value": 40.0,
                    "rollover_max": 1,
                    "discount_percent": 10.0,
                    "no_deposit": True,
                    "retry_days": "1,3,7",
                    "terms": "69 a month to my card until I cancel.",
                }
            )
        )
        cls.plan_income = cls.plan.product_id.product_tmpl_id._get_product_accounts()["income"]

    def setUp(self):
        super().setUp()
        self.frozen = freeze_time(NOW)
        self.frozen.start()
        self.addCleanup(self.frozen.stop)

    def _travel(self, when):
        """Move the frozen clock to ``when``."""
        self.frozen.stop()
        self.frozen = freeze_time(when)
        self.frozen.start()

    def _sign_up(self, patient=None, plan=None, user=None):
        wizard = (
            self.env["clinic.membership.signup"]
            .with_user(user or self.front_desk)
            .create(
                {
                    "partner_id": (patient or self.patient).id,
                    "plan_id": (plan or self.plan).id,
                    "terms_read": True,
                }
            )
        )
        action = wizard.action_sign_up()
        return self.env["clinic.membership"].browse(action["res_id"])

    def _pay_period_online(self, period, card_state="done", tokenize=True, state="done"):
        """The member pays ``period`` on Odoo's payment form, saving the card
        (the demo provider's, answering ``card_state`` from then on)."""
        invoice = period.invoice_id
        Tx = self.env["payment.transaction"].sudo()
        tx = Tx.create(
            {
                "provider_id": self.provider.id,
                "payment_method_id": self.payment_method.id,
                "amount": invoice.amount_total,
                "currency_id": invoice.currency_id.id,
                "partner_id": period.partner_id.id,
                "reference": Tx._compute_reference("demo", invoice_ids=[Command.set(invoice.ids)]),
                "operation": "online_redirect",
                "tokenize": tokenize,
                "invoice_ids": [Command.set(invoice.ids)],
            }
        )
        tx._handle_notification_data(
            "demo",
            {"reference": tx.reference, "simulated_state": state, "payment_details": "4242"},
        )
        tx._post_process()
        if tx.token_id:
            tx.token_id.demo_simulated_state = card_state
        return tx

    def _member(self, patient=None, card_state="done"):
        membership = self._sign_up(patient)
        self._pay_period_online(membership.period_ids, card_state)
        return membership

    def _job(self, at=None):
        if at:
            self._travel(at)
        return self.env["clinic.membership"]._cron_bill()

    def _next_charge(self, membership, hours=1):
        """Some time after the start of the next period."""
        return membership.next_charge_at + timedelta(hours=hours)

    def _balance(self, account, partner=None):
        lines = self.env["account.move.line"].search(
            [
                ("account_id", "=", account.id),
                ("parent_state", "=", "posted"),
                ("partner_id", "=", (partner or self.patient).id),
            ]
        )
        return self.currency.round(sum(lines.mapped("balance")))
