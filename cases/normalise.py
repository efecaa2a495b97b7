"""Validate and normalise what officers type, so the same thing is recognised however it was typed.

Pure Python (no Django import): every parser takes the fields as entered and returns
`(key, details)`, where `key` is the normalised value used for correlation and search and
`details` are the structured fields to store; or it raises `LeadValueError` (a `ValueError`)
naming the field and the problem. Nothing else escapes a parser, whatever the input.

Decisions, so they are made once:
- Phone numbers: `phonenumbers`, stored as E.164. A number without a leading `+` or `00` is
  read as a *Thai* national number (default region TH) unless another region is given.
- Bank accounts: Thai banks are known by name, short name, 3-digit code or SWIFT BIC; their
  account numbers are digits only (10 digits for most, 12 for GSB, BAAC and GHB). Other banks
  are kept by their SWIFT BIC or by name, with 4-34 letters/digits (an IBAN fits).
- Crypto wallets: checksums are verified for BTC (base58check P2PKH/P2SH, bech32/bech32m
  segwit, mainnet only), ETH (EIP-55 enforced when the address is mixed-case) and TRON
  (base58check with the 0x41 prefix; USDT-TRC20 is a TRON address). Other chains are kept
  as typed. Keccak-256 is implemented here (a few dozen lines) rather than adding a crypto
  package for one hash of a 40-character string; `hashlib.sha3_256` is NIST SHA-3, whose
  padding differs, so it cannot be used.
- Domains and URLs: scheme, credentials, port, path, a trailing dot and a leading `www.` are
  dropped; the host is lower-cased and encoded to punycode with the `idna` package (IDNA 2008
  with UTS 46 mapping, what browsers do; Python's own `encodings.idna` is IDNA 2003).
- Handles: a known platform plus the handle, lower-cased, without a leading `@` or profile URL.
- IP addresses: global (publicly routable) addresses only; IPv4-mapped IPv6 becomes IPv4.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import date

import idna
import phonenumbers


class LeadValueError(ValueError):
    """A bad value, with the name of the field it came from."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _text(fields: Mapping[str, object], name: str, *, required: bool = True) -> str:
    value = fields.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise LeadValueError(name, "Expected text.")
    value = unicodedata.normalize("NFKC", value).strip()
    if "\x00" in value:
        raise LeadValueError(name, "Contains a NUL character.")
    if required and not value:
        raise LeadValueError(name, "This field is required.")
    if len(value) > 300:
        raise LeadValueError(name, "Too long (300 characters at most).")
    return value


# --- phone ---------------------------------------------------------------------------------

DEFAULT_REGION = "TH"


def phone(fields: Mapping[str, object]) -> tuple[str, dict]:
    """A phone number in E.164; national numbers are read as Thai unless `region` says otherwise."""
    raw = _text(fields, "number")
    region = _text(fields, "region", required=False).upper() or DEFAULT_REGION
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise LeadValueError("region", f"Unknown region {region!r}.")
    candidate = raw
    if candidate.startswith("00"):
        candidate = "+" + candidate[2:]
    if not re.fullmatch(r"[+0-9 ()./\-]{3,40}", candidate):
        raise LeadValueError("number", "A phone number has digits, spaces, dashes and a leading +.")
    try:
        number = phonenumbers.parse(candidate, region)
    except phonenumbers.NumberParseException as exc:
        raise LeadValueError("number", "Not a phone number.") from exc
    if not phonenumbers.is_valid_number(number):
        raise LeadValueError("number", "Not a valid phone number for its country.")
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    details = {
        "e164": e164,
        "country": phonenumbers.region_code_for_number(number) or "",
        "international": phonenumbers.format_number(
            number, phonenumbers.PhoneNumberFormat.INTERNATIONAL
        ),
        "display": e164,
    }
    return e164, details


# --- bank accounts -------------------------------------------------------------------------

# Thai banks: (code, SWIFT BIC, English name, aliases, account-number lengths).
# The 3-digit codes are the interbank (ITMX) bank codes; those for the major banks agree across
# several independent published tables. BICs and account lengths come from public lists that
# do not all agree: where two BICs circulate for a bank, the other is accepted as an alias.
# The lengths (10 digits, 12 for GSB/BAAC/GHB) should be confirmed with the banks.
THAI_BANKS: list[tuple[str, str, str, tuple[str, ...], tuple[int, ...]]] = [
    ("002", "BKKBTHBK", "Bangkok Bank", ("bbl", "bangkok bank", "ธนาคารกรุงเทพ"), (10,)),
    ("004", "KASITHBK", "Kasikornbank", ("kbank", "kasikorn", "kasikorn bank", "กสิกรไทย"), (10,)),
    ("006", "KRTHTHBK", "Krungthai Bank", ("ktb", "krung thai", "krungthai", "กรุงไทย"), (10,)),
    ("011", "TMBKTHBK", "TMBThanachart Bank", ("ttb", "tmb", "thanachart", "ทหารไทยธนชาต"), (10,)),
    ("014", "SICOTHBK", "Siam Commercial Bank", ("scb", "siam commercial", "ไทยพาณิชย์"), (10,)),
    ("017", "CITITHBX", "Citibank Thailand", ("citi", "citibank"), (10,)),
    ("020", "SCBLTHBX", "Standard Chartered Bank (Thai)", ("standard chartered", "sc"), (11,)),
    ("022", "UBOBTHBK", "CIMB Thai Bank", ("cimb", "cimb thai", "CIMBTHBK"), (10,)),
    ("024", "UOVBTHBK", "United Overseas Bank (Thai)", ("uob", "uob thai"), (10,)),
    ("025", "AYUDTHBK", "Bank of Ayudhya (Krungsri)", ("bay", "krungsri", "กรุงศรี"), (10,)),
    ("030", "GSBATHBK", "Government Savings Bank", ("gsb", "ออมสิน"), (12,)),
    ("031", "HSBCTHBK", "HSBC Thailand", ("hsbc",), (9, 12)),
    ("033", "GOHUTHB1", "Government Housing Bank", ("ghb", "ธอส", "GHBATHBK"), (12,)),
    (
        "034",
        "BAABTHBK",
        "Bank for Agriculture and Agricultural Cooperatives",
        ("baac", "ธกส"),
        (12,),
    ),
    ("066", "TIBTTHBK", "Islamic Bank of Thailand", ("ibank", "islamic bank"), (10,)),
    ("067", "TFPCTHB1", "TISCO Bank", ("tisco", "TFPCTHBK"), (10,)),
    ("069", "KKPBTHBK", "Kiatnakin Phatra Bank", ("kkp", "kiatnakin", "KIATTHBK"), (10,)),
    ("070", "ICBKTHBK", "ICBC (Thai)", ("icbc", "icbc thai"), (10,)),
    ("071", "THCETHB1", "Thai Credit Bank", ("thai credit", "tcrb"), (10,)),
    ("073", "LAHRTHB1", "Land and Houses Bank", ("lh bank", "lhb", "land and houses"), (10,)),
]


def _bank_token(value: str) -> str:
    return re.sub(r"[^0-9a-z฀-๿]+", " ", value.casefold().replace(".", "")).strip()


_BANK_INDEX: dict[str, tuple[str, str, str, tuple[int, ...]]] = {}
for _code, _bic, _name, _aliases, _lengths in THAI_BANKS:
    for _alias in (_code, _bic, _name, *_aliases):
        _BANK_INDEX[_bank_token(_alias)] = (_code, _bic, _name, _lengths)

BIC_RE = re.compile(r"[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?")


def bank_account(fields: Mapping[str, object]) -> tuple[str, dict]:
    """A bank account: Thai banks by name/code/BIC, others by SWIFT BIC or name."""
    bank = _text(fields, "bank")
    number = _text(fields, "account_number")
    holder = " ".join(_text(fields, "holder_name", required=False).split())
    known = _BANK_INDEX.get(_bank_token(bank))
    if known is None and len(bank) == 11 and bank.upper().endswith("XXX"):
        known = _BANK_INDEX.get(_bank_token(bank[:8]))  # a BIC with the head-office branch
    if known is not None:
        code, bic, name, lengths = known
        digits = re.sub(r"[\s\-.]", "", number)
        if not digits.isascii() or not digits.isdigit():
            raise LeadValueError("account_number", "A Thai account number has digits only.")
        if len(digits) not in lengths:
            expected = " or ".join(str(n) for n in lengths)
            raise LeadValueError(
                "account_number", f"{name} account numbers have {expected} digits."
            )
        details = {
            "bank_code": code,
            "bank_bic": bic,
            "bank_name": name,
            "account_number": digits,
            "holder_name": holder,
            "country": "TH",
        }
        key = f"th-{code}:{digits}"
    else:
        compact = re.sub(r"[\s\-.]", "", number).upper()
        if not compact.isascii() or not re.fullmatch(r"[A-Z0-9]{4,34}", compact):
            raise LeadValueError(
                "account_number", "An account number has 4 to 34 letters or digits."
            )
        upper = bank.upper().replace(" ", "")
        if BIC_RE.fullmatch(upper):
            bank_key, bic, name = upper[:8], upper[:8], upper
        else:
            name = " ".join(bank.split())
            bank_key, bic = "name-" + _bank_token(name).replace(" ", "-"), ""
            if bank_key == "name-":
                raise LeadValueError("bank", "Give the bank's name, code or SWIFT BIC.")
        details = {
            "bank_code": "",
            "bank_bic": bic,
            "bank_name": name,
            "account_number": compact,
            "holder_name": holder,
            "country": upper[4:6] if bic else "",
        }
        key = f"{bank_key.lower()}:{compact}"
    details["display"] = f"{details['bank_name']} {details['account_number']}"
    return key, details


# --- crypto wallets ------------------------------------------------------------------------

B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(B58_ALPHABET)}


def b58decode_check(value: str) -> bytes:
    """Decode base58check; raises ValueError on a bad character or checksum."""
    if not value or len(value) > 120:
        raise ValueError("bad length")
    num = 0
    for char in value:
        if char not in _B58_INDEX:
            raise ValueError("bad character")
        num = num * 58 + _B58_INDEX[char]
    body = num.to_bytes((num.bit_length() + 7) // 8, "big")
    pad = len(value) - len(value.lstrip("1"))
    raw = b"\x00" * pad + body
    if len(raw) < 5:
        raise ValueError("too short")
    payload, checksum = raw[:-4], raw[-4:]
    if hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4] != checksum:
        raise ValueError("bad checksum")
    return payload


def b58encode_check(payload: bytes) -> str:
    raw = payload + hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    num = int.from_bytes(raw, "big")
    out = ""
    while num:
        num, rem = divmod(num, 58)
        out = B58_ALPHABET[rem] + out
    return "1" * (len(raw) - len(raw.lstrip(b"\x00"))) + out


# Bech32 / bech32m (BIP 173, BIP 350), after the reference implementation.
_BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_CONST, _BECH32M_CONST = 1, 0x2BC830A3


def _bech32_polymod(values: list[int]) -> int:
    gen = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if ((top >> i) & 1) else 0
    return chk


def _bech32_hrp_expand(hrp: str) -> list[int]:
    return [ord(x) >> 5 for x in hrp] + [0] + [ord(x) & 31 for x in hrp]


def _convertbits(data: list[int], frombits: int, tobits: int, pad: bool) -> list[int]:
    acc = bits = 0
    ret: list[int] = []
    maxv = (1 << tobits) - 1
    for value in data:
        if value < 0 or (value >> frombits):
            raise ValueError("bad value")
        acc = (acc << frombits) | value
        bits += frombits
        while bits >= tobits:
            bits -= tobits
            ret.append((acc >> bits) & maxv)
    if pad and bits:
        ret.append((acc << (tobits - bits)) & maxv)
    elif not pad and (bits >= frombits or ((acc << (tobits - bits)) & maxv)):
        raise ValueError("bad padding")
    return ret


def segwit_decode(hrp: str, addr: str) -> tuple[int, bytes]:
    """Decode a segwit address for `hrp`; raises ValueError unless valid per BIP 173/350."""
    if any(ord(x) < 33 or ord(x) > 126 for x in addr) or (
        addr.lower() != addr and addr.upper() != addr
    ):
        raise ValueError("bad characters or mixed case")
    addr = addr.lower()
    pos = addr.rfind("1")
    if pos < 1 or pos + 7 > len(addr) or len(addr) > 90 or addr[:pos] != hrp:
        raise ValueError("bad separator or prefix")
    if not all(x in _BECH32_CHARSET for x in addr[pos + 1 :]):
        raise ValueError("bad character")
    data = [_BECH32_CHARSET.find(x) for x in addr[pos + 1 :]]
    const = _bech32_polymod(_bech32_hrp_expand(hrp) + data)
    if const not in (_BECH32_CONST, _BECH32M_CONST):
        raise ValueError("bad checksum")
    version, program = data[0], bytes(_convertbits(data[1:-6], 5, 8, False))
    if version > 16 or not 2 <= len(program) <= 40:
        raise ValueError("bad program")
    if version == 0 and len(program) not in (20, 32):
        raise ValueError("bad v0 program")
    if (version == 0) != (const == _BECH32_CONST):
        raise ValueError("wrong checksum variant for the witness version")
    return version, program


def segwit_encode(hrp: str, version: int, program: bytes) -> str:
    const = _BECH32_CONST if version == 0 else _BECH32M_CONST
    data = [version, *_convertbits(list(program), 8, 5, True)]
    polymod = _bech32_polymod([*_bech32_hrp_expand(hrp), *data, 0, 0, 0, 0, 0, 0]) ^ const
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_BECH32_CHARSET[d] for d in data + checksum)


# Keccak-256 (the pre-standard padding Ethereum uses), for EIP-55 checksums.
_KECCAK_RC = [
    0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000,
    0x000000000000808B, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
    0x000000000000008A, 0x0000000000000088, 0x0000000080008009, 0x000000008000000A,
    0x000000008000808B, 0x800000000000008B, 0x8000000000008089, 0x8000000000008003,
    0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
    0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
]  # fmt: skip
_KECCAK_ROT = [
    [0, 36, 3, 41, 18], [1, 44, 10, 45, 2], [62, 6, 43, 15, 61],
    [28, 55, 25, 21, 56], [27, 20, 39, 8, 14],
]  # fmt: skip
_MASK64 = (1 << 64) - 1


def _rol(x: int, n: int) -> int:
    return ((x << n) | (x >> (64 - n))) & _MASK64 if n else x


def _keccak_f(a: list[list[int]]) -> None:
    for rc in _KECCAK_RC:
        c = [a[x][0] ^ a[x][1] ^ a[x][2] ^ a[x][3] ^ a[x][4] for x in range(5)]
        d = [c[(x - 1) % 5] ^ _rol(c[(x + 1) % 5], 1) for x in range(5)]
        for x in range(5):
            for y in range(5):
                a[x][y] ^= d[x]
        b = [[0] * 5 for _ in range(5)]
        for x in range(5):
            for y in range(5):
                b[y][(2 * x + 3 * y) % 5] = _rol(a[x][y], _KECCAK_ROT[x][y])
        for x in range(5):
            for y in range(5):
                a[x][y] = b[x][y] ^ ((~b[(x + 1) % 5][y]) & b[(x + 2) % 5][y])
        a[0][0] ^= rc


def keccak256(data: bytes) -> bytes:
    """Keccak-256 as Ethereum uses it (padding 0x01, not SHA-3's 0x06)."""
    rate = 136
    padded = bytearray(data) + b"\x01" + b"\x00" * ((-len(data) - 2) % rate) + b"\x80"
    if len(padded) % rate:  # one byte of room only: 0x01 and 0x80 share it
        raise AssertionError("padding")
    state = [[0] * 5 for _ in range(5)]
    for offset in range(0, len(padded), rate):
        block = padded[offset : offset + rate]
        for i in range(rate // 8):
            state[i % 5][i // 5] ^= int.from_bytes(block[8 * i : 8 * i + 8], "little")
        _keccak_f(state)
    out = b"".join(state[i % 5][i // 5].to_bytes(8, "little") for i in range(4))
    return out


def eip55(address_hex: str) -> str:
    """The EIP-55 mixed-case checksum form of 40 lower-case hex digits."""
    digest = keccak256(address_hex.encode("ascii")).hex()
    return "0x" + "".join(
        c.upper() if c.isalpha() and int(digest[i], 16) >= 8 else c
        for i, c in enumerate(address_hex)
    )


CHAIN_ALIASES = {
    "btc": "BTC",
    "bitcoin": "BTC",
    "eth": "ETH",
    "ethereum": "ETH",
    "erc20": "ETH",
    "usdt-erc20": "ETH",
    "trx": "TRON",
    "tron": "TRON",
    "trc20": "TRON",
    "usdt-trc20": "TRON",
    "usdt trc20": "TRON",
}


def _btc(address: str) -> tuple[str, dict]:
    if address.lower().startswith("bc1"):
        try:
            version, program = segwit_decode("bc", address)
        except ValueError as exc:
            raise LeadValueError("address", "Not a valid Bitcoin segwit address.") from exc
        canonical = address.lower()
        kind = "p2wpkh" if version == 0 and len(program) == 20 else f"segwit-v{version}"
        if version == 0 and len(program) == 32:
            kind = "p2wsh"
        if version == 1 and len(program) == 32:
            kind = "p2tr"
        return canonical, {"address_type": kind}
    try:
        payload = b58decode_check(address)
    except ValueError as exc:
        raise LeadValueError("address", "Not a valid Bitcoin address (checksum).") from exc
    if len(payload) != 21 or payload[0] not in (0x00, 0x05):
        raise LeadValueError("address", "Not a Bitcoin mainnet address.")
    return address, {"address_type": "p2pkh" if payload[0] == 0 else "p2sh"}


def _eth(address: str) -> tuple[str, dict]:
    if not re.fullmatch(r"0[xX][0-9a-fA-F]{40}", address):
        raise LeadValueError("address", "An Ethereum address is 0x and 40 hexadecimal digits.")
    body = address[2:]
    checksummed = eip55(body.lower())
    if body != body.lower() and body != body.upper() and "0x" + body != checksummed:
        raise LeadValueError("address", "The address's EIP-55 checksum (its mixed case) is wrong.")
    return "0x" + body.lower(), {"checksum_address": checksummed}


def _tron(address: str) -> tuple[str, dict]:
    try:
        payload = b58decode_check(address)
    except ValueError as exc:
        raise LeadValueError("address", "Not a valid TRON address (checksum).") from exc
    if len(payload) != 21 or payload[0] != 0x41:
        raise LeadValueError("address", "A TRON address starts with T (prefix 0x41).")
    return address, {"hex": payload.hex()}


def crypto_wallet(fields: Mapping[str, object]) -> tuple[str, dict]:
    """A wallet: chain plus address, checksum-validated for BTC, ETH and TRON."""
    chain_raw = _text(fields, "chain")
    address = "".join(_text(fields, "address").split())
    chain = CHAIN_ALIASES.get(chain_raw.casefold(), "")
    if chain == "BTC":
        canonical, extra = _btc(address)
    elif chain == "ETH":
        canonical, extra = _eth(address)
    elif chain == "TRON":
        canonical, extra = _tron(address)
    else:
        chain = re.sub(r"[^A-Z0-9-]", "", chain_raw.upper())
        if not chain:
            raise LeadValueError("chain", "Name the chain (BTC, ETH, TRON, ...).")
        if len(chain) > 32:  # a name, not a paragraph: and the key must stay searchable
            raise LeadValueError("chain", "A chain's name has at most 32 letters or digits.")
        if not address.isascii() or not re.fullmatch(r"[A-Za-z0-9:._-]{8,128}", address):
            raise LeadValueError("address", "A wallet address has 8 to 128 letters or digits.")
        canonical, extra = address, {}
    details = {"chain": chain, "address": canonical, **extra}
    details["display"] = f"{chain} {extra.get('checksum_address', canonical)}"
    return f"{chain.lower()}:{canonical}", details


# --- domains and URLs ----------------------------------------------------------------------

_LABEL_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


def domain(fields: Mapping[str, object]) -> tuple[str, dict]:
    """A website: the host name, lower-case punycode, without scheme, path or a leading www."""
    raw = _text(fields, "url")
    value = raw
    match = re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", value)
    if match:
        value = value[match.end() :]
    elif value.startswith("//"):
        value = value[2:]
    host = re.split(r"[/?#\\]", value, maxsplit=1)[0]
    host = host.rsplit("@", 1)[-1]
    if host.startswith("["):
        raise LeadValueError("url", "This is an IP address: use the IP address kind.")
    host = host.split(":", 1)[0].rstrip(".")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        raise LeadValueError("url", "This is an IP address: use the IP address kind.")
    if not host:
        raise LeadValueError("url", "No host name in this address.")
    try:
        ascii_host = idna.encode(host, uts46=True).decode("ascii").lower()
    except (idna.IDNAError, UnicodeError, ValueError) as exc:
        raise LeadValueError("url", "Not a valid domain name.") from exc
    if ascii_host.startswith("www."):
        ascii_host = ascii_host[4:]
    labels = ascii_host.split(".")
    if (
        len(labels) < 2
        or len(ascii_host) > 253
        or not all(_LABEL_RE.fullmatch(label) for label in labels)
        or labels[-1].isdigit()
    ):
        raise LeadValueError("url", "Not a valid domain name (e.g. scam-shop.example).")
    try:
        unicode_host = idna.decode(ascii_host)
    except (idna.IDNAError, UnicodeError, ValueError) as exc:
        raise LeadValueError("url", "Not a valid domain name.") from exc
    details = {"domain": ascii_host, "unicode": unicode_host, "display": unicode_host}
    if raw != host:
        details["url"] = raw
    return ascii_host, details


# --- social and messaging handles ----------------------------------------------------------

PLATFORMS = {
    "telegram": ("telegram", "tg", "t.me"),
    "whatsapp": ("whatsapp", "wa"),
    "line": ("line", "line id"),
    "wechat": ("wechat", "weixin"),
    "facebook": ("facebook", "fb", "messenger"),
    "instagram": ("instagram", "ig"),
    "tiktok": ("tiktok",),
    "x": ("x", "twitter"),
    "signal": ("signal",),
    "zalo": ("zalo",),
}
PLATFORM_INDEX = {alias: name for name, aliases in PLATFORMS.items() for alias in aliases}
PROFILE_URL = re.compile(
    r"^(?:https?://)?(?:www\.)?(?:t\.me|telegram\.me|facebook\.com|fb\.com|instagram\.com|"
    r"tiktok\.com|x\.com|twitter\.com|line\.me/ti/p)/+(?:@)?(?P<handle>[^/?#]+)",
    re.IGNORECASE,
)


def handle(fields: Mapping[str, object]) -> tuple[str, dict]:
    """A platform and a handle, lower-case, without `@` or the profile URL around it."""
    platform_raw = _text(fields, "platform").casefold()
    value = _text(fields, "handle")
    platform = PLATFORM_INDEX.get(platform_raw)
    if platform is None:
        platform = re.sub(r"[^a-z0-9]+", "-", platform_raw).strip("-")
        if not platform:
            raise LeadValueError("platform", "Name the platform (Telegram, LINE, WhatsApp, ...).")
    match = PROFILE_URL.match(value)
    if match:
        value = match.group("handle")
    value = value.lstrip("@").strip().casefold()
    if platform in ("whatsapp", "signal") and re.fullmatch(r"[+0-9 ()\-]{6,}", value):
        try:
            value, _details = phone({"number": value})
        except LeadValueError as exc:
            raise LeadValueError("handle", exc.message) from exc
    elif platform == "telegram":
        if not re.fullmatch(r"[a-z][a-z0-9_]{3,31}", value):
            raise LeadValueError(
                "handle",
                "A Telegram username has 4-32 letters, digits or _ and starts with a letter.",
            )
    elif not value or len(value) > 100 or any(c.isspace() for c in value):
        raise LeadValueError("handle", "A handle has 1-100 characters and no spaces.")
    return f"{platform}:{value}", {
        "platform": platform,
        "handle": value,
        "display": f"{platform}: @{value}",
    }


# --- persons -------------------------------------------------------------------------------

PERSON_ROLES = (
    "recruiter",
    "boss",
    "manager",
    "handler",
    "money_mule",
    "trafficker",
    "guard",
    "other",
)


def _names(value: object, field: str) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        parts = re.split(r"[;\n]", value)
    elif isinstance(value, list | tuple):
        parts = list(value)
    else:
        raise LeadValueError(field, "Expected names separated by ';'.")
    names = []
    for part in parts:
        if not isinstance(part, str):
            raise LeadValueError(field, "Expected names separated by ';'.")
        name = " ".join(unicodedata.normalize("NFKC", part).split())
        if len(name) > 200 or "\x00" in name:
            raise LeadValueError(field, "A name is too long.")
        if name and name not in names:
            names.append(name)
    return names


def person(fields: Mapping[str, object]) -> tuple[str, dict]:
    """A person: names and aliases, nationality (ISO code), date of birth and role."""
    names = _names(fields.get("names"), "names")
    if not names:
        raise LeadValueError("names", "Give at least one name.")
    aliases = _names(fields.get("aliases"), "aliases")
    nationality = _text(fields, "nationality", required=False).upper()
    if nationality and not re.fullmatch(r"[A-Z]{2}", nationality):
        raise LeadValueError("nationality", "Use the two-letter country code (e.g. CN, MM).")
    dob_raw = _text(fields, "date_of_birth", required=False)
    dob = ""
    if dob_raw:
        try:
            born = date.fromisoformat(dob_raw)
        except ValueError as exc:
            raise LeadValueError("date_of_birth", "Use the form YYYY-MM-DD.") from exc
        if born.year < 1900 or born > date.today():
            raise LeadValueError("date_of_birth", "Not a plausible date of birth.")
        dob = born.isoformat()
    role = _text(fields, "role", required=False).casefold().replace(" ", "_") or "other"
    if role not in PERSON_ROLES:
        raise LeadValueError("role", f"Role is one of: {', '.join(PERSON_ROLES)}.")
    primary = names[0].casefold()
    details = {
        "names": names,
        "aliases": aliases,
        "nationality": nationality,
        "date_of_birth": dob,
        "role": role,
        "display": names[0] + (f" ({dob})" if dob else ""),
    }
    return f"{primary}|{dob}", details


# --- IP addresses --------------------------------------------------------------------------


def ip(fields: Mapping[str, object]) -> tuple[str, dict]:
    """A publicly routable IPv4 or IPv6 address."""
    raw = _text(fields, "address")
    try:
        address = ipaddress.ip_address(raw.strip("[]"))
    except ValueError as exc:
        raise LeadValueError("address", "Not an IP address.") from exc
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if not address.is_global or address.is_multicast:
        raise LeadValueError("address", "A private, reserved or special-purpose address.")
    key = address.compressed
    return key, {"address": key, "version": address.version, "display": key}


PARSERS: dict[str, Callable[[Mapping[str, object]], tuple[str, dict]]] = {
    "phone": phone,
    "bank_account": bank_account,
    "crypto_wallet": crypto_wallet,
    "domain": domain,
    "handle": handle,
    "person": person,
    "ip": ip,
}

# The fields each kind takes, in form order.
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    "phone": ("number", "region"),
    "bank_account": ("bank", "account_number", "holder_name"),
    "crypto_wallet": ("chain", "address"),
    "domain": ("url",),
    "handle": ("platform", "handle"),
    "person": ("names", "aliases", "nationality", "date_of_birth", "role"),
    "ip": ("address",),
}


def bare_key(kind: str, details: Mapping[str, object]) -> str:
    """The value without what qualifies it (the bank, the platform, the chain), as a search
    typed without that qualifier matches it: an account number, a handle, a wallet address.
    Empty for the kinds whose key is already bare (phone, domain, IP) or not a value (person).
    """
    field = {"bank_account": "account_number", "handle": "handle", "crypto_wallet": "address"}
    name = field.get(kind)
    value = details.get(name, "") if name else ""
    return value[:130] if isinstance(value, str) else ""


def normalise(kind: str, fields: Mapping[str, object]) -> tuple[str, dict]:
    """Dispatch to the kind's parser; `LeadValueError` for an unknown kind or a bad value."""
    parser = PARSERS.get(kind)
    if parser is None:
        raise LeadValueError("kind", "Unknown kind of lead.")
    if not isinstance(fields, Mapping):
        raise LeadValueError("kind", "Expected the kind's fields.")
    return parser(fields)


def detect(query: str) -> list[tuple[str, str]]:
    """Every (kind, key) a free-text search could mean, for search by normalised value."""
    found: list[tuple[str, str]] = []
    query = query.strip()
    if not query or len(query) > 300:
        return found
    attempts: list[tuple[str, dict]] = [
        ("ip", {"address": query}),
        ("phone", {"number": query}),
        ("crypto_wallet", {"chain": "ETH", "address": query}),
        ("crypto_wallet", {"chain": "BTC", "address": query}),
        ("crypto_wallet", {"chain": "TRON", "address": query}),
        ("domain", {"url": query}),
    ]
    for kind, fields in attempts:
        try:
            key, _details = PARSERS[kind](fields)
        except ValueError:
            continue
        found.append((kind, key))
    return found


def _split_last(query: str) -> tuple[str, str]:
    head, _, tail = query.replace(":", " ").strip().rpartition(" ")
    return head.strip(), tail.strip()


def query_keys(query: str, kind: str | None = None) -> list[tuple[str, str]]:
    """The (kind, key) pairs a search for `query` means, parsed with the kind's own parser.

    With a kind, the query is read in that kind's shape ("KBank 123-4-56789-0",
    "telegram @name", "ETH 0x..."); without one, every kind that can be recognised from the
    value alone is tried. Unparseable queries give no keys (and so no hits), never an error.
    """
    query = query.strip() if isinstance(query, str) else ""
    if not query or len(query) > 300:
        return []
    if kind is None or kind == "":
        return detect(query)
    attempts: list[dict] = []
    if kind == "phone":
        attempts = [{"number": query}]
    elif kind == "bank_account":
        bank, number = _split_last(query)
        attempts = [{"bank": bank, "account_number": number}]
    elif kind == "crypto_wallet":
        chain, address = _split_last(query)
        if chain:
            attempts = [{"chain": chain, "address": address}]
            # The address of another chain may itself hold ':' ("sol:abc:def", its own key):
            # then the chain is what comes before the first separator.
            head, *rest = re.split(r"\s+|:", query.strip(), maxsplit=1)
            if ":" in query and rest and (head, rest[0]) != (chain, address):
                attempts.append({"chain": head, "address": rest[0]})
        else:
            attempts = [{"chain": c, "address": query} for c in ("BTC", "ETH", "TRON")]
    elif kind == "domain":
        attempts = [{"url": query}]
    elif kind == "handle":
        platform, name = _split_last(query)
        platforms = [platform] if platform else list(PLATFORMS)
        attempts = [{"platform": p, "handle": name or query} for p in platforms]
    elif kind == "person":
        attempts = [{"names": query}]
    elif kind == "ip":
        attempts = [{"address": query}]
    found = []
    for fields in attempts:
        try:
            key, _details = normalise(kind, fields)
        except ValueError:
            continue
        if (kind, key) not in found:
            found.append((kind, key))
    return found
