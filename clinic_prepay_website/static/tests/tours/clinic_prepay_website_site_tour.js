/** @odoo-module **/
// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("clinic_prepay_website_site_phone_tour", {
    url: "/book",
    steps: () => [
        {
            content: "Choose the laser treatment",
            trigger: "a.o_clinic_book_treatment:contains(Tour Laser)",
            run: "click",
        },
        {
            content: "Two sites: the page asks where first, with their addresses",
            trigger: ".o_clinic_sites a.o_clinic_site:contains(Sablon):contains(Rue des Minimes)",
        },
        {
            content: "Choose Canary Wharf, where the laser is",
            trigger: ".o_clinic_sites a.o_clinic_site:contains(Canary Wharf)",
            run: "click",
        },
        {
            content: "Its times, in its time zone",
            trigger: ".o_clinic_site_chosen:contains(Canary Wharf):contains(7 Bank Street)",
        },
        {
            trigger: "p:contains(Europe/London)",
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
            content: "The details say where",
            trigger: ".o_clinic_where:contains(Canary Wharf):contains(7 Bank Street)",
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
            content: "Pay the deposit",
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
            content: "Confirmed",
            trigger: ".o_clinic_confirmed",
        },
    ],
});
