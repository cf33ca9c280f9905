# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

# what an appointment's event takes from its appointment only
APPOINTMENT_OWNED = frozenset(
    {
        "name",
        "start",
        "stop",
        "start_date",
        "stop_date",
        "duration",
        "allday",
        "user_id",
        "partner_ids",
        "attendee_ids",
        "active",
        "res_model_id",
        "res_model",
        "res_id",
        "recurrency",
    }
)


class CalendarEvent(models.Model):
    _inherit = "calendar.event"

    def _get_clinic_appointments(self):
        """The appointments these events show, with the user's rights."""
        ids = [e.res_id for e in self if e.res_model == "clinic.appointment" and e.res_id]
        return self.env["clinic.appointment"].browse(ids).exists()

    def write(self, vals):
        """A change made on an appointment's event (a drag in the calendar,
        its form) goes to the appointment, with every rule of a move (free
        slot, state, future time, the patient told, the deadline); what the
        appointment alone decides is refused with a clear message."""
        # only the add-on's own sync (in sudo mode) writes an event directly:
        # a context key alone can be sent by anyone over RPC
        if self.env.su and self.env.context.get("clinic_event_sync"):
            return super().write(vals)
        linked = self.filtered(lambda e: e._get_clinic_appointments())
        owned = set(vals) & APPOINTMENT_OWNED
        if not linked or not owned:
            return super().write(vals)
        if self - linked:
            super(CalendarEvent, self - linked).write(vals)
        moves = {"start", "stop", "duration", "user_id"}
        for event in linked:
            appointment = event._get_clinic_appointments()
            changes = {
                name for name in owned - moves if self._clinic_differs(event, name, vals[name])
            }
            if changes:
                raise UserError(
                    self.env._(
                        "This event shows the appointment %(ref)s: change its patient,"
                        " treatment or state on the appointment, or cancel it there.",
                        ref=appointment.sudo().name,
                    )
                )
            start = fields.Datetime.to_datetime(vals.get("start")) or event.start
            stop = fields.Datetime.to_datetime(vals.get("stop")) or (
                start + (event.stop - event.start)
            )
            if vals.get("duration") and not vals.get("stop"):
                # a new length typed in the event's form
                stop = start + timedelta(hours=float(vals["duration"]))
            if stop - start != appointment.sudo().stop - appointment.sudo().start:
                raise UserError(
                    self.env._(
                        "The length of %(ref)s is its treatment's: move it without resizing.",
                        ref=appointment.sudo().name,
                    )
                )
            move = {}
            if start != appointment.sudo().start:
                move["start"] = start
            if vals.get("user_id") and vals["user_id"] != appointment.sudo().practitioner_id.id:
                move["practitioner_id"] = vals["user_id"]
            if move:
                # as the user: their rights and every rule of the appointment
                appointment.write(move)
        rest = {name: value for name, value in vals.items() if name not in APPOINTMENT_OWNED}
        return super(CalendarEvent, linked).write(rest) if rest else True

    def _clinic_differs(self, event, name, value):
        field = self._fields[name]
        if field.type in ("one2many", "many2many"):
            return True
        if field.type == "many2one":
            return (value or False) != event[name].id
        if field.type == "datetime":
            return fields.Datetime.to_datetime(value) != event[name]
        return (value or False) != (event[name] or False)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_appointment(self):
        appointments = self._get_clinic_appointments()
        if appointments and not (self.env.su and self.env.context.get("clinic_event_sync")):
            raise UserError(
                self.env._(
                    "%(refs)s: an appointment's event is not deleted; cancel the"
                    " appointment instead.",
                    refs=", ".join(appointments.sudo().mapped("name")),
                )
            )
