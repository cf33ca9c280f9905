from . import (
    test_accounting,
    test_clinic_appointment,
    test_clinic_concurrency,
    test_clinic_cron,
    test_clinic_refund,
    test_clinic_security,
    test_clinic_treatment,
    test_money_integrity,
    test_portal,
    test_rpc_guard,
    test_stripe_peer,
    test_ui,
)
