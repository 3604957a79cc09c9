"""Searching incidents: one query over any combination of filters, CSV export, saved searches."""
