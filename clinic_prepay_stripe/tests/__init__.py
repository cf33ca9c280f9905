# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from . import test_stripe_card, test_stripe_indexes, test_stripe_peer, test_stripe_webhooks
