"""The DCAT-US 1.1 catalog (/data.json) that open-data portals harvest: one dataset per published measure plus
one for the whole table of values."""
from __future__ import annotations

from datetime import date
from typing import Any

from models.queries import DatasetFacts, MeasureStatus, Overview

CONFORMS_TO = "https://project-open-data.cio.gov/v1.1/schema"
PUBLISHER = {"@type": "org:Organization", "name": "City of Baton Rouge / Parish of East Baton Rouge"}
# The performance team answers for the catalog as a whole and for a measure whose department lists no address.
TEAM_CONTACT = {"@type": "vcard:Contact", "fn": "RecoveryStat performance team",
                "hasEmail": "mailto:recoverystat@example.org"}
LICENSE = "https://opendatacommons.org/licenses/pddl/1-0/"
# bureauCode and programCode are required by the schema but defined only for federal agencies; "000:00" and
# "000:000" are the codes non-federal publishers use by convention.
NON_FEDERAL_CODES = {"bureauCode": ["000:00"], "programCode": ["000:000"]}
MONTHLY = "R/P1M"
SPATIAL = "East Baton Rouge Parish, Louisiana"


def _temporal(first: date | None, last: date | None) -> str | None:
    """The months a dataset covers as an ISO 8601 interval, e.g. 2017-04-01/2026-10-31 (None when empty)."""
    if first is None or last is None:
        return None
    end = date(last.year + (last.month == 12), last.month % 12 + 1, 1)
    return f"{first.isoformat()}/{date.fromordinal(end.toordinal() - 1).isoformat()}"


def _distributions(base: str, json_path: str, csv_path: str, what: str) -> list[dict[str, Any]]:
    dictionary = f"{base}/api/v1/dictionary.csv"
    return [
        {"@type": "dcat:Distribution", "title": f"{what} (CSV)", "format": "CSV", "mediaType": "text/csv",
         "downloadURL": base + csv_path, "describedBy": dictionary, "describedByType": "text/csv"},
        {"@type": "dcat:Distribution", "title": f"{what} (JSON)", "format": "JSON", "mediaType": "application/json",
         "downloadURL": base + json_path, "describedBy": dictionary, "describedByType": "text/csv"},
    ]


def measure_dataset(measure: MeasureStatus, facts: DatasetFacts | None, base: str, today: date) -> dict[str, Any]:
    """The catalog entry of one published measure."""
    contact = dict(TEAM_CONTACT)
    if facts and facts.contact_email:
        contact = {"@type": "vcard:Contact", "fn": measure.department_name, "hasEmail": f"mailto:{facts.contact_email}"}
    modified = (facts.last_revised if facts and facts.last_revised else today).isoformat()
    dataset: dict[str, Any] = {
        "@type": "dcat:Dataset",
        "title": f"{measure.name} - East Baton Rouge flood recovery",
        "description": f"{measure.definition} Part of the goal \"{measure.goal_title}\". Monthly approved figures "
                       f"with each month's status against plan. Source: {measure.data_source}.",
        "keyword": ["flood recovery", "2016 flood", "East Baton Rouge", "performance measure", measure.goal_slug,
                    measure.unit],
        "modified": modified,
        "publisher": PUBLISHER,
        "contactPoint": contact,
        "identifier": f"{base}/measures/{measure.slug}",
        "accessLevel": "public",
        "license": LICENSE,
        "accrualPeriodicity": MONTHLY,
        "spatial": SPATIAL,
        "landingPage": f"{base}/measures/{measure.slug}",
        "describedBy": f"{base}/api/v1/dictionary.csv",
        "describedByType": "text/csv",
        "distribution": _distributions(base, f"/api/v1/measures/{measure.slug}/values",
                                       f"/api/v1/measures/{measure.slug}/values.csv", measure.name),
        **NON_FEDERAL_CODES,
    }
    temporal = _temporal(facts.first_period if facts else None, facts.last_period if facts else None)
    if temporal:
        dataset["temporal"] = temporal
    return dataset


def catalog_document(view: Overview, facts: dict[str, DatasetFacts], base: str) -> dict[str, Any]:
    """The whole catalog: one dataset per published measure, then the table of every value."""
    datasets = [measure_dataset(m, facts.get(m.slug), base, view.today) for m in view.measures]
    known = [f for m in view.measures if (f := facts.get(m.slug))]
    firsts = [f.first_period for f in known if f.first_period]
    lasts = [f.last_period for f in known if f.last_period]
    revised = [f.last_revised for f in known if f.last_revised]
    whole: dict[str, Any] = {
        "@type": "dcat:Dataset",
        "title": "East Baton Rouge flood recovery measures - all approved monthly values",
        "description": "Every approved monthly value of every published RecoveryStat measure in one long table: goal, "
                       "measure, month, value, unit, status that month, source.",
        "keyword": ["flood recovery", "2016 flood", "East Baton Rouge", "performance measures", "What Works Cities"],
        "modified": (max(revised) if revised else view.today).isoformat(),
        "publisher": PUBLISHER,
        "contactPoint": TEAM_CONTACT,
        "identifier": f"{base}/api/v1/values.csv",
        "accessLevel": "public",
        "license": LICENSE,
        "accrualPeriodicity": MONTHLY,
        "spatial": SPATIAL,
        "landingPage": f"{base}/developers",
        "describedBy": f"{base}/api/v1/dictionary.csv",
        "describedByType": "text/csv",
        "distribution": _distributions(base, "/api/v1/values.json", "/api/v1/values.csv", "All values"),
        **NON_FEDERAL_CODES,
    }
    temporal = _temporal(min(firsts) if firsts else None, max(lasts) if lasts else None)
    if temporal:
        whole["temporal"] = temporal
    return {
        "@context": "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld",
        "@id": f"{base}/data.json",
        "@type": "dcat:Catalog",
        "conformsTo": CONFORMS_TO,
        "describedBy": "https://project-open-data.cio.gov/v1.1/schema/catalog.json",
        "dataset": [*datasets, whole],
    }
