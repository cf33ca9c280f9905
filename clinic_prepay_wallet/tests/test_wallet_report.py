# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import date, datetime

from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import GiftCardCommon

MEASURES = [
    "liability_outstanding",
    "amount_sold",
    "amount_used",
    "amount_expired",
    "amount_refunded",
    "amount_adjusted",
]


@tagged("post_install", "-at_install")
class TestWalletReport(GiftCardCommon):
    """The wallet's figures by month, read from the liability accounts."""

    def _by_month(self, cards):
        self.env.flush_all()
        groups = (
            self.env["clinic.wallet.report"]
            .with_user(self.manager)
            .read_group(
                [("card_id", "in", cards.ids)],
                [f"{measure}:sum" for measure in MEASURES],
                ["date:month"],
                orderby="date:month",
                lazy=False,
            )
        )
        return {
            group["__range"]["date:month"]["from"][:7]: {
                measure: group[measure] for measure in MEASURES
            }
            for group in groups
        }

    def test_figures_by_month_add_up_to_the_ledger(self):
        with freeze_time(datetime(2031, 1, 10, 9, 0)):
            gift = self._sell_gift()
            gift._clinic_register_desk_payment(self.bank_journal)
            course = self._sell_paid()
        with freeze_time(datetime(2031, 2, 10, 9, 0)):
            gift._clinic_adjust(-30.0, "Typed the wrong amount at sale")
            course._clinic_adjust(-3, "Three sessions given in person, not booked")
            # Peter, who has no course, pays his deposit with the card
            appointment = self._appointment(self._bookable_time(), patient=self.patient2)
            appointment.action_book()
            self._pay_with_card(appointment, gift.code)
        with freeze_time(datetime(2031, 3, 10, 9, 0)):
            # the three sessions left refunded, less the 10 % the course keeps
            self.course.clinic_refund_keep_percent = 10.0
            request = course.with_user(self.front_desk).action_request_refund()
            request.with_user(self.manager).action_approve()
            request.with_user(self.manager).action_execute()
            self.assertEqual(request.state, "done")
        with freeze_time(datetime(2032, 1, 20, 9, 0)):
            gift._clinic_expire()
        cards = gift | course
        months = self._by_month(cards)

        self.assertEqual(
            months["2031-01"],
            {
                "liability_outstanding": 750.0,
                "amount_sold": 750.0,
                "amount_used": 0.0,
                "amount_expired": 0.0,
                "amount_refunded": 0.0,
                "amount_adjusted": 0.0,
            },
        )
        self.assertEqual(
            months["2031-02"],
            {
                "liability_outstanding": 370.0,
                "amount_sold": 0.0,
                "amount_used": 50.0,
                "amount_expired": 0.0,
                "amount_refunded": 0.0,
                "amount_adjusted": -330.0,
            },
        )
        march = months["2031-03"]
        self.assertEqual(
            (march["amount_refunded"], march["amount_used"], march["liability_outstanding"]),
            (270.0, 30.0, 70.0),
        )
        # months without events carry the liability over
        self.assertEqual(months["2031-07"]["liability_outstanding"], 70.0)
        # the gift card's 70 left expired the day after its last valid day
        self.assertEqual(gift.expiration_date, date(2032, 1, 10))
        self.assertEqual(months["2032-01"]["amount_expired"], 70.0)
        self.assertEqual(months["2032-01"]["liability_outstanding"], 0.0)

        # each month's flows are the change of the liability over it
        previous = 0.0
        for figures in months.values():
            flow = (
                figures["amount_sold"]
                - figures["amount_used"]
                - figures["amount_expired"]
                - figures["amount_refunded"]
                + figures["amount_adjusted"]
            )
            self.assertAlmostEqual(figures["liability_outstanding"] - previous, flow)
            previous = figures["liability_outstanding"]
        # and the last month's liability is the ledger's, card by card
        self.assertEqual(previous, self._gift_balance(gift) + self._wallet_balance(course))
        self.assertEqual(self._wallet_balance(course), course.clinic_value)

        # several months read the liability at the last one's end, flows add up
        Report = self.env["clinic.wallet.report"].with_user(self.manager)
        domain = [("card_id", "in", cards.ids)]
        [(year_2031, sold_2031, adjusted_2031)] = Report._read_group(
            [*domain, ("date", "<", "2032-01-01")],
            [],
            ["liability_outstanding:sum", "amount_sold:sum", "amount_adjusted:sum"],
        )
        self.assertEqual((year_2031, sold_2031, adjusted_2031), (70.0, 750.0, -330.0))
        by_card = dict(Report._read_group(domain, ["card_id"], ["liability_outstanding:sum"]))
        self.assertEqual(by_card, {gift: 0.0, course: 0.0})
        by_card_feb = dict(
            Report._read_group(
                [*domain, ("date", "<", "2031-03-01")], ["card_id"], ["liability_outstanding:sum"]
            )
        )
        self.assertEqual(by_card_feb, {gift: 70.0, course: 300.0})

    def test_only_managers_read_the_figures(self):
        gift = self._sell_gift()
        gift._clinic_register_desk_payment(self.bank_journal)
        with self.assertRaises(AccessError):
            self.env["clinic.wallet.report"].with_user(self.front_desk).search([])
        self.assertTrue(self._by_month(gift))
