{
    "name": "Credit Risk Management: Sales App",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "summary": "Lets credit staff without Sales rights open sale orders where the Sales app is installed",
    "website": "https://github.com/credit-risk-addon/credit_risk_addon",
    "author": "credit_risk_addon developers",
    "license": "LGPL-3",
    "depends": ["credit_risk_addon", "sale_management"],
    "data": ["security/ir.model.access.csv"],
    "auto_install": True,
    "installable": True,
}
