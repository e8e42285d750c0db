from . import (
    credit_hold_wizard,
    credit_approval_request_wizard,
    credit_approval_decide_wizard,
    credit_aged_receivable_wizard,
    credit_kpi_wizard,
    credit_dunning_run_wizard,
)
