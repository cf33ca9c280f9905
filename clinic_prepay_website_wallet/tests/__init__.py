# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from . import test_course_booking, test_gift_card_online
