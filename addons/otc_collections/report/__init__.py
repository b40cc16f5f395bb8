from . import otc_statement_report
