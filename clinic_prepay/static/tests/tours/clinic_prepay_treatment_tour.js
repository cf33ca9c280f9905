/** @odoo-module **/

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

registry.category("web_tour.tours").add("clinic_prepay_treatment_tour", {
    url: "/odoo",
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            content: "Open the Clinic app",
            trigger: '.o_app[data-menu-xmlid="clinic_prepay.menu_clinic_root"]',
            run: "click",
        },
        {
            content: "The app opens on the appointments calendar",
            trigger: ".o_calendar_view .fc-view",
        },
        {
            content: "Open the treatments",
            trigger: '.o_main_navbar a[data-menu-xmlid="clinic_prepay.menu_clinic_treatment"]',
            run: "click",
        },
        {
            content: "The treatment is listed with its deposit policy",
            trigger: '.o_data_row:contains("Tour Peeling"):contains("Percentage of the price")',
        },
        {
            content: "Open the treatment",
            trigger: '.o_data_row td[name="name"]:contains("Tour Peeling")',
            run: "click",
        },
        {
            content: "The form shows the computed deposit",
            trigger: '.o_field_widget[name="deposit_amount"]:contains("30.00")',
        },
        {
            content: "The front desk cannot edit the policy",
            trigger: '.o_field_widget[name="deposit_type"] input[data-value="percent"]:checked:disabled',
        },
    ],
});
