# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from . import clinic_appointment_funnel, clinic_appointment_report, clinic_resource_usage
