# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models

# the booking mails that carry the appointment as a calendar file
ICS_TEMPLATES = (
    "clinic_prepay.mail_template_appointment_payment_link",
    "clinic_prepay.mail_template_appointment_confirmed",
    "clinic_prepay.mail_template_appointment_rescheduled",
)


class MailComposeMessage(models.TransientModel):
    _inherit = "mail.compose.message"

    def _prepare_mail_values(self, res_ids):
        values = super()._prepare_mail_values(res_ids)
        if (
            self.composition_mode == "comment"
            and self.model == "clinic.appointment"
            and self.template_id
            and self.template_id.get_external_id().get(self.template_id.id) in ICS_TEMPLATES
        ):
            appointments = self.env["clinic.appointment"].browse(res_ids)
            for appointment_id, attachment in appointments._get_ics_attachments().items():
                values[appointment_id].setdefault("attachments", []).append(attachment)
        return values
