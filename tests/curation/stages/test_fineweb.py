import pyarrow as pa
import pytest

from curation.stages.fineweb import FineWeb, FineWebConfig

LINES = [
    "The river runs past the old mill and into the valley below.",
    "Farmers bring their grain to be ground before the winter comes.",
    "Children play near the water while their parents work in the fields.",
    "In spring the meadow fills with flowers of every colour and scent.",
]


def decide(texts: list[str | None], **params) -> tuple[pa.Table, pa.Table, dict]:
    oc = FineWeb(FineWebConfig(**params)).process(
        pa.table({"id": [str(i) for i in range(len(texts))], "text": pa.array(texts, pa.string())}))
    return oc.kept, oc.rejected, oc.notes


def reason_of(text: str, **params) -> tuple[str | None, float | None]:
    kept, rejected, _ = decide([text], **params)
    if kept.num_rows:
        return None, None
    return rejected.column("drop_reason")[0].as_py(), rejected.column("drop_signal")[0].as_py()


def test_prose_is_kept_and_closing_quotes_after_the_full_stop_count_as_punctuated():
    text = "\n".join([*LINES, 'The miller said that the wheel would turn again "by morning."'])
    kept, _, _ = decide([text])
    assert kept.column("fineweb_punctuated_line_fraction").to_pylist() == [1.0]


@pytest.mark.parametrize("text, reason, signal", [
    ("\n".join(["Home and garden supplies for every season", "Tools and machinery for the farm today",
                "Seeds and bulbs from the best growers here", "Contact the shop for opening hours now",
                "Delivery across the whole country is free", "Gift cards for friends and family members",
                "Outdoor furniture sale on selected items", "Garden lighting for long summer evenings",
                "Every order ships within two days."]),
     "fineweb_too_few_punctuated_lines", 1 / 9),
    ("\n".join(["Home.", "News.", "Sport.", "Weather.", *LINES[:1]]), "fineweb_too_many_short_lines", 0.8),
    ("\n".join([*LINES, LINES[0]]), "fineweb_duplicate_line_chars", None),
    ("\n".join(["A very short line of text that keeps going on " + "and on " * 3 + "until it ends here.",
                *[f"{w}, {w} and {w}; {w} again, {w} once more and {w} after that." for w in "abcdefghij"]]),
     None, None),
])
def test_each_rule_drops_a_document_built_to_trip_it(text, reason, signal):
    got, value = reason_of(text)
    assert got == reason
    if signal is not None:
        assert value == pytest.approx(signal)


def test_list_like_text_has_more_than_three_newlines_per_ten_words():
    text = "\n".join(["Apples and pears are in season."] + [f"Item{i}." for i in range(12)])
    got, value = reason_of(text, max_short_line_fraction=None)
    assert (got, value) == ("fineweb_list_like", pytest.approx(12 / 18))


def test_null_switches_a_rule_off():
    assert reason_of("\n".join([*LINES, LINES[0]]), max_duplicate_line_char_fraction=None) == (None, None)


def test_bad_input_is_dropped_with_a_reason_or_scored_never_a_crash():
    chinese = ("我们今天去公园散步，天气很好，孩子们在河边玩耍，大人们在田里干活。\n"
               "今天的晚饭是妈妈做的，我们全家人都觉得非常好吃，大家都吃得很饱。")
    arabic = "\n".join(["تجري المياه في النهر نحو الوادي الأخضر حيث يزرع الفلاحون القمح."] * 1 +
                       ["يذهب الأطفال إلى المدرسة كل صباح مع أصدقائهم في القرية."])
    kept, rejected, notes = decide(["", None, " \n\t\n", "!!! ### ???", chinese, arabic, "x" * 50_000_000])
    reasons = dict(zip(rejected.column("id").to_pylist(), rejected.column("drop_reason").to_pylist(), strict=True))
    assert reasons == {"0": "empty_text", "1": "empty_text", "2": "empty_text",
                       "3": "fineweb_too_many_short_lines", "6": "fineweb_too_few_punctuated_lines"}
    assert kept.column("id").to_pylist() == ["4", "5"]
    assert kept.column("fineweb_newline_word_ratio")[0].as_py() is None  # no words in unsegmented text
    assert notes == {"unsegmented_script": 1, "analysed_prefix_only": 1}


def test_a_shard_where_every_record_is_dropped_still_gets_a_kept_shard_with_the_signal_columns(tmp_path):
    from curation.executors.local import LocalExecutor
    from curation.registry import get_stage_class
    from curation.shards import read_table, write_table
    from curation.stage import StageContext

    write_table(tmp_path / "01-docs" / "part-00000.arrow", pa.table({"id": ["a"], "text": ["Home\nNews"]}))
    ctx = StageContext(tmp_path, tmp_path / "02-fineweb", tmp_path / "01-docs", "02-fineweb")
    stage = get_stage_class("fineweb")(FineWebConfig(), ctx)
    LocalExecutor(1).run(stage, "main", stage.task_keys("main"), lambda summary: None)
    kept = read_table(tmp_path / "02-fineweb" / "part-00000.arrow")
    assert kept.num_rows == 0 and "fineweb_newline_word_ratio" in kept.column_names
