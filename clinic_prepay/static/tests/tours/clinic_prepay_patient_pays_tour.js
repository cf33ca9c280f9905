/** @odoo-module **/
// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("clinic_prepay_patient_pays_tour", {
    steps: () => [
        {
            content: "The booking waits for its deposit",
            trigger: ".o_clinic_pay_alert",
        },
        {
            content: "Pay the deposit",
            trigger: "a.o_clinic_pay_now",
            run: "click",
        },
        {
            content: "Odoo's payment form asks the deposit, no more",
            trigger: "main:has(.o_payment_form):contains(30.00)",
        },
        {
            content: "Card details (demo provider)",
            trigger: "input[name='customer_input']",
            run: "edit 4242424242424242",
        },
        {
            content: "Pay",
            trigger: "button[name='o_payment_submit_button']",
            run: "click",
        },
        {
            content: "Back on the appointment: confirmed and paid",
            trigger: ".o_portal_clinic_appointment:contains(Confirmed)",
        },
        {
            content: "the money is shown",
            trigger: ".o_clinic_amount_paid:contains(30.00)",
        },
    ],
});
