"""The outage vocabulary as data: labels and their synonyms, status wording, time-zone abbreviations and
which date order a zone or a country writes.

Everything here is a table, so support for another provider's wording is a line in this file, not code.
The entries come from the way carriers' NOCs write outage notices and public status pages: "Trouble
Ticket" / "Case ID" / "Incident #" for the ticket; "Time of occurrence", "Start time", "Incident start"
for the start; "Estimated time to restore/repair", "ETR", "ETTR" for the estimate; "Clear time",
"Restored", "Resolved at" for the end; "Impacted services", "Circuit ID(s)" for the circuits.

Labels are compared normalised (parsers.fields.normalize_label: case, punctuation, plurals and "#" do
not matter, so "Circuit ID(s)" covers "CIRCUIT IDS" and "Circuit ID"). Within a field, the labels are
tried in the order written here: the specific ones first, the bare ones ("Start", "Ticket") last.
"""

from __future__ import annotations

# --- labels ------------------------------------------------------------------------------------------------

LABELS: dict[str, tuple[str, ...]] = {
    "event_id": (
        "Trouble Ticket", "Trouble Ticket Number", "Trouble Ticket ID", "Trouble Ticket No",
        "Ticket Number", "Ticket No", "Ticket ID", "Ticket Ref", "Ticket Reference", "Our Ticket",
        "Our Ticket Number", "Provider Ticket", "NOC Ticket", "Master Ticket", "Parent Ticket",
        "TT", "TT Number", "TT No", "TT ID", "TT Ref", "Case ID", "Case Number", "Case No",
        "Case Reference", "Incident ID", "Incident Number", "Incident No", "Incident Reference",
        "Incident Ref", "Incident Ticket", "Fault Reference", "Fault Ref", "Fault Ticket", "Fault Number",
        "Fault ID", "Outage ID", "Outage Reference", "Outage Number", "Event ID", "Event Number",
        "Event Reference", "Network Event ID", "Service Request", "SR Number", "Reference Number",
        "Our Reference", "Our Ref", "Incident Ref No", "Case Ref", "Fault No", "Ticket Nr",
        "Incident Nr", "Trouble Report", "Trouble No",
        "Trouble Number", "Trouble ID", "Ticket", "Case", "Incident", "Reference", "Ref", "Ref No",
    ),
    "status": (
        "Current Status", "Incident Status", "Ticket Status", "Case Status", "Outage Status",
        "Event Status", "Fault Status", "Service Status", "Incident State", "Ticket State", "Current State",
        "Outage State", "Progress", "Status", "Status Update", "State",
        "Notification Type", "Update Type", "Stage", "Latest Update", "Update",
    ),
    "start": (
        "Incident Start", "Incident Start Time", "Incident Start Date Time", "Incident Start Date",
        "Outage Start", "Outage Start Time", "Outage Start Date Time", "Disturbance Start",
        "Event Start", "Event Start Time", "Fault Start", "Fault Start Time", "Impact Start",
        "Impact Start Time", "Service Impact Start", "Start of Outage", "Start of Incident",
        "Start of Fault", "Start of Disturbance", "Start of Impact", "Time of Occurrence",
        "Date of Occurrence", "Occurrence Time", "Occurred At", "Occurred On", "Time of Failure",
        "Failure Time", "Fault Time", "Fault Occurred", "Outage Began", "Began At", "Detected At",
        "Detection Time", "Time Detected", "First Detected", "Alarm Time", "Alarm Raised",
        "Incident Date Time", "Outage Date Time", "Event Time", "Issue Start", "Issue Start Time",
        "Problem Start Time",
        "Down Since", "Service Down Since", "Outage Detected", "Start Time", "Start Date",
        "Start Date Time", "Start",
    ),
    "end": (
        "Incident End", "Incident End Time", "Outage End", "Outage End Time", "Disturbance End",
        "Event End", "Event End Time", "Fault End", "Fault End Time", "Impact End", "Impact End Time",
        "End of Outage", "End of Incident", "End of Fault", "End of Disturbance", "End of Impact",
        "Service Restored", "Service Restored At", "Service Restoration Time", "Service Restored Time",
        "Actual Restoration Time", "Actual Restore Time", "Actual Repair Time", "Time of Restoration",
        "Restoration Time", "Restore Time", "Time Restored", "Restored", "Restored At", "Restored On",
        "Resolved", "Resolved At", "Resolved On", "Resolution Time", "Time Resolved", "Time of Resolution",
        "Cleared", "Cleared At", "Clear Time", "Time Cleared", "Fault Cleared", "Fault Clear Time",
        "Recovery Time", "Recovered At", "Service Up", "Event Clear Time", "Restoral Time",
        "Resolved Date Time", "Resolution Date Time", "Cleared Date Time", "Issue Resolved",
        "Restoration Date Time",
        "Restored Time", "Up Since", "Outage Ended", "Ended At", "Incident Cleared", "End Time", "End Date",
        "End Date Time", "End",
    ),
    "estimated_time_to_repair": (
        "Estimated Time to Restore", "Estimated Time to Repair", "Estimated Time to Restoration",
        "Estimated Time to Resolve", "Estimated Time to Resolution", "Estimated Time of Restoration",
        "Estimated Time of Repair", "Estimated Time of Resolution", "Estimated Time of Recovery",
        "Estimated Restoration", "Estimated Restoration Time", "Estimated Restore Time",
        "Estimated Service Restoration", "Estimated Repair Time", "Estimated Repair", "Estimated Fix Time",
        "Estimated Clear Time", "Estimated Resolution", "Estimated Resolution Time", "Estimated Recovery",
        "Estimated Recovery Time",
        "Expected Restoration", "Expected Restoration Time", "Expected Resolution", "Expected Repair Time",
        "Expected Time to Repair", "Expected Time to Restore", "Time to Restore", "Time to Repair",
        "Estimated Time to Restore Service", "ETA for Repair", "ETA to Restore", "Repair ETA",
        "Restoration ETA",
        "Estimated Restoral Time",
        "Estimated Restoral",
        "ETR", "ETTR", "ERT",
    ),
    "summary": (
        "Description", "Summary", "Incident Description", "Incident Summary", "Outage Description",
        "Event Description", "Fault Description", "Problem Description", "Issue Description", "Issue",
        "Cause", "Root Cause", "Reason for Outage", "RFO", "Reason", "Details",
    ),
    "circuits": (
        "Circuit/Service IDs", "Circuit IDs", "Circuits", "Circuit", "Circuit Reference", "Circuit Number",
        "Service IDs", "Affected Services", "Affected Circuits", "Affected Circuit IDs",
        "Affected Service IDs", "Impacted Circuits", "Impacted Services", "Impacted Circuit IDs",
        "Impacted Service IDs", "Services Affected", "Circuits Affected", "Services Impacted",
        "Circuits Impacted", "Affected Order IDs", "Order IDs", "Affected Customer Circuits",
        "Customer Circuits", "Customer Service IDs", "Your Circuits", "Your Services",
        "Service References", "Affected Products", "Products Affected", "Product IDs", "Connection IDs",
        "Link IDs", "Affected Links", "Impacted Links", "Affected Connections",
        "Customer Services Affected", "Affected Customer Services",
    ),
}  # fmt: skip

# A resolved notice that gives a time under one of these labels, and no end, says when service came
# back: that time is the end, not an estimate ("Estimated time to restore: 14:20" on a "Cleared" notice).
RESTORATION_LABEL_FIELDS = ("estimated_time_to_repair",)

# --- status wording ----------------------------------------------------------------------------------------

# Ordered, most specific first: the first key that matches decides, so "Open - Fault isolated" is
# IDENTIFIED (the general "open" comes last) and "Restored - monitoring" is MONITORING. Keys are regular
# expressions searched ignoring case (parsers.statuses). Wording negated first ("not yet restored",
# "pending restoration", "awaiting repair") is removed before matching (NEGATED_WORDING).
OUTAGE_STATUS_WORDING: dict[str, str] = {
    r"\b(resolved|closed|cleared|clear|completed|fixed|finished|solved)\b|repair complete": "RESOLVED",
    r"back to normal|normal service (has )?resumed|service (is )?(back )?up\b|fully operational": "RESOLVED",
    r"monitor|observ|stabili[sz]ed|temporar(y|ily)|workaround|re-?routed|"
    r"partial(ly)? (restored|restoration)": "MONITORING",
    r"restored|restoration complete|service back|back in service|recovered|up and running": "RESOLVED",
    r"identified|isolated|locali[sz]ed|located|root cause|cause (found|known|determined)|fault found|"
    r"repair(ing|s)? (under ?way|in progress|ongoing|started)|being repaired|splic|dispatched|"
    r"fib(er|re) (cut|break|damage)": "IDENTIFIED",
    r"investigat|under analysis|analy[sz]|troubleshoot|diagnos|in progress|working|acknowledged|"
    r"assigned|ongoing|\bactive\b|\bopen\b": "INVESTIGATING",
    r"\bfinal\b": "RESOLVED",
    r"reported|\bnew\b|logged|received|created|opened|\binitial\b|detected": "REPORTED",
}
NEGATED_WORDING = r"\b(?:not|no longer|yet to be|pending|awaiting|until)\s+(?:(?:yet|been|be|fully)\s+)*\w+"

# --- outage or maintenance ---------------------------------------------------------------------------------

OUTAGE_CUES = (
    r"\boutage|disturbance|\bincident|trouble ticket|service[- ]affecting|service impact|\bfault\b|"
    r"service (interruption|degradation|disruption|alert)|unplanned|network (event|issue)|"
    r"loss of (service|connectivity|signal|traffic)|\bdegrad|\bdown\b|\bunavailab|"
    r"fib(er|re) (cut|break|damage)|\btrouble\b|\binvestigating\b|packet loss|unreachab"
)
# A planned maintenance also speaks of "outage" ("Planned Outage Work", "expected outage: 4 hours").
MAINTENANCE_CUES = (
    r"maint|\bplanned|\bscheduled|\bchange (request|notification)|work notification|emergency work|"
    r"re-?schedul|upgrade"
)
# In a body, "scheduled" alone is no cue: outage updates promise "the next update is scheduled for 14:00".
BODY_MAINTENANCE_CUES = (
    r"maint|\bplanned (work|outage|activity|event)|\bscheduled (work|outage|activity|event|window)|"
    r"\bchange (request|notification)|work notification|emergency work|re-?schedul"
)

# --- time zones --------------------------------------------------------------------------------------------

# Abbreviation -> hours east of UTC. An abbreviation stands for one fixed offset (EDT is always -04:00),
# which is what the email meant. IST is India Standard Time (+05:30), as carriers' NOCs in India write it;
# Irish and Israeli NOCs write IST too — give that provider's zone in a declarative definition instead.
# CST is US Central (China writes "CST" rarely in English notices; it writes "GMT+8" or "HKT/SGT").
ZONE_OFFSETS: dict[str, float] = {
    "UTC": 0, "UT": 0, "GMT": 0, "Z": 0, "WET": 0, "WEST": 1, "BST": 1, "IST": 5.5,
    "CET": 1, "CEST": 2, "MET": 1, "MEST": 2, "EET": 2, "EEST": 3, "MSK": 3, "SAST": 2, "EAT": 3,
    "GST": 4, "PKT": 5, "ICT": 7, "WIB": 7, "SGT": 8, "HKT": 8, "MYT": 8, "PHT": 8, "AWST": 8,
    "JST": 9, "KST": 9, "ACST": 9.5, "ACDT": 10.5, "AEST": 10, "AEDT": 11, "NZST": 12, "NZDT": 13,
    "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
    "AKST": -9, "AKDT": -8, "HST": -10, "AST": -4, "ADT": -3, "NST": -3.5, "NDT": -2.5, "BRT": -3,
    "ART": -3,
}  # fmt: skip
# Zones written out, as some notices do ("2:05 PM Eastern Time"), and the abbreviation each stands for.
# Longest first when matched, so "Central European Summer Time" is not read as "Central European Time".
ZONE_NAMES: dict[str, str] = {
    "Coordinated Universal Time": "UTC", "Greenwich Mean Time": "GMT", "British Summer Time": "BST",
    "Central European Summer Time": "CEST", "Central European Time": "CET",
    "Eastern European Summer Time": "EEST", "Eastern European Time": "EET",
    "Western European Summer Time": "WEST", "Western European Time": "WET",
    "Eastern Standard Time": "EST", "Eastern Daylight Time": "EDT", "Eastern Time": "ET", "Eastern": "ET",
    "Central Standard Time": "CST", "Central Daylight Time": "CDT", "Central Time": "CT",
    "Mountain Standard Time": "MST", "Mountain Daylight Time": "MDT", "Mountain Time": "MT",
    "Pacific Standard Time": "PST", "Pacific Daylight Time": "PDT", "Pacific Time": "PT", "Pacific": "PT",
    "India Standard Time": "IST", "Singapore Standard Time": "SGT", "Singapore Time": "SGT",
    "Hong Kong Time": "HKT", "Japan Standard Time": "JST", "Korea Standard Time": "KST",
    "Australian Eastern Standard Time": "AEST", "Australian Eastern Daylight Time": "AEDT",
    "Moscow Time": "MSK",
}  # fmt: skip
# Bare US zone letters say nothing about daylight saving, so they follow the region's rules.
ZONE_REGIONS: dict[str, str] = {
    "ET": "America/New_York",
    "CT": "America/Chicago",
    "MT": "America/Denver",
    "PT": "America/Los_Angeles",
}

# --- date order --------------------------------------------------------------------------------------------

DAY_FIRST, MONTH_FIRST = "DMY", "MDY"
_US_ZONES = ("EST", "EDT", "CST", "CDT", "MST", "MDT", "PST", "PDT", "AKST", "AKDT", "HST", "ET", "CT", "MT",
             "PT", "PHT")  # fmt: skip
_DAY_FIRST_ZONES = ("WET", "WEST", "BST", "IST", "CET", "CEST", "MET", "MEST", "EET", "EEST", "MSK", "SAST",
                    "EAT", "GST", "PKT", "ICT", "WIB", "SGT", "HKT", "MYT", "AWST", "ACST", "ACDT", "AEST",
                    "AEDT", "NZST", "NZDT", "BRT", "ART")  # fmt: skip
# The order a slashed date written next to a zone is in: US zones month first, the rest of the world's
# named zones day first. UTC/GMT say nothing (used everywhere), nor do JST/KST (those write year first).
ZONE_DATE_ORDER: dict[str, str] = {
    **dict.fromkeys(_US_ZONES, MONTH_FIRST),
    **dict.fromkeys(_DAY_FIRST_ZONES, DAY_FIRST),
}
# Country domains of senders, and the order their slashed dates are in. .com/.net say nothing.
COUNTRY_DATE_ORDER: dict[str, str] = {
    "us": MONTH_FIRST,
    "ph": MONTH_FIRST,
    **dict.fromkeys(
        (
            "uk", "ie", "de", "fr", "nl", "be", "lu", "ch", "at", "it", "es", "pt", "se", "no", "dk", "fi",
            "is", "pl", "cz", "sk", "ro", "bg", "gr", "tr", "ru", "ua", "rs", "hr", "si", "ee", "lv", "eu",
            "in", "sg", "hk", "au", "nz", "za", "br", "ar", "cl", "mx", "my", "id", "th", "vn", "il",
            "ae", "sa", "eg", "ng", "ke", "pk",
        ),
        DAY_FIRST,
    ),
}  # fmt: skip
