# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestMembershipPhone(HttpCase):
    browser_size = "390x844"
    touch_enabled = True

    def test_patient_joins_on_a_phone_then_cancels_at_period_end(self):
        self.env.company._clinic_ensure_accounting()
        provider = self.env.ref("payment.payment_provider_demo")
        provider.write({"state": "test", "is_published": True, "allow_tokenization": True})
        patient = new_test_user(
            self.env, login="tour_member", name="Tara Member", groups="base.group_portal"
        )
        patient.partner_id.email = "tara@example.com"
        product = self.env["product.product"].create(
            {"name": "Tour Botox", "type": "service", "list_price": 300.0}
        )
        treatment = self.env["clinic.treatment"].create(
            {"name": "Tour Botox", "product_id": product.id, "deposit_type": "none"}
        )
        plan = self.env["clinic.membership.plan"].create(
            {
                "name": "Tour Glow",
                "price": 69.0,
                "min_periods": 3,
                "notice_days": 0,
                "treatment_ids": [Command.set(treatment.ids)],
                "credits_per_period": 1,
                "credit_value": 40.0,
                "no_deposit": True,
                "online": True,
                "terms": "69 a month to my card until I cancel.",
            }
        )
        self.start_tour("/my/memberships", "clinic_membership_patient_tour", login=patient.login)
        membership = self.env["clinic.membership"].search(
            [("partner_id", "=", patient.partner_id.id)]
        )
        self.assertEqual(
            (membership.plan_id, membership.state, membership.source), (plan, "active", "online")
        )
        self.assertTrue(membership.consent_ip)
        self.assertEqual(membership.consent_text, plan.terms)
        self.assertTrue(membership.token_id.payment_details.endswith("4242"))
        self.assertEqual(membership.period_ids.state, "paid")
        self.assertEqual(membership.period_ids.invoice_id.payment_state, "paid")
        # three months at least: it ends after the third period
        term_end = membership.date_start
        for _period in range(3):
            term_end += plan._get_delta()
        self.assertEqual(membership.cancel_at, term_end)
        self.assertEqual(membership.state, "active")
