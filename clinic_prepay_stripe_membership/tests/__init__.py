# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from . import test_stripe_membership, test_stripe_membership_disputes
