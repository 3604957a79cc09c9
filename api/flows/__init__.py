"""Flows: what happens across domains, coordinated in one place above them.

A flow (a police report arrives: `intake`) or a read model (the incident view, the board, the
young person view) calls the domain packages in order; the domains depend only downwards and
never on a flow. Routes call flows (or a single domain) and stay thin. See the README's Layout
section and tests/platform/test_layering.py for the dependency table.
"""
