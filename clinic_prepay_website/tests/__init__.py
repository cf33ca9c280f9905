from . import test_booking
