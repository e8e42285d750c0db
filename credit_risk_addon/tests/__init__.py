from . import (
    test_exposure,
    test_invoice_aging,
    test_credit_gate,
    test_approval,
    test_credit_hold,
    test_query_count,
    test_concurrency,
    test_role_day,
    test_role_access,
    test_side_doors,
    test_demo_data,
    test_tours,
)
from . import test_figures_store
from . import test_aged_receivables
from . import test_credit_kpi
from . import test_credit_statement
from . import test_dunning
from . import test_collections_portal
from . import test_collection_worklist
from . import test_hostile_reports
from . import test_hostile_collections
