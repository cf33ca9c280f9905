# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Set on upgrade to this version:

- the payment link, cancellation and no-show mails speak of the card on
  file; a template the clinic edited is left as it is;
- the booking time of booked appointments (their creation) and the time
  deposits were paid (their last change), for the reminders and the figures.
"""

from lxml import etree

from odoo import SUPERUSER_ID, api
from odoo.tools.misc import file_path

TEMPLATES = (
    "mail_template_appointment_payment_link",
    "mail_template_appointment_cancelled",
    "mail_template_appointment_no_show",
)


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    tree = etree.parse(file_path("clinic_prepay/data/mail_template_data.xml"))
    for xmlid in TEMPLATES:
        template = env.ref(f"clinic_prepay.{xmlid}", raise_if_not_found=False)
        if not template or template.write_date != template.create_date:
            continue
        node = tree.find(f".//record[@id='{xmlid}']/field[@name='body_html']")
        template.body_html = "".join(etree.tostring(child, encoding="unicode") for child in node)
    cr.execute(
        "UPDATE clinic_appointment SET booked_date = create_date"
        " WHERE booked_date IS NULL AND state != 'draft'"
    )
    cr.execute(
        "UPDATE clinic_deposit SET paid_date = write_date"
        " WHERE paid_date IS NULL AND state != 'pending' AND amount_paid > 0"
    )
