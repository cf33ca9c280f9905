# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from dateutil.relativedelta import relativedelta
from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import WalletCommon


@tagged("post_install", "-at_install")
class TestCourse(WalletCommon):
    def _three_times(self):
        first = self._bookable_time()
        second = self._bookable_time(not_before=first + timedelta(days=1))
        third = self._bookable_time(not_before=second + timedelta(days=1))
        return first, second, third

    def test_sold_half_used_then_expired(self):
        card = self._sell()
        # a payment request only: nothing in the ledger
        self.assertEqual(card.clinic_state, "pending")
        self.assertEqual(card.clinic_invoice_id.state, "draft")
        self.assertEqual(self._wallet_balance(card), 0.0)
        self.assertEqual(card.points, 0)

        action = card.with_user(self.front_desk).action_take_payment()
        self.env[action["res_model"]].with_user(self.front_desk).with_context(
            **action["context"]
        ).create({"journal_id": self.bank_journal.id}).action_confirm()
        invoice = card.clinic_invoice_id
        self.assertEqual(invoice.state, "posted")
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(card.clinic_state, "active")
        self.assertEqual(card.points, 6)
        self.assertEqual(card.clinic_value, 600.0)
        self.assertEqual(self._wallet_balance(card), 600.0)
        self.assertTrue(len(card.code) >= 12)
        sold = card.history_ids.filtered(lambda h: h.clinic_kind == "sold")
        self.assertEqual(
            (sold.issued, sold.clinic_amount, sold.clinic_move_id), (6, 600.0, invoice)
        )

        appointments = self.env["clinic.appointment"]
        for start in self._three_times():
            appointment = self._appointment(start, user=self.front_desk)
            # the desk sees the course proposed and its sessions left
            self.assertEqual(appointment.wallet_card_id, card)
            self.assertEqual(appointment.prepayment_rule, "course")
            self.assertEqual(appointment.deposit_required, 0.0)
            appointment.with_user(self.front_desk).action_book()
            appointments |= appointment
        self.assertEqual(set(appointments.mapped("state")), {"confirmed"})
        self.assertFalse(appointments.deposit_ids)
        self.assertEqual(appointments.mapped("wallet_session_no"), [1, 2, 3])
        self.assertEqual(appointments[2].wallet_label, "Six Botox: session 3 of 6")
        self.assertEqual((card.points, card.clinic_sessions_reserved), (3, 3))
        # booked sessions are still the patient's money
        self.assertEqual(self._wallet_balance(card), 600.0)

        for appointment in appointments:
            appointment.with_user(self.front_desk).action_done()
            entry = appointment.wallet_move_id
            self.assertEqual(entry.state, "posted")
            lines = entry.line_ids
            debit = lines.filtered(lambda line: line.account_id == self.wallet_account)
            credit = lines.filtered(lambda line: line.account_id == self.botox_income)
            self.assertEqual((debit.debit, credit.credit), (100.0, 100.0))
            self.assertEqual(debit.partner_id, self.patient)
            self.assertIn(appointment.name, entry.ref)
            # the course paid the visit: nothing is invoiced to the patient
            self.assertFalse(appointment.final_invoice_id)
        self.assertEqual(appointments.mapped("wallet_session_state"), ["used"] * 3)
        self.assertEqual((card.clinic_sessions_used, card.clinic_value), (3, 300.0))
        self.assertEqual(self._wallet_balance(card), card.clinic_value)

        with freeze_time(card.expiration_date + timedelta(days=1, hours=12)):
            self.env["loyalty.card"]._cron_expire_courses()
        self.assertEqual(card.clinic_state, "expired")
        self.assertEqual((card.points, card.clinic_sessions_expired), (0, 3))
        breakage = card.history_ids.filtered(lambda h: h.clinic_kind == "expired").clinic_move_id
        self.assertEqual(breakage.date, card.expiration_date + timedelta(days=1))
        line = breakage.line_ids.filtered(lambda line: line.account_id == self.breakage_account)
        self.assertEqual(line.credit, 300.0)
        self.assertEqual(card.clinic_value, 0.0)
        self.assertEqual(self._wallet_balance(card), 0.0)

    def test_expiry_refundable_keeps_the_liability(self):
        self.company.clinic_wallet_expiry = "refundable"
        card = self._sell_paid()
        with freeze_time(card.expiration_date + timedelta(days=2)):
            self.env["loyalty.card"]._cron_expire_courses()
        self.assertEqual(card.clinic_state, "expired")
        self.assertEqual(card.points, 0)
        self.assertFalse(card.history_ids.clinic_move_id - card.clinic_invoice_id)
        self.assertEqual(card.clinic_value, 600.0)
        self.assertEqual(self._wallet_balance(card), 600.0)

    def test_not_expired_on_its_last_day(self):
        card = self._sell_paid()
        with freeze_time(card.expiration_date + timedelta(hours=10)):
            self.env["loyalty.card"]._cron_expire_courses()
        self.assertEqual(card.clinic_state, "active")

    def test_session_rules(self):
        """In time: given back. Late or missed: used as the treatment's
        policy says (it keeps part of a deposit). A no-show undone gives the
        session and its revenue back."""
        card = self._sell_paid()
        first, second, third = self._three_times()
        in_time = self._book_course(first)
        in_time.with_user(self.front_desk).action_cancel_by_patient()
        self.assertEqual(in_time.wallet_session_state, "returned")
        self.assertEqual(card.points, 6)

        late = self._book_course(second)
        with freeze_time(late.start - timedelta(hours=2)):
            late.with_user(self.front_desk).action_cancel_by_patient()
        self.assertEqual(late.cancel_reason, "late")
        self.assertEqual(late.wallet_session_state, "used")
        self.assertEqual(card.points, 5)
        self.assertEqual(card.clinic_value, 500.0)

        missed = self._book_course(third)
        with freeze_time(missed.start + timedelta(hours=1)):
            missed.with_user(self.front_desk).action_no_show()
            self.assertEqual(missed.wallet_session_state, "used")
            self.assertEqual((card.points, card.clinic_value), (4, 400.0))
            entry = missed.sudo().wallet_move_id
            missed.with_user(self.front_desk).action_undo_no_show()
        self.assertEqual(missed.state, "confirmed")
        self.assertEqual(missed.wallet_session_state, "reserved")
        # the revenue entry is reversed, both stay in the ledger
        self.assertEqual(entry.state, "posted")
        self.assertEqual(entry.reversal_move_ids.state, "posted")
        self.assertFalse(missed.sudo().wallet_move_id)
        self.assertEqual((card.points, card.clinic_value), (4, 500.0))
        self.assertEqual(self._wallet_balance(card), 500.0)

    def test_course_rules_override_the_treatment(self):
        self.course.with_user(self.manager).write(
            {"clinic_late_cancel_rule": "return", "clinic_no_show_rule": "use"}
        )
        self.treatment_botox.no_show_forfeit_percent = 0.0
        card = self._sell_paid()
        first, second, _third = self._three_times()
        late = self._book_course(first)
        with freeze_time(late.start - timedelta(hours=2)):
            late.with_user(self.front_desk).action_cancel_by_patient()
        self.assertEqual(late.wallet_session_state, "returned")
        missed = self._book_course(second)
        with freeze_time(missed.start + timedelta(hours=1)):
            missed.with_user(self.front_desk).action_no_show()
        self.assertEqual(missed.wallet_session_state, "used")
        self.assertEqual((card.points, card.clinic_value), (5, 500.0))

    def test_clinic_cancellation_gives_the_session_back(self):
        card = self._sell_paid()
        appointment = self._book_course(self._bookable_time())
        appointment.with_user(self.front_desk).action_cancel_by_clinic()
        self.assertEqual(appointment.wallet_session_state, "returned")
        self.assertEqual(card.points, 6)

    def test_last_session_takes_the_rest(self):
        course = self.course.copy(
            {"name": "Three Botox", "clinic_session_count": 3, "clinic_price": 100.0}
        )
        card = self._sell_paid(course=course)
        times = self._three_times()
        for start in times:
            self._book_course(start, card=card).with_user(self.front_desk).action_done()
        amounts = card.history_ids.filtered(lambda h: h.clinic_kind == "used").mapped(
            "clinic_amount"
        )
        self.assertEqual(sorted(amounts), [33.33, 33.33, 33.34])
        self.assertEqual(card.clinic_state, "used")
        self.assertEqual(self._wallet_balance(card), 0.0)

    def test_taxes_of_the_course_product_at_sale(self):
        tax = self.company.account_sale_tax_id
        self.assertTrue(tax.invoice_repartition_line_ids.account_id)
        self.product_botox.taxes_id = [Command.set(tax.ids)]
        course = (
            self.env["loyalty.program"]
            .with_user(self.manager)
            .create(
                {
                    "name": "Taxed Botox",
                    "program_type": "clinic_course",
                    "clinic_treatment_ids": [Command.set(self.treatment_botox.ids)],
                    "clinic_session_count": 2,
                    "clinic_price": 500.0,
                }
            )
        )
        self.assertEqual(course.clinic_product_id.taxes_id, tax)
        card = self._sell_paid(course=course)
        self.assertEqual(
            card.clinic_invoice_id.amount_total,
            tax.compute_all(500.0, self.currency)["total_included"],
        )
        self.assertGreater(card.clinic_invoice_id.amount_tax, 0.0)
        # the liability is the price before taxes
        self.assertEqual((card.clinic_value, self._wallet_balance(card)), (500.0, 500.0))

    def test_online_payment(self):
        card = self._sell()
        invoice = card.clinic_invoice_id
        link = card._clinic_get_payment_link()
        self.assertIn(f"invoice_id={invoice.id}", link)
        with self.assertRaises(ValidationError):
            self._start_course_payment(card, amount=100.0)
        tx = self._pay_course_online(card)
        self.assertTrue(tx.reference.startswith(f"COURSE-{card.id}"))
        self.assertNotIn(card.code, tx.reference)
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(card.clinic_state, "active")
        self.assertEqual(self._wallet_balance(card), 600.0)
        # paid once
        with self.assertRaises(ValidationError):
            self._start_course_payment(card)

    def test_withdraw_unpaid(self):
        card = self._sell()
        card.with_user(self.front_desk).action_cancel_course()
        self.assertEqual(card.clinic_state, "cancelled")
        self.assertEqual(card.clinic_invoice_id.state, "cancel")
        self.assertFalse(
            card.clinic_invoice_id.line_ids.filtered(lambda line: line.parent_state == "posted")
        )

    def test_payment_link_mail(self):
        card = self._sell()
        card.with_user(self.front_desk).action_send_payment_link()
        message = card.message_ids.filtered(lambda m: "payment" in (m.subject or ""))
        self.assertTrue(message)
        self.assertIn("/payment/pay?", message.body)

    # ------------------------------------------------------------------------
    # Refusals
    # ------------------------------------------------------------------------

    def test_bad_courses_refused(self):
        Program = self.env["loyalty.program"].with_user(self.manager)
        base = {
            "name": "Bad",
            "program_type": "clinic_course",
            "clinic_treatment_ids": [Command.set(self.treatment_botox.ids)],
            "clinic_session_count": 6,
            "clinic_price": 600.0,
        }
        for bad in (
            {"clinic_session_count": 0},
            {"clinic_price": -10.0},
            {"clinic_treatment_ids": [Command.clear()]},
            {"clinic_validity_months": 0},
        ):
            with self.assertRaises(ValidationError):
                Program.create({**base, **bad})
        free = self.env["clinic.treatment"].create(
            {
                "name": "Free check",
                "product_id": self._create_service("Free check", 0.0).id,
                "deposit_type": "none",
            }
        )
        with self.assertRaises(ValidationError):
            Program.create({**base, "clinic_treatment_ids": [Command.set(free.ids)]})
        self.assertFalse(Program.search([("name", "=", "Bad")]))

    def test_another_patients_course_refused_nothing_written(self):
        card = self._sell_paid(patient=self.patient2)
        appointment = self._appointment(self._bookable_time(), user=self.front_desk)
        self.assertFalse(appointment.wallet_card_id)
        appointment.with_user(self.front_desk).wallet_card_id = card
        with self.assertRaisesRegex(UserError, "another patient"):
            appointment.with_user(self.front_desk).action_book()
        self.assertEqual(appointment.state, "draft")
        self.assertEqual(card.points, 6)
        self.assertFalse(card.history_ids.filtered(lambda h: h.clinic_kind == "reserved"))

    def test_exhausted_and_expired_courses_refused(self):
        course = self.course.copy(
            {"name": "One Botox", "clinic_session_count": 1, "clinic_price": 100.0}
        )
        card = self._sell_paid(course=course)
        first, second, _third = self._three_times()
        self._book_course(first, card=card)
        self.assertEqual(card.points, 0)
        appointment = self._appointment(second, user=self.front_desk)
        self.assertFalse(appointment.wallet_card_id, "no free session is proposed")
        appointment.wallet_card_id = card
        with self.assertRaisesRegex(UserError, "no session left"):
            appointment.with_user(self.front_desk).action_book()
        other = self._sell_paid()
        other.write({"expiration_date": first.date() - timedelta(days=1)})
        appointment = self._appointment(second, user=self.front_desk)
        appointment.wallet_card_id = other
        with self.assertRaisesRegex(UserError, "valid until"):
            appointment.with_user(self.front_desk).action_book()

    def test_moving_past_the_expiry_refused(self):
        card = self._sell_paid()
        appointment = self._book_course(self._bookable_time())
        card.write({"expiration_date": appointment._clinic_local_date()})
        later = self._bookable_time(not_before=appointment.start + timedelta(days=2))
        with self.assertRaisesRegex(UserError, "valid until"):
            appointment.with_user(self.front_desk).write({"start": later})

    def test_values_locked(self):
        card = self._sell_paid()
        for user in (self.front_desk, self.manager):
            for vals in (
                {"points": 60},
                {"code": "ABCDEFGHJKLMNPQR"},
                {"partner_id": self.patient2.id},
                {"expiration_date": "2099-01-01"},
                {"clinic_value": 1.0},
                {"clinic_state": "active"},
            ):
                with self.assertRaises(AccessError):
                    card.with_user(user).write(vals)
            with self.assertRaises(AccessError):
                self.env["loyalty.card"].with_user(user).create(
                    {"program_id": self.course.id, "partner_id": self.patient.id, "points": 6}
                )
            with self.assertRaises(AccessError):
                self.env["loyalty.history"].with_user(user).create(
                    {"card_id": card.id, "description": "free", "issued": 5}
                )
            with self.assertRaises(AccessError):
                card.history_ids[:1].with_user(user).write({"issued": 50})
            # AccessError is a UserError
            with self.assertRaises(UserError):
                card.with_user(user).unlink()
            with self.assertRaises(UserError):
                card.clinic_invoice_id.with_user(user).button_draft()
        # a booked session's course stays
        appointment = self._book_course(self._bookable_time())
        with self.assertRaises(UserError):
            appointment.with_user(self.front_desk).wallet_card_id = False
        self.assertEqual((card.points, card.clinic_value), (5, 600.0))

    def test_outsider_cannot_sell(self):
        with self.assertRaises(AccessError):
            self._sell(user=self.internal_user)

    def test_online_bookings_do_not_take_a_course_by_email(self):
        """A guest who types the owner's email is not the owner."""
        self._sell_paid()
        appointment = self.env["clinic.appointment"].create(
            {
                "patient_id": self.patient.id,
                "treatment_id": self.treatment_botox.id,
                "practitioner_id": self.practitioner.id,
                "start": self._bookable_time(),
                "source": "online",
            }
        )
        self.assertFalse(appointment.wallet_card_id)
        self.assertEqual(appointment.deposit_required, 50.0)

    def test_desk_clears_the_course(self):
        card = self._sell_paid()
        appointment = self._appointment(self._bookable_time(), user=self.front_desk)
        appointment.with_user(self.front_desk).wallet_card_id = False
        self.assertEqual(appointment.deposit_required, 50.0)
        appointment.with_user(self.front_desk).action_book()
        self.assertEqual(appointment.state, "awaiting_payment")
        self.assertEqual(card.points, 6)

    def test_validity_from_payment(self):
        with freeze_time("2030-01-31 10:00:00"):
            card = self._sell_paid()
        self.assertEqual(card.clinic_paid_date.isoformat(), "2030-01-31")
        self.assertEqual(card.expiration_date, card.clinic_paid_date + relativedelta(months=12))
