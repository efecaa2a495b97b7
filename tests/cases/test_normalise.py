"""Every kind's validation and normalisation: known good and bad values, and properties.

Pure functions, no database. The properties: a value normalises to the same key however it is
typed; normalising the normalised form gives the same key (idempotence); and any input either
parses or raises ValueError (LeadValueError naming a field), never anything else.
"""

import ipaddress

import phonenumbers
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases import normalise as n
from cases.normalise import LeadValueError, normalise

settings.register_profile(
    "cases",
    max_examples=60,
    deadline=None,
    database=None,  # keep no .hypothesis/ directory in the project tree
    suppress_health_check=[HealthCheck.too_slow],
)
PROFILE = settings.get_profile("cases")


def bad(kind, fields, field):
    with pytest.raises(LeadValueError) as info:
        normalise(kind, fields)
    assert info.value.field == field, info.value
    assert info.value.message
    return info.value


# --- phone ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    ["+66 81 234 5678", "+66812345678", "0066 81-234-5678", "081 234 5678", "(081) 234-5678"],
)
def test_phone_typed_any_way_is_one_e164_key(typed):
    key, details = normalise("phone", {"number": typed})
    assert key == "+66812345678"
    assert details["country"] == "TH"


def test_phone_national_numbers_read_in_the_given_region():
    key, _ = normalise("phone", {"number": "138 0013 8000", "region": "cn"})
    assert key == "+8613800138000"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"number": ""}, "number"),
        ({"number": "hello"}, "number"),
        ({"number": "+66 12"}, "number"),
        ({"number": "+999 1234 5678"}, "number"),
        ({"number": "081 234 5678", "region": "XX"}, "region"),
        ({"number": 66812345678}, "number"),
    ],
)
def test_phone_bad_values_name_the_field(fields, field):
    bad("phone", fields, field)


REGIONS = sorted(r for r in phonenumbers.SUPPORTED_REGIONS if phonenumbers.example_number(r))


@PROFILE
@given(st.sampled_from(REGIONS))
def test_phone_every_format_gives_the_same_key_and_is_idempotent(region):
    number = phonenumbers.example_number(region)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    intl = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    key, _ = normalise("phone", {"number": intl})
    assert key == e164
    assert normalise("phone", {"number": key})[0] == key
    try:
        national_key = normalise("phone", {"number": national, "region": region})[0]
    except LeadValueError:
        return  # some regions' national formats carry text the number field refuses
    assert national_key == e164


# --- bank accounts -------------------------------------------------------------------------


@pytest.mark.parametrize("bank", ["KBank", "kasikornbank", "004", "KASITHBK", "กสิกรไทย"])
def test_thai_bank_known_by_name_code_or_bic(bank):
    key, details = normalise("bank_account", {"bank": bank, "account_number": "123-4-56789-0"})
    assert key == "th-004:1234567890"
    assert details["bank_code"] == "004" and details["bank_name"] == "Kasikornbank"


def test_thai_bank_codes():
    codes = {name: code for code, _bic, name, _aliases, _lengths in n.THAI_BANKS}
    assert codes["Bangkok Bank"] == "002"
    assert codes["Krungthai Bank"] == "006"
    assert codes["TMBThanachart Bank"] == "011"
    assert codes["Siam Commercial Bank"] == "014"
    assert codes["Bank of Ayudhya (Krungsri)"] == "025"
    assert codes["Government Savings Bank"] == "030"
    assert codes["Bank for Agriculture and Agricultural Cooperatives"] == "034"


def test_gsb_accounts_have_twelve_digits():
    assert normalise("bank_account", {"bank": "GSB", "account_number": "0201 2345 6789"})[0] == (
        "th-030:020123456789"
    )
    error = bad("bank_account", {"bank": "GSB", "account_number": "1234567890"}, "account_number")
    assert "12" in error.message


def test_foreign_bank_by_bic_or_name():
    key, details = normalise(
        "bank_account", {"bank": "DEUTDEFFXXX", "account_number": "DE89 3704 0044 0532 0130 00"}
    )
    assert key == "deutdeff:DE89370400440532013000"
    assert details["country"] == "DE"
    key, _ = normalise("bank_account", {"bank": "Some  Bank Ltd.", "account_number": "ab-12-34"})
    assert key == "name-some-bank-ltd:AB1234"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"bank": "SCB", "account_number": "12345"}, "account_number"),
        ({"bank": "SCB", "account_number": "12345678901"}, "account_number"),
        ({"bank": "SCB", "account_number": "12345abcde"}, "account_number"),
        ({"bank": "SCB", "account_number": "١٢٣٤٥٦٧٨٩٠"}, "account_number"),
        ({"bank": "", "account_number": "1234567890"}, "bank"),
        ({"bank": "!!!", "account_number": "1234567890"}, "bank"),
        ({"bank": "Other", "account_number": "12"}, "account_number"),
    ],
)
def test_bank_account_bad_values(fields, field):
    bad("bank_account", fields, field)


@PROFILE
@given(
    st.sampled_from(n.THAI_BANKS),
    st.data(),
    st.sampled_from(["", " ", "-"]),
)
def test_thai_account_typed_any_way_is_one_key(bank, data, sep):
    code, bic, name, aliases, lengths = bank
    digits = data.draw(st.text("0123456789", min_size=lengths[0], max_size=lengths[0]))
    typed = sep.join([digits[:3], digits[3:4], digits[4:]])
    alias = data.draw(st.sampled_from([code, bic, name, *aliases]))
    key, details = normalise("bank_account", {"bank": alias, "account_number": typed})
    assert key == f"th-{code}:{digits}"
    again = {"bank": details["bank_code"], "account_number": details["account_number"]}
    assert normalise("bank_account", again)[0] == key


# --- crypto wallets ------------------------------------------------------------------------


def test_keccak256_vectors():
    assert n.keccak256(b"").hex() == (
        "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    )
    assert n.keccak256(b"abc").hex() == (
        "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"
    )
    # Longer than one 136-byte block.
    assert len(n.keccak256(b"x" * 300)) == 32


EIP55_VECTORS = [
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
    "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
]


@pytest.mark.parametrize("address", EIP55_VECTORS)
def test_eth_eip55_vectors(address):
    key, details = normalise("crypto_wallet", {"chain": "ETH", "address": address})
    assert key == "eth:" + address.lower()
    assert details["checksum_address"] == address
    # All lower or all upper case carries no checksum: accepted, same key.
    assert normalise("crypto_wallet", {"chain": "eth", "address": address.lower()})[0] == key
    upper = "0x" + address[2:].upper()
    assert normalise("crypto_wallet", {"chain": "ERC20", "address": upper})[0] == key


def test_eth_bad_checksum_and_shape():
    wrong = EIP55_VECTORS[0].replace("aA", "Aa", 1)
    error = bad("crypto_wallet", {"chain": "ETH", "address": wrong}, "address")
    assert "EIP-55" in error.message
    bad("crypto_wallet", {"chain": "ETH", "address": "0x1234"}, "address")
    bad("crypto_wallet", {"chain": "ETH", "address": "0x" + "g" * 40}, "address")


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "p2pkh"),
        ("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", "p2sh"),
        ("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", "p2wpkh"),
        ("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "p2wpkh"),
        ("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0", "p2tr"),
    ],
)
def test_btc_good(address, kind):
    key, details = normalise("crypto_wallet", {"chain": "bitcoin", "address": address})
    assert details["address_type"] == kind
    canonical = address.lower() if address.lower().startswith("bc1") else address
    assert key == "btc:" + canonical


@pytest.mark.parametrize(
    "address",
    [
        "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb",  # checksum
        "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn",  # testnet
        "1A1zP1eP5QGefi2DMPTfTL5SLmv7Divf0a",  # 0 is not base58
        "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5",  # bech32 checksum
        "bc1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",  # mixed case
        "tb1qw508d6qejxtdg4c3e2za3p7zj2dyqlxj0vu3",  # testnet prefix
        "",
    ],
)
def test_btc_bad(address):
    field = "address"
    bad("crypto_wallet", {"chain": "BTC", "address": address}, field)


def _bech32_with_const(hrp, version, program, const):
    data = [version, *n._convertbits(list(program), 8, 5, True)]
    polymod = n._bech32_polymod([*n._bech32_hrp_expand(hrp), *data, 0, 0, 0, 0, 0, 0]) ^ const
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(n._BECH32_CHARSET[d] for d in data + checksum)


def test_btc_segwit_v1_needs_bech32m_and_v0_needs_bech32():
    program = bytes(range(32))
    bad_v1 = _bech32_with_const("bc", 1, program, n._BECH32_CONST)
    bad("crypto_wallet", {"chain": "BTC", "address": bad_v1}, "address")
    bad_v0 = _bech32_with_const("bc", 0, program[:20], n._BECH32M_CONST)
    bad("crypto_wallet", {"chain": "BTC", "address": bad_v0}, "address")


def test_tron_good_and_bad():
    key, details = normalise(
        "crypto_wallet", {"chain": "USDT-TRC20", "address": "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"}
    )
    assert key == "tron:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
    assert details["chain"] == "TRON" and details["hex"].startswith("41")
    bad(
        "crypto_wallet",
        {"chain": "TRON", "address": "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u"},
        "address",
    )
    # A valid base58check address with the Bitcoin prefix is not a TRON address.
    bad(
        "crypto_wallet",
        {"chain": "TRX", "address": "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"},
        "address",
    )


def test_other_chains_kept_as_typed_and_chain_required():
    key, details = normalise("crypto_wallet", {"chain": "sol", "address": " So1anaAddr3ss123 "})
    assert key == "sol:So1anaAddr3ss123" and details["chain"] == "SOL"
    bad("crypto_wallet", {"chain": "", "address": "abc"}, "chain")
    bad("crypto_wallet", {"chain": "sol", "address": "short"}, "address")


@PROFILE
@given(st.binary(min_size=20, max_size=20), st.sampled_from([0x00, 0x05]))
def test_btc_base58_roundtrip_and_single_typo_detected(payload, version):
    address = n.b58encode_check(bytes([version]) + payload)
    key, _ = normalise("crypto_wallet", {"chain": "BTC", "address": address})
    assert normalise("crypto_wallet", {"chain": "BTC", "address": key.split(":", 1)[1]})[0] == key
    position = len(address) // 2
    swapped = "2" if address[position] != "2" else "3"
    typo = address[:position] + swapped + address[position + 1 :]
    with pytest.raises(LeadValueError):
        normalise("crypto_wallet", {"chain": "BTC", "address": typo})


@PROFILE
@given(st.sampled_from([(0, 20), (0, 32), (1, 32)]), st.binary(min_size=32, max_size=32))
def test_btc_segwit_roundtrip_any_case(shape, raw):
    version, size = shape
    address = n.segwit_encode("bc", version, raw[:size])
    key, _ = normalise("crypto_wallet", {"chain": "BTC", "address": address.upper()})
    assert key == "btc:" + address


@PROFILE
@given(st.binary(min_size=20, max_size=20))
def test_eth_roundtrip_and_case_flip_detected(raw):
    checksummed = n.eip55(raw.hex())
    key, details = normalise("crypto_wallet", {"chain": "ETH", "address": checksummed})
    assert details["checksum_address"] == checksummed
    assert normalise("crypto_wallet", {"chain": "ETH", "address": key[4:]})[0] == key
    body = checksummed[2:]
    letters = [i for i, c in enumerate(body) if c.isalpha()]
    if len(letters) >= 2 and body.lower() != body and body.upper() != body:
        i = letters[0]
        flipped = body[:i] + body[i].swapcase() + body[i + 1 :]
        if flipped.lower() != flipped and flipped.upper() != flipped:
            with pytest.raises(LeadValueError):
                normalise("crypto_wallet", {"chain": "ETH", "address": "0x" + flipped})


@PROFILE
@given(st.binary(min_size=20, max_size=20))
def test_tron_roundtrip(raw):
    address = n.b58encode_check(b"\x41" + raw)
    assert address.startswith("T")
    key, _ = normalise("crypto_wallet", {"chain": "TRON", "address": address})
    assert key == "tron:" + address


# --- domains -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "scam-shop.example",
        "SCAM-SHOP.EXAMPLE",
        "https://www.scam-shop.example/login?next=/",
        "http://user:pw@scam-shop.example:8080/x",
        "//scam-shop.example.",
        "www.scam-shop.example/#top",
    ],
)
def test_domain_typed_any_way(typed):
    assert normalise("domain", {"url": typed})[0] == "scam-shop.example"


def test_domain_punycode():
    key, details = normalise("domain", {"url": "https://Bücher.example/"})
    assert key == "xn--bcher-kva.example"
    assert details["unicode"] == "bücher.example"
    assert normalise("domain", {"url": key})[0] == key
    thai = normalise("domain", {"url": "ตัวอย่าง.ไทย"})[0]
    assert thai.startswith("xn--") and thai.endswith(".xn--o3cw4h")


@pytest.mark.parametrize(
    "typed",
    ["", "localhost", "http://", "8.8.8.8", "http://[2001:db8::1]/", "bad_domain.com", "a..b"],
)
def test_domain_bad(typed):
    bad("domain", {"url": typed}, "url")


_label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True).filter(
    lambda s: "--" not in s[2:4]
)


@PROFILE
@given(
    st.lists(_label, min_size=1, max_size=3),
    st.sampled_from(["com", "net", "example", "th", "io"]),
    st.sampled_from(["", "http://", "https://www.", "HTTPS://"]),
    st.sampled_from(["", "/", "/path?q=1", ":443/x"]),
)
def test_domain_roundtrip(labels, tld, prefix, suffix):
    host = ".".join([*labels, tld])
    key, _ = normalise("domain", {"url": prefix + host.upper() + suffix})
    expected = host[4:] if host.startswith("www.") else host
    assert key == expected
    assert normalise("domain", {"url": key})[0] == key


# --- handles -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("platform", "typed"),
    [("Telegram", "@Scam_Boss"), ("tg", "https://t.me/scam_boss"), ("telegram", "scam_boss")],
)
def test_handle_forms(platform, typed):
    assert normalise("handle", {"platform": platform, "handle": typed})[0] == "telegram:scam_boss"


def test_whatsapp_handle_is_a_phone_number():
    key, _ = normalise("handle", {"platform": "WhatsApp", "handle": "081 234 5678"})
    assert key == "whatsapp:+66812345678"
    bad("handle", {"platform": "WhatsApp", "handle": "+66 12"}, "handle")


def test_handle_bad():
    bad("handle", {"platform": "telegram", "handle": "@ab"}, "handle")
    bad("handle", {"platform": "line", "handle": "two words"}, "handle")
    bad("handle", {"platform": "", "handle": "x"}, "platform")


@PROFILE
@given(st.from_regex(r"[a-z][a-z0-9_]{3,31}", fullmatch=True), st.booleans())
def test_handle_idempotent(name, upper):
    typed = "@" + (name.upper() if upper else name)
    key, details = normalise("handle", {"platform": "Telegram", "handle": typed})
    assert key == f"telegram:{name}"
    again = {"platform": details["platform"], "handle": details["handle"]}
    assert normalise("handle", again)[0] == key


# --- persons -------------------------------------------------------------------------------


def test_person():
    key, details = normalise(
        "person",
        {
            "names": " Wang  Wei ; W. Wei",
            "aliases": "Boss Wang",
            "nationality": "cn",
            "date_of_birth": "1980-02-03",
            "role": "Money mule",
        },
    )
    assert key == "wang wei|1980-02-03"
    assert details["names"] == ["Wang Wei", "W. Wei"]
    assert details["nationality"] == "CN" and details["role"] == "money_mule"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"names": ""}, "names"),
        ({"names": "A", "nationality": "China"}, "nationality"),
        ({"names": "A", "date_of_birth": "03/02/1980"}, "date_of_birth"),
        ({"names": "A", "date_of_birth": "2999-01-01"}, "date_of_birth"),
        ({"names": "A", "role": "wizard"}, "role"),
        ({"names": 5}, "names"),
    ],
)
def test_person_bad(fields, field):
    bad("person", fields, field)


# --- IP addresses --------------------------------------------------------------------------


def test_ip():
    assert normalise("ip", {"address": " 8.8.8.8 "})[0] == "8.8.8.8"
    assert normalise("ip", {"address": "::ffff:8.8.8.8"})[0] == "8.8.8.8"
    assert normalise("ip", {"address": "2001:4860:4860:0:0:0:0:8888"})[0] == "2001:4860:4860::8888"


@pytest.mark.parametrize(
    "typed",
    ["10.0.0.1", "192.168.1.1", "127.0.0.1", "203.0.113.5", "2001:db8::1", "224.0.0.1", "x"],
)
def test_ip_not_global(typed):
    bad("ip", {"address": typed}, "address")


@PROFILE
@given(st.ip_addresses())
def test_ip_global_only_and_idempotent(address):
    try:
        key, _ = normalise("ip", {"address": str(address)})
    except LeadValueError:
        assert (
            not address.is_global or address.is_multicast or getattr(address, "ipv4_mapped", None)
        )
        return
    assert ipaddress.ip_address(key).is_global
    assert normalise("ip", {"address": key})[0] == key


# --- nothing but ValueError ----------------------------------------------------------------

_values = st.one_of(
    st.text(max_size=60), st.none(), st.integers(), st.lists(st.text(max_size=5), max_size=3)
)


@PROFILE
@given(st.sampled_from(sorted(n.PARSERS)), st.data())
def test_any_input_parses_or_raises_value_error(kind, data):
    fields = {name: data.draw(_values) for name in n.KIND_FIELDS[kind]}
    try:
        key, details = normalise(kind, fields)
    except ValueError as exc:
        assert isinstance(exc, LeadValueError)
        return
    assert isinstance(key, str) and key
    assert isinstance(details, dict)


@PROFILE
@given(st.text(max_size=80), st.sampled_from(["", *sorted(n.PARSERS)]))
def test_query_keys_never_raise(query, kind):
    for found_kind, key in n.query_keys(query, kind or None):
        assert found_kind in n.PARSERS and key


def test_unknown_kind():
    bad("spaceship", {}, "kind")
