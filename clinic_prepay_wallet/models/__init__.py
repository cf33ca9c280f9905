# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from . import (
    account_move,
    clinic_appointment,
    clinic_demo,
    clinic_refund_request,
    gift_card,
    gift_card_attempt,
    loyalty_card,
    loyalty_history,
    loyalty_program,
    payment_transaction,
    res_company,
    res_config_settings,
    res_partner,
)
