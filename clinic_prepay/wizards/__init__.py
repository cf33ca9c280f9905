from . import account_payment_register, clinic_deposit_payment
