# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .common import ClinicCommon


def index_columns(cr, table):
    """The leading columns of each index of ``table``."""
    cr.execute(
        """
        SELECT array_agg(a.attname ORDER BY k.ord)
          FROM pg_index i
          JOIN pg_class c ON c.oid = i.indrelid
         CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
          JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
         WHERE c.relname = %s
         GROUP BY i.indexrelid
        """,
        [table],
    )
    return [columns for (columns,) in cr.fetchall()]


@tagged("post_install", "-at_install")
class TestIndexes(ClinicCommon):
    """The foreign keys and searched columns the add-on reads by, indexed:
    a delete of an event, invoice, token or transaction, a treatment's
    write and a booking's checks never scan the appointments."""

    def test_links_and_searched_columns_are_indexed(self):
        for table, columns in (
            ("clinic_appointment", ["treatment_id"]),
            ("clinic_appointment", ["event_id"]),
            ("clinic_appointment", ["final_invoice_id"]),
            ("clinic_appointment", ["card_fee_invoice_id"]),
            ("clinic_appointment", ["card_token_id"]),
            ("clinic_appointment", ["consent_ip", "create_date"]),
            ("clinic_refund_request", ["refund_transaction_id"]),
            ("clinic_appointment_mail", ["appointment_id"]),
            ("clinic_deposit", ["name"]),
        ):
            with self.subTest(table=table, columns=columns):
                self.assertIn(
                    columns,
                    [found[: len(columns)] for found in index_columns(self.env.cr, table)],
                )

    def test_the_booking_checks_read_by_index(self):
        """The deposit-name check and the per-visitor hold limit, as the
        booking runs them, can use their index (sequential scans off, as
        on a large table)."""
        cr = self.env.cr
        cr.execute("SET LOCAL enable_seqscan = off")
        cr.execute(
            "EXPLAIN SELECT 1 FROM clinic_deposit WHERE name = %s LIMIT 1", ["DEP/2026/00001"]
        )
        self.assertNotIn("Seq Scan", " ".join(row[0] for row in cr.fetchall()))
        query = (
            self.env["clinic.appointment"]
            .sudo()
            ._search(
                [
                    ("consent_ip", "=", "203.0.113.7"),
                    ("create_date", ">", fields.Datetime.now() - timedelta(hours=1)),
                ]
            )
        )
        cr.execute(f"EXPLAIN {query.select().code}", query.select().params)
        plan = " ".join(row[0] for row in cr.fetchall())
        self.assertIn("clinic_appointment_consent_ip_create_date_idx", plan)

    def test_the_slots_never_jit_compile(self):
        cr = self.env.cr
        cr.execute("SET LOCAL jit = on")
        start = fields.Datetime.now().replace(microsecond=0)
        self.env["clinic.scheduler"]._get_busy_intervals(
            self.practitioner, start, start + timedelta(days=7)
        )
        cr.execute("SHOW jit")
        self.assertEqual(cr.fetchone()[0], "off")
