# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import re
from datetime import datetime, timedelta

from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user


class OnlineBookingCase(HttpCase):
    """A clinic open on weekdays in Brussels, one practitioner and one
    treatment bookable online with a 40.00 deposit."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.calendar = cls.env["resource.calendar"].create(
            {"name": "Web clinic hours", "tz": "Europe/Brussels"}
        )
        cls.company.resource_calendar_id = cls.calendar
        cls.doctor = new_test_user(
            cls.env, login="web_doctor", name="Dr. Web", groups="clinic_prepay.group_clinic_user"
        )
        cls.env["resource.resource"].create(
            {
                "name": "Dr. Web",
                "user_id": cls.doctor.id,
                "calendar_id": cls.calendar.id,
                "tz": "Europe/Brussels",
            }
        )
        product = cls.env["product.product"].create(
            {
                "name": "Tour Facial",
                "type": "service",
                "list_price": 120.0,
                "taxes_id": [Command.clear()],
            }
        )
        cls.treatment = cls.env["clinic.treatment"].create(
            {
                "name": "Tour Facial",
                "product_id": product.id,
                "duration": 1.0,
                "deposit_type": "fixed",
                "deposit_fixed": 40.0,
                "online_booking": True,
                "public_description": "A calm hour",
                "practitioner_ids": [Command.set(cls.doctor.ids)],
                "min_notice_hours": 2.0,
                "max_days_ahead": 30,
            }
        )
        cls.env.ref("payment.payment_provider_demo").write({"state": "test", "is_published": True})

    def _next_monday(self):
        today = fields.Date.context_today(self.env.user)
        return today + timedelta(days=7 - today.weekday())

    def _free_slots(self):
        monday = self._next_monday()
        start = datetime.combine(monday, datetime.min.time()) - timedelta(hours=2)
        return self.treatment._get_free_slots(start, start + timedelta(days=7))

    def _confirm(self, start, email="gina@example.com", consent="1", name="Gina Guest"):
        """Post the booking form the way the page does (CSRF token included)."""
        token = fields.Datetime.to_string(start).replace(" ", "T")
        data = {
            "csrf_token": self._csrf(),
            "start": token,
            "practitioner": self.doctor.id,
            "name": name,
            "email": email,
        }
        if consent:
            data["consent"] = consent
        return self.url_open(
            f"/book/{self.treatment.id}/confirm", data=data, allow_redirects=False
        )

    def _csrf(self):
        """The session's CSRF token, as the form of a free time carries it."""
        free = fields.Datetime.to_string(self._free_slots()[-1]["start"]).replace(" ", "T")
        page = self.url_open(
            f"/book/{self.treatment.id}/details?start={free}&practitioner={self.doctor.id}"
        )
        return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)

    def _patient_mails(self, appointment, subject):
        """The messages about ``subject`` posted to the patient, once the job
        has sent the queued mails."""
        self.env["clinic.appointment.mail"]._cron_send()
        return appointment.message_ids.filtered(lambda m: subject in (m.subject or ""))

    def _online_appointments(self):
        return self.env["clinic.appointment"].search(
            [("treatment_id", "=", self.treatment.id)], order="id"
        )

    def _book_as(self, login, slot):
        """``login`` books ``slot`` on the website (logged in)."""
        self.authenticate(login, login)
        self._confirm(slot["start"])
        return self._online_appointments()[-1]

    def _pay_online(self, appointment):
        """The patient pays what is due with the demo provider."""
        invoice = appointment.deposit_ids.invoice_id
        provider = self.env.ref("payment.payment_provider_demo")
        tx = (
            self.env["payment.transaction"]
            .sudo()
            .create(
                {
                    "provider_id": provider.id,
                    "payment_method_id": self.env.ref("payment_demo.payment_method_demo").id,
                    "amount": appointment.amount_due,
                    "currency_id": invoice.currency_id.id,
                    "partner_id": invoice.partner_id.id,
                    "reference": self.env["payment.transaction"]._compute_reference(
                        "demo", invoice_ids=[Command.set(invoice.ids)]
                    ),
                    "operation": "online_redirect",
                    "invoice_ids": [Command.set(invoice.ids)],
                }
            )
        )
        tx._handle_notification_data(
            "demo", {"reference": tx.reference, "simulated_state": "done"}
        )
        tx._post_process()
        return tx

    @staticmethod
    def _token(start):
        return fields.Datetime.to_string(start).replace(" ", "T")
