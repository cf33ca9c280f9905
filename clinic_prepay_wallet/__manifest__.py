# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Clinic Pre-payment: Patient Wallet",
    "summary": "Courses of treatment sessions and gift cards sold ahead, held as a liability"
    " and spent by bookings, on Odoo's loyalty cards",
    "version": "18.0.1.1.0",
    "category": "Services/Clinic",
    "website": "https://github.com/clinic-prepay/clinic_prepay",
    "author": "clinic_prepay contributors",
    "license": "LGPL-3",
    "development_status": "Beta",
    "maintainers": ["clinic-prepay"],
    "depends": ["clinic_prepay", "loyalty"],
    "auto_install": True,
    "post_init_hook": "post_init_hook",
    "data": [
        "security/ir.model.access.csv",
        "data/clinic_wallet_data.xml",
        "data/mail_template_data.xml",
        "views/loyalty_program_views.xml",
        "views/loyalty_card_views.xml",
        "views/gift_card_views.xml",
        "views/clinic_appointment_views.xml",
        "views/clinic_refund_request_views.xml",
        "views/res_config_settings_views.xml",
        "wizards/clinic_wallet_sell_views.xml",
        "wizards/clinic_wallet_payment_views.xml",
        "wizards/clinic_wallet_adjust_views.xml",
        "templates/gift_card.xml",
        "views/clinic_wallet_menus.xml",
        "templates/portal.xml",
    ],
    "demo": ["demo/clinic_wallet_demo.xml"],
    "assets": {
        "web.assets_tests": [
            "clinic_prepay_wallet/static/tests/tours/**/*",
        ],
    },
}
