# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
# the models first, then what extends them
from . import membership_plan, membership  # isort: skip
from . import (
    account_move,
    clinic_appointment,
    clinic_demo,
    clinic_refund_request,
    loyalty_card,
    loyalty_program,
    payment_provider,
    payment_transaction,
    res_partner,
)
