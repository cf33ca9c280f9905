# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Clinic Pre-payment: Stripe Payouts",
    "summary": "Stripe balance transactions imported with OCA's online statements "
    "matched automatically: charges, refunds, disputes, fees and payouts",
    "version": "18.0.1.0.0",
    "category": "Accounting",
    "website": "https://github.com/clinic-prepay/clinic_prepay",
    "author": "clinic_prepay contributors",
    "license": "LGPL-3",
    "development_status": "Beta",
    "maintainers": ["clinic-prepay"],
    "depends": [
        "clinic_prepay_stripe",
        "account_statement_import_online_stripe",
        "account_reconcile_oca",
    ],
    "auto_install": True,
    "data": [
        "data/ir_actions_server.xml",
        "views/online_bank_statement_provider_views.xml",
    ],
}
