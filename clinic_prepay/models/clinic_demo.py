# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from odoo import api, fields, models


class ClinicAppointment(models.Model):
    # demo data stays apart from the model
    _inherit = "clinic.appointment"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _demo_populate(self):
        """Demo appointments in every state, run through the real flows."""
        ref = self.env.ref
        demo_provider = ref("payment.payment_provider_demo", raise_if_not_found=False)
        if demo_provider and demo_provider.state == "disabled":
            demo_provider.write({"state": "test", "is_published": True})
        if demo_provider:
            # the provider's payment method line now, not lazily inside the
            # first (possibly concurrent) online payments
            demo_provider.flush_recordset()
            lines = demo_provider.journal_id.inbound_payment_method_line_ids
            if not lines.filtered(lambda line: line.payment_provider_id == demo_provider):
                demo_provider._ensure_payment_method_line()
        base = fields.Datetime.now().replace(minute=0, second=0, microsecond=0)
        patient = ref("clinic_prepay.res_partner_patient_demo")
        peter = ref("clinic_prepay.res_partner_patient2_demo")
        doctor = ref("clinic_prepay.user_practitioner_demo")
        treatments = {
            key: ref(f"clinic_prepay.clinic_treatment_{key}_demo")
            for key in ("consultation", "botox", "laser", "filler", "peel")
        }

        def book(days, hour, treatment, who=patient, source="phone"):
            appointment = self.create(
                {
                    "patient_id": who.id,
                    "treatment_id": treatments[treatment].id,
                    "practitioner_id": doctor.id,
                    "start": base.replace(hour=hour) + timedelta(days=days),
                    "source": source,
                }
            )
            return appointment

        bank = self.env["account.journal"].search(
            [("company_id", "=", self.env.company.id), ("type", "=", "bank")], limit=1
        )

        def pay(appointment, amount=None):
            deposit = appointment.deposit_ids
            if not amount:
                deposit._register_desk_payment(bank)
                return
            # part of the deposit by bank transfer quoting its reference
            self.env["account.bank.statement.line"].create(
                {
                    "journal_id": bank.id,
                    "payment_ref": f"Transfer {deposit.name}",
                    "amount": amount,
                    "date": fields.Date.context_today(self),
                }
            )

        def move_to_past(appointment, days):
            appointment.write({"start": base.replace(hour=10) - timedelta(days=days)})

        # the waitlist: offered the times the cancellations below free
        manager = ref("clinic_prepay.user_manager_demo")
        sofia = ref("clinic_prepay.res_partner_patient3_demo")
        Waitlist = self.env["clinic.waitlist"]
        Waitlist.create({"patient_id": sofia.id, "treatment_id": treatments["laser"].id})
        Waitlist.create(
            {
                "patient_id": patient.id,
                "treatment_id": treatments["filler"].id,
                "date_from": fields.Date.context_today(self) + timedelta(days=20),
            }
        )
        book(1, 9, "consultation")  # draft
        book(3, 10, "botox").action_book()  # awaiting payment
        partly = book(3, 14, "filler", who=peter)
        partly.action_book()
        pay(partly, partly.deposit_required / 2)  # awaiting payment, partly paid
        book(2, 11, "consultation", who=peter).action_book()  # confirmed, no deposit
        paid = book(4, 9, "laser")
        paid.action_book()
        pay(paid)  # confirmed, deposit paid
        done = book(5, 9, "botox")
        done.action_book()
        pay(done)
        move_to_past(done, 7)
        done.action_done()  # done, deposit applied on the final invoice
        unpaid = book(6, 9, "botox", who=peter)
        unpaid.action_book()
        unpaid._cancel("unpaid", 0.0)  # cancelled by the job: deposit not paid
        late = book(6, 14, "laser", who=peter)
        late.action_book()
        pay(late)
        late._cancel("late", late.treatment_id.late_cancel_forfeit_percent)
        refunded = book(8, 9, "laser")
        refunded.action_book()
        pay(refunded)
        refunded._cancel("clinic", 0.0)  # cancelled by the clinic, deposit refunded
        request = refunded.deposit_ids.refund_request_ids
        request.with_user(manager).action_approve()
        request.with_user(manager).action_execute()
        rejected = book(8, 14, "botox", who=peter)
        rejected.action_book()
        pay(rejected)
        rejected._cancel("patient", 0.0)
        request = rejected.deposit_ids.refund_request_ids
        request.with_user(manager).write({"reject_reason": "Refunded by bank transfer already."})
        request.with_user(manager).action_reject()
        no_show = book(7, 9, "botox", who=peter)
        no_show.action_book()
        pay(no_show)
        move_to_past(no_show, 2)
        no_show.action_no_show()  # no-show, deposit forfeited
        # cards on file (the demo provider stands in for the card provider)
        card_method = ref("payment_demo.payment_method_demo", raise_if_not_found=False)
        if demo_provider and card_method:
            demo_provider.allow_tokenization = True

            def save_card(appointment, outcome="done"):
                appointment._record_card_consent()
                tx = self.env["payment.transaction"].create(
                    {
                        "provider_id": demo_provider.id,
                        "payment_method_id": card_method.id,
                        "reference": f"{appointment.name}-CARD",
                        "amount": 0.0,
                        "currency_id": appointment.currency_id.id,
                        "partner_id": appointment.patient_id.id,
                        "operation": "validation",
                        "tokenize": True,
                        "clinic_appointment_id": appointment.id,
                    }
                )
                tx._handle_notification_data(
                    "demo",
                    {
                        "reference": tx.reference,
                        "simulated_state": "done",
                        "payment_details": "4242",
                    },
                )
                tx._post_process()
                # what the card does when it is charged later
                tx.token_id.demo_simulated_state = outcome

            book(2, 15, "peel").action_book()  # awaiting its card
            # a patient with no missed visit (Peter's would ask the full price)
            saved = book(4, 14, "peel", who=sofia)
            saved.action_book()
            save_card(saved)  # confirmed, card on file
            for days, outcome in ((3, "done"), (4, "error")):
                missed = book(9 + days, 15, "peel", who=patient if outcome == "done" else sofia)
                missed.action_book()
                save_card(missed, outcome)
                move_to_past(missed, days)
                missed.action_no_show()
                # the job charges it once the day is over: charged, or a link
                missed._charge_card_fee()
        # reminders: a visit tomorrow morning, booked last week, is reminded by
        # the job; a booking whose deposit deadline is near, too
        reminded = book(1, 10, "consultation")
        reminded.action_book()
        reminded.sudo().booked_date = base - timedelta(days=7)
        deadline = book(5, 16, "botox")
        deadline.action_book()
        deadline.sudo().write(
            {
                "booked_date": base - timedelta(days=1),
                "payment_deadline": base + timedelta(hours=2),
            }
        )
        self._cron_send_reminders(commit=False)
        # a deposit waived on one booking, with its reason
        waived = book(9, 11, "botox")
        waived.action_book()
        waived.with_user(manager)._waive_deposit("Paid twice for her last visit")
        # a trusted patient: no deposit asked from now on
        ref("clinic_prepay.res_partner_patient3_demo").with_user(manager).write(
            {"clinic_deposit_exempt": True, "clinic_exempt_reason": "Clinic staff member"}
        )
        # expected later today: the desk's Today list
        today = self.create(
            {
                "patient_id": patient.id,
                "treatment_id": treatments["botox"].id,
                "practitioner_id": doctor.id,
                "start": base + timedelta(hours=2),
            }
        )
        today.action_book()
        pay(today)
        # a refund kept as the patient's credit: her next deposit uses it
        credited = book(10, 9, "laser")
        credited.action_book()
        pay(credited)
        credited._cancel("clinic", 0.0)
        request = credited.deposit_ids.refund_request_ids
        request.method = "credit"
        if request.state == "draft":
            request.action_submit()
        if request.state == "submitted":
            request.with_user(manager).action_approve()
        request.with_user(manager).action_execute()
        return True

    @api.model
    def _demo_populate_resources(self):
        """Bookings of the treatment that needs a room and the laser: each
        practitioner's first free time, the laser shared between them."""
        ref = self.env.ref
        treatment = ref("clinic_prepay.clinic_treatment_resurfacing_demo")
        patients = ref("clinic_prepay.res_partner_patient_demo") | ref(
            "clinic_prepay.res_partner_patient2_demo"
        )
        start = fields.Datetime.now() + timedelta(days=2)
        for practitioner, patient in zip(treatment.practitioner_ids, patients, strict=False):
            slots = treatment._get_free_slots(start, start + timedelta(days=7), practitioner)
            if slots:
                self.create(
                    {
                        "patient_id": patient.id,
                        "treatment_id": treatment.id,
                        "practitioner_id": practitioner.id,
                        "start": slots[0]["start"],
                    }
                ).action_book()
