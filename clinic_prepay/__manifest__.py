# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Clinic Pre-payment",
    "summary": "Appointment deposits, automatic cancellation of unpaid bookings, "
    "reconciled payments, refunds and no-show policies for clinics",
    "version": "18.0.1.8.0",
    "category": "Services/Clinic",
    "website": "https://github.com/clinic-prepay/clinic_prepay",
    "author": "clinic_prepay contributors",
    "license": "LGPL-3",
    "development_status": "Beta",
    "maintainers": ["clinic-prepay"],
    "application": True,
    "depends": [
        "account_payment",
        "calendar",
        # the demo clinic takes deposits with Odoo's demo provider, and the
        # tests pay through it (it ships disabled and unpublished)
        "payment_demo",
        "portal",
        "resource",
    ],
    "post_init_hook": "post_init_hook",
    "data": [
        "security/clinic_prepay_security.xml",
        "security/ir.model.access.csv",
        "security/clinic_resource_security.xml",
        "data/clinic_prepay_data.xml",
        "data/mail_template_data.xml",
        "views/clinic_treatment_views.xml",
        "views/clinic_appointment_views.xml",
        "views/clinic_refund_request_views.xml",
        "views/clinic_waitlist_views.xml",
        "views/clinic_resource_views.xml",
        "views/clinic_site_views.xml",
        "views/res_config_settings_views.xml",
        "wizards/clinic_settings_views.xml",
        "wizards/clinic_deposit_payment_views.xml",
        "wizards/clinic_refund_reject_views.xml",
        "wizards/clinic_cancel_by_clinic_views.xml",
        "wizards/clinic_deposit_waive_views.xml",
        "report/clinic_appointment_report_views.xml",
        "report/clinic_resource_usage_views.xml",
        "views/clinic_prepay_menus.xml",
        "templates/portal.xml",
    ],
    "demo": [
        "demo/clinic_prepay_demo_users.xml",
        "demo/clinic_prepay_demo.xml",
        "demo/clinic_resource_demo.xml",
    ],
    "assets": {
        "web.assets_frontend": [
            "clinic_prepay/static/src/scss/clinic_portal.scss",
        ],
        "web.assets_tests": [
            "clinic_prepay/static/tests/tours/**/*",
        ],
    },
}
