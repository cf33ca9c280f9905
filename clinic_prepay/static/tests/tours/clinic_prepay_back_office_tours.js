/** @odoo-module **/
// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

// the day after tomorrow at 11:00, as the date widget takes it (UTC user)
function dayAfterTomorrowAtEleven() {
    const date = new Date();
    date.setDate(date.getDate() + 2);
    const pad = (n) => String(n).padStart(2, "0");
    return `${pad(date.getMonth() + 1)}/${pad(date.getDate())}/${date.getFullYear()} 11:00:00`;
}

registry.category("web_tour.tours").add("clinic_prepay_practitioner_moves_event_tour", {
    steps: () => [
        {
            content: "The booking's event, in the Calendar app",
            trigger: '.o_form_view .o_field_widget[name="start"] input',
            run: `edit ${dayAfterTomorrowAtEleven()}`,
        },
        {
            content: "Save the new time",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "Saved",
            trigger: ".o_form_view:not(:has(.o_form_button_save:visible))",
        },
    ],
});

registry.category("web_tour.tours").add("clinic_prepay_manager_policies_tour", {
    url: "/odoo",
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            content: "Open the Clinic app",
            trigger: '.o_app[data-menu-xmlid="clinic_prepay.menu_clinic_root"]',
            run: "click",
        },
        {
            content: "Configuration",
            trigger: '.o_main_navbar button[data-menu-xmlid="clinic_prepay.menu_clinic_config"]',
            run: "click",
        },
        {
            content: "The clinic's policies",
            trigger: '.o-dropdown--menu a[data-menu-xmlid="clinic_prepay.menu_clinic_policies"]',
            run: "click",
        },
        {
            content: "Free cancellation up to 36 hours before",
            trigger: '.o_field_widget[name="clinic_free_cancel_hours"] input',
            run: "edit 36",
        },
        {
            content: "Save",
            trigger: "button.o_clinic_settings_save",
            run: "click",
        },
        {
            content: "Saved and shown again",
            trigger: '.o_field_widget[name="clinic_free_cancel_hours"] input:value("36.00")',
        },
    ],
});

registry.category("web_tour.tours").add("clinic_prepay_accountant_ledger_tour", {
    url: "/odoo",
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            content: "The accountant opens the Clinic app",
            trigger: '.o_app[data-menu-xmlid="clinic_prepay.menu_clinic_root"]',
            run: "click",
        },
        {
            content: "The deposit account",
            trigger: '.o_main_navbar a[data-menu-xmlid="clinic_prepay.menu_clinic_deposit_ledger"]',
            run: "click",
        },
        {
            content: "Its journal items, by patient",
            trigger: '.o_list_view .o_group_name:contains("Lena Ledger")',
            run: "click",
        },
        {
            content: "The deposit received",
            trigger: '.o_list_view .o_data_row:contains("DEP/")',
        },
    ],
});
