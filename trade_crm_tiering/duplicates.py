"""Duplicate check (查重): normalised match keys, matches for one new record, duplicate groups.

Odoo-free and set-based: every function takes pandas Series or a DataFrame indexed by record id
(columns ``name``, ``country``, ``vat``, ``email``, ``phone`` and optionally ``mobile``) and works
column-wise, so 100k customers are keyed and grouped in one pass.

Two records may be the same company when they share any of these keys (``REASONS``):

- ``vat``: the tax id without spaces, dots, dashes and slashes, upper-cased, and without a leading
  two-letter country prefix (DE123456789 and 123 456 789 match); placeholders ("/", "N/A", zeros)
  and ids under 5 characters have no key;
- ``name_country``: the company name normalised (see ``normalise_names``) within the same country.
  Records without a country match each other on the name alone; a new record without a country
  yet matches the name in any country, so the warning comes before the country is filled in;
- ``email_domain``: the domain of the email address, unless it is a free-mail provider's (gmail,
  qq.com, 163.com, ... and the company's own additions): colleagues share a domain, strangers share
  gmail;
- ``phone``: the last ``phone_digits`` significant digits of the phone or mobile (see
  ``normalise_phones``); numbers with fewer than ``phone_min_digits`` significant digits, or made of
  one repeated digit, have no key.

A key that more than ``max_key_records`` records share (a domain of a big group, a switchboard
number, a placeholder) does not identify a company and is ignored.
"""

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

REASONS = ("vat", "name_country", "email_domain", "phone")
PHONE_COLUMNS = ("phone", "mobile")
FIELDS = ("name", "country", "vat", "email", *PHONE_COLUMNS)

# Legal forms removed from the end of a name (after case folding, accents and punctuation are
# gone; dotted abbreviations are joined first, so S.A. is "sa" and S.p.A. "spa").
LEGAL_SUFFIXES = (
    # English and common law
    "ltd", "limited", "llc", "lc", "llp", "lp", "inc", "incorporated", "corp", "corporation", "co", "company",
    "plc", "pty", "pvt", "pte", "private", "public", "and co", "group", "holding", "holdings",
    "limited liability company",
    # German, Austrian, Swiss, Dutch, Belgian, Nordic
    "gmbh", "mbh", "ag", "kg", "kgaa", "ohg", "gbr", "ug", "ek", "ev", "se", "bv", "bvba", "nv", "vof", "cv",
    "oy", "oyj", "ab", "as", "asa", "aps",
    # French, Spanish, Portuguese, Italian, Latin American
    "sa", "sas", "sasu", "sarl", "eurl", "snc", "cie", "sl", "slu", "srl", "srls", "spa", "sapa", "ltda",
    "eireli", "sa de cv", "sab de cv", "de cv", "s de rl", "s de rl de cv", "cia",
    # Central and Eastern Europe
    "sro", "spol sro", "kft", "zrt", "nyrt", "bt", "doo", "dd", "ad", "ood", "eood", "sp z oo", "spzoo", "sp j",
    "ooo", "oao", "zao", "pao", "tov", "jsc", "ojsc", "pjsc", "cjsc",
    # Asia, Middle East, Africa
    "bhd", "sdn bhd", "tbk", "kk", "gk", "yk", "wll", "fze", "fzco", "fzc", "fzllc", "sae",
)  # fmt: skip
# Legal forms written before the name (PT Maju, OOO Romashka, The Acme Company), in Latin and in
# Cyrillic letters.
LEGAL_PREFIXES = ("pt", "cv", "the", "ooo", "oao", "zao", "pao", "tov", "ооо", "оао", "зао", "пао", "ао", "тов", "ип")  # noqa: RUF001
# Chinese, Japanese and Korean forms, matched without a space before them.
CJK_SUFFIXES = (
    "股份有限公司", "有限责任公司", "有限責任公司", "集团有限公司", "集團有限公司", "股份公司", "有限公司",
    "集团公司", "集團公司", "控股", "集团", "集團", "公司",
    "株式会社", "有限会社", "合同会社", "合資会社", "合名会社", "주식회사", "유한회사",
)  # fmt: skip
CJK_PREFIXES = ("株式会社", "有限会社", "合同会社", "주식회사", "유한회사")

# Free-mail providers: these domains, their subdomains (vip.163.com), and the brands below under
# any country domain (yahoo.co.uk, hotmail.fr, gmx.at).
FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com", "googlemail.com", "yahoo.com", "ymail.com", "rocketmail.com", "hotmail.com", "outlook.com",
        "live.com", "live.cn", "live.co.uk", "live.fr", "live.de", "live.it", "live.nl", "msn.com", "aol.com",
        "icloud.com", "me.com", "mac.com", "protonmail.com", "proton.me", "pm.me", "tutanota.com", "zoho.com",
        "zohomail.com", "mail.com", "email.com", "usa.com", "inbox.com", "gmx.com", "gmx.net", "gmx.de", "web.de",
        "t-online.de", "freenet.de", "arcor.de", "mail.ru", "bk.ru", "list.ru", "inbox.ru", "internet.ru",
        "rambler.ru", "yandex.ru", "yandex.com", "ya.ru", "ukr.net", "i.ua", "seznam.cz", "wp.pl", "o2.pl",
        "onet.pl", "interia.pl", "libero.it", "virgilio.it", "tiscali.it", "alice.it", "orange.fr", "wanadoo.fr",
        "free.fr", "laposte.net", "sfr.fr", "btinternet.com", "sky.com", "comcast.net", "verizon.net",
        "att.net", "sbcglobal.net", "bellsouth.net", "cox.net", "shaw.ca", "rogers.com", "sympatico.ca",
        "bigpond.com", "optusnet.com.au", "xtra.co.nz", "uol.com.br", "bol.com.br", "terra.com.br",
        "ig.com.br", "prodigy.net.mx", "rediffmail.com", "naver.com", "daum.net", "hanmail.net", "nate.com",
        "qq.com", "foxmail.com", "163.com", "126.com", "yeah.net", "188.com", "sina.com", "sina.cn",
        "sina.com.cn", "sohu.com", "aliyun.com", "tom.com", "21cn.com", "139.com", "189.cn", "wo.cn",
        "netvigator.com", "yahoo.com.tw", "hinet.net", "pchome.com.tw", "mail.goo.ne.jp", "nifty.com",
        "docomo.ne.jp", "ezweb.ne.jp", "softbank.ne.jp",
    }
)  # fmt: skip
FREE_MAIL_BRANDS = ("gmail", "googlemail", "yahoo", "ymail", "hotmail", "outlook", "aol", "gmx", "yandex", "icloud")

# Country calling codes are prefix-free: 1 and 7 are one digit, these two, the rest three.
TWO_DIGIT_CODES = frozenset(
    {
        "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46", "47", "48", "49",
        "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63", "64", "65", "66", "81", "82", "84",
        "86", "90", "91", "92", "93", "94", "95", "98",
    }
)  # fmt: skip
# An international number's prefix (00 when not written +) and calling code.
_CALLING_CODE = re.compile(rf"^(?:00)?(?:[17]|{'|'.join(sorted(TWO_DIGIT_CODES))}|\d{{3}})")
VAT_PLACEHOLDERS = frozenset({"", "NA", "NONE", "NIL", "NULL", "TBD", "TBA"})


def _alternation(words):
    """A regex matching any of ``words``, as a trie (one branch per letter, not one per word).

    Python's regex engine tries alternatives one by one; a trie keeps a hundred legal forms from
    costing a hundred tries at every position. A space in a word matches any run of spaces.
    """
    trie = {}
    for word in set(words):
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}
    return _trie_pattern(trie)


def _trie_pattern(node):
    branches = [
        (r"\s+" if char == " " else re.escape(char)) + _trie_pattern(child)
        for char, child in sorted(node.items())
        if char
    ]
    if not branches:
        return ""
    pattern = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return f"(?:{pattern})?" if "" in node else pattern


# Legal forms at the end are matched on the reversed name, anchored at its start: one attempt per
# name instead of one per position. Never the whole name: something must be left after them.
_REVERSED_SUFFIX_CHAIN = re.compile(
    rf"^(?:{_alternation(word[::-1] for word in LEGAL_SUFFIXES)}\s+"
    rf"|{_alternation(word[::-1] for word in CJK_SUFFIXES)}\s*)+(?=\S)",
    flags=re.DOTALL,
)
_PREFIX_CHAIN = re.compile(
    rf"^(?:{_alternation(LEGAL_PREFIXES)}\s+|{_alternation(CJK_PREFIXES)}\s*)+(?=\S)", flags=re.DOTALL
)
_FREE_BRAND = re.compile(rf"(?:^|\.){_alternation(FREE_MAIL_BRANDS)}\.[a-z]{{2,3}}(?:\.[a-z]{{2}})?$")


class DuplicateConfigError(ValueError):
    """A duplicate-check setting is invalid. ``code`` names the problem, ``params`` fill its message."""

    def __init__(self, code, **params):
        super().__init__(code, params)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class DuplicateConfig:
    """A company's duplicate check: which keys count, and how phones and VATs are compared."""

    reasons: tuple = REASONS
    extra_free_domains: tuple = ()
    phone_digits: int = 9
    phone_min_digits: int = 7
    vat_strip_country: bool = True
    max_key_records: int = 20

    def check(self):
        if not self.reasons:
            raise DuplicateConfigError("no_reason")
        unknown = [reason for reason in self.reasons if reason not in REASONS]
        if unknown:
            raise DuplicateConfigError("reason", reason=unknown[0])
        if not isinstance(self.phone_digits, int) or not 6 <= self.phone_digits <= 15:
            raise DuplicateConfigError("phone_digits", value=self.phone_digits)
        if not isinstance(self.phone_min_digits, int) or not 4 <= self.phone_min_digits <= self.phone_digits:
            raise DuplicateConfigError("phone_min_digits", value=self.phone_min_digits, digits=self.phone_digits)
        for domain in self.extra_free_domains:
            if not isinstance(domain, str) or not re.fullmatch(r"[\w-]+(?:\.[\w-]+)+", domain.strip().lower()):
                raise DuplicateConfigError("domain", domain=domain)
        if not isinstance(self.max_key_records, int) or self.max_key_records < 2:
            raise DuplicateConfigError("max_key_records", value=self.max_key_records)


def _text(values):
    """``values`` as a Series of str, missing values (None, NaN, False) as ''."""
    values = pd.Series(values, dtype="object")
    unset = values.isna() | values.map(lambda value: value is False)  # Odoo reads an empty field as False
    return values.where(~unset, "").astype(str)


def _per_distinct(values, compute):
    """``compute`` applied once per distinct value of ``values`` and spread back over them.

    ``compute`` takes a Series of distinct str and returns their keys (None or NaN for no key).
    Empty values, repeated names and shared domains are worked out once.
    """
    text = _text(values)
    codes, uniques = pd.factorize(text)
    keys = compute(pd.Series(uniques, dtype="str")).astype("object")
    keys = keys.where(keys.notna(), None).to_numpy()
    return pd.Series(keys[codes], index=text.index, dtype="object")


def _fold(text):
    """Case folded; full-width and compatibility forms (NFKC) and Latin accents folded too.

    The Unicode work runs on the values that need it: most names in an export CRM are ASCII.
    """
    text = text.str.casefold()
    wide = ~text.str.isascii()
    if wide.any():
        folded = text[wide].str.normalize("NFKC").str.casefold().str.normalize("NFKD")
        folded = folded.str.replace("[\u0300-\u036f]", "", regex=True).str.normalize("NFC")
        text = text.where(~wide, folded)
    return text


def _name_keys(text):
    text = _fold(text)
    text = text.str.replace(r"[./](?<=\b[a-z][./])(?=[a-z]\b)", "", regex=True)
    text = text.str.replace(r"\((?:株|有|주)\)", " ", regex=True).str.replace("&", " and ", regex=False)
    text = text.str.replace(r"[\W_]+", " ", regex=True).str.strip()
    text = text.str.replace(_PREFIX_CHAIN, "", regex=True)
    text = text.str[::-1].str.replace(_REVERSED_SUFFIX_CHAIN, "", regex=True).str[::-1]
    key = text.str.replace(" ", "", regex=False)
    return key.where(key.str.len() >= 2)


def normalise_names(names):
    """The match key of each company name (str; None when nothing identifying is left).

    Full-width and half-width forms, case and Latin accents are folded; dotted abbreviations are
    joined (S.p.A. -> spa, A/S -> as); "&" reads "and"; punctuation becomes space; legal forms
    are removed at the end (Ltd, GmbH, S.A., 有限公司, 株式会社, ... chained: "Co., Ltd.") and at the
    start (PT, OOO, 株式会社), never the whole name; spaces go last, so "Foo Bar" and "FooBar"
    match. A key of one character is not identifying.
    """
    return _per_distinct(names, _name_keys)


def is_free_mail(domains, extra=()):
    """Whether each domain belongs to a free-mail provider (a bool Series)."""
    domains = _text(domains).str.lower()
    listed = FREE_MAIL_DOMAINS | {domain.strip().lower() for domain in extra}
    parent = domains.str.split(".", n=1).str[-1]
    return domains.isin(listed) | parent.isin(listed) | domains.str.contains(_FREE_BRAND, regex=True)


def email_domains(emails, config=None):
    """The company domain of each email address (str; None for free mail or no valid address).

    The first address counts when there are several ("a@x.com; b@y.com", "Name <a@x.com>").
    """
    config = config or DuplicateConfig()

    def domains(text):
        found = _fold(text).str.extract(r"@([\w-]+(?:\.[\w-]+)+)", expand=False)
        return found.where(~is_free_mail(found, config.extra_free_domains))

    return _per_distinct(emails, domains)


def _national_numbers(text):
    text = _fold(text).str.replace(r"(?:ext|x|#|转|分机).*$|\(\s*0\s*\)", "", regex=True)
    international = text.str.match(r"\s*(?:\+|00)")
    digits = text.str.replace(r"\D+", "", regex=True)
    if international.any():
        digits = digits.where(~international, digits[international].str.replace(_CALLING_CODE, "", regex=True))
    return digits.str.lstrip("0")


def national_numbers(phones):
    """The significant digits of each phone number (str, '' without digits).

    Extensions (ext, x, #, 转, 分机) and a "(0)" trunk marker are dropped. An international number
    (+ or 00) loses its country calling code; every number loses leading trunk zeros, so
    +49 (0)30 1234567, 0049 30 1234567 and 030 1234567 all give 301234567.
    """
    return _per_distinct(phones, _national_numbers)


def normalise_phones(phones, config=None):
    """The match key of each phone number: its last ``phone_digits`` significant digits (str or None)."""
    config = config or DuplicateConfig()

    def keys(text):
        digits = _national_numbers(text)
        usable = (digits.str.len() >= config.phone_min_digits) & ~digits.str.match(r"^(\d)\1*$")
        return digits.str[-config.phone_digits :].where(usable)

    return _per_distinct(phones, keys)


def normalise_vats(vats, config=None):
    """The match key of each tax id (str or None): see the module docstring."""
    config = config or DuplicateConfig()

    def keys(text):
        text = text.str.normalize("NFKC").str.upper().str.replace(r"[\s.\-/_,:]", "", regex=True)
        if config.vat_strip_country:
            text = text.str.replace(r"^[A-Z]{2}(?=[0-9A-Z]*[0-9])", "", regex=True)
        usable = (text.str.len() >= 5) & ~text.isin(VAT_PLACEHOLDERS) & ~text.str.match(r"^0+$")
        return text.where(usable)

    return _per_distinct(vats, keys)


def match_keys(frame, config=None):
    """The match keys of each record of ``frame`` (indexed by record id).

    ``frame`` columns: ``name``, ``country`` (a code or id), ``vat``, ``email``, ``phone`` and
    optionally ``mobile``; a missing column is read as empty. Returns a DataFrame with the same
    index and the columns ``name``, ``country`` ('' when unknown), ``vat``, ``email_domain``,
    ``phone`` and ``mobile``. The model may store these to key a probe without re-keying everyone.
    """
    config = config or DuplicateConfig()
    config.check()
    frame = frame.reindex(columns=list(FIELDS))
    keys = pd.DataFrame(
        {
            "name": normalise_names(frame["name"]),
            "country": _text(frame["country"]),
            "vat": normalise_vats(frame["vat"], config),
            "email_domain": email_domains(frame["email"], config),
        },
        index=frame.index,
    )
    for column in PHONE_COLUMNS:
        keys[column] = normalise_phones(frame[column], config)
    return keys


def _reason_codes(keys, reason):
    """``(positions, codes)``: an integer code of each ``reason`` key, with the record it belongs to.

    Records without the key are left out; a record whose mobile repeats its phone has it once.
    """
    count = len(keys)
    if reason == "name_country":
        names, _names = pd.factorize(keys["name"])
        countries, found = pd.factorize(_text(keys["country"]))
        codes = np.where(names >= 0, names * max(len(found), 1) + countries, -1)
        positions = np.arange(count)
    elif reason == "phone":
        mobile = keys["mobile"].where(keys["mobile"] != keys["phone"], None)
        codes, _phones = pd.factorize(np.concatenate([keys["phone"].to_numpy(), mobile.to_numpy()]))
        positions = np.concatenate([np.arange(count), np.arange(count)])
    else:
        codes, _values = pd.factorize(keys[reason])
        positions = np.arange(count)
    known = codes >= 0
    return positions[known], codes[known]


def _probe_keys(probe, config):
    record = pd.DataFrame([{field: probe.get(field) for field in FIELDS}])
    return match_keys(record, config).iloc[0]


def find_matches(candidates, probe, config=None, keys=None):
    """The candidates that may be the same company as ``probe``, with why.

    ``candidates``: a DataFrame indexed by record id (see ``match_keys``), or None with ``keys``
    (``match_keys`` of the candidates, computed earlier). ``probe``: a dict of the new record's
    fields (``id`` too when it is already saved: it never matches itself). Returns a DataFrame
    indexed by candidate id with ``reasons`` (a tuple in ``REASONS`` order), most reasons first,
    then by id.
    """
    config = config or DuplicateConfig()
    if keys is None:
        keys = match_keys(candidates, config)
    probe_keys = _probe_keys(probe, config)
    reasons = {}
    for reason in config.reasons:
        if reason == "name_country":
            if probe_keys["name"] is None:
                continue
            hit = keys["name"] == probe_keys["name"]
            if probe_keys["country"]:
                hit &= _text(keys["country"]) == probe_keys["country"]
        elif reason == "phone":
            wanted = {probe_keys[column] for column in PHONE_COLUMNS} - {None}
            hit = keys["phone"].isin(wanted) | keys["mobile"].isin(wanted)
        else:
            if probe_keys[reason] is None:
                continue
            hit = keys[reason] == probe_keys[reason]
        if "id" in probe and probe["id"] is not None:
            hit &= keys.index != probe["id"]
        if 0 < hit.sum() <= config.max_key_records:
            reasons[reason] = hit
    if not reasons:
        return pd.DataFrame({"reasons": pd.Series(dtype="object")}, index=keys.index[:0])
    hits = pd.DataFrame(reasons)
    hits = hits[hits.any(axis=1)]
    result = pd.DataFrame(
        {
            "reasons": [tuple(reason for reason in REASONS if row.get(reason)) for row in hits.to_dict("records")],
            "count": hits.sum(axis=1).to_numpy(),
            "id": hits.index,
        },
        index=hits.index,
    )
    result = result.sort_values(["count", "id"], ascending=[False, True], kind="stable")
    return result[["reasons"]]


def _shared_keys(keys, reason, limit):
    """``(positions, codes)`` of the ``reason`` keys that 2 to ``limit`` records share."""
    positions, codes = _reason_codes(keys, reason)
    if not len(codes):
        return positions, codes
    sharing = np.bincount(codes)[codes]
    shared = (sharing >= 2) & (sharing <= limit)
    return positions[shared], codes[shared]


def _components(count, links):
    """The connected component of each of ``count`` records (its smallest position).

    ``links``: ``[(positions, codes)]``; records with the same code in one of them are linked.
    Minimum-label propagation with pointer jumping: a handful of rounds even for long chains.
    """
    labels = np.arange(count)
    while True:
        before = labels.copy()
        for positions, codes in links:
            if not len(codes):
                continue
            smallest = np.full(codes.max() + 1, count)
            np.minimum.at(smallest, codes, labels[positions])
            np.minimum.at(labels, positions, smallest[codes])
        labels = labels[labels]
        if np.array_equal(labels, before):
            return labels


def duplicate_groups(frame=None, config=None, keys=None):
    """Every group of possible duplicates among the records of ``frame``, set-based.

    ``frame``: indexed by record id (see ``match_keys``), or None with ``keys``. Records sharing a
    key are in one group, and so are records linked through others (A and B share a VAT, B and C
    a phone: one group of three). Returns a DataFrame indexed by the id of each record in a group,
    with ``group`` (the id of the group's first record), ``size`` and ``reasons`` (a tuple: the
    keys this record shares with another), ordered by group then as in ``frame``.
    """
    config = config or DuplicateConfig()
    if keys is None:
        keys = match_keys(frame, config)
    config.check()
    count = len(keys)
    shared = {reason: _shared_keys(keys, reason, config.max_key_records) for reason in config.reasons}
    labels = _components(count, list(shared.values()))
    # One bit per reason; each combination of bits reads as its tuple of reasons.
    bits = np.zeros(count, dtype=np.int64)
    for reason, (positions, _codes) in shared.items():
        bits[positions] |= 1 << REASONS.index(reason)
    combinations = np.empty(1 << len(REASONS), dtype=object)
    combinations[:] = [
        tuple(reason for index, reason in enumerate(REASONS) if mask >> index & 1) for mask in range(len(combinations))
    ]
    positions = np.flatnonzero(bits)
    group_positions = labels[positions]
    order = np.argsort(group_positions, kind="stable")
    positions, group_positions = positions[order], group_positions[order]
    sizes = np.bincount(group_positions, minlength=count)[group_positions] if len(positions) else group_positions
    return pd.DataFrame(
        {"group": keys.index[group_positions], "size": sizes, "reasons": combinations[bits[positions]]},
        index=keys.index[positions],
    )
