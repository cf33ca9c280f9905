# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import Command, api, fields, models
from odoo.exceptions import ValidationError


class ClinicAppointmentResource(models.Model):
    """A room or device one appointment takes, at its time. Written by the
    booking flow only (users read it); PostgreSQL refuses two booked rows
    of one resource at once, whatever the number of workers."""

    _name = "clinic.appointment.resource"
    _description = "Clinic Appointment Room or Device"
    _order = "start, resource_id, id"
    _rec_name = "resource_id"

    appointment_id = fields.Many2one(
        "clinic.appointment", required=True, ondelete="cascade", index=True, readonly=True
    )
    resource_id = fields.Many2one(
        "resource.resource",
        string="Room or Device",
        required=True,
        ondelete="restrict",
        index=True,
        readonly=True,
    )
    kind_id = fields.Many2one(
        "clinic.resource.kind", required=True, ondelete="restrict", readonly=True
    )
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    start = fields.Datetime(required=True, readonly=True)
    stop = fields.Datetime(required=True, readonly=True)
    booked = fields.Boolean(
        readonly=True, help="The appointment is booked: it holds the room or device."
    )
    patient_id = fields.Many2one(related="appointment_id.patient_id")
    treatment_id = fields.Many2one(related="appointment_id.treatment_id")
    practitioner_id = fields.Many2one(related="appointment_id.practitioner_id")
    state = fields.Selection(related="appointment_id.state")
    color = fields.Integer(related="appointment_id.color")

    _sql_constraints = [
        ("stop_after_start", "CHECK(stop > start)", "A booking ends after it starts."),
        (
            "kind_once",
            "UNIQUE(appointment_id, kind_id)",
            "An appointment takes one room or device of each kind.",
        ),
        (
            "resource_no_overlap",
            "EXCLUDE USING gist (resource_id WITH =, tsrange(start, stop, '[)') WITH &&)"
            " WHERE (booked)",
            "This room or device is already booked at that time.",
        ),
    ]

    def _auto_init(self):
        # the exclusion constraint compares resource ids with "=" in GiST
        self.env.cr.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        return super()._auto_init()

    @api.depends("resource_id", "patient_id", "treatment_id")
    def _compute_display_name(self):
        """The room or device, then who and what."""
        for line in self:
            line.display_name = " - ".join(
                part
                for part in (
                    line.resource_id.name,
                    line.patient_id.name,
                    line.treatment_id.name,
                )
                if part
            )


class ClinicAppointment(models.Model):
    _inherit = "clinic.appointment"

    resource_line_ids = fields.One2many(
        "clinic.appointment.resource", "appointment_id", string="Room and Device Bookings"
    )
    resource_ids = fields.Many2many(
        "resource.resource",
        string="Rooms and Devices",
        compute="_compute_resource_ids",
        inverse="_inverse_resource_ids",
        domain="[('clinic_kind_id', 'in', resource_kind_ids)]",
        help="Taken automatically at booking (the least used first); the desk may pick them.",
    )
    resource_kind_ids = fields.Many2many(related="treatment_id.resource_kind_ids")

    @api.depends("resource_line_ids.resource_id")
    def _compute_resource_ids(self):
        """The rooms and devices the appointment takes (or was given)."""
        for appointment in self:
            appointment.resource_ids = appointment.resource_line_ids.resource_id

    def _inverse_resource_ids(self):
        """The desk's pick is taken by ``create`` and ``write`` (checked
        there, see ``clinic.scheduler._sync_appointment_resources``)."""

    def _clinic_picked_resources(self, commands):
        """The resources the desk picks with the x2many ``commands``."""
        ids = list(self.resource_ids.ids) if len(self) == 1 else []
        for command in commands or []:
            if isinstance(command, int):
                ids.append(command)
            elif command[0] == Command.SET:
                ids = list(command[2])
            elif command[0] == Command.LINK:
                ids.append(command[1])
            elif command[0] in (Command.UNLINK, Command.DELETE):
                ids = [i for i in ids if i != command[1]]
            elif command[0] == Command.CLEAR:
                ids = []
            else:
                raise ValidationError(self.env._("Pick existing rooms and devices."))
        return self.env["resource.resource"].browse(ids)

    @api.model_create_multi
    def create(self, vals_list):
        picks = [
            self._clinic_picked_resources(vals["resource_ids"]) if "resource_ids" in vals else None
            for vals in vals_list
        ]
        appointments = super().create(vals_list)
        Scheduler = self.env["clinic.scheduler"]
        for appointment, pick in zip(appointments, picks, strict=True):
            if pick is not None or appointment.treatment_id.clinic_needs_resources:
                Scheduler._sync_appointment_resources(appointment, pick)
        return appointments

    def write(self, vals):
        picked = (
            self._clinic_picked_resources(vals["resource_ids"]) if "resource_ids" in vals else None
        )
        res = super().write(vals)
        if picked is not None or "treatment_id" in vals:
            todo = self
        elif {"start", "stop", "state", "site_id"} & set(vals):
            todo = self.filtered("treatment_id.clinic_needs_resources")
        else:
            todo = self.browse()
        if todo:
            self.env["clinic.scheduler"]._sync_appointment_resources(todo, picked)
        return res

    def action_view_resource_calendar(self):
        """The calendar of the rooms and devices this appointment takes, on its week."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "clinic_prepay.clinic_appointment_resource_action"
        )
        action["domain"] = [("resource_id", "in", self.resource_ids.ids)]
        action["context"] = {
            "search_default_booked": 1,
            "initial_date": fields.Datetime.to_string(self.start),
        }
        return action
