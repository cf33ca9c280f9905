# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Sites: the booking mails say where the visit takes place. Those four
templates are data kept on update (noupdate); they are loaded once more
from the module, with the site's address. The other templates are left as
the clinic may have edited them."""

import io

from lxml import etree

from odoo import SUPERUSER_ID, api
from odoo.tools import convert_xml_import, file_open

TEMPLATES = (
    "mail_template_appointment_payment_link",
    "mail_template_appointment_confirmed",
    "mail_template_appointment_rescheduled",
    "mail_template_appointment_visit_reminder",
)


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    with file_open("clinic_prepay/data/mail_template_data.xml", "rb") as file:
        tree = etree.parse(file)
    for record in tree.xpath("//record"):
        if record.get("id") not in TEMPLATES:
            record.getparent().remove(record)
    data = io.BytesIO(etree.tostring(tree))
    data.name = "clinic_prepay/data/mail_template_data.xml"
    convert_xml_import(env, "clinic_prepay", data, mode="init", noupdate=True)
