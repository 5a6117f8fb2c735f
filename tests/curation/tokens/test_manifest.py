import pytest

from curation.errors import UserError
from curation.shards import write_json
from curation.tokens.files import sha256_file
from curation.tokens.manifest import read_manifest


def _packed(tmp_path):
    (tmp_path / "tokenizer").mkdir()
    tok = tmp_path / "tokenizer" / "tokenizer.json"
    tok.write_text('{"version": "1.0"}')
    (tmp_path / "packed" / "train").mkdir(parents=True)
    (tmp_path / "packed" / "train" / "part-00000.arrow").write_bytes(b"")
    write_json(tmp_path / "packed" / "manifest.json", {
        "format_version": 1, "tokenizer": {"path": "../tokenizer/tokenizer.json", "sha256": sha256_file(tok)},
        "splits": {"train": {"shards": ["train/part-00000.arrow"]}}})
    return tmp_path / "packed", tok


def test_manifest_reads_when_everything_matches(tmp_path):
    packed, _ = _packed(tmp_path)
    assert read_manifest(packed)["format_version"] == 1


def test_a_retrained_tokenizer_is_refused_with_what_to_do(tmp_path):
    packed, tok = _packed(tmp_path)
    tok.write_text('{"version": "1.0", "changed": true}')
    with pytest.raises(UserError, match=r"changed after packing .*re-pack with `curate run --force pack`"):
        read_manifest(packed)
    assert read_manifest(packed, check_hash=False)


def test_missing_shard_or_tokenizer_is_named(tmp_path):
    packed, tok = _packed(tmp_path)
    (packed / "train" / "part-00000.arrow").unlink()
    with pytest.raises(UserError, match="train/part-00000.arrow, which is missing"):
        read_manifest(packed)
    tok.unlink()
    with pytest.raises(UserError, match="tokenizer .* is missing"):
        read_manifest(packed)
