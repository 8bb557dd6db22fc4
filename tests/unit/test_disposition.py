from types import SimpleNamespace

import pytest

from ingestor.disposition import (
    AddKeyword,
    DispositionError,
    MarkSeen,
    Move,
    actions_for,
    check_dispositions,
    done_keywords,
    parse_disposition,
)


def mailbox(**overrides):
    """A stand-in with the MailboxConfig fields disposition reads."""
    fields = dict(
        name="noc",
        folder="INBOX",
        on_success="move:Processed",
        on_duplicate=None,
        on_ignored="move:Ignored",
        on_failed="move:Failed",
    )
    return SimpleNamespace(**(fields | overrides))


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("none", []),
        ("seen", [MarkSeen()]),
        ("move:Processed", [Move("Processed")]),
        ("move:Archive/Notices 2024", [Move("Archive/Notices 2024")]),
        ("keyword:$Ingested", [AddKeyword("$Ingested")]),
        ("keyword:$Ingested+seen", [AddKeyword("$Ingested"), MarkSeen()]),
        (
            "keyword:$Ingested + seen + move:Processed",
            [AddKeyword("$Ingested"), MarkSeen(), Move("Processed")],
        ),
    ],
)
def test_parse_valid_specs(spec, expected):
    assert parse_disposition(spec) == expected


@pytest.mark.parametrize(
    ("spec", "complaint"),
    [
        ("move:Processed+seen", "move must be the last"),
        ("move:A+move:B", "move must be the last"),
        ("none+seen", "'none' cannot be combined"),
        ("keyword:\\Flagged", "not a valid IMAP keyword"),
        ("keyword:a(b", "not a valid IMAP keyword"),
        ("keyword:", "not a valid IMAP keyword"),
        ("move: ", "unknown action"),
        ("delete", "unknown action"),
        ("", "unknown action"),
    ],
)
def test_parse_rejects_bad_specs(spec, complaint):
    with pytest.raises(DispositionError, match=complaint):
        parse_disposition(spec)


def test_actions_for_each_outcome():
    box = mailbox(on_success="keyword:$Ingested+move:Done", on_ignored="seen", on_failed="none")
    assert actions_for("ingested", box) == [AddKeyword("$Ingested"), Move("Done")]
    assert actions_for("ignored", box) == [MarkSeen()]
    assert actions_for("failed", box) == []


def test_duplicate_defaults_to_success():
    box = mailbox(on_success="move:Done", on_duplicate=None)
    assert actions_for("duplicate", box) == [Move("Done")]
    box = mailbox(on_success="move:Done", on_duplicate="move:Dupes")
    assert actions_for("duplicate", box) == [Move("Dupes")]


def test_actions_for_names_mailbox_and_key_on_error():
    with pytest.raises(DispositionError, match=r"mailbox noc: on_failed: .*move must be the last"):
        actions_for("failed", mailbox(on_failed="move:X+seen"))


def test_unknown_outcome():
    with pytest.raises(ValueError, match="unknown outcome 'skipped'"):
        actions_for("skipped", mailbox())


def test_check_rejects_move_into_the_folder_being_read():
    check_dispositions(mailbox())
    with pytest.raises(DispositionError, match="on_ignored: cannot move into the folder being read"):
        check_dispositions(mailbox(folder="Notices", on_ignored="move:Notices"))


def test_done_keywords_only_from_dispositions_that_leave_the_message():
    box = mailbox(
        on_success="keyword:$Ingested",
        on_duplicate="keyword:$Ingested+seen",
        on_ignored="keyword:$Moved+move:Ignored",
        on_failed="keyword:$Failed",
    )
    assert done_keywords(box) == ["$Ingested", "$Failed"]
    assert done_keywords(mailbox()) == []


def test_with_the_real_config_model():
    config = pytest.importorskip("ingestor.config")
    box = config.MailboxConfig(
        name="noc", host="localhost", port=993, username="noc", password="x", on_success="keyword:$Ing+seen"
    )
    assert actions_for("duplicate", box) == [AddKeyword("$Ing"), MarkSeen()]
    assert actions_for("failed", box) == [Move("Failed")]
