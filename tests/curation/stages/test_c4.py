import pyarrow as pa
import pytest

from curation.config import parse_pipeline
from curation.executors.local import LocalExecutor
from curation.registry import get_stage_class
from curation.shards import read_json, read_table, write_table
from curation.stage import StageContext
from curation.stages.c4 import C4, C4Config

GOOD = [
    "The river runs past the old mill and into the valley below.",
    "Farmers bring their grain to be ground before the winter comes. They pay in coin.",
    "Children play near the water while their parents work in the fields.",
]


def page(*extra: str) -> str:
    return "\n".join([*GOOD, *extra])


def decide(texts: list[str | None], **params) -> tuple[pa.Table, pa.Table, dict]:
    oc = C4(C4Config(**params)).process(
        pa.table({"id": [str(i) for i in range(len(texts))], "text": pa.array(texts, pa.string())}))
    return oc.kept, oc.rejected, oc.notes


def cleaned(text: str, **params) -> str:
    kept, _, _ = decide([text], **params)
    assert kept.num_rows == 1
    return kept.column("text")[0].as_py()


@pytest.mark.parametrize("line, note", [
    ("Home", "lines_without_terminal_punctuation"),
    ("Read the rest of this story...", "lines_without_terminal_punctuation"),
    ("Sign up today.", "lines_with_too_few_words"),
    ("Please enable JavaScript to see the comments below.", "lines_mentioning_javascript"),
    ("By using this site you agree to our Terms of Use and cookies.", "lines_with_policy_notice"),
    ("This line has a " + "x" * 1001 + " word in it.", "lines_with_too_long_word"),
])
def test_each_line_rule_removes_its_line_and_counts_it(line, note):
    kept, _, notes = decide([page(line)])
    assert kept.column("text").to_pylist() == ["\n".join(GOOD)]
    assert notes == {note: 1}
    assert kept.column("c4_lines_removed").to_pylist() == [1]


def test_citations_are_cut_and_the_line_kept():
    assert cleaned(page("The mill was built in the year 1820 by two brothers. [1][citation needed]")).endswith(
        "built in the year 1820 by two brothers.")


def test_line_rules_can_be_switched_off():
    text = page("Home", "Sign up today.")
    assert cleaned(text, require_terminal_punctuation=False, min_words_per_line=None) == text


@pytest.mark.parametrize("extra, reason", [
    ("Lorem ipsum dolor sit amet, consectetur adipiscing elit.", "c4_lorem_ipsum"),
    ("Call the function like this: run({verbose: true}) and wait.", "c4_curly_bracket"),
])
def test_document_rules_drop_the_whole_page(extra, reason):
    _, rejected, _ = decide([page(extra)])
    assert rejected.column("drop_reason").to_pylist() == [reason]
    assert rejected.column("text").to_pylist() == [page(extra)]  # rejected records keep the original text


def test_a_bracket_on_a_line_the_line_rules_remove_does_not_drop_the_page():
    kept, _, _ = decide([page("function f() {", "Enable javascript: {} is required for this site to work.")])
    assert kept.num_rows == 1


def test_too_few_sentences_after_cleaning():
    _, rejected, _ = decide(["Home\nNews\nThe river runs past the old mill and into the valley.\nContact"])
    assert rejected.column("drop_reason").to_pylist() == ["c4_too_few_sentences"]
    assert rejected.column("drop_signal").to_pylist() == [1.0]


def test_bad_words_rule_is_optional_and_uses_whole_words():
    text = page("The site was full of porn and other things nobody wanted.")
    assert decide([text])[0].num_rows == 1  # off by default
    _, rejected, _ = decide([text], bad_words=True)
    assert rejected.column("drop_reason").to_pylist() == ["c4_bad_words"]
    assert decide([page("Scunthorpe United won the match against the visitors.")], bad_words=True)[0].num_rows == 1


def test_empty_symbols_cjk_and_rtl_text_are_dropped_with_reasons_never_a_crash():
    texts = ["", None, "!!!\n###", "我们今天去公园散步。天气很好。孩子们在玩耍。", "اللغة العربية تكتب من اليمين إلى اليسار."]
    _, rejected, _ = decide(texts)
    assert rejected.column("drop_reason").to_pylist() == ["empty_text", "empty_text", "c4_too_few_sentences",
                                                          "c4_too_few_sentences", "c4_too_few_sentences"]


def test_a_50_mb_single_line_is_handled():
    kept, rejected, notes = decide(["word " * 10_000_000 + "end."])
    assert rejected.column("drop_reason").to_pylist() == ["c4_too_few_sentences"]
    assert rejected.column("c4_lines_kept").to_pylist() == [1]


def test_kept_shard_has_clean_text_and_the_funnel_counts_changed_bytes(tmp_path):
    docs = pa.table({"id": ["a", "b"], "text": [page("Menu", "Log in"), "Home"], "score": [5, 6]})
    write_table(tmp_path / "01-docs" / "part-00000.arrow", docs)
    spec = parse_pipeline({"name": "t", "stages": [{"stage": "c4"}]}).stages[0]
    ctx = StageContext(tmp_path, tmp_path / "02-c4", tmp_path / "01-docs", "02-c4")
    stage = get_stage_class(spec.type)(spec.config, ctx)
    LocalExecutor(1).run(stage, "main", stage.task_keys("main"), lambda summary: None)
    kept = read_table(tmp_path / "02-c4" / "part-00000.arrow")
    stats = read_json(tmp_path / "02-c4" / "stats" / "part-00000.json")
    assert kept.column("text").to_pylist() == ["\n".join(GOOD)]
    assert kept.column("score").to_pylist() == [5]
    assert stats["changed_bytes"] == len("\nMenu\nLog in")
    assert stats["notes"] == {"lines_without_terminal_punctuation": 3}
    assert stats["drops"]["c4_too_few_sentences"]["records"] == 1
