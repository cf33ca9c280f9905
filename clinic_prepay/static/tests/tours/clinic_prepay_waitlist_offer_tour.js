/** @odoo-module **/
// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("clinic_prepay_waitlist_offer_tour", {
    steps: () => [
        {
            content: "The offered time, and the policy to accept",
            trigger: ".o_clinic_waitlist_offer:contains(Book this time)",
        },
        {
            content: "Accept the policy",
            trigger: "input#clinic_offer_consent",
            run: "click",
        },
        {
            content: "Book this time",
            trigger: "button.o_clinic_offer_book",
            run: "click",
        },
        {
            content: "The booking holds the time while the deposit is paid",
            trigger: ".o_clinic_pay_alert a.o_clinic_pay_now",
        },
    ],
});
