# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import hashlib
from collections import defaultdict
from datetime import datetime, time, timedelta

import pytz

from odoo import api, fields, models
from odoo.tools import SQL


class ClinicResourceUsage(models.Model):
    """How much of its working time each room and device is booked, per day
    of the clinic: its available hours (its working hours at its site,
    leaves and public holidays removed, as the booking pages count them) and
    its booked hours (the bookings' own time, not their buffers).

    Working hours come from calendars, so these figures are kept in a table
    refreshed for the weeks around today each time the report is opened;
    the utilisation of any group is its booked hours over its available
    hours."""

    _name = "clinic.resource.usage"
    _description = "Clinic Room and Device Use"
    _order = "date desc, resource_id"
    _rec_name = "resource_id"

    date = fields.Date(required=True, readonly=True, index=True)
    resource_id = fields.Many2one(
        "resource.resource",
        string="Room or Device",
        required=True,
        readonly=True,
        ondelete="cascade",
        index=True,
    )
    kind_id = fields.Many2one("clinic.resource.kind", readonly=True)
    site_id = fields.Many2one("clinic.site", readonly=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    available_hours = fields.Float(readonly=True, aggregator="sum")
    booked_hours = fields.Float(readonly=True, aggregator="sum")
    utilisation = fields.Float(
        string="Utilisation (%)",
        readonly=True,
        aggregator="avg",
        help="Booked hours over available hours (of the whole group, not an average of days).",
    )

    _sql_constraints = [
        (
            "resource_date_uniq",
            "unique (resource_id, date, company_id)",
            "One row per resource, day and company.",
        )
    ]

    # weeks around today refreshed when the report opens
    WEEKS_BACK = 8
    WEEKS_AHEAD = 4

    @api.model
    def read_group(self, domain, fields, groupby, offset=0, limit=None, orderby=False, lazy=True):
        """A group's utilisation is its booked hours over its available
        hours, not the average of its days'."""
        names = {spec.split(":")[0].split("(")[0].strip() for spec in fields}
        extra = (
            [name for name in ("available_hours", "booked_hours") if name not in names]
            if "utilisation" in names
            else []
        )
        groups = super().read_group(
            domain, fields + extra, groupby, offset=offset, limit=limit, orderby=orderby, lazy=lazy
        )
        if "utilisation" in names:
            for group in groups:
                available = group.get("available_hours") or 0.0
                group["utilisation"] = (
                    100.0 * (group.get("booked_hours") or 0.0) / available if available else 0.0
                )
        return groups

    @api.model
    def action_open(self):
        """The report, its figures refreshed for the weeks around today
        (for those who may read it: the refresh writes as the system)."""
        self.check_access("read")
        today = fields.Date.context_today(self)
        self._refresh(
            today - timedelta(weeks=self.WEEKS_BACK), today + timedelta(weeks=self.WEEKS_AHEAD)
        )
        return self.env["ir.actions.act_window"]._for_xml_id(
            "clinic_prepay.clinic_resource_usage_action"
        )

    @api.model
    def _refresh(self, date_from, date_to, company=None):
        """Recompute the rows of the company's active rooms and devices for
        the days [date_from, date_to] (the clinic's days). One refresh at a
        time per company."""
        company = company or self.env.company
        cr = self.env.cr
        key = int(hashlib.sha1(f"clinic_usage:{company.id}".encode()).hexdigest()[:15], 16)
        cr.execute("SELECT pg_advisory_xact_lock(%s)", [key])
        resources = (
            self.env["resource.resource"]
            .sudo()
            .search(
                [
                    ("resource_type", "=", "material"),
                    ("clinic_kind_id", "!=", False),
                    ("company_id", "in", [company.id, False]),
                ]
            )
        )
        tz = pytz.timezone(company._get_clinic_tz())
        days = [date_from + timedelta(days=n) for n in range((date_to - date_from).days + 1)]
        bounds = {
            day: tuple(
                tz.localize(datetime.combine(day + timedelta(days=offset), time.min))
                .astimezone(pytz.utc)
                .replace(tzinfo=None)
                for offset in (0, 1)
            )
            for day in days
        }
        window = (bounds[days[0]][0], bounds[days[-1]][1])
        work = self.env["clinic.scheduler"]._get_work_intervals(
            resources, *window, company=company
        )
        self.env.flush_all()
        booked = defaultdict(list)
        if resources:
            cr.execute(
                SQL(
                    """
                    SELECT resource_id, start, stop
                      FROM clinic_appointment_resource
                     WHERE booked AND resource_id IN %(resources)s
                       AND tsrange(start, stop, '[)') && tsrange(%(start)s, %(stop)s, '[)')
                    """,
                    resources=tuple(resources.ids),
                    start=window[0],
                    stop=window[1],
                )
            )
            for resource_id, start, stop in cr.fetchall():
                booked[resource_id].append((start, stop))

        def hours(intervals, day_start, day_stop):
            seconds = sum(
                max((min(stop, day_stop) - max(start, day_start)).total_seconds(), 0)
                for start, stop in intervals
            )
            return round(seconds / 3600.0, 2)

        rows = []
        for resource in resources:
            for day in days:
                available = hours(work.get(resource.id, []), *bounds[day])
                used = hours(booked.get(resource.id, []), *bounds[day])
                if not available and not used:
                    continue
                rows.append(
                    {
                        "date": day,
                        "resource_id": resource.id,
                        "kind_id": resource.clinic_kind_id.id,
                        "site_id": resource.clinic_site_id.id,
                        "company_id": company.id,
                        "available_hours": available,
                        "booked_hours": used,
                        "utilisation": 100.0 * used / available if available else 0.0,
                    }
                )
        Usage = self.sudo()
        Usage.search(
            [("company_id", "=", company.id), ("date", ">=", date_from), ("date", "<=", date_to)]
        ).unlink()
        return Usage.create(rows)
