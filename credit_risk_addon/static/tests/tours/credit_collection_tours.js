import { registry } from "@web/core/registry";

// A collector's morning: Collections Today from the Invoicing menu, the most
// urgent customer first, a promise to pay recorded from its line. The data
// comes from credit_risk_addon/tests/test_tours.py (TestCreditCollectionTours),
// which checks the promise after the tour.

const DEBTOR = "Tour Debtor";
// Two weeks from today (a promise is for the next 60 days at most), as the form shows dates.
const inTwoWeeks = new Date(Date.now() + 14 * 24 * 3600 * 1000);
const PROMISED = [inTwoWeeks.getMonth() + 1, inTwoWeeks.getDate()]
    .map((part) => String(part).padStart(2, "0"))
    .concat([String(inTwoWeeks.getFullYear())])
    .join("/");

registry.category("web_tour.tours").add("credit_collection_worklist_tour", {
    steps: () => [
        {
            content: "Open the apps menu",
            trigger: ".o_navbar_apps_menu button",
            run: "click",
        },
        {
            content: "Open Invoicing",
            trigger: '.o_app[data-menu-xmlid="account.menu_finance"]',
            run: "click",
        },
        {
            content: "Open the Customers menu",
            trigger: '.o_main_navbar [data-menu-xmlid="account.menu_finance_receivables"]',
            run: "click",
        },
        {
            content: "Choose Collections Today",
            trigger: '.dropdown-item[data-menu-xmlid="credit_risk_addon.menu_credit_collection_worklist"]',
            run: "click",
        },
        {
            content: "My customers only, the biggest stake first",
            trigger: `.o_list_view .o_data_row:first-child td[name=partner_id]:contains("${DEBTOR}")`,
        },
        {
            content: "Its next action is the reminder",
            trigger: '.o_list_view .o_data_row:first-child td[name=next_action]:contains("Reminder")',
        },
        {
            content: "Record a promise from the line",
            trigger: ".o_list_view .o_data_row:first-child button[name=action_record_promise]",
            run: "click",
        },
        {
            content: "The overdue invoice is proposed",
            trigger: '.modal .o_field_widget[name=move_ids] .o_tag:contains("INV/")',
        },
        {
            content: "Type the promised date",
            trigger: ".modal .o_field_widget[name=promise_date] input",
            run: `edit ${PROMISED}`,
        },
        {
            content: "Save the promise",
            trigger: ".modal .o_form_button_save",
            run: "click",
        },
        {
            content: "The line shows the promised date",
            trigger: `.o_list_view .o_data_row:first-child td[name=promise_date]:contains("${PROMISED}")`,
        },
        {
            content: "And the next action is to wait for it",
            trigger: '.o_list_view .o_data_row:first-child td[name=next_action]:contains("Wait for the promised payment")',
        },
    ],
});
