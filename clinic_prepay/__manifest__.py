# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Clinic Pre-payment",
    "summary": "Appointment deposits, automatic cancellation of unpaid bookings, "
    "reconciled payments, refunds and no-show policies for clinics",
    "version": "18.0.1.0.0",
    "category": "Services/Clinic",
    "website": "https://github.com/clinic-prepay/clinic_prepay",
    "author": "clinic_prepay contributors",
    "license": "LGPL-3",
    "application": True,
    "depends": [
        "account_payment",
        "calendar",
        "portal",
    ],
    "external_dependencies": {"python": ["stripe"]},
    "data": [
        "security/clinic_prepay_security.xml",
        "security/ir.model.access.csv",
        "views/clinic_treatment_views.xml",
        "views/clinic_prepay_menus.xml",
    ],
    "demo": [
        "demo/clinic_prepay_demo.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "clinic_prepay/static/tests/tours/**/*",
        ],
    },
}
