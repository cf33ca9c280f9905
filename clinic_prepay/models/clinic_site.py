# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models, tools
from odoo.addons.base.models.res_partner import _tz_get
from odoo.exceptions import ValidationError

from .clinic_appointment import BLOCKING_STATES


class ClinicSite(models.Model):
    """A place where the clinic sees patients: an address and a time zone.

    A clinic without sites books as one place. With sites, each treatment is
    offered at some of them, practitioners, rooms and devices work at a site
    (all their hours, or per working-hours line) and each booking is at one.
    """

    _name = "clinic.site"
    _description = "Clinic Site"
    _order = "sequence, name, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Address",
        required=True,
        help="The site's address, as the patient's mails and pages give it.",
    )
    tz = fields.Selection(
        _tz_get,
        string="Time Zone",
        required=True,
        default=lambda self: self.env.company._get_clinic_tz(),
        help="Booking times at this site are shown in its time zone.",
    )
    color = fields.Integer()
    treatment_ids = fields.Many2many(
        "clinic.treatment",
        "clinic_site_treatment_rel",
        "site_id",
        "treatment_id",
        string="Treatments",
        help="The treatments offered here (a treatment without sites is offered at every site).",
    )
    resource_ids = fields.One2many("resource.resource", "clinic_site_id", string="Resources")

    _sql_constraints = [
        (
            "name_company_uniq",
            "unique (name, company_id)",
            "Each site of a clinic has its own name.",
        )
    ]

    def _get_address(self):
        """The site's address on one line, as mails give it."""
        self.ensure_one()
        address = self.partner_id.sudo()._display_address(without_company=True)
        return ", ".join(line.strip() for line in address.splitlines() if line.strip())

    @api.model
    @tools.ormcache("company_id")
    def _get_company_site_ids(self, company_id):
        """The active sites of a company, by order (cached: read on every booking)."""
        Site = self.sudo().with_context(active_test=True)
        return tuple(Site.search([("company_id", "=", company_id)]).ids)

    @api.model_create_multi
    def create(self, vals_list):
        Site = self.with_context(active_test=False)
        first = {
            vals.get("company_id") or self.env.company.id
            for vals in vals_list
            if not Site.search_count(
                [("company_id", "=", vals.get("company_id") or self.env.company.id)], limit=1
            )
        }
        sites = super().create(vals_list)
        self.env.registry.clear_cache()
        for company_id in first:
            # a clinic's first site is where it saw its patients until now
            site = sites.filtered(lambda s, c=company_id: s.company_id.id == c)[:1]
            self.env["clinic.appointment"].flush_model(["site_id"])
            self.env.cr.execute(
                "UPDATE clinic_appointment SET site_id = %s"
                " WHERE company_id = %s AND site_id IS NULL",
                [site.id, company_id],
            )
            self.env["clinic.appointment"].invalidate_model(["site_id"])
        return sites

    def write(self, vals):
        if "company_id" in vals:
            used = self.filtered(
                lambda site: (
                    site.company_id.id != vals["company_id"]
                    and (
                        site.sudo().resource_ids
                        or site.sudo().treatment_ids
                        or self.env["clinic.appointment"]
                        .sudo()
                        .search_count([("site_id", "=", site.id)], limit=1)
                    )
                )
            )
            if used:
                raise ValidationError(
                    self.env._(
                        "%(sites)s already has treatments, resources or bookings: it stays"
                        " with its company.",
                        sites=", ".join(used.mapped("name")),
                    )
                )
        if {"active", "company_id", "sequence", "name"} & set(vals):
            self.env.registry.clear_cache()
        return super().write(vals)

    def unlink(self):
        self.env.registry.clear_cache()
        return super().unlink()


class ResourceResource(models.Model):
    _inherit = "resource.resource"

    clinic_site_id = fields.Many2one(
        "clinic.site",
        string="Site",
        index="btree_not_null",
        help="Where this practitioner, room or device always works. Leave empty when"
        " its working hours say the site of each day, or when the clinic has one site.",
    )

    @api.constrains("clinic_site_id", "calendar_id", "company_id")
    def _check_clinic_site(self):
        errors = []
        for resource in self.filtered("clinic_site_id"):
            site = resource.clinic_site_id
            if resource.company_id and site.company_id != resource.company_id:
                errors.append(
                    self.env._(
                        "%(resource)s and its site %(site)s belong to different companies.",
                        resource=resource.name,
                        site=site.name,
                    )
                )
            elsewhere = resource.calendar_id.attendance_ids.clinic_site_id - site
            if elsewhere:
                errors.append(
                    self.env._(
                        "%(resource)s works at %(site)s, but its working hours (%(calendar)s)"
                        " put it at %(others)s: a resource is at one site at a time.",
                        resource=resource.name,
                        site=site.name,
                        calendar=resource.calendar_id.name,
                        others=", ".join(elsewhere.mapped("name")),
                    )
                )
        if errors:
            raise ValidationError("\n".join(errors))


class ResourceCalendarAttendance(models.Model):
    _inherit = "resource.calendar.attendance"

    clinic_site_id = fields.Many2one(
        "clinic.site",
        string="Site",
        index="btree_not_null",
        help="Where the practitioners, rooms and devices on these working hours work"
        " during these hours (any site when empty).",
    )

    @api.constrains("clinic_site_id", "dayofweek", "hour_from", "hour_to", "week_type")
    def _check_clinic_site(self):
        """Hours at two sites at once would put one resource in two places."""
        errors = []
        for calendar in self.calendar_id:
            lines = calendar.attendance_ids.filtered(lambda a: not a.display_type)
            placed = lines.filtered("clinic_site_id")
            if not placed:
                continue
            fixed = calendar.env["resource.resource"].search(
                [("calendar_id", "=", calendar.id), ("clinic_site_id", "!=", False)]
            )
            for resource in fixed:
                elsewhere = placed.clinic_site_id - resource.clinic_site_id
                if elsewhere:
                    errors.append(
                        self.env._(
                            "%(resource)s works at %(site)s, but %(calendar)s would put it at"
                            " %(others)s: a resource is at one site at a time.",
                            resource=resource.name,
                            site=resource.clinic_site_id.name,
                            calendar=calendar.name,
                            others=", ".join(elsewhere.mapped("name")),
                        )
                    )
            for line in placed:
                clash = lines.filtered(
                    lambda other, line=line: (
                        other.id > line.id
                        and other.clinic_site_id
                        and other.clinic_site_id != line.clinic_site_id
                        and other.dayofweek == line.dayofweek
                        and (other.week_type or "") == (line.week_type or "")
                        and (other.resource_id == line.resource_id)
                        and other.hour_from < line.hour_to
                        and other.hour_to > line.hour_from
                        and (
                            not other.date_to
                            or not line.date_from
                            or other.date_to >= line.date_from
                        )
                        and (
                            not line.date_to
                            or not other.date_from
                            or line.date_to >= other.date_from
                        )
                    )
                )[:1]
                if clash:
                    errors.append(
                        self.env._(
                            "%(calendar)s puts its hours at %(site)s and %(other)s at once"
                            " (%(day)s): a resource is at one site at a time.",
                            calendar=calendar.name,
                            site=line.clinic_site_id.name,
                            other=clash.clinic_site_id.name,
                            day=dict(line._fields["dayofweek"]._description_selection(self.env))[
                                line.dayofweek
                            ],
                        )
                    )
        if errors:
            raise ValidationError("\n".join(errors))


class ClinicTreatment(models.Model):
    _inherit = "clinic.treatment"

    site_ids = fields.Many2many(
        "clinic.site",
        "clinic_site_treatment_rel",
        "treatment_id",
        "site_id",
        string="Sites",
        help="Where this treatment is offered; every site of the clinic when empty.",
    )

    def _get_sites(self):
        """The active sites where this treatment is offered, by order; none
        when the clinic has no sites (it books as one place)."""
        self.ensure_one()
        Site = self.env["clinic.site"].sudo()
        company_sites = Site.browse(Site._get_company_site_ids(self.company_id.id))
        if not company_sites:
            return company_sites
        own = self.sudo().site_ids
        return company_sites & own if own else company_sites

    @api.constrains("site_ids", "company_id")
    def _check_sites(self):
        for treatment in self:
            foreign = treatment.site_ids.filtered(
                lambda s, t=treatment: s.company_id != t.company_id
            )
            if foreign:
                raise ValidationError(
                    self.env._(
                        "%(treatment)s cannot be offered at %(sites)s: another company's sites.",
                        treatment=treatment.name,
                        sites=", ".join(foreign.mapped("name")),
                    )
                )


class ClinicAppointment(models.Model):
    # one file per feature of the booking
    _inherit = "clinic.appointment"  # pylint: disable=consider-merging-classes-inherited

    site_id = fields.Many2one(
        "clinic.site",
        ondelete="restrict",
        compute="_compute_site_id",
        store=True,
        readonly=False,
        precompute=True,
        tracking=True,
        index="btree_not_null",
        domain="[('id', 'in', allowed_site_ids)]",
        help="Where the visit takes place: its times are in the site's time zone.",
    )
    allowed_site_ids = fields.Many2many("clinic.site", compute="_compute_allowed_site_ids")

    @api.depends("treatment_id")
    def _compute_allowed_site_ids(self):
        for appointment in self:
            appointment.allowed_site_ids = (
                appointment.treatment_id._get_sites() if appointment.treatment_id else False
            )

    @api.depends("treatment_id", "practitioner_id")
    def _compute_site_id(self):
        """The treatment's one site, else the practitioner's own site among
        the treatment's; the desk picks otherwise."""
        for appointment in self:
            if appointment.state not in (False, "draft") or not appointment.treatment_id:
                continue
            sites = appointment.treatment_id._get_sites()
            if not sites or appointment.site_id in sites:
                continue
            own = appointment.practitioner_id.sudo().resource_ids[:1].clinic_site_id
            appointment.site_id = (sites & own) or (sites if len(sites) == 1 else False)

    def _get_tz(self):
        """Where the visit takes place decides how its times read: the
        site's time zone, else the clinic's."""
        self.ensure_one()
        return self.site_id.tz or self.company_id._get_clinic_tz()

    @api.constrains("site_id", "treatment_id", "practitioner_id")
    def _check_site(self, booking=False):
        """Checked when the site, the treatment or the practitioner changes,
        and at booking (a booking made before the clinic had sites keeps
        none). A practitioner who always works at another site is never
        booked here, not even by a manager: they are elsewhere."""
        errors = []
        for appointment in self:
            site = appointment.site_id
            if site and site.company_id != appointment.company_id:
                errors.append(
                    self.env._(
                        "%(ref)s: %(site)s is another company's site.",
                        ref=appointment.name,
                        site=site.name,
                    )
                )
            if appointment.state not in BLOCKING_STATES and not booking:
                continue
            sites = appointment.treatment_id._get_sites()
            if sites and not site:
                errors.append(
                    self.env._(
                        "%(ref)s: pick the site of the visit (%(sites)s).",
                        ref=appointment.name,
                        sites=", ".join(sites.mapped("name")),
                    )
                )
            elif site and site not in sites:
                errors.append(
                    self.env._(
                        "%(treatment)s is not offered at %(site)s.",
                        treatment=appointment.treatment_id.name,
                        site=site.name,
                    )
                )
            own = appointment.practitioner_id.sudo().resource_ids[:1].clinic_site_id
            if site and own and own != site:
                errors.append(
                    self.env._(
                        "%(practitioner)s works at %(own)s, not at %(site)s.",
                        practitioner=appointment.practitioner_id.name,
                        own=own.name,
                        site=site.name,
                    )
                )
        if errors:
            raise ValidationError("\n".join(errors))


class ClinicWaitlistOffer(models.Model):
    _inherit = "clinic.waitlist.offer"

    site_id = fields.Many2one("clinic.site", readonly=True)
