# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class ClinicGiftCardSell(models.TransientModel):
    """The desk sells a gift card: it waits for its money (payment link or
    desk payment); its recipient gets the code once it is paid."""

    _name = "clinic.gift.card.sell"
    _description = "Sell a Gift Card"

    partner_id = fields.Many2one("res.partner", string="Bought By", required=True)
    program_id = fields.Many2one(
        "loyalty.program",
        string="Gift Card",
        required=True,
        domain="[('clinic_gift_card', '=', True), ('company_id', 'in', (company_id, False))]",
    )
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    amount = fields.Monetary(required=True)
    recipient_name = fields.Char(string="For", required=True)
    recipient_email = fields.Char(help="The code goes there once the card is paid.")
    message = fields.Text(help="Printed on the card.")

    def _sell(self):
        self.ensure_one()
        self.env["loyalty.card"].browse()._clinic_check_desk()
        self.partner_id.check_access("read")
        self.program_id.check_access("read")
        return (
            self.env["loyalty.card"]
            .sudo()
            ._clinic_sell_gift_card(
                self.program_id,
                self.partner_id,
                self.amount,
                self.recipient_name,
                self.recipient_email,
                self.message,
            )
            .with_env(self.env)
        )

    def action_send_link(self):
        card = self._sell()
        card.action_send_payment_link()
        return card._clinic_open_form()

    def action_take_payment(self):
        return self._sell().action_take_payment()


class ClinicGiftCardPay(models.TransientModel):
    """The desk takes a gift card for a booking's deposit or its final
    invoice."""

    _name = "clinic.gift.card.pay"
    _description = "Pay with a Gift Card"

    appointment_id = fields.Many2one("clinic.appointment", required=True, readonly=True)
    currency_id = fields.Many2one(related="appointment_id.currency_id")
    amount_due = fields.Monetary(compute="_compute_amount_due", string="Due")
    code = fields.Char(required=True)
    amount = fields.Monetary(help="Empty: all the card holds, up to what is due.")

    @api.depends("appointment_id")
    def _compute_amount_due(self):
        for wizard in self:
            wizard.amount_due = wizard.appointment_id._clinic_gift_card_due()[1]

    def action_confirm(self):
        self.ensure_one()
        appointment = self.appointment_id
        appointment._check_workflow_access()
        appointment._clinic_pay_with_gift_card(self.code, self.amount or None)
        return {"type": "ir.actions.act_window_close"}
