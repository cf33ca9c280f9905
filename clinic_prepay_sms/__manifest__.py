# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Clinic Pre-payment: SMS reminders",
    "summary": "Appointment reminders by text message too, through Odoo's SMS",
    "version": "18.0.1.0.0",
    "category": "Services/Clinic",
    "website": "https://github.com/clinic-prepay/clinic_prepay",
    "author": "clinic_prepay contributors",
    "license": "LGPL-3",
    "development_status": "Beta",
    "maintainers": ["clinic-prepay"],
    "depends": ["clinic_prepay", "sms"],
    "auto_install": True,
    "data": ["data/sms_template_data.xml"],
}
