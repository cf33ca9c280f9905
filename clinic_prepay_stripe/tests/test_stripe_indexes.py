# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.addons.clinic_prepay.tests.test_indexes import index_columns
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestStripeIndexes(TransactionCase):
    def test_card_hold_link_is_indexed(self):
        """A delete of a transaction never scans the appointments."""
        self.assertIn(
            ["card_hold_transaction_id"],
            [found[:1] for found in index_columns(self.env.cr, "clinic_appointment")],
        )
