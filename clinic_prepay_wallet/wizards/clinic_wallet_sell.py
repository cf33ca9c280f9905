# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class ClinicWalletSell(models.TransientModel):
    """The desk sells a course during a call or at the counter: the course
    waits for its money (payment link or desk payment); nothing is in the
    ledger until then."""

    _name = "clinic.wallet.sell"
    _description = "Sell a Course"

    partner_id = fields.Many2one("res.partner", string="Patient", required=True)
    program_id = fields.Many2one(
        "loyalty.program",
        string="Course",
        required=True,
        domain="[('program_type', '=', 'clinic_course'),"
        " ('company_id', 'in', (company_id, False))]",
    )
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    session_count = fields.Integer(related="program_id.clinic_session_count")
    treatment_ids = fields.Many2many(related="program_id.clinic_treatment_ids")
    validity_months = fields.Integer(related="program_id.clinic_validity_months")
    amount_total = fields.Monetary(compute="_compute_amount_total", string="Price")

    @api.depends("program_id", "partner_id")
    def _compute_amount_total(self):
        for wizard in self:
            program = wizard.program_id.sudo()
            company = program.company_id or wizard.company_id
            taxes = program.clinic_product_id.taxes_id.filtered(
                lambda t, company=company: t.company_id == company
            )
            wizard.amount_total = (
                taxes.compute_all(program.clinic_price, wizard.currency_id, 1.0)["total_included"]
                if taxes
                else program.clinic_price
            )

    def _sell(self):
        self.ensure_one()
        self.env["loyalty.card"].browse()._clinic_check_desk()
        self.partner_id.check_access("read")
        self.program_id.check_access("read")
        return (
            self.env["loyalty.card"]
            .sudo()
            ._clinic_sell_course(self.program_id, self.partner_id)
            .with_env(self.env)
        )

    def _open(self, card):
        return {
            "type": "ir.actions.act_window",
            "res_model": "loyalty.card",
            "res_id": card.id,
            "view_mode": "form",
            "views": [
                (self.env.ref("clinic_prepay_wallet.loyalty_card_view_form_course").id, "form")
            ],
            "target": "current",
        }

    def action_send_link(self):
        """Sell and mail the payment link."""
        card = self._sell()
        card.action_send_payment_link()
        return self._open(card)

    def action_take_payment(self):
        """Sell and take the money at the desk."""
        card = self._sell()
        return card.action_take_payment()
