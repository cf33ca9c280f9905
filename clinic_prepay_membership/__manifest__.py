# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Clinic Pre-payment: Memberships",
    "summary": "Recurring plans charged to the card on file, with treatment credits in the"
    " wallet, a discount, bookings without a deposit and dunning",
    "version": "18.0.1.0.0",
    "category": "Services/Clinic",
    "website": "https://github.com/clinic-prepay/clinic_prepay",
    "author": "clinic_prepay contributors",
    "license": "LGPL-3",
    "development_status": "Alpha",
    "maintainers": ["clinic-prepay"],
    "depends": ["clinic_prepay_wallet"],
    "data": [
        "security/ir.model.access.csv",
        "security/clinic_membership_security.xml",
        "data/clinic_membership_data.xml",
        "data/mail_template_data.xml",
        "views/clinic_membership_plan_views.xml",
        "views/clinic_membership_views.xml",
        "views/clinic_appointment_views.xml",
        "views/clinic_refund_request_views.xml",
        "wizards/membership_signup_views.xml",
        "wizards/membership_change_views.xml",
        "views/clinic_membership_menus.xml",
        "report/clinic_membership_report_views.xml",
        "templates/portal.xml",
    ],
    "demo": ["demo/clinic_membership_demo.xml"],
    "assets": {
        "web.assets_tests": [
            "clinic_prepay_membership/static/tests/tours/**/*",
        ],
    },
}
