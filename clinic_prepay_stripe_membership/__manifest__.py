# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Clinic Pre-payment: Stripe Memberships",
    "summary": "Membership periods charged off-session to the Stripe card on file, with"
    " their dunning",
    "version": "18.0.1.0.0",
    "category": "Services/Clinic",
    "website": "https://github.com/clinic-prepay/clinic_prepay",
    "author": "clinic_prepay contributors",
    "license": "LGPL-3",
    "development_status": "Alpha",
    "maintainers": ["clinic-prepay"],
    # after the wallet's dispute handler: a period's charge is the membership's
    "depends": ["clinic_prepay_stripe", "clinic_prepay_stripe_wallet", "clinic_prepay_membership"],
    "auto_install": True,
}
