# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models

SMS_TEMPLATES = {
    "payment": "clinic_prepay_sms.sms_template_payment_reminder",
    "visit": "clinic_prepay_sms.sms_template_visit_reminder",
}


class ClinicAppointment(models.Model):
    _inherit = "clinic.appointment"

    def _send_reminder(self, kind, template_xmlid):
        """The reminder goes by text message as well to patients with a phone
        number: queued in the reminder's transaction, sent by Odoo's SMS
        job (never twice: the reminder row is the same)."""
        res = super()._send_reminder(kind, template_xmlid)
        template = self.env.ref(SMS_TEMPLATES[kind], raise_if_not_found=False)
        if template:
            for appointment in self.filtered(lambda a: a.patient_id.phone_sanitized):
                appointment._message_sms_with_template(
                    template=template,
                    partner_ids=appointment.patient_id.ids,
                    put_in_queue=True,
                )
        return res
