# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from . import (
    clinic_appointment,
    clinic_deposit,
    clinic_stripe_event,
    payment_provider,
    payment_transaction,
    res_company,
    res_config_settings,
)
