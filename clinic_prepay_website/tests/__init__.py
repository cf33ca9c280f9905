from . import test_booking, test_self_service
