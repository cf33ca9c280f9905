# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from . import (
    test_membership,
    test_membership_accounting,
    test_membership_benefits,
    test_membership_card,
    test_membership_concurrency,
    test_membership_dunning,
    test_membership_portal,
    test_membership_refund,
    test_membership_report,
    test_membership_security,
    test_membership_ui,
)
