# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""No-update records changed by this version, set on upgrade: the refund
mails say what the refund is for (an appointment, or what another add-on
refunds, such as a course). A template the clinic edited is left as it is.
"""

from lxml import etree

from odoo import SUPERUSER_ID, api
from odoo.tools.misc import file_path

TEMPLATES = (
    "mail_template_refund_approved",
    "mail_template_refund_paid",
    "mail_template_refund_credit",
    "mail_template_refund_rejected",
)


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    tree = etree.parse(file_path("clinic_prepay/data/mail_template_data.xml"))
    for xmlid in TEMPLATES:
        template = env.ref(f"clinic_prepay.{xmlid}", raise_if_not_found=False)
        if not template or template.write_date != template.create_date:
            continue
        record = tree.find(f".//record[@id='{xmlid}']")
        body = record.find("field[@name='body_html']")
        template.body_html = "".join(etree.tostring(child, encoding="unicode") for child in body)
        template.subject = record.find("field[@name='subject']").text
