/** @odoo-module **/
// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("clinic_prepay_website_guest_tour", {
    url: "/book",
    steps: () => [
        {
            content: "Choose the treatment",
            trigger: "a.o_clinic_book_treatment:contains(Tour Facial)",
            run: "click",
        },
        {
            content: "Go to next week",
            trigger: "a.o_clinic_next_week",
            run: "click",
        },
        {
            content: "Choose the first free time",
            trigger: ".o_clinic_day a.o_clinic_slot",
            run: "click",
        },
        {
            content: "The policy is shown with the amounts at stake",
            trigger: ".o_clinic_policy:contains(40.00)",
        },
        {
            content: "Name",
            trigger: "input[name='name']",
            run: "edit Gina Guest",
        },
        {
            content: "Email",
            trigger: "input[name='email']",
            run: "edit gina@example.com",
        },
        {
            content: "Phone",
            trigger: "input[name='phone']",
            run: "edit +32 470 00 00 00",
        },
        {
            content: "Accept the policy",
            trigger: "input[name='consent']",
            run: "check",
        },
        {
            content: "Hold the time",
            trigger: "button.o_clinic_hold",
            run: "click",
        },
        {
            content: "The appointment's page asks for the deposit",
            trigger: ".o_clinic_pay_alert a.o_clinic_pay_now",
            run: "click",
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
            content: "Confirmed, with what remains to pay at the visit",
            trigger: ".o_clinic_confirmed:contains(80.00)",
        },
        {
            content: "and the policy accepted",
            trigger: ".o_clinic_consent:contains(No-show)",
        },
    ],
});
