"""The timeline reader of tests/integration/netbox_ui.py on markup shaped like netbox-notices 1.3.0's
templates/notices/maintenance.html renders it (Django-escaped), so a reader bug is not mistaken for a
timeline bug."""

from tests.integration.netbox_ui import Change, parse_timeline

ITEM = """
<li class="timeline-event">
  <div class="timeline-event-icon bg-{color}-lt">
    <svg class="icon" viewBox="0 0 24 24"><path stroke="none" d="M0 0h24v24H0z" fill="none"></path></svg>
  </div>
  <div class="card timeline-event-card">
    <div class="card-body">
      <div class="row">
        <div class="col">
          <h4 class="mb-1">{title}</h4>
          <div class="text-secondary mb-2">by admin</div>
        </div>
        <div class="col-auto">
          <div class="text-secondary">Nov. 29, 2026, 9:55 p.m.</div>
        </div>
      </div>
      {changes}
    </div>
  </div>
</li>
"""
CHANGES = """
<div class="text-secondary">
  <div>
    <strong>Custom Fields:</strong>
    Not set → {&#x27;ingestor_notices&#x27;: [{&#x27;kind&#x27;: &#x27;maintenance&#x27;}]}
  </div>
  <div>
    <strong>Subject:</strong>
    Not set → Colt &amp; friends: CRQ1 → done
  </div>
</div>
"""


def page(*items: str) -> str:
    timeline = f'<ul class="timeline">{"".join(items)}</ul>' if items else '<div class="text-muted">No'
    return f"""<html><body><ul class="nav"><li class="timeline-event"><h4>not this</h4></li></ul>
    <div class="card"><h5 class="card-header">Event Timeline</h5><div class="card-body">{timeline}
    </div></div></body></html>"""


def test_items_titles_and_changes_unescaped():
    html = page(
        ITEM.format(
            color="blue", title="Notification received: Colt &amp; friends: CRQ1 → done", changes=CHANGES
        ),
        ITEM.format(color="orange", title="Status changed to Completed", changes=""),
    )
    first, second = parse_timeline(html)
    assert first.title == "Notification received: Colt & friends: CRQ1 → done"
    assert (first.user, first.time) == ("admin", "Nov. 29, 2026, 9:55 p.m.")
    assert first.changes == [
        Change("Custom Fields", "Not set", "{'ingestor_notices': [{'kind': 'maintenance'}]}"),
        Change("Subject", "Not set", "Colt & friends: CRQ1 → done"),
    ]
    assert (
        first.text.splitlines()[1]
        == "Custom Fields: Not set → {'ingestor_notices': [{'kind': 'maintenance'}]}"
    )
    assert (second.title, second.changes) == ("Status changed to Completed", [])


def test_no_changes_recorded_is_an_empty_timeline():
    assert parse_timeline(page()) == []
