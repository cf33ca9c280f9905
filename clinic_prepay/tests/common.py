# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests import new_test_user
from odoo.tests.common import TransactionCase


class ClinicCommon(TransactionCase):
    """Shared fixture: one user per clinic role and a few treatments.

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
        cls.internal_user = new_test_user(
            cls.env, login="clinic_outsider", name="Oscar Outsider", groups="base.group_user"
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
                "practitioner_ids": [(4, cls.practitioner.id)],
            }
        )
        cls.treatment_consult = cls.env["clinic.treatment"].create(
            {
                "name": "Consultation",
                "product_id": cls.product_consult.id,
                "duration": 0.5,
                "deposit_type": "none",
                "practitioner_ids": [(4, cls.practitioner.id)],
            }
        )

    @classmethod
    def _create_service(cls, name, price):
        return cls.env["product.product"].create(
            {"name": name, "type": "service", "list_price": price}
        )
