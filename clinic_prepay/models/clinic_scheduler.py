# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from collections import defaultdict
from contextlib import contextmanager
from datetime import timedelta

import pytz
from psycopg2.errors import ExclusionViolation

from odoo import api, fields, models
from odoo.addons.resource.models.utils import Intervals
from odoo.exceptions import ValidationError
from odoo.tools import SQL, format_datetime

from .clinic_appointment import BLOCKING_STATES

# the exclusion constraint of clinic.appointment.resource
RESOURCE_CONSTRAINT = "clinic_appointment_resource_resource_no_overlap"


def _fits(periods, start, stop):
    """[start, stop) lies inside one of the (merged) ``periods``."""
    return any(p_start <= start and stop <= p_stop for p_start, p_stop in periods)


def _clashes(intervals, start, stop):
    return any(i_start < stop and i_stop > start for i_start, i_stop in intervals)


def _merge(periods):
    """Contiguous periods make one (a booking across two of them fits)."""
    merged = []
    for start, stop in sorted(periods):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], stop))
        else:
            merged.append((start, stop))
    return merged


class ClinicScheduler(models.AbstractModel):
    """The scheduling service, as ``calendar.alarm_manager`` is Odoo's for
    alarms: busy time, working time, free slots, holds and the booking
    checks of practitioners and of the rooms and devices (material
    ``resource.resource`` of a ``clinic.resource.kind``) a treatment needs,
    at each site of the clinic. The booking pages, the desk, moves and the
    waitlist all ask it.

    A practitioner, room or device is free at a time when it works then, at
    that site (its resource calendar, its leaves and the public holidays
    removed; the company's calendar when it has none) and no booked
    appointment holds it (expired online holds excepted), the treatments'
    buffers kept. Every read is a bounded number of queries whatever the
    number of slots: busy time by range on the exclusion constraints' GiST
    indexes.
    """

    _name = "clinic.scheduler"
    _description = "Clinic Scheduler"

    # ------------------------------------------------------------------------
    # Reads
    # ------------------------------------------------------------------------

    @api.model
    def _get_kind_resources(self, treatment, site=None):
        """``{kind: resources}``: the active rooms and devices of each kind
        ``treatment`` needs, of its company (or of none), by id; at ``site``
        only those that may work there (of that site, or placed by their
        working hours)."""
        kinds = treatment.sudo().resource_kind_ids
        domain = [
            ("clinic_kind_id", "in", kinds.ids),
            ("resource_type", "=", "material"),
            ("company_id", "in", [treatment.company_id.id, False]),
        ]
        if site:
            domain.append(("clinic_site_id", "in", [site.id, False]))
        resources = self.env["resource.resource"].sudo().search(domain, order="id")
        return {
            kind: resources.filtered(lambda r, k=kind: r.clinic_kind_id == k) for kind in kinds
        }

    @api.model
    def _get_resource_busy(self, resources, date_from, date_to, now=None, exclude=None):
        """Booked time of each resource around [date_from, date_to) (naive
        UTC): ``{resource id: [(start, stop, padded start, padded stop)]}``,
        padded by the buffers of the booking's treatment. An online hold
        past its time without a payment under way is free again; the
        appointments ``exclude`` (one being moved) are not counted. One query."""
        if not resources:
            return {}
        now = now or fields.Datetime.now()
        Appointment = self.env["clinic.appointment"]
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT r.resource_id, r.start, r.stop,
                       r.start - interval '1 hour' * COALESCE(t.buffer_before, 0),
                       r.stop + interval '1 hour' * COALESCE(t.buffer_after, 0)
                  FROM clinic_appointment_resource r
                  JOIN clinic_appointment a ON a.id = r.appointment_id
                  JOIN clinic_treatment t ON t.id = a.treatment_id
                 WHERE r.booked
                   AND r.resource_id IN %(resources)s
                   -- widened by a day for the buffers of bookings around it
                   AND tsrange(r.start, r.stop, '[)')
                       && tsrange(%(from)s - interval '1 day', %(to)s + interval '1 day', '[)')
                   AND NOT (a.state = 'awaiting_payment' AND a.hold_expires IS NOT NULL
                            AND a.hold_expires < %(now)s AND NOT %(in_progress)s)
                   AND r.appointment_id != ALL(%(exclude)s::int[])
                """,
                resources=tuple(resources.ids),
                now=now,
                exclude=list(exclude.ids if exclude else []),
                in_progress=Appointment._payment_in_progress_sql("a"),
                **{"from": date_from, "to": date_to},
            )
        )
        busy = defaultdict(list)
        for resource_id, *interval in self.env.cr.fetchall():
            busy[resource_id].append(tuple(interval))
        return busy

    @api.model
    def _get_work_intervals(
        self, resources, date_from, date_to, site=None, company=None, generic=False
    ):
        """Working periods of each resource (``resource.resource``; naive
        UTC, contiguous ones merged), its leaves and the public holidays
        removed, at ``site`` only when given (the resource's own site, else
        the site of each working-hours line, none meaning any); the
        company's calendar for a resource without one:
        ``{resource id: [(start, stop)]}``; with ``generic``, the company
        calendar's own hours under ``False`` (for users without a resource)."""
        company = company or self.env.company
        by_calendar = defaultdict(lambda: self.env["resource.resource"])
        for resource in resources.sudo():
            calendar = (
                resource.calendar_id
                or resource.company_id.resource_calendar_id
                or company.resource_calendar_id
            )
            by_calendar[calendar] |= resource
        default = company.resource_calendar_id
        if default and generic:
            by_calendar[default] |= self.env["resource.resource"]
        start = pytz.utc.localize(date_from)
        stop = pytz.utc.localize(date_to)
        work = {}
        for calendar, group in by_calendar.items():
            if not calendar:
                continue
            calendar = calendar.sudo()
            if site:
                intervals = self._site_work_intervals(calendar, group, start, stop, site)
            else:
                intervals = calendar._work_intervals_batch(start, stop, resources=group)
            for key in group.ids + ([False] if generic and calendar == default else []):
                work[key] = _merge(
                    (
                        w_start.astimezone(pytz.utc).replace(tzinfo=None),
                        w_stop.astimezone(pytz.utc).replace(tzinfo=None),
                    )
                    for w_start, w_stop, _meta in intervals[key]
                )
        return work

    @api.model
    def _site_work_intervals(self, calendar, resources, start, stop, site):
        """Odoo's work intervals of ``resources`` on ``calendar`` (aware
        datetimes, ``{resource id: Intervals}``), at ``site`` only."""
        here = resources.filtered(lambda r: r.clinic_site_id == site)
        floating = resources.filtered(lambda r: not r.clinic_site_id)
        attendance = {r.id: Intervals() for r in resources}
        if here:
            attendance.update(
                (key, value)
                for key, value in calendar._attendance_intervals_batch(
                    start, stop, resources=here
                ).items()
                if key
            )
        attendance.update(
            calendar._attendance_intervals_batch(
                start,
                stop,
                resources=floating,
                domain=[("clinic_site_id", "in", [site.id, False])],
            )
        )
        leaves = calendar._leave_intervals_batch(start, stop, resources=resources)
        return {
            key: attendance.get(key, Intervals()) - leaves.get(key, Intervals())
            for key in [*resources.ids, False]
        }

    @api.model
    def _get_practitioner_work(self, practitioners, date_from, date_to, site=None, company=None):
        """Working periods of each practitioner (``res.users``; naive UTC,
        merged) at ``site`` when given: ``{user id: [(start, stop)]}``."""
        users = practitioners.sudo()
        resources = users.resource_ids
        generic = any(not user.resource_ids for user in users)
        work = self._get_work_intervals(
            resources, date_from, date_to, site=site, company=company, generic=generic
        )
        return {
            user.id: work.get(user.sudo().resource_ids[:1].id or False, [])
            for user in practitioners
        }

    @api.model
    def _get_resource_leaves(self, resources, start, stop):
        """``{resource id: leaves}``: each resource's own leaves
        (maintenance, repairs) overlapping [start, stop)."""
        leaves = (
            self.env["resource.calendar.leaves"]
            .sudo()
            .search(
                [
                    ("resource_id", "in", resources.ids),
                    ("time_type", "=", "leave"),
                    ("date_from", "<", stop),
                    ("date_to", ">", start),
                ]
            )
        )
        result = defaultdict(lambda: self.env["resource.calendar.leaves"])
        for leave in leaves:
            result[leave.resource_id.id] |= leave
        return result

    @api.model
    def _get_resource_usage(self, resources, start, company, exclude=None, tz=None):
        """How long each resource is booked on the clinic's day and week of
        ``start``: ``{resource id: (day seconds, week seconds)}``. One query."""
        tz = pytz.timezone(tz or company._get_clinic_tz())
        local = pytz.utc.localize(start).astimezone(tz)
        day = tz.localize(local.replace(tzinfo=None).replace(hour=0, minute=0, second=0))
        week = day - timedelta(days=day.weekday())

        def utc(value):
            return value.astimezone(pytz.utc).replace(tzinfo=None)

        bounds = {
            "day_from": utc(day),
            "day_to": utc(day + timedelta(days=1)),
            "week_from": utc(week),
            "week_to": utc(week + timedelta(days=7)),
        }
        self.env.cr.execute(
            SQL(
                """
                SELECT resource_id,
                       COALESCE(SUM(EXTRACT(EPOCH FROM LEAST(stop, %(day_to)s)
                                    - GREATEST(start, %(day_from)s)))
                                FILTER (WHERE start < %(day_to)s AND stop > %(day_from)s), 0),
                       COALESCE(SUM(EXTRACT(EPOCH FROM LEAST(stop, %(week_to)s)
                                    - GREATEST(start, %(week_from)s))), 0)
                  FROM clinic_appointment_resource
                 WHERE booked
                   AND resource_id IN %(resources)s
                   AND tsrange(start, stop, '[)') && tsrange(%(week_from)s, %(week_to)s, '[)')
                   AND appointment_id != ALL(%(exclude)s::int[])
                 GROUP BY resource_id
                """,
                resources=tuple(resources.ids) or (0,),
                exclude=list(exclude.ids if exclude else []),
                **bounds,
            )
        )
        return {row[0]: (row[1], row[2]) for row in self.env.cr.fetchall()}

    # ------------------------------------------------------------------------
    # Slots
    # ------------------------------------------------------------------------

    @api.model
    def _filter_free_slots(self, treatment, slots, now=None, exclude=None, site=None):
        """The ``slots`` of ``treatment`` (from its practitioners' free time,
        by start) at which one resource of each kind it needs is free too.
        A time is offered at most as many times as there are resources of
        each kind free then: one laser shared by two practitioners offers
        its time once. A bounded number of queries whatever the number of
        slots and bookings."""
        if not slots:
            return slots
        by_kind = self._get_kind_resources(treatment, site)
        if not all(by_kind.values()):
            return []
        resources = self.env["resource.resource"].union(*by_kind.values())
        before = timedelta(hours=treatment.buffer_before)
        after = timedelta(hours=treatment.buffer_after)
        date_from = min(slot["start"] for slot in slots) - before
        date_to = max(slot["stop"] for slot in slots) + after
        busy = self._get_resource_busy(resources, date_from, date_to, now=now, exclude=exclude)
        work = self._get_work_intervals(
            resources,
            date_from - timedelta(days=1),
            date_to + timedelta(days=1),
            site=site,
            company=treatment.company_id,
        )
        capacity = {}
        offered = defaultdict(int)
        free = []
        for slot in slots:
            start = slot["start"]
            if start not in capacity:
                padded = (start - before, slot["stop"] + after)
                capacity[start] = min(
                    sum(
                        1
                        for resource in kind_resources
                        if _fits(work.get(resource.id, []), *padded)
                        and not _clashes(
                            [(b[2], b[3]) for b in busy.get(resource.id, [])], *padded
                        )
                    )
                    for kind_resources in by_kind.values()
                )
            if offered[start] < capacity[start]:
                offered[start] += 1
                free.append(slot)
        return free

    # ------------------------------------------------------------------------
    # Bookings
    # ------------------------------------------------------------------------

    @api.model
    def _rank_resources(self, appointment, pick=None, keep=None):
        """The resources ``appointment`` may take at its time, for each kind
        its treatment needs, best first: ``({kind: [resources]}, {kind:
        [reasons]})``, the reasons saying why each refused one cannot.

        Never one on leave or booked then; outside its working hours only
        when a manager books (as for practitioners). Best first: working
        then, free with the buffers, the one it holds already (``keep``,
        ``{kind: resource}``), then the least used over the day and the
        week, then by id. ``pick`` (``{kind: resource}``) is the desk's
        choice: that resource only."""
        treatment = appointment.treatment_id.sudo()
        site = appointment.site_id
        by_kind = self._get_kind_resources(treatment, site)
        by_kind.update(pick or {})
        keep = keep or {}
        resources = self.env["resource.resource"].union(*by_kind.values())
        start, stop = appointment.start, appointment.stop
        before = timedelta(hours=treatment.buffer_before)
        after = timedelta(hours=treatment.buffer_after)
        padded = (start - before, stop + after)
        busy = self._get_resource_busy(resources, *padded, exclude=appointment)
        work = self._get_work_intervals(
            resources,
            padded[0] - timedelta(days=1),
            padded[1] + timedelta(days=1),
            site=site,
            company=treatment.company_id,
        )
        # working then, but at another site: never, not even for a manager
        anywhere = (
            self._get_work_intervals(
                resources,
                padded[0] - timedelta(days=1),
                padded[1] + timedelta(days=1),
                company=treatment.company_id,
            )
            if site
            else work
        )
        leaves = self._get_resource_leaves(resources, start, stop)
        usage = self._get_resource_usage(
            resources, start, appointment.company_id, appointment, tz=appointment._get_tz()
        )
        # the user who books, even when the booking writes in sudo mode
        user = self.env.user
        overtime = user._is_superuser() or user.has_group("clinic_prepay.group_clinic_manager")
        ranked, reasons = {}, defaultdict(list)
        for kind, kind_resources in by_kind.items():
            keys = []
            for resource in kind_resources:
                taken = busy.get(resource.id, [])
                leave = leaves.get(resource.id)
                clash = next((b for b in taken if b[0] < stop and b[1] > start), None)
                inside = _fits(work.get(resource.id, []), start, stop)
                if leave:
                    reasons[kind].append(
                        self.env._(
                            "%(resource)s is unavailable from %(start)s to %(stop)s (%(leave)s).",
                            resource=resource.name,
                            start=appointment._format_datetime(leave[0].date_from),
                            stop=appointment._format_datetime(leave[0].date_to),
                            leave=leave[0].name or self.env._("leave"),
                        )
                    )
                elif clash:
                    reasons[kind].append(
                        self.env._(
                            "%(resource)s is already booked from %(start)s to %(stop)s.",
                            resource=resource.name,
                            start=appointment._format_datetime(clash[0]),
                            stop=format_datetime(self.env, clash[1], dt_format="short"),
                        )
                    )
                elif site and (
                    (resource.clinic_site_id and resource.clinic_site_id != site)
                    or (not inside and _fits(anywhere.get(resource.id, []), start, stop))
                ):
                    reasons[kind].append(
                        self.env._(
                            "%(resource)s is not at %(site)s at that time (its working hours).",
                            resource=resource.name,
                            site=site.name,
                        )
                    )
                elif not inside and not overtime:
                    reasons[kind].append(
                        self.env._(
                            "%(resource)s is not available at that time (its working hours);"
                            " ask a manager to book it.",
                            resource=resource.name,
                        )
                    )
                else:
                    fits = _fits(work.get(resource.id, []), *padded) and not _clashes(
                        [(b[2], b[3]) for b in taken], *padded
                    )
                    day, week = usage.get(resource.id, (0, 0))
                    key = (
                        not inside,
                        not fits,
                        keep.get(kind) != resource,
                        day,
                        week,
                        resource.id,
                    )
                    keys.append((key, resource))
            ranked[kind] = [resource for _key, resource in sorted(keys, key=lambda k: k[0])]
        return ranked, reasons

    @api.model
    def _check_pick(self, appointment, resources):
        """The desk's pick ``resources`` for ``appointment``, checked:
        ``{kind: resource}``, one of each kind its treatment needs at most."""
        treatment = appointment.treatment_id.sudo()
        kinds = treatment.resource_kind_ids
        resources = resources.sudo().exists()
        if resources and appointment.state not in ("draft", "awaiting_payment", "confirmed"):
            raise ValidationError(
                self.env._(
                    "%(ref)s is no longer booked: its rooms and devices do not change.",
                    ref=appointment.name,
                )
            )
        pick = {}
        for resource in resources:
            kind = resource.clinic_kind_id
            if not kind or kind not in kinds:
                raise ValidationError(
                    self.env._(
                        "%(treatment)s does not need %(resource)s (it needs: %(kinds)s).",
                        treatment=treatment.name,
                        resource=resource.name,
                        kinds=", ".join(kinds.mapped("name")) or self.env._("no room or device"),
                    )
                )
            if kind in pick:
                raise ValidationError(
                    self.env._(
                        "%(ref)s takes one %(kind)s: pick %(first)s or %(second)s.",
                        ref=appointment.name,
                        kind=kind.name,
                        first=pick[kind].name,
                        second=resource.name,
                    )
                )
            if not resource.active or resource.company_id not in (
                treatment.company_id,
                self.env["res.company"],
            ):
                raise ValidationError(
                    self.env._("%(resource)s cannot be booked.", resource=resource.name)
                )
            pick[kind] = resource
        return pick

    @api.model
    def _no_resource_error(self, appointment, kind, reasons):
        if not reasons:
            return ValidationError(
                self.env._(
                    "%(treatment)s needs a %(kind)s, and the clinic has no active %(kind)s.",
                    treatment=appointment.treatment_id.name,
                    kind=kind.name,
                )
            )
        return ValidationError(
            self.env._(
                "No %(kind)s is free for %(ref)s from %(start)s to %(stop)s:\n%(reasons)s",
                kind=kind.name,
                ref=appointment.name,
                start=appointment._format_start(),
                stop=format_datetime(self.env, appointment.stop, dt_format="short"),
                reasons="\n".join(reasons),
            )
        )

    @api.model
    def _resources_free(self, appointment):
        """Whether ``appointment`` would find one resource of each kind it
        needs at its time (nothing is written)."""
        if not appointment.treatment_id.clinic_needs_resources:
            return True
        ranked, _reasons = self._rank_resources(appointment)
        return all(ranked.values())

    @api.model
    def _sync_appointment_resources(self, appointments, picked=None):
        """Keep the appointments' resource rows in step with them: a booked
        appointment holds one resource of each kind its treatment needs at
        its time (kept when it moves and it is still free, else another;
        refused clearly when none is), the database refusing two bookings of
        one resource at once; a draft or closed one holds nothing and keeps
        its rows as a record (and the desk's pick). ``picked``
        (``resource.resource``) is the desk's choice."""
        Line = self.env["clinic.appointment.resource"].sudo()
        for appointment in appointments:
            kinds = appointment.treatment_id.sudo().resource_kind_ids
            lines = appointment.sudo().resource_line_ids
            stale = lines.filtered(lambda line, kinds=kinds: line.kind_id not in kinds)
            if picked is not None and appointment.state == "draft":
                # a draft holds what the desk picks now, nothing else
                stale |= lines.filtered(lambda line: line.resource_id not in picked)
            if stale:
                stale.unlink()
                lines -= stale
            pick = self._check_pick(appointment, picked) if picked is not None else {}
            current = {line.kind_id: line for line in lines}
            times = {"start": appointment.start, "stop": appointment.stop}
            if appointment.state not in BLOCKING_STATES:
                if pick and appointment.state == "draft" and appointment.start:
                    # the desk hears at once about a resource it cannot have
                    ranked, reasons = self._rank_resources(appointment, pick=pick)
                    for kind in pick:
                        if not ranked[kind]:
                            raise self._no_resource_error(appointment, kind, reasons[kind])
                for kind, resource in pick.items():
                    if kind in current:
                        current[kind].resource_id = resource
                    else:
                        current[kind] = Line.create(
                            self._prepare_line_vals(appointment, kind, resource, booked=False)
                        )
                for line in current.values():
                    if line.booked or (line.start, line.stop) != (times["start"], times["stop"]):
                        line.write({**times, "booked": False})
                continue
            if (
                not pick
                and set(current) == set(kinds)
                and all(
                    line.booked and (line.start, line.stop) == (times["start"], times["stop"])
                    for line in current.values()
                )
            ):
                continue
            keep = {kind: line.resource_id for kind, line in current.items()}
            ranked, reasons = self._rank_resources(appointment, pick=pick, keep=keep)
            for kind in kinds.sorted("id"):
                if not ranked[kind]:
                    raise self._no_resource_error(appointment, kind, reasons[kind])
                self._reserve(appointment, kind, ranked[kind], current.get(kind))
            appointment.invalidate_recordset(["resource_line_ids", "resource_ids"])

    @api.model
    def _prepare_line_vals(self, appointment, kind, resource, booked):
        return {
            "appointment_id": appointment.id,
            "kind_id": kind.id,
            "resource_id": resource.id,
            "company_id": appointment.company_id.id,
            "start": appointment.start,
            "stop": appointment.stop,
            "booked": booked,
        }

    @api.model
    def _reserve(self, appointment, kind, candidates, line=None):
        """Book the first of ``candidates`` (best first) the database lets
        in for ``appointment``: another worker may have just taken one (its
        row is not in this transaction's snapshot, the constraint sees it),
        then the next is tried. Raises when none is left."""
        cr = self.env.cr
        Line = self.env["clinic.appointment.resource"].sudo()
        for resource in candidates:
            vals = self._prepare_line_vals(appointment, kind, resource, booked=True)
            try:
                # not a flushing savepoint: its rollback would drop the
                # transaction's pending hooks (tracking)
                with cr.savepoint(flush=False):
                    if line:
                        line.write(vals)
                        line.flush_recordset()
                    else:
                        line = Line.create(vals)
                        line.flush_recordset()
                return line
            except ExclusionViolation as error:
                if error.diag.constraint_name != RESOURCE_CONSTRAINT:
                    raise
                if line:
                    # the database kept the row as it was
                    line.invalidate_recordset()
        raise ValidationError(
            self.env._(
                "The %(kind)s this booking needs was just booked at that time by someone"
                " else; pick another time.",
                kind=kind.name,
            )
        )

    @api.model
    def _release_expired_resource_holds(self, appointment):
        """Online holds past their time, without a payment under way, that
        hold a resource of a kind ``appointment`` needs at its time, are
        released now rather than at the next run of the job."""
        by_kind = self._get_kind_resources(appointment.treatment_id, appointment.site_id)
        resources = self.env["resource.resource"].union(*by_kind.values())
        Appointment = self.env["clinic.appointment"]
        if not resources:
            return Appointment
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT a.id FROM clinic_appointment a
                 WHERE a.state = 'awaiting_payment'
                   AND a.hold_expires < %(now)s
                   AND a.id != %(self)s
                   AND EXISTS (
                        SELECT 1 FROM clinic_appointment_resource r
                         WHERE r.appointment_id = a.id
                           AND r.booked
                           AND r.resource_id IN %(resources)s
                           AND tsrange(r.start, r.stop, '[)')
                               && tsrange(%(start)s, %(stop)s, '[)'))
                   AND NOT %(in_progress)s
                   FOR UPDATE OF a SKIP LOCKED
                """,
                now=fields.Datetime.now(),
                self=appointment.id or 0,
                resources=tuple(resources.ids),
                start=appointment.start,
                stop=appointment.stop,
                in_progress=Appointment._payment_in_progress_sql("a"),
            )
        )
        expired = Appointment.sudo().browse([row[0] for row in self.env.cr.fetchall()])
        if expired:
            expired.invalidate_recordset()
            # the time goes to the booking being made, not to the waitlist
            expired.with_context(clinic_slot_taken=True)._cancel("unpaid", 0.0)
        return expired

    # ------------------------------------------------------------------------
    # Practitioners
    # ------------------------------------------------------------------------

    @api.model
    def _get_busy_intervals(self, practitioners, date_from, date_to, now=None, exclude=None):
        """Busy time of each practitioner in [date_from, date_to) (naive UTC):
        booked appointments padded by their treatment's buffers (an online
        hold past its time without a payment under way is free again) and
        their other busy calendar events, but not the appointments
        ``exclude`` (one being moved). Two queries, on range indexes,
        whatever the size of the tables."""
        now = now or fields.Datetime.now()
        Appointment = self.env["clinic.appointment"]
        self.env.flush_all()
        busy = defaultdict(list)
        users = tuple(practitioners.ids) or (0,)
        # On a large calendar the planner's estimate of these two range
        # queries passes jit_above_cost: compiling them costs far more than
        # running them (milliseconds against a fraction of one). Set in the
        # same round trip, for the rest of the transaction.
        self.env.cr.execute(
            SQL(
                """
                SET LOCAL jit = off;
                SELECT a.practitioner_id,
                       a.start - interval '1 hour' * COALESCE(t.buffer_before, 0),
                       a.stop + interval '1 hour' * COALESCE(t.buffer_after, 0)
                  FROM clinic_appointment a
                  JOIN clinic_treatment t ON t.id = a.treatment_id
                 WHERE a.practitioner_id IN %(users)s
                   AND a.state IN ('awaiting_payment', 'confirmed', 'done')
                   -- widened by a day for the buffers of appointments around it
                   AND tsrange(a.start, a.stop, '[)')
                       && tsrange(%(from)s - interval '1 day', %(to)s + interval '1 day', '[)')
                   AND NOT (a.state = 'awaiting_payment' AND a.hold_expires IS NOT NULL
                            AND a.hold_expires < %(now)s AND NOT %(in_progress_a)s)
                   AND a.id != ALL(%(exclude)s::int[])
                """,
                users=users,
                exclude=list(exclude.ids if exclude else []),
                now=now,
                in_progress_a=Appointment._payment_in_progress_sql("a"),
                **{"from": date_from, "to": date_to},
            )
        )
        for user_id, start, stop in self.env.cr.fetchall():
            busy[user_id].append((start, stop))
        self.env.cr.execute(
            SQL(
                # the window's events first (range index), then each one's
                # attendance by index: never a scan of a large attendee table
                """
                WITH window_events AS MATERIALIZED (
                    SELECT id, start, stop
                      FROM calendar_event
                     WHERE active
                       AND show_as = 'busy'
                       AND tsrange(start, stop, '[)') && tsrange(%(from)s, %(to)s, '[)')
                       AND res_model_id IS DISTINCT FROM %(model)s
                )
                SELECT u.id, e.start, e.stop
                  FROM window_events e
                  JOIN res_users u ON u.id IN %(users)s
                  JOIN LATERAL (
                        SELECT 1
                          FROM calendar_attendee att
                         WHERE att.event_id = e.id
                           AND att.partner_id = u.partner_id
                           AND att.state != 'declined'
                         LIMIT 1
                  ) attending ON TRUE
                """,
                users=users,
                model=self.env["ir.model"]._get_id(Appointment._name),
                **{"from": date_from, "to": date_to},
            )
        )
        for user_id, start, stop in self.env.cr.fetchall():
            busy[user_id].append((start, stop))
        return busy

    @api.model
    def _outside_working_hours(self, appointments):
        """The ``appointments`` outside their practitioner's working hours
        (at their site, when the clinic has sites), for practitioners whose
        working hours are set."""
        outside = appointments.browse()
        for appointment in appointments:
            practitioner = appointment.practitioner_id
            if not practitioner.sudo().resource_ids[:1].calendar_id:
                continue
            work = self._get_practitioner_work(
                practitioner,
                appointment.start - timedelta(days=1),
                appointment.stop + timedelta(days=1),
                site=appointment.site_id,
                company=appointment.company_id,
            ).get(practitioner.id, [])
            if not _fits(work, appointment.start, appointment.stop):
                outside |= appointment
        return outside

    # ------------------------------------------------------------------------
    # Free slots
    # ------------------------------------------------------------------------

    @api.model
    def _get_free_slots(
        self, treatment, date_from, date_to, practitioners=None, now=None, exclude=None, site=None
    ):
        """Start times at which ``treatment`` can be booked online.

        A slot lies within the practitioner's working hours at the site
        (their resource calendar, its leaves and the public holidays), keeps
        the treatment's buffers free before and after, respects the minimum
        notice and the booking horizon, does not overlap the practitioner's
        booked appointments (expired online holds excepted) nor their other
        busy calendar events, and finds one room or device of each kind the
        treatment needs free at that site. Without ``site``, the slots of
        every site where the treatment is offered.

        :param datetime date_from: start of the window (naive UTC)
        :param datetime date_to: end of the window (naive UTC)
        :param practitioners: ``res.users`` to look at; the treatment's by default
        :param exclude: ``clinic.appointment`` whose time counts as free (the
            booking being moved)
        :param site: ``clinic.site`` to look at
        :return: list of dicts ``{"start", "stop", "practitioner_id",
            "site_id"}`` (naive UTC), by start then site then practitioner
        """
        treatment.ensure_one()
        sites = treatment._get_sites()
        if site:
            if site not in sites:
                # not offered there
                return []
            sites = site
        if not sites:
            return self._get_site_slots(treatment, date_from, date_to, practitioners, now, exclude)
        slots = []
        for one in sites:
            slots += self._get_site_slots(
                treatment, date_from, date_to, practitioners, now, exclude, one
            )
        order = {one.id: index for index, one in enumerate(sites)}
        slots.sort(
            key=lambda slot: (slot["start"], order[slot["site_id"]], slot["practitioner_id"])
        )
        return slots

    @api.model
    def _get_site_slots(
        self, treatment, date_from, date_to, practitioners=None, now=None, exclude=None, site=None
    ):
        """The free slots of :meth:`_get_free_slots` at one ``site`` (or
        at the clinic that has none)."""
        now = now or fields.Datetime.now()
        practitioners = (practitioners or treatment.practitioner_ids).filtered("active")
        earliest = max(date_from, now + timedelta(hours=treatment.min_notice_hours))
        latest = min(date_to, now + timedelta(days=treatment.max_days_ahead))
        if not practitioners or earliest >= latest:
            return []
        before = timedelta(hours=treatment.buffer_before)
        after = timedelta(hours=treatment.buffer_after)
        duration = timedelta(hours=treatment.duration)
        step = timedelta(minutes=max(treatment.company_id.clinic_slot_minutes or 30, 5))
        window = (earliest - before, latest + duration + after)
        busy = self._get_busy_intervals(practitioners, *window, now=now, exclude=exclude)
        # whole working periods (from a day earlier), so that the grid counts
        # from the period's start even when the window opens inside it (the
        # notice from now, a search from any time)
        work = self._get_practitioner_work(
            practitioners,
            window[0] - timedelta(days=1),
            window[1],
            site=site,
            company=treatment.company_id,
        )
        site_id = site.id if site else False
        slots = []
        for practitioner in practitioners:
            taken = sorted(busy.get(practitioner.id, []))
            for work_start, work_stop in work.get(practitioner.id, []):
                start = work_start + before
                # slots start on the step, counted from the working period's start
                while start + duration + after <= work_stop:
                    stop = start + duration
                    if earliest <= start < latest and not any(
                        b_start < stop + after and b_stop > start - before
                        for b_start, b_stop in taken
                    ):
                        slots.append(
                            {
                                "start": start,
                                "stop": stop,
                                "practitioner_id": practitioner.id,
                                "site_id": site_id,
                            }
                        )
                    start += step
        slots.sort(key=lambda slot: (slot["start"], slot["practitioner_id"]))
        if treatment.clinic_needs_resources:
            slots = self._filter_free_slots(treatment, slots, now=now, exclude=exclude, site=site)
        return slots

    @api.model
    def _find_free_slot(self, treatment, start, practitioners=None, exclude=None, site=None):
        """The free slot offered at exactly ``start`` (naive UTC), or False:
        the day's slots are computed, so only the offered times can be taken."""
        day = start.replace(hour=0, minute=0, second=0, microsecond=0)
        slots = self._get_free_slots(
            treatment,
            day - timedelta(days=1),
            day + timedelta(days=2),
            practitioners,
            exclude=exclude,
            site=site,
        )
        return next((slot for slot in slots if slot["start"] == start), False)

    # ------------------------------------------------------------------------
    # Booking checks and holds
    # ------------------------------------------------------------------------

    @api.model
    def _check_slot_free(self, practitioner, start, stop, exclude_id=None):
        """Refuse an overlapping booking of ``practitioner`` with a clear
        message, before the database constraint would refuse the row."""
        Appointment = self.env["clinic.appointment"]
        # the exclusion constraint's own GiST index answers this
        Appointment.flush_model(["practitioner_id", "state", "start", "stop"])
        self.env.cr.execute(
            SQL(
                """
                SELECT id FROM clinic_appointment
                 WHERE practitioner_id = %(user)s
                   AND state IN ('awaiting_payment', 'confirmed', 'done')
                   AND tsrange(start, stop, '[)') && tsrange(%(start)s, %(stop)s, '[)')
                   AND id != %(exclude)s
                 LIMIT 1
                """,
                user=practitioner.id,
                start=start,
                stop=stop,
                exclude=exclude_id or 0,
            )
        )
        row = self.env.cr.fetchone()
        if row:
            clash = Appointment.sudo().browse(row[0])
            raise ValidationError(
                self.env._(
                    "%(practitioner)s is already booked from %(start)s to %(stop)s (%(other)s).",
                    practitioner=practitioner.name,
                    start=clash._format_start(),
                    stop=format_datetime(self.env, clash.stop, dt_format="short"),
                    other=clash.name,
                )
            )

    @contextmanager
    def _slot_guard(self):
        """Two workers booking one slot at once both pass the check above;
        PostgreSQL refuses the second row. Report that as a clear error."""
        try:
            with self.env.cr.savepoint():
                yield
        except ExclusionViolation:
            raise ValidationError(
                self.env._(
                    "This practitioner was just booked at that time by someone else;"
                    " pick another time."
                )
            ) from None

    @api.model
    def _release_expired_holds(self, appointment):
        """Online holds past their time, without a payment under way, that
        hold the practitioner or a room or device ``appointment`` is about to
        take, are released now rather than at the next run of the job."""
        Appointment = self.env["clinic.appointment"]
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT id FROM clinic_appointment
                 WHERE practitioner_id = %(user)s
                   AND state = 'awaiting_payment'
                   AND hold_expires < %(now)s
                   AND tsrange(start, stop, '[)') && tsrange(%(start)s, %(stop)s, '[)')
                   AND NOT %(in_progress)s
                   FOR UPDATE SKIP LOCKED
                """,
                user=appointment.practitioner_id.id,
                now=fields.Datetime.now(),
                start=appointment.start,
                stop=appointment.stop,
                in_progress=Appointment._payment_in_progress_sql(),
            )
        )
        expired = Appointment.sudo().browse([row[0] for row in self.env.cr.fetchall()])
        if expired:
            expired.invalidate_recordset()
            # the time goes to the booking being made, not to the waitlist
            expired.with_context(clinic_slot_taken=True)._cancel("unpaid", 0.0)
        if appointment.treatment_id.clinic_needs_resources:
            expired |= self._release_expired_resource_holds(appointment)
        return expired

    @api.model
    def _slot_is_free(self, appointment):
        """Whether ``appointment``'s time is still free for it: its
        practitioner and the rooms and devices it needs (nothing is written)."""
        taken = (
            self.env["clinic.appointment"]
            .sudo()
            .search_count(
                [
                    ("id", "!=", appointment.id),
                    ("practitioner_id", "=", appointment.practitioner_id.id),
                    ("state", "in", BLOCKING_STATES),
                    ("start", "<", appointment.stop),
                    ("stop", ">", appointment.start),
                ],
                limit=1,
            )
        )
        return not taken and self._resources_free(appointment)
