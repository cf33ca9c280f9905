/** @odoo-module **/
// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import { registry } from "@web/core/registry";

// the time the test watches, given in the page's URL (?slot=...)
function watchedSlot() {
    const start = new URLSearchParams(window.location.search).get("slot");
    return `a.o_clinic_slot[data-start='${start}']`;
}

registry.category("web_tour.tours").add("clinic_prepay_website_slot_shown_tour", {
    steps: () => [
        {
            content: "The watched time is offered",
            trigger: `.o_clinic_day ${watchedSlot()}`,
        },
    ],
});

registry.category("web_tour.tours").add("clinic_prepay_website_slot_hidden_tour", {
    steps: () => [
        {
            content: "Free times are shown",
            trigger: ".o_clinic_day a.o_clinic_slot",
        },
        {
            content: "but not the time someone is holding",
            trigger: `body:not(:has(${watchedSlot()}))`,
            run: () => {
                // a page opened before the hold: its link now says "just taken"
                const start = new URLSearchParams(window.location.search).get("slot");
                const treatment = window.location.pathname.split("/")[2];
                window.location.href = `/book/${treatment}/details?start=${start}`;
            },
        },
        {
            content: "This time was just taken; the week is shown again",
            trigger: ".o_clinic_slot_taken",
        },
    ],
});
