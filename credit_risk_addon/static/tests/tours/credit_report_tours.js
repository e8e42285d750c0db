import { rpc } from "@web/core/network/rpc";
import { registry } from "@web/core/registry";

// An accountant's report in the browser: open the aged receivables from the
// Invoicing menu, filter them on a customer tag, look at the result, then
// download the same selection as an Excel workbook. The data comes from
// credit_risk_addon/tests/test_tours.py (TestCreditReportTours), which checks
// the workbook the tour downloaded.

const TAG = "Tour Key Account";
const TAGGED = "Tour Tagged Customer";
const UNTAGGED = "Tour Other Customer";
const WIZARD = "credit.aged.receivable.wizard";
const DOWNLOADED = "credit_workbook_downloaded";
const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

function openAgedReceivables() {
    return [
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
            content: "Open the Reporting menu of Invoicing",
            trigger: '.o_main_navbar [data-menu-xmlid="account.menu_finance_reports"]',
            run: "click",
        },
        {
            content: "Choose Aged Receivables",
            trigger: '.dropdown-item[data-menu-xmlid="credit_risk_addon.menu_credit_aged_receivable"]',
            run: "click",
        },
        {
            content: "The options open, as of today, aged by due date",
            trigger: ".modal .o_form_view .o_field_widget[name=basis] input[data-value=due]:checked",
        },
        {
            content: "Filter on a customer tag",
            trigger: ".modal .o_field_widget[name=category_ids] input",
            run: `edit ${TAG}`,
        },
        {
            content: "Pick the tag",
            trigger: `.o-autocomplete--dropdown-item:contains("${TAG}")`,
            run: "click",
        },
        {
            content: "The tag is chosen",
            trigger: `.modal .o_field_widget[name=category_ids] .o_tag:contains("${TAG}")`,
        },
    ];
}

registry.category("web_tour.tours").add("credit_aged_receivables_tour", {
    steps: () => [
        ...openAgedReceivables(),
        {
            content: "View the report",
            trigger: ".modal .modal-footer button[name=action_view]",
            run: "click",
        },
        {
            content: "The tagged customer is listed, with its total",
            trigger: `.o_list_view .o_group_name:contains("${TAGGED}")`,
        },
        {
            content: "The other customer is filtered out",
            trigger: `.o_list_view:not(:has(.o_group_name:contains("${UNTAGGED}")))`,
        },
        {
            content: "Open the customer's group",
            trigger: `.o_list_view .o_group_name:contains("${TAGGED}")`,
            run: "click",
        },
        {
            content: "Its open invoice is there",
            trigger: '.o_list_view .o_data_row td[name=document]:contains("INV/")',
        },
        ...openAgedReceivables(),
        {
            content: "Export the same selection to Excel",
            trigger: ".modal .modal-footer button[name=action_export_xlsx]",
            run: "click",
        },
        {
            content: "The browser downloads the workbook",
            trigger: ".modal .o_form_view",
            async run() {
                // Fetch what the browser was sent (the download itself leaves the page as it is).
                for (let attempt = 0; attempt < 80; attempt++) {
                    const [attachment] = await rpc("/web/dataset/call_kw/ir.attachment/search_read", {
                        model: "ir.attachment",
                        method: "search_read",
                        args: [[["res_model", "=", WIZARD]], ["id"]],
                        kwargs: { order: "id desc", limit: 1 },
                    });
                    if (attachment) {
                        const response = await fetch(`/web/content/${attachment.id}?download=true`);
                        const body = new Uint8Array(await response.arrayBuffer());
                        // An xlsx file is a zip archive: it starts with "PK".
                        if (
                            response.ok &&
                            response.headers.get("Content-Type") === XLSX &&
                            response.headers.get("Content-Disposition").includes(".xlsx") &&
                            body[0] === 0x50 &&
                            body[1] === 0x4b
                        ) {
                            // The download made the tour expect a new page: give it one.
                            sessionStorage.setItem(DOWNLOADED, "1");
                            window.location.reload();
                            return;
                        }
                    }
                    await new Promise((resolve) => setTimeout(resolve, 100));
                }
                throw new Error("The workbook was not downloaded");
            },
        },
        {
            content: "The workbook came as an Excel file",
            trigger: ".o_main_navbar",
            run() {
                if (sessionStorage.getItem(DOWNLOADED) !== "1") {
                    throw new Error("The workbook was not downloaded");
                }
                sessionStorage.removeItem(DOWNLOADED);
            },
        },
    ],
});
