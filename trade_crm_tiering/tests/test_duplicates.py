import numpy as np
import pandas as pd
import pytest

from trade_crm_tiering.duplicates import (
    REASONS,
    DuplicateConfig,
    DuplicateConfigError,
    duplicate_groups,
    email_domains,
    find_matches,
    is_free_mail,
    match_keys,
    national_numbers,
    normalise_names,
    normalise_phones,
    normalise_vats,
)


def full_width(text):
    """``text`` in full-width forms, as typed with a Chinese or Japanese input method."""
    return "".join(
        "\u3000" if char == " " else chr(ord(char) + 0xFEE0) if "!" <= char <= "~" else char for char in text
    )


def key(function, value, *args):
    return function(pd.Series([value]), *args).iloc[0]


def records(**rows):
    """A frame of records by id: ``records(r1={"name": ...}, ...)``; missing fields are empty."""
    return pd.DataFrame.from_dict(rows, orient="index")


# names ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["ACME Trading Co., Ltd.", "Acme Trading Company Limited", "acme  trading", "AcmeTrading"], "acmetrading"),
        ([full_width("ACME Trading Co., Ltd."), "Acme Trading"], "acmetrading"),
        (["Müller GmbH & Co. KG", "MULLER GMBH", "Müller"], "muller"),
        (["Ferrari S.p.A.", "FERRARI SPA", "Ferrari S.P.A"], "ferrari"),
        (["Zara S.A.", "Zara SA", "Zara, S.L."], "zara"),
        (["Philips N.V.", "Philips B.V.", "Philips NV"], "philips"),
        (["Maersk A/S", "Maersk AS"], "maersk"),
        (["Renault SARL", "Renault S.A.R.L.", "Renault SAS"], "renault"),
        (["Acme Inc.", "Acme Corp", "ACME Corporation", "Acme LLC", "Acme PLC", "The Acme Company"], "acme"),
        (["Tata Pvt. Ltd.", "Tata Private Limited", "Tata Pty Ltd"], "tata"),
        (["Kowalski Sp. z o.o.", "Kowalski sp z oo"], "kowalski"),
        (["Bimbo S.A.B. de C.V.", "Bimbo SA de CV"], "bimbo"),
        (["Maju Jaya Sdn. Bhd.", "PT Maju Jaya Tbk", "Maju Jaya"], "majujaya"),
        (["ООО «Ромашка»", "Ромашка"], "ромашка"),  # noqa: RUF001 (Cyrillic)
        (["Société Générale S.A.", "Societe Generale"], "societegenerale"),
    ],
)
def test_latin_names_and_legal_forms(names, expected):
    assert set(normalise_names(names)) == {expected}


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (
            ["上海华信贸易有限公司", "上海华信贸易", "上海华信贸易有限责任公司", "上海华信贸易股份有限公司"],
            "上海华信贸易",
        ),
        (["华信集团有限公司", "华信集团", "华信集團", "华信公司"], "华信"),
        ([full_width("(") + "上海" + full_width(")") + "华信贸易有限公司", "(上海) 华信贸易"], "上海华信贸易"),
        (["株式会社トヨタ", "トヨタ株式会社", "㈱トヨタ", "トヨタ(株)"], "トヨタ"),
        (["삼성전자 주식회사", "삼성전자"], "삼성전자"),
    ],
)
def test_chinese_japanese_korean_names(names, expected):
    assert set(normalise_names(names)) == {expected}


def test_legal_forms_are_removed_only_as_whole_words_at_the_ends():
    result = normalise_names(["Kinco Solutions", "Coca-Cola Company", "Ltd Brothers Trading", "Spa Resort Ltd"])
    assert list(result) == ["kincosolutions", "cocacola", "ltdbrotherstrading", "sparesort"]


def test_a_name_made_only_of_legal_forms_keeps_its_first_word():
    assert list(normalise_names(["Company Limited", "Co., Ltd."])) == ["company", "co"]


def test_names_without_anything_identifying_have_no_key():
    result = normalise_names(["A", "", "  ", "---", None, np.nan, False, "Ltd"])
    assert list(result[:-1]) == [None] * 7
    assert result.iloc[-1] == "ltd"


def test_name_keys_keep_the_index():
    result = normalise_names(pd.Series(["Acme Ltd", "Acme Ltd", None], index=[7, 3, 9]))
    assert result.to_dict() == {7: "acme", 3: "acme", 9: None}


# email domains ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "domain"),
    [
        ("sales@Acme.COM", "acme.com"),
        ("Bob Smith <bob@acme-trading.de>", "acme-trading.de"),
        ("a@acme.co.uk; b@other.com", "acme.co.uk"),
        (full_width("sales@acme.com"), "acme.com"),
        ("sales@mail.acme.com", "mail.acme.com"),
        ("sales@acme.com.", "acme.com"),
        ("no address", None),
        ("bob@localhost", None),
        ("", None),
        (None, None),
        (False, None),
    ],
)
def test_email_domain(email, domain):
    assert key(email_domains, email) == domain


@pytest.mark.parametrize(
    "email",
    [
        "x@gmail.com",
        "x@GoogleMail.com",
        "x@yahoo.co.uk",
        "x@hotmail.fr",
        "x@outlook.com",
        "x@qq.com",
        "x@vip.qq.com",
        "x@163.com",
        "x@vip.163.com",
        "x@126.com",
        "x@sina.com",
        "x@aol.com",
        "x@icloud.com",
        "x@mail.ru",
        "x@yandex.ru",
        "x@gmx.de",
        "x@gmx.at",
        "x@web.de",
        "x@naver.com",
    ],
)
def test_free_mail_domains_are_no_key(email):
    assert key(email_domains, email) is None


def test_company_domains_that_look_like_free_mail_are_kept():
    result = email_domains(["a@gmailer.com", "a@mail.acme.com", "a@outlook-trading.com", "a@acme163.com"])
    assert list(result) == ["gmailer.com", "mail.acme.com", "outlook-trading.com", "acme163.com"]


def test_company_adds_its_own_free_mail_domains():
    config = DuplicateConfig(extra_free_domains=("Bigpond.NET.au", "isp.example"))
    result = email_domains(["a@bigpond.net.au", "a@isp.example", "a@acme.com"], config)
    assert list(result) == [None, None, "acme.com"]


def test_is_free_mail():
    assert list(is_free_mail(["gmail.com", "acme.com", None])) == [True, False, False]


# phones -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "phone",
    ["+49 (0)30 1234567", "0049 30 1234567", "030 1234567", "+49-30-123 45 67", "+49 30 1234567 ext. 12"],
)
def test_german_number_in_every_writing(phone):
    assert key(national_numbers, phone) == "301234567"


@pytest.mark.parametrize(
    ("phones", "expected"),
    [
        (["+86 138 1234 5678", "13812345678", "86 13812345678", full_width("138-1234-5678")], "812345678"),
        (["+1 (555) 123-4567", "555.123.4567", "001 555 123 4567", "+1 555 123 4567 x89"], "551234567"),
        (["+852 2345 6789", "2345 6789"], "23456789"),  # shorter than 9 digits: the whole number
        (["+39 06 1234 5678", "06 1234 5678"], "612345678"),
        (["+971 4 123 4567", "04 123 4567"], "41234567"),  # three-digit calling code
        (["+7 495 123 45 67", "8 495 123 45 67"], "951234567"),
    ],
)
def test_phone_keys_match_across_writings(phones, expected):
    assert set(normalise_phones(phones)) == {expected}


def test_phone_key_length_is_configurable():
    assert key(normalise_phones, "+86 138 1234 5678", DuplicateConfig(phone_digits=11)) == "13812345678"
    assert key(normalise_phones, "+86 138 1234 5678", DuplicateConfig(phone_digits=6, phone_min_digits=6)) == "345678"


@pytest.mark.parametrize("phone", ["12345", "+49 30 12", "0000000000", "1111111", "n/a", "", None, False])
def test_short_or_placeholder_numbers_have_no_key(phone):
    assert key(normalise_phones, phone) is None


# VAT --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("vats", "expected"),
    [
        (["DE123456789", "DE 123.456.789", "de-123-456-789", "123456789", full_width("DE123456789")], "123456789"),
        (["ESB12345678", "B-1234567-8"], "B12345678"),
        (["91310000MA1FL1234X", "91310000 MA1FL1234X"], "91310000MA1FL1234X"),  # Chinese credit code
        (["GB 123 4567 89", "GB123456789"], "123456789"),
    ],
)
def test_vat_keys(vats, expected):
    assert set(normalise_vats(vats)) == {expected}


def test_vat_country_prefix_may_be_kept():
    config = DuplicateConfig(vat_strip_country=False)
    assert list(normalise_vats(["DE123456789", "123456789"], config)) == ["DE123456789", "123456789"]


@pytest.mark.parametrize("vat", ["/", "N/A", "none", "0000000", "DE 000 000 000", "1234", "", None, False])
def test_placeholder_vats_have_no_key(vat):
    assert key(normalise_vats, vat) is None


# config -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "code"),
    [
        (DuplicateConfig(reasons=()), "no_reason"),
        (DuplicateConfig(reasons=("vat", "fax")), "reason"),
        (DuplicateConfig(phone_digits=5), "phone_digits"),
        (DuplicateConfig(phone_digits=16), "phone_digits"),
        (DuplicateConfig(phone_min_digits=3), "phone_min_digits"),
        (DuplicateConfig(phone_digits=8, phone_min_digits=9), "phone_min_digits"),
        (DuplicateConfig(extra_free_domains=("not a domain",)), "domain"),
        (DuplicateConfig(extra_free_domains=("@isp.com",)), "domain"),
        (DuplicateConfig(max_key_records=1), "max_key_records"),
    ],
)
def test_bad_config(config, code):
    with pytest.raises(DuplicateConfigError) as caught:
        config.check()
    assert caught.value.code == code


# keys of a frame --------------------------------------------------------------------------------


def test_match_keys_of_a_frame_with_missing_columns():
    frame = records(r1={"name": "Acme Ltd", "email": "a@acme.com"}, r2={"name": "Foo GmbH", "country": "DE"})
    keys = match_keys(frame)
    assert list(keys.columns) == ["name", "country", "vat", "email_domain", "phone", "mobile"]
    assert keys.loc["r1"].to_dict() == {
        "name": "acme",
        "country": "",
        "vat": None,
        "email_domain": "acme.com",
        "phone": None,
        "mobile": None,
    }
    assert keys.loc["r2", "country"] == "DE"


def test_match_keys_of_an_empty_frame():
    keys = match_keys(pd.DataFrame(columns=["name", "country", "vat", "email", "phone"]))
    assert keys.empty
    assert list(keys.columns) == ["name", "country", "vat", "email_domain", "phone", "mobile"]


# one new record against the candidates ----------------------------------------------------------

CANDIDATES = records(
    **{
        "1": {"name": "Acme Trading Co., Ltd.", "country": "CN", "vat": "91310000MA1FL1234X", "email": "a@acme.cn"},
        "2": {"name": "ACME TRADING", "country": "DE", "email": "b@gmail.com", "phone": "+49 30 1234567"},
        "3": {"name": "Other GmbH", "country": "DE", "email": "x@acme.cn", "mobile": "030 1234567"},
        "4": {"name": "Acme Trading Limited", "country": "CN", "email": "c@qq.com"},
        "5": {"name": "Unrelated", "country": "US", "vat": "/", "email": "d@gmail.com", "phone": "0000000"},
    }
)


def test_probe_matches_with_every_reason_most_reasons_first():
    probe = {"name": "Acme Trading", "country": "CN", "vat": "91310000-MA1FL1234X", "email": "new@acme.cn"}
    result = find_matches(CANDIDATES, {**probe, "phone": "+86 21 5555 1234"})
    assert result["reasons"].to_dict() == {
        "1": ("vat", "name_country", "email_domain"),
        "3": ("email_domain",),
        "4": ("name_country",),
    }
    assert list(result.index) == ["1", "3", "4"]
    with_phone = find_matches(CANDIDATES, {**probe, "phone": "030 1234567"})
    assert with_phone["reasons"].to_dict() == {
        "1": ("vat", "name_country", "email_domain"),
        "3": ("email_domain", "phone"),
        "2": ("phone",),
        "4": ("name_country",),
    }
    assert list(with_phone.index) == ["1", "3", "2", "4"]


def test_probe_phone_matches_phone_or_mobile():
    result = find_matches(CANDIDATES, {"name": "Zzz", "phone": "0049 (0)30 123 45 67"})
    assert result["reasons"].to_dict() == {"2": ("phone",), "3": ("phone",)}


def test_probe_without_a_country_matches_the_name_in_any_country():
    result = find_matches(CANDIDATES, {"name": "acme trading gmbh"})
    assert list(result.index) == ["1", "2", "4"]
    assert set(result["reasons"]) == {("name_country",)}
    in_germany = find_matches(CANDIDATES, {"name": "acme trading gmbh", "country": "DE"})
    assert list(in_germany.index) == ["2"]


def test_probe_never_matches_itself():
    probe = {**CANDIDATES.loc["1"].to_dict(), "id": "1"}
    result = find_matches(CANDIDATES, probe)
    assert "1" not in result.index
    assert list(result.index) == ["3", "4"]


def test_probe_with_nothing_identifying_matches_nothing():
    result = find_matches(CANDIDATES, {"name": "X", "email": "someone@gmail.com", "vat": "/", "phone": "123"})
    assert result.empty
    assert list(result.columns) == ["reasons"]


def test_probe_against_no_candidates():
    result = find_matches(CANDIDATES.iloc[:0], {"name": "Acme Trading"})
    assert result.empty


def test_probe_only_checks_the_reasons_switched_on():
    probe = {"name": "Acme Trading", "country": "CN", "email": "new@acme.cn"}
    result = find_matches(CANDIDATES, probe, DuplicateConfig(reasons=("email_domain",)))
    assert result["reasons"].to_dict() == {"1": ("email_domain",), "3": ("email_domain",)}


def test_probe_against_stored_keys():
    keys = match_keys(CANDIDATES)
    stored = keys.astype(object).where(keys.notna(), np.nan)  # as read back from a database
    result = find_matches(None, {"name": "Acme Trading Ltd", "country": "CN"}, keys=stored)
    assert list(result.index) == ["1", "4"]


def test_a_key_shared_by_too_many_records_identifies_nobody():
    crowd = records(**{str(i): {"name": f"Firm {i}", "email": f"x{i}@bigcorp.com"} for i in range(25)})
    assert find_matches(crowd, {"email": "y@bigcorp.com"}).empty
    few = find_matches(crowd, {"email": "y@bigcorp.com"}, DuplicateConfig(max_key_records=30))
    assert len(few) == 25


# duplicate groups -------------------------------------------------------------------------------


def test_groups_join_records_through_different_keys():
    frame = records(
        a={"name": "Acme Ltd", "country": "CN", "vat": "CN123456789"},
        b={"name": "Acme Trading", "country": "CN", "vat": "123456789", "phone": "+86 138 1234 5678"},
        c={"name": "Zeta", "country": "US", "mobile": "13812345678"},
        d={"name": "Lone", "country": "US"},
        e={"name": "Pair GmbH", "country": "DE", "email": "a@pair.de"},
        f={"name": "Paar", "country": "AT", "email": "b@pair.de"},
    )
    result = duplicate_groups(frame)
    assert list(result.index) == ["a", "b", "c", "e", "f"]
    assert result["group"].to_dict() == {"a": "a", "b": "a", "c": "a", "e": "e", "f": "e"}
    assert result["size"].to_dict() == {"a": 3, "b": 3, "c": 3, "e": 2, "f": 2}
    assert result["reasons"].to_dict() == {
        "a": ("vat",),
        "b": ("vat", "phone"),
        "c": ("phone",),
        "e": ("email_domain",),
        "f": ("email_domain",),
    }


def test_group_is_named_after_its_first_record_even_when_linked_late():
    # c links to a only through b, which comes last: one group named after a
    frame = records(
        a={"name": "Alpha", "vat": "DE111111111"},
        c={"name": "Gamma", "email": "x@gamma.com"},
        b={"name": "Beta", "vat": "111111111", "email": "y@gamma.com"},
    )
    result = duplicate_groups(frame)
    assert result["group"].to_dict() == {"a": "a", "c": "a", "b": "a"}


def test_long_chains_end_in_one_group():
    # r0 -phone- r1 -vat- r2 -phone- r3 ... : each pair linked by a different key
    rows = {}
    for i in range(40):
        rows[f"r{i:02d}"] = {
            "name": f"Firm {i}",
            "phone": f"+44 20 7946 {(i // 2) * 2:04d}",
            "vat": f"GB{((i + 1) // 2) * 2 + 100000:09d}",
        }
    result = duplicate_groups(records(**rows))
    assert len(result) == 40
    assert set(result["group"]) == {"r00"}


def test_same_name_in_different_countries_is_not_a_group():
    frame = records(a={"name": "Acme Ltd", "country": "DE"}, b={"name": "ACME GmbH", "country": "AT"})
    assert duplicate_groups(frame).empty
    frame.loc["b", "country"] = "DE"
    assert list(duplicate_groups(frame).index) == ["a", "b"]


def test_records_without_a_country_group_on_the_name():
    frame = records(a={"name": "Acme Ltd"}, b={"name": "ACME Inc."}, c={"name": "Acme", "country": "DE"})
    assert list(duplicate_groups(frame).index) == ["a", "b"]


def test_a_record_whose_mobile_repeats_its_phone_is_not_its_own_duplicate():
    frame = records(a={"name": "A1", "phone": "+49 30 1234567", "mobile": "030 1234567"}, b={"name": "B2"})
    assert duplicate_groups(frame).empty


def test_crowded_keys_are_ignored_in_groups():
    rows = {f"r{i}": {"name": f"Firm {i}", "phone": "+1 800 555 0100"} for i in range(21)}
    assert duplicate_groups(records(**rows)).empty
    assert len(duplicate_groups(records(**rows), DuplicateConfig(max_key_records=21))) == 21


def test_groups_from_stored_keys_and_of_nothing():
    frame = records(a={"name": "Acme Ltd", "country": "DE"}, b={"name": "Acme GmbH", "country": "DE"})
    keys = match_keys(frame).astype(object)
    keys.loc[:, "country"] = [None, None]  # a database NULL reads like an empty country
    assert list(duplicate_groups(keys=keys).index) == ["a", "b"]
    empty = duplicate_groups(frame.iloc[:0])
    assert empty.empty
    assert list(empty.columns) == ["group", "size", "reasons"]
    assert duplicate_groups(records(a={"name": "Solo"})).empty


def test_every_reason_can_make_a_group():
    for reason, (first, second) in {
        "vat": ({"vat": "FR12345678901"}, {"vat": "12345678901"}),
        "name_country": ({"name": "Acme SARL", "country": "FR"}, {"name": "ACME", "country": "FR"}),
        "email_domain": ({"email": "a@acme.fr"}, {"email": "b@ACME.fr"}),
        "phone": ({"phone": "+33 1 23 45 67 89"}, {"mobile": "01 23 45 67 89"}),
    }.items():
        frame = records(x={"name": "One", **first}, y={"name": "Two", **second})
        result = duplicate_groups(frame, DuplicateConfig(reasons=(reason,)))
        assert result["reasons"].tolist() == [(reason,), (reason,)], reason
    assert set(REASONS) == {"vat", "name_country", "email_domain", "phone"}


def test_groups_over_many_records_with_integer_ids():
    count = 5000
    ids = np.arange(count) * 3 + 1
    frame = pd.DataFrame(
        {
            "name": [f"Company {i // 2}" for i in range(count)],  # pairs of names
            "country": "DE",
            "vat": None,
            "email": [f"x{i}@gmail.com" for i in range(count)],
            "phone": None,
        },
        index=ids,
    )
    result = duplicate_groups(frame)
    assert len(result) == count
    assert (result["size"] == 2).all()
    assert result["group"].nunique() == count // 2
    assert result.loc[4, "group"] == 1
