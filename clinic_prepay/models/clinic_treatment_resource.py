# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ClinicResourceKind(models.Model):
    """A kind of room or device a treatment may need: treatment room,
    laser... Each room or device (a material ``resource.resource``) is of
    one kind."""

    _name = "clinic.resource.kind"
    _description = "Clinic Room or Device Kind"
    _order = "sequence, name, id"

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    sequence = fields.Integer(default=10)
    description = fields.Text(translate=True)
    resource_ids = fields.One2many(
        "resource.resource", "clinic_kind_id", string="Rooms and Devices"
    )
    resource_count = fields.Integer(compute="_compute_resource_count")

    _sql_constraints = [
        ("name_unique", "UNIQUE(name)", "A kind of room or device has a name of its own."),
    ]

    @api.depends("resource_ids")
    def _compute_resource_count(self):
        """Number of active rooms and devices of the kind."""
        for kind in self:
            kind.resource_count = len(kind.resource_ids)


class ResourceResource(models.Model):
    _inherit = "resource.resource"

    clinic_kind_id = fields.Many2one(
        "clinic.resource.kind",
        index="btree_not_null",
        ondelete="restrict",
        help="The kind of room or device this is; treatments needing that kind book one.",
    )

    @api.constrains("clinic_kind_id", "resource_type")
    def _check_clinic_kind(self):
        people = self.filtered(lambda r: r.clinic_kind_id and r.resource_type != "material")
        if people:
            raise ValidationError(
                self.env._(
                    "%(names)s: only a material resource (a room or a device) has a clinic kind.",
                    names=", ".join(people.mapped("name")),
                )
            )


class ClinicTreatment(models.Model):
    _inherit = "clinic.treatment"

    resource_kind_ids = fields.Many2many(
        "clinic.resource.kind",
        string="Rooms and Devices Needed",
        help="A booking takes one free room or device of each of these kinds, besides its"
        " practitioner.",
    )
    clinic_needs_resources = fields.Boolean(
        compute="_compute_clinic_needs_resources",
        store=True,
        help="Technical: whether bookings of the treatment take rooms or devices.",
    )

    @api.depends("resource_kind_ids")
    def _compute_clinic_needs_resources(self):
        """Whether the treatment needs any room or device."""
        for treatment in self:
            treatment.clinic_needs_resources = bool(treatment.resource_kind_ids)

    @api.constrains("resource_kind_ids", "company_id", "active")
    def _check_resource_kinds(self):
        errors = []
        for treatment in self.filtered("active"):
            by_kind = self.env["clinic.scheduler"]._get_kind_resources(treatment)
            missing = [kind.name for kind, resources in by_kind.items() if not resources]
            if missing:
                errors.append(
                    self.env._(
                        "%(treatment)s needs %(kinds)s, but the clinic has no active room or"
                        " device of that kind.",
                        treatment=treatment.name,
                        kinds=", ".join(missing),
                    )
                )
        if errors:
            raise ValidationError("\n".join(errors))

    def write(self, vals):
        res = super().write(vals)
        if "resource_kind_ids" in vals:
            # bookings no longer hold the kinds their treatment stopped needing
            lines = (
                self.env["clinic.appointment.resource"]
                .sudo()
                .search([("appointment_id.treatment_id", "in", self.ids)])
            )
            lines.filtered(
                lambda line: line.kind_id not in line.appointment_id.treatment_id.resource_kind_ids
            ).unlink()
        return res
