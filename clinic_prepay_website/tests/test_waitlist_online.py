# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import re

from odoo.addons.clinic_prepay.tests.common import ClinicPaymentCommon
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestWaitlistOnline(ClinicPaymentCommon, HttpCase):
    def test_patient_joins_the_waitlist_from_the_booking_page(self):
        user = new_test_user(
            self.env, login="wait_web", name="Wait Web", groups="base.group_portal"
        )
        self.treatment_botox.write({"online_booking": True, "min_notice_hours": 2})
        self.authenticate("wait_web", "wait_web")
        page = self.url_open(f"/book/{self.treatment_botox.id}")
        self.assertIn("Join the waitlist", page.text)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        response = self.url_open(
            f"/book/{self.treatment_botox.id}/waitlist",
            data={"csrf_token": csrf, "practitioner": str(self.practitioner.id)},
        )
        self.assertIn("Waitlist", response.text)
        entry = self.env["clinic.waitlist"].search([("patient_id", "=", user.partner_id.id)])
        self.assertEqual((entry.state, entry.practitioner_id), ("waiting", self.practitioner))
        self.assertEqual(entry.treatment_id, self.treatment_botox)
