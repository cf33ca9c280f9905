from . import (
    account_payment_register,
    clinic_cancel_by_clinic,
    clinic_deposit_payment,
    clinic_deposit_waive,
    clinic_refund_reject,
    clinic_settings,
    mail_compose_message,
)
