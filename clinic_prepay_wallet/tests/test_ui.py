# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestWalletUi(HttpCase):
    def test_desk_sells_a_course_during_a_call(self):
        desk = new_test_user(
            self.env,
            login="tour_course_desk",
            name="Tour Course Desk",
            groups="clinic_prepay.group_clinic_user",
        )
        caller = self.env["res.partner"].create(
            {"name": "Tour Course Caller", "email": "caller@example.com"}
        )
        product = self.env["product.product"].create(
            {
                "name": "Tour Peel",
                "type": "service",
                "list_price": 100.0,
                "taxes_id": [Command.clear()],
            }
        )
        treatment = self.env["clinic.treatment"].create(
            {"name": "Tour Peel", "product_id": product.id, "deposit_type": "none"}
        )
        course = self.env["loyalty.program"].create(
            {
                "name": "Tour Six Peels",
                "program_type": "clinic_course",
                "clinic_treatment_ids": [Command.set(treatment.ids)],
                "clinic_session_count": 6,
                "clinic_price": 480.0,
            }
        )
        self.start_tour("/odoo", "clinic_wallet_desk_sells_course_tour", login=desk.login)
        card = self.env["loyalty.card"].search([("partner_id", "=", caller.id)])
        self.assertEqual((card.program_id, card.clinic_state), (course, "pending"))
        self.assertEqual(card.create_uid, desk)
        self.assertEqual(card.clinic_invoice_id.state, "draft")
        mail = card.message_ids.filtered(lambda m: "payment" in (m.subject or ""))
        self.assertEqual(mail.partner_ids, caller)
        self.assertIn(card._clinic_get_payment_link().replace("&", "&amp;"), mail.body)
