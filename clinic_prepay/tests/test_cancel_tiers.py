# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Cancellation tiers: one place decides what a cancellation keeps, and the
preview, the patient's mail, the journal items, the card fee and the policy
text all say the same."""

from datetime import timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged
from odoo.tools import html2plaintext

from .common import NOW, ClinicPaymentCommon


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestCancelTiers(ClinicPaymentCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # more than 72 h before the visit: free; 72 to 24 h: half; under 24 h: all
        cls.tiers = [
            Command.clear(),
            Command.create({"hours_before": 72.0, "percent_kept": 50.0}),
            Command.create({"hours_before": 24.0, "percent_kept": 100.0}),
        ]
        # Botox: 300, deposit 50
        cls.treatment_botox.cancel_tier_ids = cls.tiers
        cls.provider.allow_tokenization = True
        cls.treatment_card = cls.env["clinic.treatment"].create(
            {
                "name": "Peel",
                "product_id": cls._create_service("Peel", 200.0).id,
                "deposit_type": "none",
                "no_show_protection": "card",
                "cancel_tier_ids": cls.tiers,
                "practitioner_ids": [Command.link(cls.practitioner.id)],
            }
        )

    def _paid_booking(self):
        """A Botox visit at least four days away, its deposit paid at the desk."""
        appointment = self._appointment(self._bookable_time(not_before=timedelta(days=4)))
        appointment.with_user(self.front_desk).action_book()
        self._pay_at_desk(appointment)
        self.assertEqual(appointment.state, "confirmed")
        return appointment

    def _card_booking(self):
        """A card-only visit at least four days away, the card saved."""
        appointment = self._appointment(
            self._bookable_time(self.treatment_card, not_before=timedelta(days=4)),
            treatment=self.treatment_card,
        )
        appointment.with_user(self.front_desk).action_book()
        appointment._record_card_consent()
        tx = (
            self.env["payment.transaction"]
            .sudo()
            .create(
                {
                    "provider_id": self.provider.id,
                    "payment_method_id": self.payment_method.id,
                    "reference": f"{appointment.name}-CARD",
                    "amount": 0.0,
                    "currency_id": self.currency.id,
                    "partner_id": appointment.patient_id.id,
                    "operation": "validation",
                    "tokenize": True,
                    "clinic_appointment_id": appointment.id,
                }
            )
        )
        tx._handle_notification_data(
            "demo",
            {"reference": tx.reference, "simulated_state": "done", "payment_details": "4242"},
        )
        tx._post_process()
        self.assertEqual(appointment.state, "confirmed")
        return appointment

    def _amount(self, amount):
        return f"{amount:.2f}"

    # ------------------------------------------------------------------------

    def test_each_tier_keeps_its_part_in_the_preview_the_mail_and_the_ledger(self):
        for hours, reason, kept in ((80, "patient", 0.0), (48, "late", 25.0), (10, "late", 50.0)):
            with self.subTest(hours=hours):
                appointment = self._paid_booking()
                with freeze_time(appointment.start - timedelta(hours=hours)):
                    preview = appointment._get_cancel_preview()
                    self.assertEqual(
                        (preview["late"], preview["paid"], preview["kept"], preview["refund"]),
                        (bool(kept), 50.0, kept, 50.0 - kept),
                    )
                    appointment.with_user(self.front_desk).action_cancel_by_patient()
                    mail = self._patient_mails(appointment, "is cancelled")
                self.assertEqual(appointment.cancel_reason, reason)
                self.assertEqual(
                    (appointment.amount_forfeited, appointment.amount_refundable),
                    (kept, 50.0 - kept),
                )
                # the journal items: the fee income is what the tier keeps, the
                # deposit account holds what is owed back
                deposit = appointment.deposit_ids
                fee = deposit.forfeit_move_id.line_ids.filtered(
                    lambda line: line.account_id == self.fee_account
                )
                self.assertEqual(sum(fee.mapped("balance")), -kept)
                self.assertEqual(bool(deposit.forfeit_move_id), bool(kept))
                self.assertEqual(self._deposit_balance(appointment), -(50.0 - kept))
                requests = deposit.refund_request_ids
                self.assertEqual(sum(requests.mapped("amount")), 50.0 - kept)
                # the patient's mail says the same
                self.assertEqual(len(mail), 1)
                text = html2plaintext(mail.body)
                if kept:
                    self.assertRegex(
                        text, rf"{self._amount(kept)}\s+of your deposit is kept", "the part kept"
                    )
                else:
                    self.assertNotIn("of your deposit is kept", text)
                if kept < 50.0:
                    self.assertRegex(
                        text, rf"{self._amount(50.0 - kept)}\s+of what you paid is due back"
                    )
                else:
                    self.assertNotIn("due back", text)

    def test_the_clinic_cancelling_inside_a_tier_asks_a_manager_to_refund_all(self):
        appointment = self._paid_booking()
        with freeze_time(appointment.start - timedelta(hours=48)):
            self.assertTrue(appointment._is_inside_late_window())
            appointment.with_user(self.front_desk)._cancel_by_clinic(note="Practitioner ill")
        request = appointment.deposit_ids.refund_request_ids
        self.assertEqual(request.amount, 50.0)
        self.assertIn("keeps 50.0 %", request.reason)
        self.assertNotEqual(request.state, "approved", "more than the patient's own cancellation")

    def test_the_card_is_charged_its_tier(self):
        for hours, fee in ((80, 0.0), (48, 100.0), (10, 200.0)):
            with self.subTest(hours=hours):
                appointment = self._card_booking()
                moment = appointment.start - timedelta(hours=hours)
                with freeze_time(moment):
                    self.assertEqual(appointment._get_cancel_preview()["card_fee"], fee)
                    appointment.with_user(self.front_desk).action_cancel_by_patient()
                    if fee:
                        self.assertEqual(appointment.card_fee_state, "due")
                        # the mail announces what is charged
                        text = html2plaintext(
                            self._patient_mails(appointment, "is cancelled").body
                        )
                        self.assertRegex(text, rf"{self._amount(fee)}\s+is charged to your card")
                    self.env["clinic.appointment"]._cron_charge_card_fees()
                if fee:
                    self.assertEqual(
                        (appointment.card_fee_state, appointment.card_fee_amount), ("paid", fee)
                    )
                    line = appointment.card_fee_invoice_id.line_ids.filtered(
                        lambda line: line.account_id == self.fee_account
                    )
                    self.assertEqual(line.balance, -fee)
                else:
                    self.assertEqual(appointment.cancel_reason, "patient")
                    self.assertFalse(appointment.card_fee_state)

    def test_the_policy_text_lists_the_tiers(self):
        treatment = self.treatment_botox.with_context(tz="UTC")
        start = NOW + timedelta(days=5)  # Saturday 08:00
        lines = treatment._get_policy_lines(start)
        self.assertEqual(
            lines[1:4],
            [
                "Cancel before 3/6/30, 8:00 AM: the whole deposit is refunded.",
                "Cancel from 3/6/30, 8:00 AM to 3/8/30, 8:00 AM: $\xa025.00"
                " of the deposit is kept, the rest refunded.",
                "Cancel later: $\xa050.00 of the deposit is kept, the rest refunded.",
            ],
        )
        # two days before: inside the first tier, the second one ahead
        lines = treatment._get_policy_lines(NOW + timedelta(hours=48))
        self.assertIn("less than 72 hours away: if you cancel, $\xa025.00", lines[1])
        self.assertIn("Cancel after 3/5/30, 8:00 AM: $\xa050.00", lines[2])
        # the card clause, per tier: the price's part less the deposit's
        self.treatment_botox.no_show_protection = "both"
        lines = treatment._get_policy_lines(start)
        self.assertIn(
            "on a late cancellation: $\xa0125.00 less than 72 hours before,"
            " $\xa0250.00 less than 24 hours before.",
            "\n".join(lines),
        )
        # and the consent stored with the booking is that text
        appointment = self._appointment(start)
        appointment.action_book()
        appointment._record_card_consent()
        self.assertIn("Cancel from 3/6/30, 8:00 AM", appointment.card_consent_text)

    def test_without_tiers_cancelling_is_always_free(self):
        self.treatment_botox.cancel_tier_ids = [Command.clear()]
        self.assertEqual(
            (
                self.treatment_botox.free_cancel_hours,
                self.treatment_botox.late_cancel_forfeit_percent,
            ),
            (0.0, 0.0),
        )
        appointment = self._paid_booking()
        with freeze_time(appointment.start - timedelta(hours=1)):
            self.assertFalse(appointment._get_reschedule_preview()["late"])
            appointment.action_cancel_by_patient()
        self.assertEqual(
            (appointment.cancel_reason, appointment.amount_refundable), ("patient", 50.0)
        )
        self.assertIn(
            "Cancel any time before the visit: the whole deposit is refunded.",
            self.treatment_botox._get_policy_lines(NOW + timedelta(days=5)),
        )

    def test_the_reschedule_preview_reads_the_furthest_tier(self):
        appointment = self._paid_booking()
        preview = appointment._get_reschedule_preview()
        self.assertEqual(preview["hours"], 72.0)
        self.assertEqual(preview["until"], appointment.start - timedelta(hours=72))
        with freeze_time(appointment.start - timedelta(hours=71)):
            preview = appointment._get_reschedule_preview()
            self.assertEqual((preview["can_reschedule"], preview["late"]), (False, True))

    # --- the tiers themselves ------------------------------------------------

    def test_bad_tiers_are_refused_and_nothing_is_written(self):
        bad = {
            "no hours": [(0.0, 50.0)],
            "negative hours": [(-5.0, 50.0)],
            "above 100 %": [(24.0, 120.0)],
            "negative percent": [(24.0, -1.0)],
            "same hours twice": [(24.0, 50.0), (24.0, 100.0)],
            "less kept closer to the visit": [(72.0, 100.0), (24.0, 50.0)],
        }
        before = [(t.hours_before, t.percent_kept) for t in self.treatment_botox.cancel_tier_ids]
        for case, tiers in bad.items():
            with (
                self.subTest(case),
                self.assertRaises(ValidationError) as catcher,
                self.cr.savepoint(),
            ):
                self.treatment_botox.with_user(self.manager).cancel_tier_ids = [
                    Command.clear(),
                    *(Command.create({"hours_before": h, "percent_kept": p}) for h, p in tiers),
                ]
            self.assertIn("Botox", str(catcher.exception))
            self.treatment_botox.invalidate_recordset()
            self.assertEqual(
                [(t.hours_before, t.percent_kept) for t in self.treatment_botox.cancel_tier_ids],
                before,
            )
        # adding a tier that keeps less than the one before it is refused too
        with self.assertRaises(ValidationError), self.cr.savepoint():
            self.env["clinic.treatment.cancel.tier"].create(
                {"treatment_id": self.treatment_botox.id, "hours_before": 12.0, "percent_kept": 0}
            )
        self.assertEqual(len(self.treatment_botox.cancel_tier_ids), 2)

    def test_front_desk_reads_the_tiers_managers_write_them(self):
        tier = self.treatment_botox.cancel_tier_ids[:1]
        self.assertEqual(tier.with_user(self.front_desk).percent_kept, 50.0)
        with self.assertRaises(AccessError):
            tier.with_user(self.front_desk).percent_kept = 60.0
        tier.with_user(self.manager).percent_kept = 60.0
        self.assertEqual(self.treatment_botox.late_cancel_forfeit_percent, 60.0)

    # --- the single window, before tiers ------------------------------------

    def test_the_single_window_fields_read_and_write_one_tier(self):
        treatment = self.env["clinic.treatment"].create(
            {
                "name": "Filler",
                "product_id": self.product_botox.id,
                "free_cancel_hours": 48.0,
                "late_cancel_forfeit_percent": 30.0,
            }
        )
        self.assertEqual(
            [(t.hours_before, t.percent_kept) for t in treatment.cancel_tier_ids], [(48.0, 30.0)]
        )
        # one of them: the other is the company's
        treatment = self.env["clinic.treatment"].create(
            {
                "name": "Peel 3",
                "product_id": self.product_botox.id,
                "late_cancel_forfeit_percent": 25,
            }
        )
        self.assertEqual(
            [(t.hours_before, t.percent_kept) for t in treatment.cancel_tier_ids],
            [(self.company.clinic_free_cancel_hours, 25.0)],
        )
        # without them, the company's window
        treatment = self.env["clinic.treatment"].create(
            {"name": "Peel 2", "product_id": self.product_botox.id}
        )
        company = self.company
        self.assertEqual(
            [(t.hours_before, t.percent_kept) for t in treatment.cancel_tier_ids],
            [(company.clinic_free_cancel_hours, company.clinic_late_cancel_forfeit_percent)],
        )
        # the furthest tier is the window; writing it leaves that one tier
        self.assertEqual(
            (
                self.treatment_botox.free_cancel_hours,
                self.treatment_botox.late_cancel_forfeit_percent,
            ),
            (72.0, 50.0),
        )
        self.treatment_botox.free_cancel_hours = 36.0
        self.assertEqual(
            [(t.hours_before, t.percent_kept) for t in self.treatment_botox.cancel_tier_ids],
            [(36.0, 50.0)],
        )
        self.treatment_botox.free_cancel_hours = 0.0
        self.assertFalse(self.treatment_botox.cancel_tier_ids)
        with self.assertRaises(ValidationError), self.cr.savepoint():
            self.treatment_botox.free_cancel_hours = -1.0

    def test_the_upgrade_gives_each_treatment_its_window_as_one_tier(self):
        treatment = self.env["clinic.treatment"].create(
            {
                "name": "Laser",
                "product_id": self.product_botox.id,
                "free_cancel_hours": 36.0,
                "late_cancel_forfeit_percent": 40.0,
            }
        )
        treatments = treatment | self.treatment_botox
        # as before the upgrade: the window in its columns, no tier
        self.env.flush_all()
        self.cr.execute(
            "DELETE FROM clinic_treatment_cancel_tier WHERE treatment_id = %s", [treatment.id]
        )
        self.env.invalidate_all()
        self.assertFalse(treatment.cancel_tier_ids)
        created = treatments._migrate_cancel_tiers()
        self.assertEqual(created.treatment_id, treatment, "treatments with tiers keep theirs")
        self.assertEqual(
            [(t.hours_before, t.percent_kept) for t in treatment.cancel_tier_ids], [(36.0, 40.0)]
        )
        self.assertEqual(len(self.treatment_botox.cancel_tier_ids), 2)
        self.assertFalse(treatments._migrate_cancel_tiers(), "run twice, nothing more")
