# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models


class ClinicAppointment(models.Model):
    _inherit = "clinic.appointment"

    def _get_reschedule_url(self):
        # the patient moves the booking on the website's slot page
        self.ensure_one()
        if self.treatment_id.online_booking and self._get_reschedule_preview()["can_reschedule"]:
            return self.get_portal_url(suffix="/reschedule")
        return super()._get_reschedule_url()
