import pytest
from pydantic import ValidationError

from ingestor.config import DISPOSITION_KEYS, GraphMailboxConfig, MailboxConfig
from ingestor.disposition import (
    AddKeyword,
    DispositionError,
    MarkSeen,
    Move,
    done_keywords,
    format_disposition,
    parse_disposition,
)
from ingestor.outcome import FINAL_OUTCOMES, Outcome


def mailbox(**overrides) -> MailboxConfig:
    """An IMAP mailbox config with the default dispositions unless overridden."""
    fields = dict(name="noc", host="localhost", port=993, username="noc", password="x")
    return MailboxConfig(**(fields | overrides))


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("none", ()),
        ("seen", (MarkSeen(),)),
        ("move:Processed", (Move("Processed"),)),
        ("move:Archive/Notices 2024", (Move("Archive/Notices 2024"),)),
        ("keyword:$Ingested", (AddKeyword("$Ingested"),)),
        ("keyword:$Ingested+seen", (AddKeyword("$Ingested"), MarkSeen())),
        (
            "keyword:$Ingested + seen + move:Processed",
            (AddKeyword("$Ingested"), MarkSeen(), Move("Processed")),
        ),
    ],
)
def test_parse_valid_specs(spec, expected):
    assert parse_disposition(spec) == expected
    assert parse_disposition(format_disposition(expected)) == expected


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


def test_every_final_outcome_has_a_disposition_key():
    assert set(DISPOSITION_KEYS) == set(FINAL_OUTCOMES) == set(Outcome) - {Outcome.DEFERRED}


def test_specs_are_parsed_at_load_into_each_outcomes_actions():
    box = mailbox(on_success="keyword:$Ingested+move:Done", on_ignored="seen", on_failed="none")
    assert box.on_success == (AddKeyword("$Ingested"), Move("Done"))
    assert box.disposition(Outcome.INGESTED) == (AddKeyword("$Ingested"), Move("Done"))
    assert box.disposition(Outcome.IGNORED) == (MarkSeen(),)
    assert box.disposition(Outcome.FAILED) == ()
    assert list(box.dispositions()) == list(FINAL_OUTCOMES)


def test_defaults():
    assert mailbox().dispositions() == {
        Outcome.INGESTED: (Move("Processed"),),
        Outcome.DUPLICATE: (Move("Processed"),),
        Outcome.IGNORED: (Move("Ignored"),),
        Outcome.FAILED: (Move("Failed"),),
    }


def test_duplicate_defaults_to_success():
    assert mailbox(on_success="move:Done").disposition(Outcome.DUPLICATE) == (Move("Done"),)
    box = mailbox(on_success="move:Done", on_duplicate="move:Dupes")
    assert box.disposition(Outcome.DUPLICATE) == (Move("Dupes"),)
    box = mailbox(on_success="keyword:$Ing+seen")
    assert box.disposition(Outcome.DUPLICATE) == (AddKeyword("$Ing"), MarkSeen())
    assert mailbox(on_duplicate="none").disposition(Outcome.DUPLICATE) == ()  # (), not "unset"


def test_a_bad_spec_fails_at_load_naming_mailbox_and_key():
    with pytest.raises(ValidationError) as error:
        mailbox(on_failed="move:X+seen")
    assert error.value.errors()[0]["loc"] == ("on_failed",)
    assert "mailbox noc: 'move:X+seen': a move must be the last action" in str(error.value)


def test_a_spec_must_be_a_string():
    with pytest.raises(ValidationError, match="on_ignored\n.*a disposition is a string"):
        mailbox(on_ignored=["seen"])


def test_deferred_has_no_disposition():
    with pytest.raises(ValueError, match="a deferred email has no disposition"):
        mailbox().disposition(Outcome.DEFERRED)


def test_rejects_move_into_the_folder_being_read():
    with pytest.raises(ValidationError, match="on_ignored: cannot move into the folder being read"):
        mailbox(folder="Notices", on_ignored="move:Notices")


def test_graph_mailboxes_parse_their_specs_too():
    oauth2 = {"provider": "generic", "token_url": "https://idp.example/token", "client_id": "c"}
    fields = dict(name="g", kind="graph", user="u@example", oauth2=oauth2 | {"client_secret": "s"})
    box = GraphMailboxConfig(**fields, on_failed="keyword:Failed")
    assert box.disposition(Outcome.FAILED) == (AddKeyword("Failed"),)
    with pytest.raises(ValidationError, match="on_success: cannot move into the folder being read"):
        GraphMailboxConfig(**fields, folder="inbox", on_success="move:inbox")


def test_specs_dump_as_written():
    dumped = mailbox(on_success="keyword:$Ing + seen").model_dump()
    assert (dumped["on_success"], dumped["on_duplicate"]) == ("keyword:$Ing+seen", "keyword:$Ing+seen")
    again = MailboxConfig.model_validate(dumped | {"password": "x"})
    assert again.on_success == (AddKeyword("$Ing"), MarkSeen())


def test_done_keywords_only_from_dispositions_that_leave_the_message():
    box = mailbox(
        on_success="keyword:$Ingested",
        on_duplicate="keyword:$Ingested+seen",
        on_ignored="keyword:$Moved+move:Ignored",
        on_failed="keyword:$Failed",
    )
    assert done_keywords(box.dispositions().values()) == ["$Ingested", "$Failed"]
    assert done_keywords(mailbox().dispositions().values()) == []
