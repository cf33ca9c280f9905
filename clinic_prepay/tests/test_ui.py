# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestClinicUi(HttpCase):
    def test_front_desk_opens_treatments(self):
        new_test_user(
            self.env,
            login="tour_front_desk",
            name="Tour Front Desk",
            groups="clinic_prepay.group_clinic_user",
        )
        product = self.env["product.product"].create(
            {"name": "Tour Peeling", "type": "service", "list_price": 120.0}
        )
        self.env["clinic.treatment"].create(
            {
                "name": "Tour Peeling",
                "product_id": product.id,
                "deposit_type": "percent",
                "deposit_percent": 25.0,
            }
        )
        self.start_tour("/odoo", "clinic_prepay_treatment_tour", login="tour_front_desk")
