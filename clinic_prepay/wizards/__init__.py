from . import (
    account_payment_register,
    clinic_deposit_payment,
    clinic_refund_reject,
    mail_compose_message,
)
