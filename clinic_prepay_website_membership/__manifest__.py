# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Clinic Pre-payment: Memberships Online",
    "summary": "A website page where anyone joins a membership plan and pays its first"
    " period, which saves the card",
    "version": "18.0.1.0.0",
    "category": "Services/Clinic",
    "website": "https://github.com/clinic-prepay/clinic_prepay",
    "author": "clinic_prepay contributors",
    "license": "LGPL-3",
    "development_status": "Alpha",
    "maintainers": ["clinic-prepay"],
    "depends": ["clinic_prepay_website", "clinic_prepay_membership"],
    "auto_install": True,
    "data": ["data/website_menu.xml", "templates/membership.xml"],
    "assets": {
        "web.assets_tests": [
            "clinic_prepay_website_membership/static/tests/tours/**/*",
        ],
    },
}
