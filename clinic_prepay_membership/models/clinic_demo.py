# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from dateutil.relativedelta import relativedelta

from odoo import Command, api, fields, models


class ClinicMembership(models.Model):
    # demo data stays apart from the model
    _inherit = "clinic.membership"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _demo_populate_memberships(self):
        """Demo members through the real flows: one active, one suspended
        after its charges failed, one cancelled."""
        ref = self.env.ref
        plan = ref("clinic_prepay_membership.clinic_membership_plan_glow_demo")
        provider = ref("payment.payment_provider_demo")
        if provider.state == "disabled":
            provider.write({"state": "test", "is_published": True})
        today = fields.Date.context_today(self)

        def member(partner, card_state):
            membership = self._clinic_sign_up(
                plan, partner, source="online", consent_text=plan.terms, ip="203.0.113.7"
            )
            # signed up a month ago: its first period ends today
            period = membership.period_ids
            period.write({"date_from": today - relativedelta(months=1), "date_to": today})
            self._demo_pay_online(period, card_state)
            return membership

        member(ref("clinic_prepay_membership.res_partner_member_active_demo"), "done")

        suspended = member(
            ref("clinic_prepay_membership.res_partner_member_suspended_demo"), "error"
        )
        suspended._bill_next()
        for _retry in plan._get_retry_days():
            suspended._retry()

        cancelled = member(
            ref("clinic_prepay_membership.res_partner_member_cancelled_demo"), "done"
        )
        cancelled._request_cancel()
        cancelled._end(today)

    @api.model
    def _demo_pay_online(self, period, card_state):
        """The member pays the period on the payment form and saves the card
        (the demo provider's card, answering ``card_state`` from then on)."""
        invoice = period.invoice_id
        provider = self.env.ref("payment.payment_provider_demo")
        Tx = self.env["payment.transaction"].sudo()
        tx = Tx.create(
            {
                "provider_id": provider.id,
                "payment_method_id": self.env.ref("payment_demo.payment_method_demo").id,
                "amount": invoice.amount_total,
                "currency_id": invoice.currency_id.id,
                "partner_id": invoice.partner_id.id,
                "reference": Tx._compute_reference("demo", invoice_ids=[Command.set(invoice.ids)]),
                "operation": "online_redirect",
                "tokenize": True,
                "invoice_ids": [Command.set(invoice.ids)],
            }
        )
        tx._handle_notification_data(
            "demo",
            {"reference": tx.reference, "simulated_state": "done", "payment_details": "4242"},
        )
        tx._post_process()
        tx.token_id.demo_simulated_state = card_state
        return tx
