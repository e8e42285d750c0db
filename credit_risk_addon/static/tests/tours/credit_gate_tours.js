import { registry } from "@web/core/registry";

// A salesperson's and a credit manager's day in the browser: a quotation the
// credit gate refuses, the approval request, the decision and the
// confirmation. The data comes from credit_risk_addon/tests/test_tours.py,
// which opens each tour on the right record and checks the database after it.

const JUSTIFICATION = "Customer pays every Friday and the cheque is in the mail";
const DECISION = "Known payer and the bank confirmed the cheque";
const CUSTOMER = "Tour Held Customer";

const tours = registry.category("web_tour.tours");

tours.add("credit_salesperson_request_tour", {
    steps: () => [
        {
            content: "The quotation says in red that confirmation will be refused",
            trigger:
                '.o_form_view .alert-danger[name=credit_refusal_banner]:contains("Confirmation will be refused")',
        },
        {
            content: "The Credit Check badge says Will Be Refused, in red",
            trigger: '.o_field_widget[name=credit_gate_status] .badge.text-bg-danger:contains("Will Be Refused")',
        },
        {
            content: "Confirm the quotation",
            trigger: ".o_form_view .o_statusbar_buttons button[name=action_confirm]",
            run: "click",
        },
        {
            content: "The refusal names the order and why it cannot be confirmed",
            trigger: `.modal .o_error_dialog .modal-body:contains("cannot be confirmed"):contains("${CUSTOMER}"):contains("credit hold")`,
        },
        {
            content: "Ask for approval from the refusal",
            trigger: '.modal .o_error_dialog .modal-footer button.btn-primary:contains("Request Credit Approval")',
            run: "click",
        },
        {
            content: "Write the justification in the request form",
            trigger: ".modal .o_form_view .o_field_widget[name=note] textarea",
            run: `edit ${JUSTIFICATION}`,
        },
        {
            content: "Send the request",
            trigger: ".modal .modal-footer button[name=action_request]",
            run: "click",
        },
        {
            content: "The request opens, pending, with the justification",
            trigger: `.o_form_view .o_field_widget[name=request_note]:contains("${JUSTIFICATION}")`,
        },
        {
            content: "The request is pending",
            trigger: '.o_statusbar_status button[aria-checked=true]:contains("Pending")',
        },
        {
            content: "Back to the quotation",
            trigger: ".o_control_panel .breadcrumb-item.o_back_button",
            run: "click",
        },
        {
            content: "The quotation's badge now says Approval Pending",
            trigger: '.o_field_widget[name=credit_gate_status] .badge:contains("Approval Pending")',
        },
        {
            content: "The banner says who asked, instead of offering to ask again",
            trigger:
                '.alert-danger[name=credit_refusal_banner]:contains("waiting for a credit manager"):not(:contains("use Request Credit Approval"))',
        },
        {
            content: "The button to ask again is gone",
            trigger:
                ".o_form_view .o_statusbar_buttons:not(:has(button[name=action_request_credit_approval]))",
        },
    ],
});

tours.add("credit_manager_approve_tour", {
    steps: () => [
        {
            content: "The queue lists the request awaiting a decision, with its justification",
            trigger: `.o_list_view .o_data_row:contains("${CUSTOMER}") .o_data_cell[name=request_note]:contains("${JUSTIFICATION}")`,
        },
        {
            content: "Open the request",
            trigger: `.o_list_view .o_data_row:contains("${CUSTOMER}") .o_data_cell[name=partner_id]`,
            run: "click",
        },
        {
            content: "The request shows what blocked the order",
            trigger: '.o_form_view .o_field_widget[name=blocking_reasons]:contains("credit hold")',
        },
        {
            content: "Decide",
            trigger: ".o_form_view .o_statusbar_buttons button[name=action_open_decide_wizard]",
            run: "click",
        },
        {
            content: "The decision form proposes the order total",
            trigger: '.modal .o_form_view .o_field_widget[name=approved_amount] input:value("1,500.00")',
        },
        {
            content: "Give the reason",
            trigger: ".modal .o_form_view .o_field_widget[name=note] textarea",
            run: `edit ${DECISION}`,
        },
        {
            content: "Approve",
            trigger: ".modal .modal-footer button[name=action_approve]",
            run: "click",
        },
        {
            content: "The request is approved",
            trigger: '.o_statusbar_status button[aria-checked=true]:contains("Approved")',
        },
        {
            content: "The decision and its reason are shown",
            trigger: `.o_form_view .o_field_widget[name=decision_note]:contains("${DECISION}")`,
        },
        {
            content: "No decision left to take",
            trigger: ".o_form_view:not(:has(button[name=action_open_decide_wizard]))",
        },
    ],
});

tours.add("credit_salesperson_confirm_tour", {
    steps: () => [
        {
            content: "The quotation's badge says Approved by Credit Manager",
            trigger: '.o_field_widget[name=credit_gate_status] .badge:contains("Approved by Credit Manager")',
        },
        {
            content: "The banner is no longer red and tells who approved it",
            trigger:
                '.o_form_view:not(:has(.alert-danger[name=credit_refusal_banner])) .alert-warning:contains("Approved by a credit manager")',
        },
        {
            content: "Confirm the quotation",
            trigger: ".o_form_view .o_statusbar_buttons button[name=action_confirm]",
            run: "click",
        },
        {
            content: "It is a sales order now",
            trigger: '.o_statusbar_status button[aria-checked=true]:contains("Sales Order")',
        },
        {
            content: "A confirmed order shows no credit check",
            trigger: ".o_form_view:not(:has(.o_field_widget[name=credit_gate_status] .badge))",
        },
    ],
});

// A customer (or anyone holding the link) accepts and signs a quotation the
// credit gate refuses: the portal says it is being reviewed, and shows no
// figure, limit or hold reason.
tours.add("credit_portal_accept_tour", {
    steps: () => [
        {
            content: "Accept and sign the quotation",
            trigger: '.o_portal_sale_sidebar a:contains("Sign")',
            run: "click",
        },
        {
            content: "The signature pad is ready",
            trigger: ".modal .o_portal_sign_submit:enabled",
        },
        {
            content: "Type a name",
            trigger: ".modal .o_web_sign_name_and_signature input",
            run: "edit Pat Buyer",
        },
        {
            content: "Pick a signature style, which draws the signature from the name",
            trigger: ".modal .o_web_sign_auto_select_style button",
            run: "click",
        },
        {
            content: "The second style",
            trigger: ".o-dropdown-item:eq(1)",
            run: "click",
        },
        {
            content: "Sign",
            trigger: ".modal .o_portal_sign_submit:enabled",
            run: "click",
        },
        {
            content: "The portal says the order is being reviewed",
            trigger: '.o_credit_review_notice:contains("reviewed by our credit department")',
        },
        {
            content: "No internal figure or reason is shown",
            trigger: "#quote_content",
            run() {
                const text = document.body.innerText;
                for (const secret of ["Portal secret reason", "credit hold", "exceeds", "Credit limit"]) {
                    if (text.includes(secret)) {
                        throw new Error(`The portal shows "${secret}"`);
                    }
                }
            },
        },
    ],
});
