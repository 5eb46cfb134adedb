"""The personal-data name check: property names against a deny-list of whole words.

A name is split on ``_`` into words; a pattern (itself one or more words) matches
when its words appear consecutively, so ``page_count`` does not match ``age`` but
``age_years`` and ``patient_ref`` do.  Coarse buckets of an otherwise exact
quantity (``age_band``) are allowed because they no longer identify a person.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

#: Built-in deny-list. Multi-word entries are snake_case. Extended by project.yaml privacy.pii_deny.
DENY_PATTERNS: tuple[str, ...] = (
    # names and identity
    "name", "names", "firstname", "lastname", "fullname", "surname", "nickname", "username", "login",
    "person", "signature", "photo", "face", "biometric", "passport", "license_number", "national_id",
    "tax_id", "ssn", "social_security", "nhs_number", "insurance_number", "member_number",
    # contact
    "email", "e_mail", "mail", "phone", "telephone", "mobile", "fax", "contact",
    # address and location
    "address", "street", "city", "zip", "zipcode", "postcode", "postal_code", "location", "geo",
    "geolocation", "gps", "lat", "latitude", "lng", "lon", "longitude", "coordinates",
    # dates of life and demographics
    "birth", "birthday", "birthdate", "dob", "date_of_birth", "age", "gender", "sex", "ethnicity", "race",
    # health records
    "patient", "mrn", "medical_record", "record_number", "chart_number", "diagnosis", "diagnoses",
    "icd", "medication", "prescription", "allergy", "allergies",
    # free text
    "note", "notes", "comment", "comments", "text", "free_text", "message", "body", "remarks",
    # network and device identifiers
    "ip", "ip_address", "ipv4", "ipv6", "user_agent", "useragent", "device_id", "imei", "udid",
    "mac_address", "idfa", "gaid", "advertising_id", "fingerprint",
    # the actor (derived by the database, never sent)
    "user_id", "actor", "actor_id", "email_hash",
    # secrets and payment
    "password", "token", "secret", "credit_card", "card_number", "iban", "account_number",
)

#: Words that turn an exact quantity into a coarse bucket, per deny word.
COARSE_QUALIFIERS: dict[str, frozenset[str]] = {
    "age": frozenset({"band", "bucket", "bracket", "range", "group"}),
}


@dataclass(frozen=True)
class PiiMatch:
    pattern: str


@lru_cache(maxsize=4096)  # the same property names recur across events
def find_pii(name: str, extra: tuple[str, ...] = ()) -> PiiMatch | None:
    """The first deny-list pattern whose words appear consecutively in ``name``."""
    words = name.split("_")
    # longest patterns first, so "free_text_len" reports "free_text" rather than "text"
    for pattern in sorted(DENY_PATTERNS + tuple(extra), key=lambda p: (-p.count("_"), p)):
        needle = pattern.split("_")
        for start in range(len(words) - len(needle) + 1):
            if words[start:start + len(needle)] != needle:
                continue
            rest = set(words[start + len(needle):])
            if rest & COARSE_QUALIFIERS.get(pattern, frozenset()):
                continue
            return PiiMatch(pattern)
    return None
