# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.exceptions import ValidationError


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    clinic_membership_id = fields.Many2one(
        "clinic.membership",
        string="Membership Card Check",
        readonly=True,
        index="btree_not_null",
        help="The membership whose card page saved a card with this validation.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        txs = super().create(vals_list)
        # a period is paid whole, once, while it is asked
        for tx in txs.filtered(lambda t: t.operation not in ("refund", "validation")):
            for invoice in tx.invoice_ids.sudo().filtered("clinic_membership_period_id"):
                period = invoice.clinic_membership_period_id
                if (
                    period.state not in ("pending", "failed")
                    or invoice.state != "draft"
                    or invoice.currency_id.compare_amounts(tx.amount, invoice.amount_total)
                ):
                    raise ValidationError(
                        self.env._(
                            "%(period)s costs %(due)s and is paid once.",
                            period=period.name,
                            due=invoice.currency_id.format(invoice.amount_total),
                        )
                    )
        return txs

    @api.model
    def _compute_reference_prefix(self, provider_code, separator, **values):
        # a draft period invoice has no number yet: the period names the payment
        command_list = values.get("invoice_ids")
        if command_list:
            invoice_ids = self._fields["invoice_ids"].convert_to_cache(command_list, self)
            invoices = self.env["account.move"].sudo().browse(invoice_ids)
            periods = invoices.clinic_membership_period_id
            if periods and any(inv.state != "posted" for inv in invoices):
                return separator.join(periods.mapped("name"))
        return super()._compute_reference_prefix(provider_code, separator, **values)

    def _clinic_abandon_charge(self):
        """An off-session charge waiting for the patient's authentication is
        abandoned (the payment link replaces it): cancelled here, and at the
        provider where its glue module can (see clinic_prepay_stripe_membership)."""
        self._set_canceled(
            state_message=self.env._("Authentication asked: the member pays the link instead.")
        )

    def _post_process(self):
        res = super()._post_process()
        # the card a member paid a period with is the card of the next ones
        for tx in self.sudo().filtered(lambda t: t.state == "done" and t.token_id):
            if tx.operation == "validation" and tx.clinic_membership_id:
                if tx.clinic_membership_id._card_can_be_saved():
                    tx.clinic_membership_id._on_card_validated(tx.token_id)
                continue
            membership = tx.invoice_ids.clinic_membership_period_id.membership_id[:1]
            if membership and membership.state != "cancelled":
                membership._on_card_saved(tx.token_id)
        return res

    # ------------------------------------------------------------------------
    # Refunds made at the provider (its dashboard) of a period's charge
    # ------------------------------------------------------------------------

    def _clinic_membership_refunds(self):
        """The refunds among these that give back a membership period's
        charge: its invoice is the period's (and its wallet card, if any, the
        member's credits card, which was not sold as a course)."""
        return self.sudo().filtered(
            lambda tx: (
                tx.operation == "refund"
                and (
                    (invoices := tx.source_transaction_id.invoice_ids).clinic_membership_period_id
                    or invoices.clinic_wallet_card_id.clinic_membership_id
                )
            )
        )

    def _clinic_record_provider_refunds(self):
        """A refund of a period's charge lands on the period (a credit note of
        its invoice, see ``clinic.membership.period._record_money_back``),
        once that charge is in the books; the wallet's handler, which would
        take the member's credits card for a course sold, never sees it."""
        membership_refunds = self._clinic_membership_refunds()
        res = super(
            PaymentTransaction, self - membership_refunds
        )._clinic_record_provider_refunds()
        for refund_tx in membership_refunds:
            source = refund_tx.source_transaction_id
            if not refund_tx.payment_id or source.state != "done" or not source.is_post_processed:
                continue
            period = source.invoice_ids.clinic_membership_period_id[:1]
            if period.invoice_id.state == "posted":
                period._record_provider_refund(refund_tx)
        return res
