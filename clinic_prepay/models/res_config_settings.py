# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    clinic_payment_hours = fields.Float(related="company_id.clinic_payment_hours", readonly=False)
    clinic_payment_before_hours = fields.Float(
        related="company_id.clinic_payment_before_hours", readonly=False
    )
    clinic_free_cancel_hours = fields.Float(
        related="company_id.clinic_free_cancel_hours", readonly=False
    )
    clinic_late_cancel_forfeit_percent = fields.Float(
        related="company_id.clinic_late_cancel_forfeit_percent", readonly=False
    )
    clinic_no_show_forfeit_percent = fields.Float(
        related="company_id.clinic_no_show_forfeit_percent", readonly=False
    )
    clinic_refund_double_approval_amount = fields.Monetary(
        related="company_id.clinic_refund_double_approval_amount",
        readonly=False,
        currency_field="currency_id",
    )
    clinic_refund_as_credit = fields.Boolean(
        related="company_id.clinic_refund_as_credit", readonly=False
    )
    clinic_waitlist_offer_count = fields.Integer(
        related="company_id.clinic_waitlist_offer_count", readonly=False
    )
    clinic_waitlist_offer_hours = fields.Float(
        related="company_id.clinic_waitlist_offer_hours", readonly=False
    )
    clinic_risk_threshold = fields.Integer(
        related="company_id.clinic_risk_threshold", readonly=False
    )
    clinic_visit_reminder_hours = fields.Integer(
        related="company_id.clinic_visit_reminder_hours", readonly=False
    )
    clinic_payment_reminder_hours = fields.Integer(
        related="company_id.clinic_payment_reminder_hours", readonly=False
    )
    clinic_online_hold_minutes = fields.Integer(
        related="company_id.clinic_online_hold_minutes", readonly=False
    )
    clinic_min_notice_hours = fields.Float(
        related="company_id.clinic_min_notice_hours", readonly=False
    )
    clinic_max_days_ahead = fields.Integer(
        related="company_id.clinic_max_days_ahead", readonly=False
    )
    clinic_slot_minutes = fields.Integer(related="company_id.clinic_slot_minutes", readonly=False)
    clinic_refund_auto_approve = fields.Boolean(
        related="company_id.clinic_refund_auto_approve", readonly=False
    )
    clinic_deposit_account_id = fields.Many2one(
        related="company_id.clinic_deposit_account_id", readonly=False
    )
    clinic_fee_account_id = fields.Many2one(
        related="company_id.clinic_fee_account_id", readonly=False
    )
    clinic_deposit_product_id = fields.Many2one(
        related="company_id.clinic_deposit_product_id", readonly=False
    )
    clinic_journal_id = fields.Many2one(related="company_id.clinic_journal_id", readonly=False)
    clinic_forfeit_journal_id = fields.Many2one(
        related="company_id.clinic_forfeit_journal_id", readonly=False
    )
