"""The referral to the front door: every incident's referral record, routed by who knows the
child, its one-working-day decision clock, receipt and decision, and the document the front
door takes into its own case system (printable page, PDF, JSON with a documented schema)."""
