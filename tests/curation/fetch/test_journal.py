from pathlib import Path

from curation.fetch.journal import Journal


def test_entries_and_warc_ends_are_read_back(tmp_path: Path):
    j = Journal(tmp_path / "j.jsonl")
    j.append({"row": 0, "fetch_error": None, "warc_file": "w/a.warc.gz", "warc_end": 100})
    j.append({"warc_file": "w/a.warc.gz", "warc_end": 250})  # a redirect hop: no row
    j.append({"row": 1, "fetch_error": "dns"})
    j.close()
    state = Journal(tmp_path / "j.jsonl").load()
    assert sorted(state.rows) == [0, 1] and state.rows[1]["fetch_error"] == "dns"
    assert state.warc_ends == {"w/a.warc.gz": 250}


def test_a_line_cut_by_a_kill_is_dropped_and_appending_continues(tmp_path: Path):
    path = tmp_path / "j.jsonl"
    path.write_text('{"row": 0, "fetch_error": null}\n{"row": 1, "fetch_err')
    j = Journal(path)
    assert list(j.load().rows) == [0]
    j.append({"row": 1, "fetch_error": None})
    j.close()
    assert sorted(Journal(path).load().rows) == [0, 1]


def test_state_holds_appended_entries_as_a_reload_reads_them(tmp_path: Path):
    from curation.fetch.archive import RecordRef

    j = Journal(tmp_path / "j.jsonl")
    j.load()
    j.append({"row": 0, "fetch_error": None, "detail": "café"}, RecordRef("w/a.warc.gz", 10, "<urn:uuid:x>", 90))
    j.append({}, RecordRef("w/a.warc.gz", 90, "", 120), offset=False)  # a robots.txt record
    j.close()
    reloaded = Journal(tmp_path / "j.jsonl").load()
    assert j.state == reloaded
    assert reloaded.rows[0]["warc_offset"] == 10 and reloaded.warc_ends == {"w/a.warc.gz": 120}
