/** @odoo-module **/
// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import { registry } from "@web/core/registry";

// what a patient taps on the clinic's pages
const TARGETS = [
    ".o_clinic_booking a",
    ".o_clinic_booking button",
    ".o_clinic_booking select",
    ".o_clinic_booking input.form-control",
    ".o_clinic_booking .form-check",
    ".o_portal_clinic_appointment a.btn",
    ".o_portal_clinic_appointment button",
    ".o_portal_clinic_appointment .form-check",
].join(", ");

/** A step failing the tour when a visible target is under 44 x 44 px. */
function targetsAreLargeEnough(page) {
    return {
        content: `Every control of ${page} is at least 44 x 44 px`,
        trigger: ".o_clinic_booking, .o_portal_clinic_appointment",
        run() {
            const small = [...document.querySelectorAll(TARGETS)]
                .map((el) => [el, el.getBoundingClientRect()])
                .filter(([, box]) => box.width && box.height)
                .filter(([, box]) => box.width < 44 || box.height < 44)
                .map(
                    ([el, box]) =>
                        `"${el.textContent.trim().slice(0, 30)}" (${el.className}) ` +
                        `${Math.round(box.width)}x${Math.round(box.height)}`
                );
            if (small.length) {
                throw new Error(`Targets under 44 px on ${page}: ${small.join("; ")}`);
            }
        },
    };
}

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
        targetsAreLargeEnough("the list of treatments' sites"),
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
        targetsAreLargeEnough("the week of times"),
        {
            content: "Choose the first free time",
            trigger: ".o_clinic_day a.o_clinic_slot",
            run: "click",
        },
        {
            content: "The details say where",
            trigger: ".o_clinic_where:contains(Canary Wharf):contains(7 Bank Street)",
        },
        targetsAreLargeEnough("the details"),
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
        targetsAreLargeEnough("the appointment"),
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
