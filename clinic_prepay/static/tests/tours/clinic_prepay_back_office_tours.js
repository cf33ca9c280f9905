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
            content: "The app opens on the calendar",
            trigger: ".o_calendar_view .fc-view",
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
            content: "The app opens on the calendar",
            trigger: ".o_calendar_view .fc-view",
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

// a date as the month view names its days (the browser's time zone)
function isoDay(offset) {
    const date = new Date();
    date.setDate(date.getDate() + offset);
    const pad = (n) => String(n).padStart(2, "0");
    return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

registry.category("web_tour.tours").add("clinic_prepay_practitioner_drags_event_tour", {
    steps: () => [
        {
            content: "Open the scale selector of the Calendar app",
            trigger: ".scale_button_selection",
            run: "click",
        },
        {
            content: "The month",
            trigger: ".o_scale_button_month",
            run: "click",
        },
        {
            content: "The month is shown",
            trigger: ".fc-dayGridMonth-view",
        },
        {
            content: "Drag the booking one day later",
            trigger: 'a.fc-event:contains("Dana Dragged")',
            run: `drag_and_drop .fc-daygrid-day[data-date="${isoDay(3)}"] .fc-daygrid-day-events`,
        },
        {
            content: "The booking now shows on that day",
            trigger: `.fc-daygrid-day[data-date="${isoDay(3)}"] a.fc-event:contains("Dana Dragged")`,
        },
    ],
});
