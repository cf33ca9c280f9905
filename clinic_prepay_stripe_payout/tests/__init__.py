from . import test_stripe_payout
