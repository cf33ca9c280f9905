# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Clinic Pre-payment: Stripe Disputes of the Wallet",
    "summary": "Card disputes of course and gift card charges, followed to the ledger",
    "version": "18.0.1.0.0",
    "category": "Accounting",
    "website": "https://github.com/clinic-prepay/clinic_prepay",
    "author": "clinic_prepay contributors",
    "license": "LGPL-3",
    "development_status": "Beta",
    "maintainers": ["clinic-prepay"],
    "depends": ["clinic_prepay_stripe", "clinic_prepay_wallet"],
    "auto_install": True,
    "data": ["views/loyalty_card_views.xml"],
}
