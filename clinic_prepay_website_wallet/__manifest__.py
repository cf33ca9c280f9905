# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Clinic Pre-payment: Courses and Gift Cards in Online Booking",
    "summary": "A logged-in patient books a session of their course on the booking page;"
    " anyone buys a gift card online and pays a deposit with its code",
    "version": "18.0.1.1.0",
    "category": "Services/Clinic",
    "website": "https://github.com/clinic-prepay/clinic_prepay",
    "author": "clinic_prepay contributors",
    "license": "LGPL-3",
    "development_status": "Beta",
    "maintainers": ["clinic-prepay"],
    "depends": ["clinic_prepay_website", "clinic_prepay_wallet"],
    "auto_install": True,
    "data": ["templates/booking.xml", "templates/gift_card.xml"],
    "assets": {
        "web.assets_tests": [
            "clinic_prepay_website_wallet/static/tests/tours/**/*",
        ],
    },
}
