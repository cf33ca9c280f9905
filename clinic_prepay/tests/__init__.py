from . import test_clinic_treatment, test_stripe_peer, test_ui
