# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging
from datetime import timedelta

import psycopg2

from odoo import api, fields, models
from odoo.tools import SQL

_logger = logging.getLogger(__name__)


class ClinicAppointmentMail(models.Model):
    """A patient mail waiting to be sent.

    A payment, a cancellation or a move only queues the patient's mail: the
    business transaction commits without rendering it. The job that sends
    the queue is triggered at once and renders the mails after that commit,
    in batches (one composer per template and batch). A mail waits for the
    next run of the job: seconds while Odoo's cron workers run, at most the
    job's interval (five minutes) after a restart.
    """

    _name = "clinic.appointment.mail"
    _description = "Clinic: patient mail to send"
    _order = "id"
    _log_access = False

    appointment_id = fields.Many2one(
        "clinic.appointment", required=True, ondelete="cascade", index=True
    )
    template_id = fields.Many2one("mail.template", required=True, ondelete="cascade")

    @api.model
    def _queue(self, appointments, template):
        """Queue ``template`` for each of ``appointments`` and trigger the job
        now: one INSERT in the business transaction, nothing rendered."""
        if not appointments:
            return
        # the portal link's token is minted now, in the business transaction
        # that already writes the appointment, not when the job renders the
        # mail (a write there would race the desk's and the webhooks')
        for appointment in appointments.sudo().filtered(lambda a: not a.access_token):
            appointment._portal_ensure_token()
        cron_id = self.env["ir.model.data"]._xmlid_to_res_id(
            "clinic_prepay.ir_cron_send_patient_mails"
        )
        now = fields.Datetime.now()
        self.env.cr.execute(
            SQL(
                """
                WITH queued AS (
                    INSERT INTO clinic_appointment_mail (appointment_id, template_id)
                    SELECT unnest(%(ids)s::int[]), %(template)s
                )
                INSERT INTO ir_cron_trigger
                       (cron_id, call_at, create_uid, create_date, write_uid, write_date)
                VALUES (%(cron)s, %(now)s, %(uid)s, %(now)s, %(uid)s, %(now)s)
                """,
                ids=appointments.ids,
                template=template.id,
                cron=cron_id,
                now=now,
                uid=self.env.uid,
            )
        )
        # wake the cron workers once this transaction commits
        self.env.cr.postcommit.add(self.env["ir.cron"].browse(cron_id)._notifydb)

    @api.model
    def _cron_send(self, batch_size=200):
        """Send the queued mails, a batch per transaction. Rows are taken with
        ``FOR UPDATE SKIP LOCKED`` (two workers never send one mail twice)
        and deleted in the transaction that posts their message. A mail that
        meets contention (a serialization failure, a lock) stays queued for
        the next run, a minute later; only a template that cannot render is
        dropped, with a manager's to-do on each appointment."""
        sent = 0
        Appointment = self.env["clinic.appointment"]
        while True:
            self.env.cr.execute(
                """
                SELECT id FROM clinic_appointment_mail
                 ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED
                """,
                [batch_size],
            )
            queued = self.browse([row[0] for row in self.env.cr.fetchall()])
            if not queued:
                break
            delayed = self.browse()
            for template in queued.template_id:
                rows = queued.filtered(lambda q, t=template: q.template_id == t)
                appointments = rows.appointment_id.filtered("patient_id.email")
                if not appointments:
                    continue
                try:
                    with self.env.cr.savepoint():
                        appointments._post_patient_mail(template)
                except psycopg2.OperationalError as error:
                    delayed |= rows
                    _logger.info(
                        "Patient mail %s delayed by %s for %s; the job runs again in a minute",
                        template.name,
                        type(error).__name__,
                        appointments.ids,
                    )
                except Exception:
                    # one broken template (a bad edit) must not hold back
                    # every other mail: its rows are dropped, the error logged
                    # and a manager asked to tell the patients otherwise
                    _logger.exception(
                        "Patient mail %s not sent for %s", template.name, appointments.ids
                    )
                    appointments._clinic_mail_not_sent(template)
            done = queued - delayed
            sent += len(done)
            done.unlink()
            if delayed:
                self.env.ref("clinic_prepay.ir_cron_send_patient_mails")._trigger(
                    fields.Datetime.now() + timedelta(minutes=1)
                )
            self.env["ir.cron"]._notify_progress(done=sent, remaining=self.search_count([]))
            if Appointment._can_commit():
                self.env.cr.commit()  # pylint: disable=invalid-commit
            if delayed or len(queued) < batch_size:
                break
        return sent
