# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging

from odoo import api, fields, models
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

REMINDER_KINDS = [("payment", "Payment deadline"), ("visit", "Visit")]


class ClinicAppointmentReminder(models.Model):
    """A reminder sent to the patient: one per appointment and kind.

    The job inserts the row and queues the messages in one transaction; the
    unique constraint makes a second send impossible, whatever the number of
    workers, and a crash before the commit loses both (the next run sends).
    """

    _name = "clinic.appointment.reminder"
    _description = "Clinic: reminder sent"
    _order = "sent_at desc, id desc"

    appointment_id = fields.Many2one(
        "clinic.appointment", required=True, ondelete="cascade", index=True, readonly=True
    )
    kind = fields.Selection(REMINDER_KINDS, required=True, readonly=True)
    sent_at = fields.Datetime(required=True, readonly=True)
    company_id = fields.Many2one(related="appointment_id.company_id", store=True)

    _sql_constraints = [
        (
            "one_per_kind",
            "UNIQUE(appointment_id, kind)",
            "An appointment gets each reminder once.",
        ),
    ]


class ClinicAppointment(models.Model):
    # one file per feature of the booking
    _inherit = "clinic.appointment"  # pylint: disable=consider-merging-classes-inherited

    reminder_ids = fields.One2many(
        "clinic.appointment.reminder", "appointment_id", string="Reminders", readonly=True
    )
    attendance_confirmed_date = fields.Datetime(
        string="Patient Confirmed",
        readonly=True,
        copy=False,
        tracking=True,
        help="When the patient confirmed from the reminder that they will come.",
    )

    # kind: (xmlid of its mail template, WHERE clause of the appointments due)
    _REMINDERS = {
        "payment": (
            "clinic_prepay.mail_template_appointment_payment_reminder",
            """
            a.state = 'awaiting_payment'
            AND c.clinic_payment_reminder_hours > 0
            AND a.payment_deadline > %(now)s
            AND a.payment_deadline <= %(now)s
                + c.clinic_payment_reminder_hours * interval '1 hour'
            -- booked before the reminder was due: no reminder for a short hold
            AND COALESCE(a.booked_date, a.create_date) < a.payment_deadline
                - c.clinic_payment_reminder_hours * interval '1 hour'
            """,
        ),
        "visit": (
            "clinic_prepay.mail_template_appointment_visit_reminder",
            """
            a.state = 'confirmed'
            AND c.clinic_visit_reminder_hours > 0
            AND a.start > %(now)s
            AND a.start <= %(now)s + c.clinic_visit_reminder_hours * interval '1 hour'
            AND COALESCE(a.booked_date, a.create_date)
                < a.start - c.clinic_visit_reminder_hours * interval '1 hour'
            """,
        ),
    }

    @api.model
    def _cron_send_reminders(self, batch_size=100, commit=True):
        """Send the reminders due, a batch per transaction.

        The batch's appointments are taken ``FOR UPDATE SKIP LOCKED``; their
        reminder rows are inserted ``ON CONFLICT DO NOTHING`` and only the
        rows inserted get their messages, queued in the same transaction.
        """
        sent = 0
        for kind, (template_xmlid, condition) in self._REMINDERS.items():
            while True:
                self.env.flush_all()
                now = fields.Datetime.now()
                self.env.cr.execute(
                    SQL(
                        """
                        SELECT a.id FROM clinic_appointment a
                          JOIN res_company c ON c.id = a.company_id
                         WHERE %(condition)s
                           AND NOT EXISTS (
                               SELECT 1 FROM clinic_appointment_reminder r
                                WHERE r.appointment_id = a.id AND r.kind = %(kind)s)
                         ORDER BY a.id
                         LIMIT %(limit)s
                           FOR UPDATE OF a SKIP LOCKED
                        """,
                        condition=SQL(condition, now=now),
                        kind=kind,
                        limit=batch_size,
                    )
                )
                ids = [row[0] for row in self.env.cr.fetchall()]
                if not ids:
                    break
                self.env.cr.execute(
                    SQL(
                        """
                        INSERT INTO clinic_appointment_reminder
                               (appointment_id, kind, sent_at, company_id,
                                create_uid, create_date, write_uid, write_date)
                        SELECT a.id, %(kind)s, %(now)s, a.company_id,
                               %(uid)s, %(now)s, %(uid)s, %(now)s
                          FROM clinic_appointment a WHERE a.id = ANY(%(ids)s)
                        ON CONFLICT (appointment_id, kind) DO NOTHING
                        RETURNING appointment_id
                        """,
                        kind=kind,
                        now=now,
                        uid=self.env.uid,
                        ids=ids,
                    )
                )
                batch = self.browse([row[0] for row in self.env.cr.fetchall()])
                # rows written in SQL: what the ORM holds of them is stale
                self.env["clinic.appointment.reminder"].invalidate_model()
                self.invalidate_model(["reminder_ids"])
                batch._send_reminder(kind, template_xmlid)
                sent += len(batch)
                if commit and self._can_commit():
                    self.env.cr.commit()  # pylint: disable=invalid-commit
                if len(ids) < batch_size:
                    break
        if sent:
            _logger.info("Sent %s appointment reminders", sent)
        return sent

    def _send_reminder(self, kind, template_xmlid):
        """The reminder's messages: the patient mail (queued). Other channels
        (SMS) hook in here."""
        self._send_mail(template_xmlid)

    def _format_for_patient(self, value):
        """A time in the patient's timezone (the clinic's when the patient has
        none), with the zone named."""
        self.ensure_one()
        return self.patient_id._clinic_format_datetime(value, self.company_id)

    def _get_reschedule_url(self):
        """Where the patient moves the booking online (the website add-on)."""
        return False

    def _can_confirm_attendance(self):
        self.ensure_one()
        return self.state == "confirmed" and self.start > fields.Datetime.now()

    def _confirm_attendance(self):
        """The patient says they will come (the reminder's link)."""
        self.ensure_one()
        if self._can_confirm_attendance() and not self.attendance_confirmed_date:
            self.sudo().attendance_confirmed_date = fields.Datetime.now()
            self.sudo().message_post(body=self.env._("The patient confirmed they will come."))
        return True
