"""The partnership reports (custody and youth justice per station and month; the response per team
and month): counts by age band, sex and ethnic group with small numbers suppressed, medians,
12-month trends and CSV. Pure shapes and tables here; the queries that read incidents, pages,
handover items, clocks and rotas are in api/flows/partnership_reports.py."""
