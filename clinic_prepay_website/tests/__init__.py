from . import test_booking, test_self_service, test_sites_online, test_waitlist_online
