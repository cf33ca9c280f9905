# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import pytz

from odoo import api, fields, models
from odoo.addons.clinic_prepay.models.clinic_appointment import (
    ClinicAppointment as BaseAppointment,
)
from odoo.exceptions import UserError


class ClinicAppointment(models.Model):
    """A booking paid by a course: its session is booked with it (no
    deposit), given back by a cancellation in time, and used by the visit,
    a missed visit or a late cancellation as the course says."""

    _inherit = "clinic.appointment"
    _clinic_user_fields = BaseAppointment._clinic_user_fields | {"wallet_card_id"}

    prepayment_rule = fields.Selection(
        selection_add=[("course", "Course session")], ondelete={"course": "set policy"}
    )
    wallet_card_id = fields.Many2one(
        "loyalty.card",
        string="Course",
        compute="_compute_wallet_card_id",
        store=True,
        readonly=False,
        precompute=True,
        copy=False,
        index="btree_not_null",
        domain="[('partner_id', '=', patient_id), ('clinic_state', '=', 'active'),"
        " ('points', '>', 0), ('program_id.clinic_treatment_ids', 'in', treatment_id)]",
        help="The patient's course this visit is a session of: no deposit is asked.",
    )
    wallet_sessions_left = fields.Float(related="wallet_card_id.points", string="Sessions Left")
    wallet_session_no = fields.Integer(string="Course Session", readonly=True, copy=False)
    wallet_session_state = fields.Selection(
        [("reserved", "Booked"), ("used", "Used"), ("returned", "Given Back")],
        string="Course Session Status",
        readonly=True,
        copy=False,
    )
    wallet_move_id = fields.Many2one(
        "account.move", string="Session Entry", readonly=True, copy=False
    )
    wallet_label = fields.Char(compute="_compute_wallet_label", string="Paid by Course")

    @api.depends("patient_id", "treatment_id")
    def _compute_wallet_card_id(self):
        """At the desk a booking of a treatment the patient has a course for
        is a session of it (the course ending first); the desk may clear it.
        Online (booked with its source), the patient chooses: a matching
        email is not the owner."""
        for appointment in self:
            if appointment.state not in (False, "draft"):
                continue
            if appointment.source == "online" or not appointment.patient_id:
                appointment.wallet_card_id = False
                continue
            card = appointment._clinic_available_courses()[:1]
            appointment.wallet_card_id = card

    def _clinic_available_courses(self):
        """The patient's active courses with a free session for the treatment."""
        self.ensure_one()
        if not (
            self.patient_id and self.treatment_id and self.patient_id.sudo().clinic_bought_course
        ):
            return self.env["loyalty.card"]
        return (
            self.env["loyalty.card"]
            .sudo()
            .search(
                [
                    ("partner_id", "=", self.patient_id.id),
                    ("clinic_state", "=", "active"),
                    ("points", ">", 0),
                    ("program_id.clinic_treatment_ids", "in", self.treatment_id.ids),
                ],
                order="expiration_date, id",
            )
        )

    @api.depends("wallet_card_id", "wallet_session_no", "wallet_session_state")
    def _compute_wallet_label(self):
        for appointment in self:
            card = appointment.wallet_card_id.sudo()
            if card and appointment.wallet_session_no:
                appointment.wallet_label = self.env._(
                    "%(course)s: session %(number)s of %(total)s",
                    course=card.program_id.name,
                    number=appointment.wallet_session_no,
                    total=card.clinic_sessions_total,
                )
            else:
                appointment.wallet_label = False

    @api.depends("wallet_card_id")
    def _compute_amounts_from_treatment(self):
        res = super()._compute_amounts_from_treatment()
        for appointment in self:
            if appointment.state in (False, "draft") and appointment.wallet_card_id:
                appointment.prepayment_rule = "course"
                appointment.deposit_required = 0.0
        return res

    def _clinic_check_user_write(self, vals):
        res = super()._clinic_check_user_write(vals)
        if "wallet_card_id" in vals and self.filtered(lambda a: a.state != "draft"):
            raise UserError(
                self.env._(
                    "A booking's course is chosen before it is booked: cancel it and book again."
                )
            )
        return res

    def _clinic_local_date(self):
        """The visit's day in the clinic's time zone."""
        self.ensure_one()
        tz = pytz.timezone(self.company_id._get_clinic_tz())
        return pytz.utc.localize(self.start).astimezone(tz).date()

    # ------------------------------------------------------------------------
    # Workflow
    # ------------------------------------------------------------------------

    def action_book(self):
        # the session is booked first, under the course's lock: a refusal
        # rolls the whole booking back
        for appointment in self.filtered(lambda a: a.state == "draft" and a.wallet_card_id):
            number = appointment.wallet_card_id._clinic_reserve(appointment)
            appointment.sudo().write(
                {"wallet_session_no": number, "wallet_session_state": "reserved"}
            )
        return super().action_book()

    def write(self, vals):
        res = super().write(vals)
        if "start" in vals:
            for appointment in self.filtered(lambda a: a.wallet_session_state == "reserved"):
                card = appointment.wallet_card_id.sudo()
                if (
                    card.expiration_date
                    and appointment._clinic_local_date() > card.expiration_date
                ):
                    raise UserError(
                        self.env._(
                            "The course %(code)s is valid until %(date)s: %(ref)s moves no later.",
                            code=card.code,
                            date=card.expiration_date,
                            ref=appointment.name,
                        )
                    )
        return res

    def _clinic_use_session(self, why):
        for appointment in self.filtered(lambda a: a.wallet_session_state == "reserved"):
            move = appointment.wallet_card_id._clinic_consume(appointment, why)
            appointment.sudo().write({"wallet_session_state": "used", "wallet_move_id": move.id})
            appointment.wallet_card_id.sudo()._clinic_check_used_up()

    def _clinic_return_session(self):
        for appointment in self.filtered(lambda a: a.wallet_session_state == "reserved"):
            appointment.wallet_card_id._clinic_release(appointment)
            appointment.sudo().wallet_session_state = "returned"

    @api.model
    def _clinic_session_rule_uses(self, rule, percent_kept):
        return rule == "use" or (rule == "treatment" and percent_kept > 0)

    def _create_final_invoice(self):
        # the course paid the visit: its session entry recognises the revenue
        if self.wallet_session_state == "reserved":
            return self.env["account.move"]
        return super()._create_final_invoice()

    def action_done(self):
        res = super().action_done()
        self._clinic_use_session(self.env._("visit done"))
        return res

    def action_no_show(self):
        res = super().action_no_show()
        for appointment in self:
            program = appointment.wallet_card_id.sudo().program_id
            if appointment.wallet_session_state == "reserved":
                if self._clinic_session_rule_uses(
                    program.clinic_no_show_rule, appointment.treatment_id.no_show_forfeit_percent
                ):
                    appointment._clinic_use_session(self.env._("missed visit"))
        return res

    def action_undo_no_show(self):
        used = self.filtered(lambda a: a.wallet_session_state == "used")
        res = super().action_undo_no_show()
        for appointment in used:
            appointment.wallet_card_id._clinic_unconsume(appointment)
            appointment.sudo().write({"wallet_session_state": "reserved", "wallet_move_id": False})
        return res

    def _cancel(self, reason, forfeit_percent, *args, **kwargs):
        res = super()._cancel(reason, forfeit_percent, *args, **kwargs)
        for appointment in self.filtered(lambda a: a.wallet_session_state == "reserved"):
            program = appointment.wallet_card_id.sudo().program_id
            # the part the cancellation's tier keeps
            if reason == "late" and self._clinic_session_rule_uses(
                program.clinic_late_cancel_rule, forfeit_percent
            ):
                appointment._clinic_use_session(self.env._("late cancellation"))
            else:
                appointment._clinic_return_session()
        return res
