from . import test_booking, test_self_service, test_waitlist_online
