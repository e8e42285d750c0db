from . import credit_exposure_report
from . import credit_aged_receivable
from . import credit_statement
from . import credit_dunning_letter
from . import credit_collection_worklist
