# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The write guard over HTTP JSON-RPC, as the real users call the server
(a view's readonly is not a server check)."""

from datetime import timedelta

from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import JsonRpcException

from .common import bookable_time

CLEAR_ERRORS = (
    "odoo.exceptions.AccessError",
    "odoo.exceptions.UserError",
    "odoo.exceptions.ValidationError",
)


@tagged("post_install", "-at_install")
class TestRpcWriteGuard(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.desk = new_test_user(
            cls.env, login="rpc_desk", name="Rpc Desk", groups="clinic_prepay.group_clinic_user"
        )
        cls.manager = new_test_user(
            cls.env,
            login="rpc_manager",
            name="Rpc Manager",
            groups="clinic_prepay.group_clinic_manager",
        )
        cls.patient = cls.env["res.partner"].create({"name": "Rpc Patient"})
        product = cls.env["product.product"].create(
            {
                "name": "Rpc peel",
                "type": "service",
                "list_price": 90.0,
                "taxes_id": [Command.clear()],
            }
        )
        cls.treatment = cls.env["clinic.treatment"].create(
            {
                "name": "Rpc peel",
                "product_id": product.id,
                "deposit_type": "fixed",
                "deposit_fixed": 60.0,
            }
        )
        start = bookable_time(cls.treatment, cls.desk, timedelta(days=5))
        cls.unpaid = cls.env["clinic.appointment"].create(
            {
                "patient_id": cls.patient.id,
                "treatment_id": cls.treatment.id,
                "practitioner_id": cls.desk.id,
                "start": start,
            }
        )
        cls.unpaid.action_book()
        cls.paid = cls.env["clinic.appointment"].create(
            {
                "patient_id": cls.patient.id,
                "treatment_id": cls.treatment.id,
                "practitioner_id": cls.desk.id,
                "start": start + timedelta(hours=3),
            }
        )
        cls.paid.action_book()
        journal = cls.env["account.journal"].search(
            [("company_id", "=", cls.env.company.id), ("type", "=", "bank")], limit=1
        )
        cls.paid.deposit_ids._register_desk_payment(journal)
        cls.paid.action_cancel_by_clinic()
        cls.request = cls.paid.deposit_ids.refund_request_ids
        cls.event = cls.env["calendar.event"].create(
            {
                "name": "Private meeting",
                "start": start,
                "stop": start + timedelta(hours=1),
                "privacy": "private",
            }
        )

    def _call(self, model, method, args, kwargs=None):
        return self.make_jsonrpc_request(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
        )

    def _assert_refused(self, model, method, args, kwargs=None):
        with self.assertRaises(JsonRpcException) as caught:
            self._call(model, method, args, kwargs)
        self.assertIn(str(caught.exception), CLEAR_ERRORS, "a clear message, not a traceback")

    def test_front_desk_over_rpc(self):
        self.authenticate("rpc_desk", "rpc_desk")
        forged = [
            {"state": "confirmed"},
            {"state": "done"},
            {"amount_paid": 60.0},
            {"payment_status": "paid"},
            {"payment_deadline": "2099-01-01 00:00:00"},
            {"price": 9.0},
            {"deposit_required": 0.0},
            {"event_id": self.event.id},
            {"patient_id": self.desk.partner_id.id},
            {"start": "2000-01-01 10:00:00"},
        ]
        for vals in forged:
            with self.subTest(vals=vals):
                self._assert_refused("clinic.appointment", "write", [self.unpaid.ids, vals])
        self._assert_refused(
            "clinic.appointment",
            "create",
            [
                {
                    "patient_id": self.patient.id,
                    "treatment_id": self.treatment.id,
                    "practitioner_id": self.desk.id,
                    "start": "2031-01-01 10:00:00",
                    "state": "confirmed",
                    "event_id": self.event.id,
                }
            ],
        )
        self._assert_refused(
            "clinic.refund.request", "write", [self.request.ids, {"state": "approved"}]
        )
        self._assert_refused(
            "clinic.deposit", "write", [self.unpaid.deposit_ids.ids, {"state": "paid"}]
        )
        invoice = self.unpaid.deposit_ids.invoice_id
        self._assert_refused(
            "account.move.line", "write", [invoice.invoice_line_ids.ids, {"price_unit": 1.0}]
        )
        self._assert_refused("account.move", "action_post", [invoice.ids])
        self._assert_refused(
            "account.move", "button_draft", [self.paid.deposit_ids.invoice_id.ids]
        )
        # private methods are not callable remotely at all
        self._assert_refused("clinic.deposit", "_sync_money", [self.paid.deposit_ids.ids])
        # nothing moved
        self.assertEqual(self.unpaid.state, "awaiting_payment")
        self.assertEqual(self.unpaid.deposit_ids.state, "pending")
        self.assertEqual(invoice.state, "draft")
        self.assertEqual(invoice.invoice_line_ids.price_unit, 60.0)
        self.assertEqual(self.event.name, "Private meeting")
        self.assertEqual(self.request.state, "submitted")

    def test_manager_over_rpc(self):
        self.authenticate("rpc_manager", "rpc_manager")
        deposit = self.paid.deposit_ids
        self._assert_refused("clinic.deposit", "write", [deposit.ids, {"amount_refundable": 5000}])
        for vals in (
            {"requested_by_id": self.manager.id},
            {"patient_id": self.manager.partner_id.id},
            {"state": "approved", "approved_by_id": self.manager.id},
            {"amount_approved": 5000},
            {"amount": 5000},
            {"amount": "NaN"},
        ):
            with self.subTest(vals=vals):
                self._assert_refused("clinic.refund.request", "write", [self.request.ids, vals])
        self._assert_refused("clinic.refund.request", "action_execute", [self.request.ids])
        self._assert_refused("clinic.appointment", "unlink", [self.paid.ids])
        self.assertEqual((deposit.amount_refundable, self.request.state), (60.0, "submitted"))
        self.assertEqual(self.request.requested_by_id, self.env.user)
        # what the manager may do goes through
        self._call("clinic.refund.request", "action_approve", [self.request.ids])
        self._call("clinic.refund.request", "action_execute", [self.request.ids])
        self.assertEqual(self.request.state, "done")
        self.assertEqual(self.request.payment_id.partner_id, self.patient)
        self.assertEqual(deposit.state, "refunded")

    def test_wrong_types_over_rpc_are_refused_clearly(self):
        """A value of the wrong type is a clear ValidationError, not a parser
        or database traceback, and nothing is written."""
        self.authenticate("rpc_desk", "rpc_desk")
        good = {
            "patient_id": self.patient.id,
            "treatment_id": self.treatment.id,
            "practitioner_id": self.desk.id,
            "start": "2031-01-01 10:00:00",
        }
        count = self.env["clinic.appointment"].search_count([])
        wrong = [
            {"start": "tomorrow"},
            {"start": 12},
            {"patient_id": "abc"},
            {"patient_id": [self.patient.id]},
            {"treatment_id": True},
            {"practitioner_id": -1},
        ]
        for vals in wrong:
            with self.subTest(vals=vals):
                with self.assertRaises(JsonRpcException) as caught:
                    self._call("clinic.appointment", "create", [{**good, **vals}])
                self.assertEqual(str(caught.exception), "odoo.exceptions.ValidationError")
                with self.assertRaises(JsonRpcException) as caught:
                    self._call("clinic.appointment", "write", [self.unpaid.ids, vals])
                self.assertEqual(str(caught.exception), "odoo.exceptions.ValidationError")
        self.assertEqual(self.env["clinic.appointment"].search_count([]), count)
        self.assertEqual(self.unpaid.patient_id, self.patient)
        # the right types still book
        created = self._call("clinic.appointment", "create", [good])
        self.assertTrue(self.env["clinic.appointment"].browse(created).exists())
