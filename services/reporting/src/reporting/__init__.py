"""Reporting service: what leaders and the public see of the whole (docs/reporting.md)."""
