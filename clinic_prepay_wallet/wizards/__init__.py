# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from . import clinic_gift_card, clinic_wallet_adjust, clinic_wallet_payment, clinic_wallet_sell
