"""The plaintext scan: generated identities, the forms they could leak in, and the haystacks.

Each run makes up new identities (names in several scripts, passport numbers, dates of birth,
phones, family contacts) and the free-text notes officers type about the people (timeline
notes, a screening's reason, a lawful basis note), so a hit can only come from this run's
scenario. A value is looked
for as entered and in the encodings a careless log line or serializer would produce:
case-folded, JSON-escaped, URL-encoded, base64, Python bytes repr, and for passports, phones and
dates their compact and reformatted spellings.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
import random
import re
import secrets
import socket
import threading
import urllib.parse
from dataclasses import dataclass, field

from victims.crypto import normalise_passport

MIN_NEEDLE_BYTES = 6  # shorter strings could turn up by chance in ciphertext or hashes


def _pick(rng: random.Random, first: int, last: int, n: int) -> str:
    return "".join(chr(rng.randint(first, last)) for _ in range(n))


def _latin(rng: random.Random, stem: str) -> str:
    syllables = (rng.choice("bcdfghjklmnpqrstvwxz") + rng.choice("aeiou") for _ in range(3))
    return stem + "".join(syllables)


@dataclass
class Identity:
    """One person's identity fields as an officer would type them."""

    given_name: str
    family_name: str
    aliases: str
    date_of_birth: dt.date
    passport_number: str
    phone: str
    contact_name: str
    contact_phone: str

    @property
    def family_contact(self) -> str:
        return f"{self.contact_name}, {self.contact_phone}"

    def fields(self) -> dict:
        return {
            "given_name": self.given_name,
            "family_name": self.family_name,
            "aliases": self.aliases,
            "date_of_birth": self.date_of_birth,
            "passport_number": self.passport_number,
            "phone": self.phone,
            "family_contact": self.family_contact,
        }

    def values(self) -> dict[str, object]:
        """Every value that must not appear in plaintext, by a label naming its field."""
        return {
            "given_name": self.given_name,
            "family_name": self.family_name,
            "aliases": self.aliases,
            "date_of_birth": self.date_of_birth,
            "passport_number": self.passport_number,
            "phone": self.phone,
            "family_contact": self.family_contact,
            "family_contact.name": self.contact_name,
            "family_contact.phone": self.contact_phone,
        }


def _phone(rng: random.Random, country: str) -> str:
    return f"+{country} {rng.randint(810, 999)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"


def _passport(rng: random.Random) -> str:
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    head = rng.choice(letters) + str(rng.randint(1, 9)) + rng.choice(letters)
    return f"{head}{rng.randint(10, 99)} {rng.randint(100, 999)}-{rng.randint(10, 99)}"


def make_identities(seed: int | None = None) -> list[Identity]:
    """Three people whose names use Latin, Thai, Vietnamese, Chinese, Cyrillic, Arabic and
    Burmese script; every value carries random letters, so none can appear by coincidence."""
    rng = random.Random(seed if seed is not None else secrets.randbits(64))

    def dob() -> dt.date:
        return dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(15 * 365))

    return [
        Identity(
            given_name=_latin(rng, "Marisol"),
            family_name=_latin(rng, "Dimaculangan"),
            aliases="สมหญิง" + _pick(rng, 0x0E01, 0x0E2E, 4),  # Thai
            date_of_birth=dob(),
            passport_number=_passport(rng),
            phone=_phone(rng, "63"),
            contact_name="Mother Жанна" + _pick(rng, 0x0430, 0x044F, 4),  # Cyrillic
            contact_phone=_phone(rng, "63"),
        ),
        Identity(
            given_name="李" + _pick(rng, 0x4E00, 0x9FA5, 3),  # Chinese
            family_name="Nguyễn Thị Hằng" + _pick(rng, 0x1EA0, 0x1EF9, 3),  # Vietnamese
            aliases="فاطمة" + _pick(rng, 0x0628, 0x064A, 4),  # Arabic
            date_of_birth=dob(),
            passport_number=_passport(rng),
            phone=_phone(rng, "84"),
            contact_name="Brother မောင်" + _pick(rng, 0x1000, 0x1020, 4),  # Burmese
            contact_phone=_phone(rng, "95"),
        ),
        Identity(
            given_name=_latin(rng, "Tuyet"),
            family_name="Петрова" + _pick(rng, 0x0430, 0x044F, 4),
            aliases=_latin(rng, "Dewi"),
            date_of_birth=dob(),
            passport_number=_passport(rng),
            phone=_phone(rng, "62"),
            contact_name="Sister " + _latin(rng, "Ayu"),
            contact_phone=_phone(rng, "62"),
        ),
    ]


@dataclass
class Notes:
    """Free text an officer types about a person, as stories are typed: names, a phone, places.

    Stored encrypted like the identity (VictimEvent.note, Screening.outcome_reason,
    VictimRecord.lawful_basis_note), so searched for like it.
    """

    created: str  # the opening note (the record's first timeline entry)
    located: str  # a transition's note
    closed: str  # the closing transition's note (a record that is then purged)
    outcome_reason: str  # a screening's reason (also the outcome move's timeline note)
    lawful_basis: str  # the lawful basis note

    def values(self) -> dict[str, str]:
        return {f"note.{name}": text for name, text in vars(self).items()}


def make_notes(seed: int | None = None) -> Notes:
    """Notes in Latin, Thai, Burmese and Vietnamese script, each with random letters."""
    rng = random.Random(seed if seed is not None else secrets.randbits(64))
    return Notes(
        created=f"Reported by her cousin {_latin(rng, 'Rosario')} at the embassy desk.",
        located=(
            "Called from building 7 of the compound; her supervisor "
            + _pick(rng, 0x0E01, 0x0E2E, 5)  # Thai
            + " keeps her phone."
        ),
        closed=f"Went home with her brother မောင်{_pick(rng, 0x1000, 0x1020, 4)}; case closed.",
        outcome_reason=(
            f"Recruited by {_latin(rng, 'Vilma')} through a fake job offer; "
            f"forced to scam; debt of {rng.randint(20, 90)},000 baht."
        ),
        lawful_basis=(
            f"Still held in the compound; her mother bà {_pick(rng, 0x1EA0, 0x1EF9, 3)} "
            f"gets threats on +84 {rng.randint(810, 999)} {rng.randint(100, 999)}."
        ),
    )


def _spellings(label: str, value: object) -> set[str]:
    """The forms `value` could take in a dump, a log line or a message body."""
    if isinstance(value, dt.date):
        d = value
        forms = {
            d.isoformat(),
            d.strftime("%Y%m%d"),
            d.strftime("%d/%m/%Y"),
            d.strftime("%m/%d/%Y"),
            d.strftime("%d.%m.%Y"),
            d.strftime("%B %d, %Y"),
            f"{d.strftime('%B')} {d.day}, {d.year}",  # Django's DATE_FORMAT "N j, Y"
            f"{d.day} {d.strftime('%B')} {d.year}",
            f"datetime.date({d.year}, {d.month}, {d.day})",
        }
    else:
        text = str(value)
        forms = {text}
        if label.endswith("passport_number"):
            forms |= {normalise_passport(text), text.replace(" ", ""), text.replace("-", "")}
        if label.endswith("phone"):
            digits = re.sub(r"\D", "", text)
            forms |= {digits, "+" + digits, text.replace(" ", "-")}
    out = set()
    for form in forms:
        out |= {
            form,
            json.dumps(form)[1:-1],  # JSON with \uXXXX escapes
            urllib.parse.quote(form),
            urllib.parse.quote_plus(form),
            base64.b64encode(form.encode()).decode(),
            base64.urlsafe_b64encode(form.encode()).decode(),
            repr(form.encode())[2:-1],  # b'\xe0\xb8...' in a repr of bytes
        }
    return {f for f in out if len(f.encode()) >= MIN_NEEDLE_BYTES}


@dataclass(frozen=True)
class Needle:
    person: int
    label: str
    text: str


def needles(people: list[Identity], extra: list[tuple[int, str, object]] = ()) -> list[Needle]:
    """Every spelling of every identity value (`extra`: values entered then corrected)."""
    found: dict[str, Needle] = {}
    items = [(i, label, v) for i, p in enumerate(people) for label, v in p.values().items()]
    for person, label, value in [*items, *extra]:
        for text in _spellings(label, value):
            found.setdefault(text.casefold(), Needle(person, label, text))
    return list(found.values())


@dataclass
class Hit:
    haystack: str
    needle: Needle
    context: str


@dataclass
class Haystack:
    name: str
    text: str
    notes: str = ""

    @property
    def size(self) -> int:
        return len(self.text.encode())


def scan(haystacks: list[Haystack], targets: list[Needle]) -> list[Hit]:
    hits = []
    for hay in haystacks:
        folded = hay.text.casefold()
        for needle in targets:
            at = folded.find(needle.text.casefold())
            if at >= 0:
                context = hay.text[max(0, at - 60) : at + len(needle.text) + 60]
                hits.append(Hit(hay.name, needle, context))
    return hits


# --- broker traffic ------------------------------------------------------------------------


class MonitorRecorder:
    """Records every command a Redis server receives (MONITOR), on its own connection."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.raw = bytearray()
        self._stop = threading.Event()
        self._sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self._sock.sendall(b"MONITOR\r\n")
        assert self._sock.recv(5) == b"+OK\r\n"
        self._sock.settimeout(0.2)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                chunk = self._sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            if not chunk:
                return
            self.raw.extend(chunk)

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def stop(self) -> bytes:
        self._stop.set()
        self._thread.join(5)
        self._sock.close()
        return bytes(self.raw)


_ESCAPES = {"n": b"\n", "r": b"\r", "t": b"\t", "a": b"\a", "b": b"\b", '"': b'"', "\\": b"\\"}


def monitor_args(raw: bytes) -> list[bytes]:
    """The quoted arguments of every MONITOR line, unescaped to the bytes the client sent."""
    args: list[bytes] = []
    text = raw.decode("latin-1")
    for match in re.finditer(r'"((?:[^"\\]|\\.)*)"', text):
        body, out, i = match.group(1), bytearray(), 0
        while i < len(body):
            ch = body[i]
            if ch == "\\" and i + 1 < len(body):
                nxt = body[i + 1]
                if nxt == "x" and i + 3 < len(body):
                    out.append(int(body[i + 2 : i + 4], 16))
                    i += 4
                    continue
                out += _ESCAPES.get(nxt, nxt.encode("latin-1"))
                i += 2
                continue
            out += ch.encode("latin-1")
            i += 1
        args.append(bytes(out))
    return args


def decode_messages(args: list[bytes]) -> tuple[str, int]:
    """Kombu envelopes among the arguments, with their base64 bodies decoded and any JSON
    re-serialised without escapes (so a Thai or Chinese name shows as itself)."""
    parts, messages = [], 0
    for arg in args:
        try:
            envelope = json.loads(arg)
        except ValueError:
            continue
        if not isinstance(envelope, dict) or "body" not in envelope:
            continue
        messages += 1
        body = envelope["body"]
        if envelope.get("properties", {}).get("body_encoding") == "base64":
            body = base64.b64decode(body).decode("utf-8", "replace")
        with contextlib.suppress(ValueError):
            body = json.dumps(json.loads(body), ensure_ascii=False)
        parts.append(json.dumps(envelope.get("headers", {}), ensure_ascii=False))
        parts.append(body)
    return "\n".join(parts), messages


@dataclass
class ScanReport:
    haystacks: list[Haystack]
    targets: list[Needle]
    hits: list[Hit]
    people: int
    values: int
    lines: list[str] = field(default_factory=list)

    def table(self) -> str:
        lines = [
            "",
            f"== plaintext scan: {self.people} victims, {self.values} identity and note values, "
            f"{len(self.targets)} spellings (as entered, case-folded, JSON-escaped, URL-encoded, "
            "base64, bytes repr, compact passport/phone, date formats)",
            f"   {'haystack':<40}{'bytes':>12}{'hits':>7}",
        ]
        for hay in self.haystacks:
            count = sum(1 for h in self.hits if h.haystack == hay.name)
            lines.append(f"   {hay.name:<40}{hay.size:>12,}{count:>7}   {hay.notes}")
        for hit in self.hits[:20]:
            lines.append(
                f"   HIT in {hit.haystack}: person {hit.needle.person} {hit.needle.label} "
                f"as {hit.needle.text!r}: ...{hit.context!r}..."
            )
        return "\n".join([*lines, *self.lines])
