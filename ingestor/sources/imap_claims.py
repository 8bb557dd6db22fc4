"""Claims: which emails of an IMAP folder this instance works on, safe with two instances on one mailbox
(an HA pair, or a second daemon by mistake).

An email is moved (IMAP ``UID MOVE``, RFC 6851) from the folder into this instance's claim folder
``<claim_prefix><mailbox>@<instance>`` before anything is done with it. The server moves a message once:
the other instance's MOVE of the same UID fails (EXPUNGEISSUED) and it goes on with the next one. An
email leaves the claim folder for its final folder, or back into the folder (released, or handled and
marked with ``HANDLED_KEYWORD`` so it is not claimed again). Another instance's claim folder whose
emails sit there longer than ``claim_lease_seconds`` (that instance died) is emptied back into the
folder, where anyone may claim them again; when this instance first saw each of them is kept in
``leases-<name>.json``, which this module owns. Nothing depends on the lease for correctness: NetBox
writes are idempotent by (Message-ID, digest).
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING

import structlog

from ingestor import metrics
from ingestor.disposition import done_keywords, retry_keywords
from ingestor.sources import RawMessage
from ingestor.sources.imap_session import ImapSession
from ingestor.state import LEGACY_KIND, StateFile, StateStore

if TYPE_CHECKING:  # config imports the parsers; only the type is needed here
    from ingestor.config import MailboxConfig

log = structlog.get_logger(__name__)

# Marks an email that was handled and left in (moved back into) the folder, whatever the disposition: the
# folder is searched without it, so an email is not claimed again.
HANDLED_KEYWORD = "$NoticesHandled"

# ``folder/uidvalidity/uid`` of an email in another instance's claim folder -> when this instance first
# saw it there (Unix time)
LEASES_FILE = StateFile("leases", legacy=LEGACY_KIND)


def claim_folder_name(prefix: str, mailbox: str, instance: str) -> str:
    """``Processing-noc@host1``: one per (mailbox, instance); ``@`` is in neither name."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", instance).strip("-") or "instance"
    return f"{prefix}{mailbox}@{slug}"


def load_leases(store: StateStore, mailbox: str) -> dict[str, float]:
    return store.read(LEASES_FILE, mailbox, _decode_leases, {})


def save_leases(store: StateStore, mailbox: str, leases: dict[str, float]) -> None:
    store.write(LEASES_FILE, mailbox, {"foreign_claims": leases})


def _decode_leases(raw: dict) -> dict[str, float]:
    # the key of the legacy file (imap-<name>.json) too, so that file reads as it is
    return {str(key): float(value) for key, value in (raw.get("foreign_claims") or {}).items()}


class ImapClaims:
    """This instance's claims on one mailbox folder, over an open session."""

    def __init__(self, session: ImapSession, config: MailboxConfig, store: StateStore, instance_name: str):
        self.config = config
        self.folder = claim_folder_name(config.claim_prefix, config.name, instance_name)
        self._session = session
        self._store = store
        self._handed_out: set[int] = set()  # claim-folder UIDs handed out in this session
        # the config model parsed and checked the dispositions when it was loaded
        self._done_keywords = [HANDLED_KEYWORD, *done_keywords(config.dispositions().values())]
        # what an email moved back from the failed folder loses, so that a claim takes it again
        dispositions = config.dispositions().values()
        self.retry_keywords = [HANDLED_KEYWORD, *retry_keywords(config.on_failed, dispositions)]
        self._log = log.bind(mailbox=config.name)

    def claim_batch(self, below: int) -> bool:
        """Move the next batch of unhandled emails (UIDs under ``below``, the UIDNEXT when the session
        began: emails put back later wait for a new session) into the claim folder; False when none."""
        cfg = self.config
        self._session.select(cfg.folder)
        criteria: list[str] = ["UNDELETED"]
        for keyword in self._done_keywords:
            criteria += ["UNKEYWORD", keyword]
        uids = sorted(uid for uid in self._session.search(criteria, "SEARCH for new messages") if uid < below)
        metrics.emails_waiting(cfg.name, len(uids))  # metrics (issue 8)
        if not uids:
            return False
        batch = uids[: cfg.claim_batch]
        self._log.info("imap_claiming", count=len(batch), waiting=len(uids), folder=cfg.folder)
        if not self._session.move(batch, self.folder):
            self._log.info("imap_claims_taken_by_another", uids=len(batch))
        return True

    def take_unread(self) -> list[int]:
        """The claim folder's UIDs not handed out yet in this session (selected, in UID order): what the
        caller left in place is not handed out again."""
        self._session.select(self.folder)
        uids = sorted(set(self._session.search(["UNDELETED"], "SEARCH the claim folder")) - self._handed_out)
        self._handed_out.update(uids)
        return uids

    def uid_of(self, message: RawMessage) -> int:
        """The claim-folder UID of ``message``; ValueError if it is not one of this mailbox's."""
        if message.uid is None or message.mailbox != self.config.name:
            raise ValueError(f"{message.source} was not fetched from mailbox {self.config.name}")
        return message.uid

    def move_out(self, uid: int, folder: str) -> bool:
        """Move a claimed email to ``folder``; False when another instance has it now."""
        self._session.select(self.folder)
        return self._session.move([uid], folder)

    def release(self, message: RawMessage) -> None:
        """Put a claimed message back into the folder as it was, to be tried again by a later poll."""
        uid = self.uid_of(message)
        if self.move_out(uid, self.config.folder):
            self._log.info("imap_message_released", uid=uid)

    def release_all(self) -> int:
        """Put everything still claimed back into the folder (stopping early); returns how many."""
        self._session.select(self.folder)
        uids = self._session.search(["UNDELETED"], "SEARCH the claim folder")
        if uids:
            self._session.move(sorted(uids), self.config.folder)
            self._log.info("imap_claims_released", count=len(uids))
        return len(uids)

    # -- leases -------------------------------------------------------------------------------------------

    def return_expired(self) -> int:
        """Empty other instances' claim folders of this mailbox whose emails outstayed the lease; returns
        how many emails came back into the folder."""
        cfg = self.config
        pattern = f"{cfg.claim_prefix}{cfg.name}@*"
        folders = self._session.list_folders(pattern, "LIST claim folders")
        leases = load_leases(self._store, cfg.name)
        seen: dict[str, float] = {}
        now = time.time()
        returned = 0
        for folder in folders:
            if folder == self.folder:
                continue
            expired = self._expired(folder, leases, seen, now)
            if expired and self._session.move(expired, cfg.folder):
                self._log.warning("imap_claims_taken_back", folder=folder, count=len(expired))
                returned += len(expired)
        if seen != leases:
            save_leases(self._store, cfg.name, seen)
        return returned

    def _expired(
        self, folder: str, leases: dict[str, float], seen: dict[str, float], now: float
    ) -> list[int]:
        """Select ``folder``; its UIDs whose lease ran out. ``seen`` gets the lease start of the others."""
        uidvalidity = self._session.select(folder).uidvalidity
        expired = []
        for uid in self._session.search(["UNDELETED"], f"SEARCH {folder!r}"):
            key = f"{folder}/{uidvalidity}/{uid}"
            seen[key] = leases.get(key, now)
            if now - seen[key] >= self.config.claim_lease_seconds:
                expired.append(uid)
                del seen[key]
        return sorted(expired)
