# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Clinic Pre-payment: Online Booking",
    "summary": "Patients book a treatment on the website and pay its deposit in the same flow",
    "version": "18.0.1.0.0",
    "category": "Services/Clinic",
    "website": "https://github.com/clinic-prepay/clinic_prepay",
    "author": "clinic_prepay contributors",
    "license": "LGPL-3",
    "development_status": "Beta",
    "maintainers": ["clinic-prepay"],
    "depends": ["clinic_prepay", "website"],
    "auto_install": True,
    "data": [
        "data/website_menu.xml",
        "templates/booking.xml",
        "templates/reschedule.xml",
    ],
    "demo": [
        "demo/clinic_prepay_website_demo.xml",
    ],
    "assets": {
        "web.assets_frontend": [
            "clinic_prepay_website/static/src/js/**/*",
        ],
        "web.assets_tests": [
            "clinic_prepay_website/static/tests/tours/**/*",
        ],
    },
}
