# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    clinic_appointment_ids = fields.One2many(
        "clinic.appointment", "patient_id", string="Appointments"
    )
    clinic_appointment_count = fields.Integer(
        compute="_compute_clinic_appointment_stats", string="Appointments Count"
    )
    clinic_amount_paid = fields.Monetary(
        compute="_compute_clinic_appointment_stats",
        string="Deposits Paid",
        currency_field="currency_id",
    )

    def _compute_clinic_appointment_stats(self):
        """Appointments of the patient and the deposits they paid."""
        groups = self.env["clinic.appointment"]._read_group(
            [("patient_id", "in", self.ids)],
            ["patient_id"],
            ["__count", "amount_paid:sum"],
        )
        stats = {partner.id: (count, paid) for partner, count, paid in groups}
        for partner in self:
            partner.clinic_appointment_count, partner.clinic_amount_paid = stats.get(
                partner.id, (0, 0.0)
            )

    def action_view_clinic_appointments(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "clinic_prepay.clinic_appointment_action"
        )
        action["domain"] = [("patient_id", "=", self.id)]
        action["context"] = {"default_patient_id": self.id}
        return action
