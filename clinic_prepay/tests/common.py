# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import datetime, timedelta

from odoo import Command, fields
from odoo.tests import new_test_user
from odoo.tests.common import TransactionCase

# A fixed "now" for the tests that freeze time: a Monday morning, UTC.
NOW = datetime(2030, 3, 4, 8, 0, 0)


def bookable_time(treatment, practitioner=None, not_before=None):
    """The first time ``treatment`` can be booked with ``practitioner`` (its
    first practitioner by default) at least ``not_before`` from now (a
    timedelta, 4 days by default; or a datetime): a free slot on the slot grid
    of the next working day that has one, in the clinic's time zone.

    Tests on the real clock take their booking times here, so they hold on
    weekends, on holidays, at any hour and across daylight-saving changes;
    tests that need a known date freeze the clock on :data:`NOW` instead.
    """
    treatment = treatment.sudo()
    practitioner = practitioner or treatment.practitioner_ids[:1]
    if isinstance(not_before, datetime):
        earliest = not_before
    else:
        earliest = fields.Datetime.now().replace(microsecond=0) + (
            timedelta(days=4) if not_before is None else not_before
        )
    # two weeks always hold a working day (a long closure aside) and stay
    # within every test treatment's booking horizon
    slots = treatment._get_free_slots(
        earliest, earliest + timedelta(days=14), practitioners=practitioner
    )
    assert slots, f"{treatment.name}: no free slot with {practitioner.name} from {earliest}"
    return slots[0]["start"]


class ClinicCommon(TransactionCase):
    """Shared fixture: one user per clinic role, patients and treatments.

    Nothing here relies on demo data: tests run on a database installed
    without it.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.company = cls.env.company
        cls.currency = cls.company.currency_id
        cls.front_desk = new_test_user(
            cls.env,
            login="clinic_front_desk",
            name="Fiona Front Desk",
            groups="clinic_prepay.group_clinic_user",
        )
        cls.manager = new_test_user(
            cls.env,
            login="clinic_manager",
            name="Martin Manager",
            groups="clinic_prepay.group_clinic_manager",
        )
        cls.practitioner = new_test_user(
            cls.env,
            login="clinic_practitioner",
            name="Dr. Paula Practitioner",
            groups="clinic_prepay.group_clinic_user",
        )
        cls.practitioner2 = new_test_user(
            cls.env,
            login="clinic_practitioner2",
            name="Dr. Quentin Second",
            groups="clinic_prepay.group_clinic_user",
        )
        cls.internal_user = new_test_user(
            cls.env, login="clinic_outsider", name="Oscar Outsider", groups="base.group_user"
        )
        cls.patient = cls.env["res.partner"].create(
            {"name": "Patricia Patient", "email": "patricia@example.com"}
        )
        cls.patient2 = cls.env["res.partner"].create(
            {"name": "Peter Other", "email": "peter@example.com"}
        )
        cls.product_botox = cls._create_service("Botox", 300.0)
        cls.product_consult = cls._create_service("Consultation", 60.0)
        cls.treatment_botox = cls.env["clinic.treatment"].create(
            {
                "name": "Botox",
                "product_id": cls.product_botox.id,
                "duration": 0.75,
                "deposit_type": "fixed",
                "deposit_fixed": 50.0,
                "payment_hours": 24.0,
                "payment_before_hours": 2.0,
                "free_cancel_hours": 24.0,
                "late_cancel_forfeit_percent": 50.0,
                "no_show_forfeit_percent": 100.0,
                "practitioner_ids": [Command.link(cls.practitioner.id)],
            }
        )
        cls.treatment_consult = cls.env["clinic.treatment"].create(
            {
                "name": "Consultation",
                "product_id": cls.product_consult.id,
                "duration": 0.5,
                "deposit_type": "none",
                "practitioner_ids": [Command.link(cls.practitioner.id)],
            }
        )
        cls.deposit_account = cls.company.clinic_deposit_account_id
        cls.fee_account = cls.company.clinic_fee_account_id
        cls.bank_journal = cls.env["account.journal"].search(
            [("company_id", "=", cls.company.id), ("type", "=", "bank")], limit=1
        )

    @classmethod
    def _bookable_time(cls, treatment=None, practitioner=None, not_before=None):
        """:func:`bookable_time` of the fixture's Botox by default."""
        return bookable_time(treatment or cls.treatment_botox, practitioner, not_before)

    @classmethod
    def _create_service(cls, name, price):
        return cls.env["product.product"].create(
            {"name": name, "type": "service", "list_price": price, "taxes_id": [Command.clear()]}
        )

    def _appointment(self, start, treatment=None, patient=None, practitioner=None, user=None):
        Appointment = self.env["clinic.appointment"]
        if user:
            Appointment = Appointment.with_user(user)
        return Appointment.create(
            {
                "patient_id": (patient or self.patient).id,
                "treatment_id": (treatment or self.treatment_botox).id,
                "practitioner_id": (practitioner or self.practitioner).id,
                "start": start,
            }
        )

    def _pay_at_desk(self, appointment, user=None, journal=None):
        """Take what is due at the desk, through the desk payment wizard."""
        action = appointment.with_user(user or self.front_desk).action_register_payment()
        wizard = (
            self.env[action["res_model"]]
            .with_user(user or self.front_desk)
            .with_context(**action["context"])
            .create({"journal_id": (journal or self.bank_journal).id})
        )
        return wizard.action_confirm()

    def _pay_by_bank(self, appointment, amount, ref=None):
        """A bank transfer quoting the deposit's reference arrives."""
        deposit = appointment.deposit_ids
        return self.env["account.bank.statement.line"].create(
            {
                "journal_id": self.bank_journal.id,
                "payment_ref": f"Transfer {ref or deposit.name}",
                "amount": amount,
            }
        )

    def _patient_mails(self, appointment, subject):
        """The messages about ``subject`` posted to the patient, once the job
        has sent the queued mails."""
        self.env["clinic.appointment.mail"]._cron_send()
        return appointment.message_ids.filtered(lambda m: subject in (m.subject or ""))

    def _deposit_balance(self, appointment):
        """Balance of the deposit account on the appointment's documents."""
        deposits = appointment.deposit_ids
        moves = (
            deposits.invoice_ids
            | deposits.invoice_ids.reversal_move_ids
            | deposits.refund_request_ids.credit_note_id
            | deposits.forfeit_move_id
            | appointment.final_invoice_id
        )
        lines = moves.filtered(lambda m: m.state == "posted").line_ids.filtered(
            lambda line: line.account_id == self.deposit_account
        )
        return self.currency.round(sum(lines.mapped("balance")))

    @staticmethod
    def _hours(hours):
        return timedelta(hours=hours)


class ClinicPaymentCommon(ClinicCommon):
    """Adds Odoo's demo payment provider, standing in for card payments."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.provider = cls.env.ref("payment.payment_provider_demo")
        cls.provider.write({"state": "test", "is_published": True})
        cls.payment_method = cls.env.ref("payment_demo.payment_method_demo")

    def _pay_online(self, appointment, amount=None, state="done", tx=None):
        """A patient pays the deposit online through the provider."""
        tx = tx or self._start_online_payment(appointment, amount)
        tx._handle_notification_data("demo", {"reference": tx.reference, "simulated_state": state})
        tx._post_process()
        return tx

    def _start_online_payment(self, appointment, amount=None, invoice=None):
        """The patient opens the payment form of ``invoice`` (the deposit's
        by default): a draft transaction."""
        deposit = appointment.deposit_ids
        invoice = invoice or deposit.invoice_id
        tx = (
            self.env["payment.transaction"]
            .sudo()
            .create(
                {
                    "provider_id": self.provider.id,
                    "payment_method_id": self.payment_method.id,
                    "amount": amount or deposit.amount_residual,
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
        return tx
