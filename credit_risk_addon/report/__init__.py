from . import credit_exposure_report
