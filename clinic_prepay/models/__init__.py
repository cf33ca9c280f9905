from . import clinic_guard  # noqa: I001 (the mixin first)
from . import (
    account_bank_statement_line,
    account_chart_template,
    account_move,
    calendar_event,
    clinic_appointment,
    clinic_appointment_mail,
    clinic_demo,
    clinic_deposit,
    clinic_refund_request,
    clinic_treatment,
    payment_transaction,
    res_company,
    res_config_settings,
    res_partner,
)
