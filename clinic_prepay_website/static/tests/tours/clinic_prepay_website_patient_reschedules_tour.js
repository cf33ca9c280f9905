/** @odoo-module **/
// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("clinic_prepay_website_patient_reschedules_tour", {
    steps: () => [
        {
            content: "The paid appointment offers to move it",
            trigger: "a.o_clinic_reschedule",
            run: "click",
        },
        {
            content: "The current time is recalled",
            trigger: ".o_clinic_reschedule_from:contains(Now on)",
        },
        {
            content: "A week later",
            trigger: "a.o_clinic_next_week",
            run: "click",
        },
        {
            content: "Choose the first free time",
            trigger: ".o_clinic_day a.o_clinic_slot",
            run: "click",
        },
        {
            content: "Nothing more to pay: the deposit moves with it",
            trigger: ".o_clinic_reschedule_details:contains(40.00)",
        },
        {
            content: "Move it",
            trigger: "button.o_clinic_reschedule_confirm",
            run: "click",
        },
        {
            content: "Still confirmed, at the new time",
            trigger: ".o_portal_clinic_appointment .o_clinic_confirmed",
        },
    ],
});
