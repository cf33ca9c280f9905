/** @odoo-module **/
// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("clinic_prepay_patient_saves_card_tour", {
    steps: () => [
        {
            content: "The booking waits for a card",
            trigger: ".o_clinic_card_alert",
        },
        {
            content: "The policy says what the card may be charged",
            trigger: ".o_clinic_card:contains(Charged to the card on a no-show)",
        },
        {
            content: "Agree to keep the card on file",
            trigger: "input#clinic_card_consent",
            run: "click",
        },
        {
            content: "Save my card",
            trigger: "button.o_clinic_save_card",
            run: "click",
        },
        {
            content: "Odoo's payment form, saving a card: nothing to pay",
            trigger: ".o_clinic_card_page .o_payment_form[data-mode='validation']",
        },
        {
            content: "Card details (demo provider)",
            trigger: "input[name='customer_input']",
            run: "edit 4242424242424242",
        },
        {
            content: "Save",
            trigger: "button[name='o_payment_submit_button']",
            run: "click",
        },
        {
            content: "Back on the appointment: confirmed with its card on file",
            trigger: ".o_portal_clinic_appointment:contains(Confirmed)",
        },
        {
            content: "the card is shown",
            trigger: ".o_clinic_card_saved:contains(4242)",
        },
    ],
});
