import pyarrow as pa
import pytest

from curation.shards import read_json, read_table, write_table
from curation.stage import StageContext
from curation.stages.pii import PII, PIIConfig


def mask(text: str, **cfg) -> tuple[str, dict[str, int]]:
    return PII(PIIConfig(**cfg)).mask(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("Write to john.doe+news@example.co.uk today.", "Write to <EMAIL> today."),
    ("JANE@Mail.Example.org.", "<EMAIL>."),
    ("Ask møller@universität.de now", "Ask <EMAIL> now"),
    ("Resolver 8.8.8.8:53 answered.", "Resolver <IP_ADDRESS>:53 answered."),
    ("Host 2606:4700:4700::1111 is up.", "Host <IP_ADDRESS> is up."),
    ("Call (202) 555-0143 or 202-555-0143.", "Call <PHONE_NUMBER> or <PHONE_NUMBER>."),
    ("Dial 1-800-555-0199 or 202.555.0143!", "Dial <PHONE_NUMBER> or <PHONE_NUMBER>!"),
    ("London +44 20 7946 0958, Berlin +49 (0)30 1234567.", "London <PHONE_NUMBER>, Berlin <PHONE_NUMBER>."),
    ("Paris: +33 1 23 45 67 89", "Paris: <PHONE_NUMBER>"),
])
def test_pii_is_masked(text, expected):
    assert mask(text)[0] == expected


@pytest.mark.parametrize("text", [
    "Version 1.2.3.4 was released, then v2.0.0.1 and 1.2.3.",          # versions
    "On 2023.10.12 and 12.10.2023 and 2024-01-15 at 10:30:45.",        # dates and times
    "It cost $1,234,567 or €202 555 0143 in 1999-2004.",               # prices and ranges
    "ISBN 978-3-16-148410-0 and ISBN 0-306-40615-2.",                  # ISBNs
    "Order 5551234567 and 123-456-7890 (no NANP area code).",         # bare digits, invalid area code
    "999.1.1.1 and 01.02.03.04 and 1.2.3.4.5 are no addresses.",       # invalid IPv4
    "C++ uses std::vector, a::b and dead:beef; see icon@2x.png or @handle.",
    "Local 192.168.1.1, 10.0.0.1, 127.0.0.1, ::1 and 2001:db8::1 are not public.",
    "Score +5 10 or +1 555.",                                           # too few digits
])
def test_lookalikes_are_left_alone(text):
    assert mask(text) == (text, {"emails": 0, "ips": 0, "phones": 0})


def test_settings_switch_kinds_and_replacements():
    text = "a@example.com 192.168.1.1 8.8.8.8 (202) 555-0143"
    assert mask(text, only_public_ips=False, ip_replacement="[IP]", email_replacement="") == (
        " [IP] [IP] <PHONE_NUMBER>", {"emails": 1, "ips": 2, "phones": 1})
    assert mask(text, emails=False, ip_addresses=False, phone_numbers=False)[0] == text


def test_email_digits_are_not_read_as_phone_or_ip():
    assert mask("Reach 202-555-0143@example.com or 8.8.8.8@example.org.") == (
        "Reach <EMAIL> or <EMAIL>.", {"emails": 2, "ips": 0, "phones": 0})


def test_stage_counts_per_record_and_changes_bytes(tmp_path):
    texts = ["Mail a@example.com or b@example.com, server 8.8.8.8.", "Nothing here.", None, "",
             "Call +1 202 555 0143.", "x" * 2_000_000 + " c@example.com"]
    write_table(tmp_path / "in" / "part-00000.arrow", pa.table({"id": list("abcdef"), "text": texts,
                                                               "score": [1, 2, 3, 4, 5, 6]}))
    stage = PII(PIIConfig(), StageContext(tmp_path, tmp_path / "pii", tmp_path / "in", "03-pii"))
    stage.run_task("main", "part-00000")
    out = read_table(tmp_path / "pii" / "part-00000.arrow")
    rows = out.to_pylist()
    assert [r["text"] for r in rows[:5]] == ["Mail <EMAIL> or <EMAIL>, server <IP_ADDRESS>.", "Nothing here.", None,
                                             "", "Call <PHONE_NUMBER>."]
    assert rows[5]["text"].endswith(" <EMAIL>")
    assert [(r["pii_emails"], r["pii_ips"], r["pii_phones"]) for r in rows] == [
        (2, 1, 0), (0, 0, 0), (0, 0, 0), (0, 0, 0), (0, 0, 1), (1, 0, 0)]
    assert out.column("score").to_pylist() == [1, 2, 3, 4, 5, 6]  # unknown columns pass through
    stats = read_json(tmp_path / "pii" / "stats" / "part-00000.json")
    assert stats["notes"]["pii"] == {"emails": 3, "ips": 1, "phones": 1, "records_masked": 3}
    assert stats["in"]["records"] == stats["out"]["records"] == 6
    assert stats["changed_bytes"] == stats["in"]["bytes"] - stats["out"]["bytes"] > 0


def test_invalid_utf8_is_repaired_and_counted(tmp_path):
    broken = pa.array([b"mail \xed\xa0\x80 a@example.com"], pa.binary()).cast(pa.string(), safe=False)
    oc = PII(PIIConfig(), StageContext(tmp_path, tmp_path, None, "03-pii")).process(pa.table({"text": broken}))
    assert oc.kept.column("text").to_pylist()[0].endswith(" <EMAIL>")
    assert oc.notes["invalid_utf8_repaired"] == 1
