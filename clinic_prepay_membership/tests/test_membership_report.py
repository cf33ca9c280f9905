# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import date, datetime, timedelta

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import MembershipCommon


@tagged("post_install", "-at_install")
class TestMembershipReport(MembershipCommon):
    """The figures by month equal what happened to three members, counted
    by hand."""

    def test_figures_by_month(self):
        yearly = (
            self.env["clinic.membership.plan"]
            .with_user(self.manager)
            .create({"name": "Year", "price": 240.0, "period": "year"})
        )
        third = self.env["res.partner"].create(
            {"name": "Yolanda Yearly", "email": "y@example.com"}
        )
        leaving = self._member()
        leaving.with_user(self.front_desk).action_cancel_at_period_end()  # ends 4 June
        failing = self._member(self.patient2, card_state="error")
        self._pay_period_online(self._sign_up(third, yearly).period_ids)

        self._job(date_at(2030, 4, 4))  # April: one paid, one declined
        failed = failing.period_ids.filtered(lambda p: p.state == "failed")
        self.assertEqual(failed.failed_date, date(2030, 4, 4))
        self._travel(date_at(2030, 4, 6))
        self._pay_period_online(failed)  # the link, with a new card
        self.assertTrue(failed.recovered)
        self._job(date_at(2030, 5, 4))
        self._job(date_at(2030, 6, 4))
        self.assertEqual(leaving.state, "cancelled")
        self.assertEqual(failing.state, "active")

        Report = self.env["clinic.membership.report"].with_user(self.manager)
        measures = [
            "active_count:sum",
            "new_count:sum",
            "cancelled_count:sum",
            "mrr:sum",
            "failed_count:sum",
            "recovered_count:sum",
        ]
        groups = Report.read_group(
            [
                ("partner_id", "in", (self.patient | self.patient2 | third).ids),
                ("date", "<=", date(2030, 6, 30)),
            ],
            measures,
            ["date:month"],
            orderby="date",
            lazy=False,
        )
        figures = [tuple(g[m.split(":")[0]] for m in measures) for g in groups]
        self.assertEqual(
            figures,
            [
                # active, new, cancelled, MRR, failed, recovered
                (3, 3, 0, 158.0, 0, 0),  # March: 69 + 69 + 240 / 12
                (3, 0, 0, 158.0, 1, 1),  # April: declined on the 4th, paid on the 6th
                (3, 0, 0, 158.0, 0, 0),
                (2, 0, 1, 89.0, 0, 0),  # June: the first member left on the 4th
            ],
        )
        # the yearly member counts a twelfth of the fee each month of the year
        later = Report.read_group(
            [("partner_id", "=", third.id), ("date", ">", date(2030, 6, 30))],
            ["active_count:sum", "mrr:sum"],
            [],
        )
        self.assertEqual((later[0]["active_count"], later[0]["mrr"]), (8, 160.0))
        with self.assertRaises(AccessError):
            self.env["clinic.membership.report"].with_user(self.front_desk).search([])

    def test_a_membership_ended_at_once_is_not_active_at_the_months_end(self):
        membership = self._member()
        self._travel(date_at(2030, 3, 10))
        membership.with_user(self.manager).action_cancel_now()
        groups = (
            self.env["clinic.membership.report"]
            .with_user(self.manager)
            .read_group(
                [("membership_id", "=", membership.id)],
                ["active_count:sum", "mrr:sum", "new_count:sum", "cancelled_count:sum"],
                ["date:month"],
                lazy=False,
            )
        )
        self.assertEqual(len(groups), 1)
        figures = [
            groups[0][key] for key in ("active_count", "mrr", "new_count", "cancelled_count")
        ]
        self.assertEqual(figures, [0, 0.0, 1, 1])


def date_at(year, month, day):
    """Some hours into ``day`` (after the job's time in the clinic's zone)."""
    return datetime(year, month, day) + timedelta(hours=9)
