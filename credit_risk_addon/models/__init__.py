from . import (
    aging_sql,
    credit_figures,
    res_company,
    res_config_settings,
    res_partner,
    res_users,
    account_move,
    account_move_line,
    credit_approval_request,
    sale_order,
    sale_order_line,
    payment_transaction,
    credit_kpi,
    credit_report_export,
    # Last: its tables are built from the columns the models above create.
    credit_figures_store,
)
