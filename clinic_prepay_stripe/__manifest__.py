# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Clinic Pre-payment: Stripe",
    "summary": "Stripe for the clinic: signed and replay-safe webhooks, dashboard refunds and "
    "disputes in the ledger, refunds with idempotency keys, holds on cards on file",
    "version": "18.0.1.1.0",
    "category": "Services/Clinic",
    "website": "https://github.com/clinic-prepay/clinic_prepay",
    "author": "clinic_prepay contributors",
    "license": "LGPL-3",
    "development_status": "Beta",
    "maintainers": ["clinic-prepay"],
    "depends": ["clinic_prepay", "payment_stripe"],
    "auto_install": True,
    "external_dependencies": {"python": ["stripe"]},
    "post_init_hook": "post_init_hook",
    "data": [
        "security/ir.model.access.csv",
        "data/clinic_prepay_stripe_data.xml",
        "views/clinic_stripe_event_views.xml",
        "views/clinic_appointment_views.xml",
        "views/res_config_settings_views.xml",
    ],
}
