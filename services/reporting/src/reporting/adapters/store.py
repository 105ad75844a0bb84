"""Reporting's collections (its own database)."""

from __future__ import annotations

from pymongo import ASCENDING, IndexModel

EVENTS = "events"  # every event consumed, as it came (_id: the event id): what a rebuild folds again
FACTS = "facts"  # one document a dossier: the fold of its events (domain/fold.py), with its version `v`
COUNTERS = "counters"  # sums of the facts' contributions by grain (d, m), period, unit and field
OPEN = "open_dossiers"  # the dossiers not closed, small: the overdue list and the open counts
AGENCIES = "agencies"  # the catalog's agency directory (agency → commune)
PROCEDURES = "procedures"  # the catalogue as the indexes read it (domain/catalogue.py)
META = "meta"  # {_id: "reference", rev}: moves whenever the agencies or the procedures change

SCHEMA = {
    EVENTS: [
        # A dossier's events, read together to fold it; a rebuild walks them dossier by dossier.
        IndexModel([("dossier_id", ASCENDING)], name="dossier"),
        IndexModel([("applied_at", ASCENDING)], name="applied"),
    ],
    FACTS: [
        # The drill-down: the dossiers behind a count, by the day the count is attributed to.
        IndexModel([("d_received", ASCENDING)], name="received"),
        IndexModel([("d_finished", ASCENDING)], name="finished"),
        IndexModel([("d_ended", ASCENDING)], name="ended"),
        IndexModel([("d_rated", ASCENDING)], name="rated"),
        IndexModel([("d_supplements", ASCENDING)], name="supplements"),
        IndexModel([("open", ASCENDING), ("legal_due_at", ASCENDING)], name="open_due"),
        IndexModel([("agency_code", ASCENDING)], name="agency"),
    ],
    COUNTERS: [
        # _id is "<unit>|<field>|<grain>|<period>": one unit's period is read by exact ids. The ranking
        # and the scorecard read every unit of a kind for some periods (grain d, m, or o: open).
        IndexModel(
            [("k", ASCENDING), ("g", ASCENDING), ("f", ASCENDING), ("p", ASCENDING)],
            name="kind_grain_field_period",
        ),
    ],
    OPEN: [
        IndexModel([("legal_due_at", ASCENDING)], name="due"),
        IndexModel([("agency_code", ASCENDING), ("legal_due_at", ASCENDING)], name="agency_due"),
        IndexModel([("commune", ASCENDING), ("legal_due_at", ASCENDING)], name="commune_due"),
    ],
    AGENCIES: [],
    PROCEDURES: [],
    META: [],
}
