"""Lead values (cases/normalise.py) under hostile input, beyond tests/cases/test_normalise.py.

That module checks known values, typed-any-way equalities for generated good values, and that
short random text raises only LeadValueError. Here: any field value at all (NUL, lone
surrogates, 5,000 characters, bytes, floats, nested objects) raises only LeadValueError naming
one of the kind's fields; and for every kind, what parses re-parses from its own stored form
to the same key (the key a second delegation's report must meet), and a search for the key
finds it.
"""

from __future__ import annotations

from datetime import date

import phonenumbers
from hypothesis import assume, given
from hypothesis import strategies as st

from cases import normalise as n
from cases.normalise import LeadValueError, normalise, query_keys

from .strategies import PROPERTY, anything, hostile_text

# --- nothing escapes but LeadValueError ------------------------------------------------------


@PROPERTY
@given(st.sampled_from(sorted(n.PARSERS)), st.data())
def test_any_value_in_any_field_raises_only_lead_value_error(kind, data):
    fields = {name: data.draw(anything, label=name) for name in n.KIND_FIELDS[kind]}
    try:
        key, details = normalise(kind, fields)
    except LeadValueError as exc:
        assert exc.field in n.KIND_FIELDS[kind], exc.field
        assert exc.message.strip()
        return
    assert isinstance(key, str) and key and "\x00" not in key
    assert isinstance(details["display"], str) and details["display"]


@PROPERTY
@given(st.sampled_from(sorted(n.PARSERS)), anything)
def test_fields_that_are_not_a_mapping_are_refused(kind, fields):
    assume(not isinstance(fields, dict))
    try:
        normalise(kind, fields)
    except LeadValueError as exc:
        assert exc.field == "kind"


@PROPERTY
@given(hostile_text, st.sampled_from(["", *sorted(n.PARSERS), "spaceship"]))
def test_search_queries_never_raise(query, kind):
    for found_kind, key in query_keys(query, kind or None):
        assert found_kind in n.PARSERS and key


# --- idempotence: the stored form parses to the same key --------------------------------------


def _reparse(kind: str, details: dict) -> str:
    """Parse the lead again from what is stored about it (what an edit form shows back)."""
    if kind == "phone":
        fields = {"number": details["e164"]}
    elif kind == "bank_account":
        bank = details["bank_code"] or details["bank_bic"] or details["bank_name"]
        fields = {"bank": bank, "account_number": details["account_number"]}
    elif kind == "crypto_wallet":
        fields = {"chain": details["chain"], "address": details["address"]}
    elif kind == "domain":
        fields = {"url": details["domain"]}
    elif kind == "handle":
        fields = {"platform": details["platform"], "handle": details["handle"]}
    elif kind == "person":
        fields = {
            "names": details["names"],
            "aliases": details["aliases"],
            "nationality": details["nationality"],
            "date_of_birth": details["date_of_birth"],
            "role": details["role"],
        }
    else:
        fields = {"address": details["address"]}
    return normalise(kind, fields)[0]


REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)
BANK_NAMES = [
    alias for _c, bic, name, aliases, _l in n.THAI_BANKS for alias in (bic, name, *aliases)
]

EXAMPLES = [(r, phonenumbers.example_number(r)) for r in REGIONS if phonenumbers.example_number(r)]


@st.composite
def phone_fields(draw) -> dict:
    """A region's example number with its last digits changed, written in one of the formats."""
    region, example = draw(st.sampled_from(EXAMPLES))
    national = str(example.national_number)
    tail = draw(st.text("0123456789", min_size=1, max_size=min(4, len(national))))
    number = phonenumbers.parse(f"+{example.country_code}{national[: -len(tail)]}{tail}")
    style = draw(st.sampled_from([0, 1, 2, 3]))  # E164, INTERNATIONAL, NATIONAL, RFC3966
    text = phonenumbers.format_number(number, style)
    given_region = region if style == phonenumbers.PhoneNumberFormat.NATIONAL else ""
    return {
        "number": draw(
            st.sampled_from([text, f" {text} ", "00" + text[1:] if text[:1] == "+" else text])
        ),
        "region": given_region,
    }


phone_fields = st.one_of(
    phone_fields(),
    st.fixed_dictionaries(
        {
            "number": st.from_regex(r"(\+|00)?[0-9][0-9 ().\-]{5,18}", fullmatch=True),
            "region": st.sampled_from(["", *REGIONS]),
        }
    ),
)
bank_fields = st.fixed_dictionaries(
    {
        "bank": st.one_of(
            st.sampled_from(BANK_NAMES),
            hostile_text,
            st.from_regex(r"[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?", fullmatch=True),
        ),
        "account_number": st.from_regex(r"[0-9A-Za-z][0-9A-Za-z \-.]{3,30}", fullmatch=True),
        "holder_name": hostile_text,
    }
)
wallet_fields = st.fixed_dictionaries(
    {
        "chain": st.one_of(
            st.sampled_from([*n.CHAIN_ALIASES, "sol", "XMR", "ltc", "Usdt (BEP-20)"]), hostile_text
        ),
        "address": st.one_of(
            st.from_regex(r"[A-Za-z0-9:._\- ]{6,130}", fullmatch=True),
            st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex()),
            hostile_text,
        ),
    }
)
_label = st.text(
    st.characters(categories=["Ll", "Lu", "Lo", "Nd"], codec="utf-8") | st.sampled_from("-"),
    min_size=1,
    max_size=12,
)
domain_fields = st.fixed_dictionaries(
    {
        "url": st.builds(
            lambda scheme, labels, tld, tail: f"{scheme}{'.'.join(labels)}.{tld}{tail}",
            st.sampled_from(["", "http://", "https://www.", "//", "HTTP://user@"]),
            st.lists(_label, min_size=1, max_size=3),
            st.sampled_from(["com", "th", "ไทย", "中国", "example", "co.uk", "xn--p1ai"]),
            st.sampled_from(["", "/", ":8080/x?y=1", "#top", "."]),
        )
    }
)
platforms = [alias for aliases in n.PLATFORMS.values() for alias in aliases]
handle_fields = st.fixed_dictionaries(
    {
        "platform": st.one_of(st.sampled_from(platforms), hostile_text),
        "handle": st.one_of(
            st.from_regex(r"@{0,2}[A-Za-z][A-Za-z0-9_]{2,35}", fullmatch=True),
            st.builds(
                lambda h: f"https://t.me/{h}",
                st.from_regex(r"[a-z][a-z0-9_]{3,20}", fullmatch=True),
            ),
            hostile_text,
        ),
    }
)
_name = st.text(
    st.characters(categories=["L", "Zs", "Mn"], codec="utf-8") | st.sampled_from(";.-'"),
    min_size=1,
    max_size=40,
)
person_fields = st.fixed_dictionaries(
    {
        "names": st.one_of(hostile_text, st.lists(_name, max_size=3), _name),
        "aliases": st.one_of(hostile_text, st.lists(_name, max_size=3)),
        "nationality": st.sampled_from(["", "cn", "MM", "th", "XX1"]),
        "date_of_birth": st.one_of(
            st.just(""), st.dates(date(1900, 1, 1), date(2010, 1, 1)).map(str), hostile_text
        ),
        "role": st.sampled_from(["", *n.PERSON_ROLES, "Money mule", "wizard"]),
    }
)
ip_fields = st.fixed_dictionaries(
    {"address": st.one_of(st.ip_addresses().map(str), st.ip_addresses().map(lambda a: f"[{a}]"))}
)

KIND_STRATEGIES = {
    "phone": phone_fields,
    "bank_account": bank_fields,
    "crypto_wallet": wallet_fields,
    "domain": domain_fields,
    "handle": handle_fields,
    "person": person_fields,
    "ip": ip_fields,
}


@PROPERTY
@given(st.sampled_from(sorted(KIND_STRATEGIES)), st.data())
def test_the_stored_form_parses_to_the_same_key(kind, data):
    fields = data.draw(KIND_STRATEGIES[kind], label="fields")
    try:
        key, details = normalise(kind, fields)
    except LeadValueError:
        return
    assert _reparse(kind, details) == key
    # And once more: normalising is a fixed point, not a slow drift.
    _key, again = normalise(kind, _as_fields(kind, details))
    assert _reparse(kind, again) == key


def _as_fields(kind: str, details: dict) -> dict:
    if kind == "person":
        return {"names": details["names"], "date_of_birth": details["date_of_birth"]}
    if kind == "bank_account":
        return {"bank": details["bank_name"], "account_number": details["account_number"]}
    if kind == "phone":
        return {"number": details["international"]}
    if kind == "domain":
        return {"url": details["unicode"]}
    if kind == "handle":
        return {"platform": details["platform"], "handle": "@" + details["handle"]}
    if kind == "crypto_wallet":
        return {
            "chain": details["chain"],
            "address": details.get("checksum_address") or details["address"],
        }
    return {"address": details["address"]}


@PROPERTY
@given(st.sampled_from(["phone", "crypto_wallet", "domain", "ip"]), st.data())
def test_a_search_for_the_key_finds_the_lead(kind, data):
    """What officers paste into search (the normalised value) finds it, with or without the kind."""
    fields = data.draw(KIND_STRATEGIES[kind], label="fields")
    try:
        key, details = normalise(kind, fields)
    except LeadValueError:
        return
    query = details["address"] if kind == "crypto_wallet" else key
    if kind == "crypto_wallet":
        query = f"{details['chain']} {query}"
    assert (kind, key) in query_keys(query, kind)
    if kind != "crypto_wallet" or details["chain"] in ("BTC", "ETH", "TRON"):
        bare = details["address"] if kind == "crypto_wallet" else key
        assert (kind, key) in query_keys(bare), bare
