/** @odoo-module **/
// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import { registry } from "@web/core/registry";

// On a phone: the patient buys a course from their wallet, pays it on
// Odoo's payment form, then books a session with it.
registry.category("web_tour.tours").add("clinic_wallet_patient_buys_course_tour", {
    url: "/my/wallet",
    steps: () => [
        {
            content: "The courses sold online are offered",
            trigger: ".o_portal_clinic_wallet form:contains(Tour Facial Course) button[type=submit]",
            run: "click",
        },
        {
            content: "Odoo's payment form asks the course's price",
            trigger: "main:has(.o_payment_form):contains(600.00)",
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
            content: "Back in the wallet: six sessions to book",
            trigger: ".o_clinic_wallet_card:contains(Tour Facial Course) .o_clinic_wallet_sessions:contains(6 of)",
        },
        {
            content: "Book a session",
            trigger: "a.o_clinic_wallet_book:contains(Tour Facial)",
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
            content: "The course pays the visit",
            trigger: ".o_clinic_pay_with input[name='wallet_card_id']:checked",
        },
        {
            content: "Session 1 of 6",
            trigger: ".o_clinic_pay_with:contains(session 1 of 6)",
        },
        {
            content: "Accept the policy",
            trigger: "input[name='consent']",
            run: "check",
        },
        {
            content: "Book",
            trigger: "button.o_clinic_book_course",
            run: "click",
        },
        {
            content: "Confirmed at once, paid by the course",
            trigger: ".o_portal_clinic_appointment:contains(Confirmed) .o_clinic_wallet_session:contains(session 1 of 6)",
        },
    ],
});
