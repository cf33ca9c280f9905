# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from . import (
    test_course,
    test_course_concurrency,
    test_course_portal,
    test_course_refund,
    test_gift_card,
    test_gift_card_concurrency,
    test_gift_card_voucher,
    test_ui,
    test_wallet_adjust,
    test_wallet_portal,
    test_wallet_provider_refund,
    test_wallet_report,
)
