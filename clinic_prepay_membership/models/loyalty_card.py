# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models
from odoo.exceptions import UserError


class LoyaltyCard(models.Model):
    """A member's credits: a course card of the plan's credits program.
    Each paid period adds its credits and their value (the liability the
    period's invoice posted); a booking spends one as a course session; the
    credits over the plan's rollover expire when a period ends."""

    _inherit = "loyalty.card"

    clinic_membership_id = fields.Many2one(
        "clinic.membership",
        string="Membership",
        readonly=True,
        copy=False,
        index="btree_not_null",
    )

    def _compute_display_name(self):
        res = super()._compute_display_name()
        for card in self.filtered("clinic_membership_id"):
            card.display_name = self.env._(
                "%(plan)s credits, %(left)s left (%(ref)s)",
                plan=card.clinic_membership_id.plan_id.name,
                left=int(card.points),
                ref=card.clinic_membership_id.name,
            )
        return res

    def _clinic_is_usable_for(self, appointment):
        problem = super()._clinic_is_usable_for(appointment)
        membership = self.sudo().clinic_membership_id
        if problem or not membership:
            return problem
        if membership.state not in ("active", "past_due"):
            return self.env._(
                "The membership %(ref)s is %(state)s: its credits wait until it is paid.",
                ref=membership.name,
                state=dict(membership._fields["state"]._description_selection(self.env))[
                    membership.state
                ],
            )
        return None

    def _clinic_add_credits(self, period):
        """The credits of the paid ``period`` and the value its invoice put
        on the prepaid account."""
        self.ensure_one()
        card = self.sudo()
        card._clinic_lock()
        invoice = period.invoice_id
        if not invoice.clinic_wallet_card_id:
            # the invoice's prepaid line is this card's value from now on
            invoice.clinic_wallet_card_id = card
        count = period.plan_id.credits_per_period
        value = card.currency_id.round(
            sum(
                -line.balance
                for line in invoice.line_ids
                if line.account_id == card._clinic_liability_account()
            )
        )
        card.write(
            {
                "points": card.points + count,
                "clinic_sessions_total": card.clinic_sessions_total + count,
                "clinic_value_sold": card.clinic_value_sold + value,
                "clinic_value": card.clinic_value + value,
                "clinic_state": "active",
                "clinic_paid_date": period.paid_date,
            }
        )
        card._clinic_log(
            "sold",
            self.env._("%(count)s credits of %(period)s", count=count, period=period.name),
            issued=count,
            amount=value,
            move=invoice,
        )

    def _clinic_expire_credits(self, count, day):
        """``count`` unbooked credits expire on ``day`` (a period ended):
        their share of the value becomes breakage income."""
        self.ensure_one()
        card = self.sudo()
        card._clinic_lock()
        count = min(count, int(card.points))
        if count <= 0:
            return
        currency = card.currency_id
        open_credits = (
            card.clinic_sessions_total
            - card.clinic_sessions_used
            - card.clinic_sessions_expired
            - card.clinic_sessions_refunded
        )
        if count >= open_credits:
            amount = card.clinic_value
        else:
            amount = min(currency.round(card._clinic_session_share() * count), card.clinic_value)
        company = card.company_id or self.env.company
        move = self.env["account.move"]
        label = self.env._("%(count)s membership credits expired", count=count)
        if not currency.is_zero(amount):
            move = card._clinic_post_entry(
                amount, company.clinic_breakage_account_id, label, date=day
            )
        card.write(
            {
                "points": card.points - count,
                "clinic_sessions_expired": card.clinic_sessions_expired + count,
                "clinic_value": card.clinic_value - amount,
            }
        )
        card._clinic_log("expired", label, used=count, amount=amount, move=move)
        card._clinic_check_used_up()
        return move

    def _clinic_check_used_up(self):
        # a member's card stays open for the next period's credits
        return super(
            LoyaltyCard, self.filtered(lambda c: not c.clinic_membership_id)
        )._clinic_check_used_up()

    def action_request_refund(self):
        if self.sudo().clinic_membership_id:
            raise UserError(
                self.env._(
                    "Membership credits are not refunded on their own: they end with the"
                    " membership."
                )
            )
        return super().action_request_refund()

    def _clinic_adjust(self, delta, reason):
        if self.sudo().clinic_membership_id:
            raise UserError(self.env._("Membership credits follow the plan's periods."))
        return super()._clinic_adjust(delta, reason)
