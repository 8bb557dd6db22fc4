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

from parsers.labels import alternation

# --- labels ------------------------------------------------------------------------------------------------

LABELS_EN: dict[str, tuple[str, ...]] = {
    "event_id": (
        "Docket No", "Docket Number", "Docket ID", "Docket Ref",
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
        "Trouble Number", "Trouble ID", "Complaint No", "Complaint Number", "Service Ticket",
        "Ticket", "Case", "Incident", "Docket", "Reference", "Ref", "Ref No",
    ),
    "status": (
        "Current Status", "Incident Status", "Ticket Status", "Docket Status", "Case Status", "Outage Status",
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
        "Restored Time", "Repair Time", "Up Since", "Outage Ended", "Ended At", "Incident Cleared",
        "End Time",
        "End Date",
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

# The same fields in the other languages carriers write notices in (German, French, Spanish, Italian, Dutch,
# Portuguese): the words their NOCs use in outage notices and status pages.
LABELS_BY_LANGUAGE: dict[str, dict[str, tuple[str, ...]]] = {
    "en": LABELS_EN,
    "de": {
        "event_id": ("Ticketnummer", "Ticket-Nummer", "Ticket-Nr", "Störungsnummer", "Störungs-Nr",
                     "Störungsticket", "Meldungsnummer", "Vorgangsnummer", "Referenznummer", "Referenz"),
        "status": ("Aktueller Status", "Status der Störung", "Bearbeitungsstand", "Stand", "Zustand"),
        "start": ("Beginn der Störung", "Störungsbeginn", "Störungsbeginn am", "Beginn", "Startzeit",
                  "Auftreten", "Aufgetreten am", "Zeitpunkt der Störung"),
        "end": ("Ende der Störung", "Störungsende", "Behoben am", "Behoben um", "Entstört am",
                "Entstörzeit", "Wiederherstellung", "Wiederhergestellt am", "Ende"),
        "estimated_time_to_repair": ("Voraussichtliche Behebung", "Voraussichtliche Entstörung",
                                     "Voraussichtliche Entstörzeit", "Voraussichtliches Ende",
                                     "Erwartete Behebung", "Erwartete Wiederherstellung"),
        "summary": ("Beschreibung", "Störungsbeschreibung", "Ursache", "Details"),
        "circuits": ("Betroffene Dienste", "Betroffene Leitungen", "Betroffene Services",
                     "Betroffene Verbindungen", "Betroffene Produkte", "Leitungs-ID", "Leitungsnummern"),
    },
    "fr": {
        "event_id": ("Numéro de ticket", "N° de ticket", "No de ticket", "Référence du ticket",
                     "Numéro d'incident", "Référence incident", "Référence de l'incident", "Référence"),
        "status": ("Statut", "État", "Etat", "Statut de l'incident"),
        "start": ("Début de l'incident", "Début de l'interruption", "Heure de début", "Date de début",
                  "Début", "Survenu le"),
        "end": ("Fin de l'incident", "Fin de l'interruption", "Heure de rétablissement",
                "Date de rétablissement", "Rétabli le", "Heure de fin", "Fin"),
        "estimated_time_to_repair": ("Heure estimée de rétablissement", "Rétablissement estimé",
                                     "Rétablissement prévu", "Estimation de rétablissement",
                                     "Délai estimé de rétablissement"),
        "summary": ("Description", "Description de l'incident", "Cause", "Détails"),
        "circuits": ("Services impactés", "Services concernés", "Circuits impactés", "Circuits concernés",
                     "Liens impactés", "Référence circuit"),
    },
    "es": {
        "event_id": ("Número de incidencia", "Nº de incidencia", "Número de ticket", "Nº de ticket",
                     "Referencia de la incidencia", "Número de caso", "Referencia"),
        "status": ("Estado", "Estado de la incidencia", "Situación"),
        "start": ("Inicio de la incidencia", "Fecha de inicio", "Hora de inicio", "Inicio de la falla",
                  "Inicio"),
        "end": ("Fin de la incidencia", "Fecha de resolución", "Hora de resolución", "Fin de la falla",
                "Restablecido el", "Fecha de fin", "Fin"),
        "estimated_time_to_repair": ("Hora estimada de resolución", "Tiempo estimado de reparación",
                                     "Tiempo estimado de resolución", "Resolución estimada",
                                     "Hora estimada de restablecimiento"),
        "summary": ("Descripción", "Causa", "Detalles"),
        "circuits": ("Servicios afectados", "Circuitos afectados", "Enlaces afectados"),
    },
    "it": {
        "event_id": ("Numero ticket", "Numero di ticket", "Numero segnalazione", "Riferimento guasto",
                     "Codice ticket", "Riferimento"),
        "status": ("Stato", "Stato del ticket", "Stato guasto"),
        "start": ("Inizio disservizio", "Inizio guasto", "Ora di inizio", "Data inizio", "Inizio"),
        "end": ("Fine disservizio", "Fine guasto", "Ora di ripristino", "Ripristinato alle",
                "Data ripristino", "Fine"),
        "estimated_time_to_repair": ("Ripristino previsto", "Orario stimato di ripristino",
                                     "Tempo stimato di ripristino", "Previsione di ripristino"),
        "summary": ("Descrizione", "Causa", "Dettagli"),
        "circuits": ("Circuiti coinvolti", "Circuiti impattati", "Servizi impattati", "Servizi coinvolti"),
    },
    "nl": {
        "event_id": ("Storingsnummer", "Ticketnummer", "Meldingsnummer", "Referentie"),
        "status": ("Status", "Stand van zaken"),
        "start": ("Begin storing", "Start storing", "Aanvang storing", "Starttijd", "Begintijd"),
        "end": ("Einde storing", "Hersteld op", "Hersteltijd", "Eindtijd"),
        "estimated_time_to_repair": ("Verwacht herstel", "Verwachte hersteltijd", "Verwachte oplostijd"),
        "summary": ("Omschrijving", "Oorzaak"),
        "circuits": ("Getroffen diensten", "Betrokken diensten", "Betrokken verbindingen",
                     "Getroffen verbindingen"),
    },
    "pt": {
        "event_id": ("Número do chamado", "Número do ticket", "Número do incidente", "Protocolo",
                     "Referência"),
        "status": ("Situação", "Estado", "Status do chamado"),
        "start": ("Início do incidente", "Início da falha", "Hora de início", "Data de início", "Início"),
        "end": ("Fim do incidente", "Fim da falha", "Hora de normalização", "Normalizado em",
                "Restabelecido em", "Fim"),
        "estimated_time_to_repair": ("Previsão de normalização", "Previsão de restabelecimento",
                                     "Previsão de solução", "Tempo estimado de reparo"),
        "summary": ("Descrição", "Causa", "Detalhes"),
        "circuits": ("Circuitos afetados", "Serviços afetados", "Circuitos impactados"),
    },
}  # fmt: skip
LANGUAGES = tuple(LABELS_BY_LANGUAGE)

# Every field's labels, English first (its specific labels before its bare ones), then the other languages.
LABELS: dict[str, tuple[str, ...]] = {
    name: tuple(dict.fromkeys(lab for table in LABELS_BY_LANGUAGE.values() for lab in table.get(name, ())))
    for name in LABELS_EN
}

# --- circuit tables: the role of each column -------------------------------------------------------------

# The column headings of circuit tables, by role ("Service ID | Product | Bandwidth | A-End | B-End"). A row
# whose cells are such headings is a table's header (parsers.tables); the column whose role is "circuit"
# holds the circuit ids, and no heading is ever read as a value. Within "circuit", the specific headings
# come first: when two columns could hold ids ("Circuit ID" and "Service"), the first heading here wins.
COLUMN_ROLES: dict[str, tuple[str, ...]] = {
    "circuit": (
        "Circuit ID", "Circuit IDs", "Circuit Reference", "Circuit Ref", "Circuit Number",
        "Customer Circuit ID",
        "Service ID", "Service IDs", "Service Reference", "Service Number", "Link ID", "Connection ID",
        "Order ID", "Product ID", "CID", "Circuit", "Service", "Link",
        "Leitungs-ID", "Leitungsnummer", "Dienst-ID", "Référence circuit", "ID circuit", "Référence service",
        "ID de circuito", "ID de servicio", "Circuito", "ID circuito", "Codice circuito", "Circuit-ID",
        "Verbinding", "Verbindings-ID", "ID do circuito", "Designação",
    ),
    "a_end": ("A-End", "A End", "Site A", "Side A", "Location A", "A-Side", "Standort A", "A-Seite",
              "Extrémité A", "Site A", "Extremo A", "Punta A", "Sede A", "Locatie A", "Ponta A"),
    "b_end": ("B-End", "B End", "Z-End", "Z End", "Site B", "Site Z", "Side B", "Location B", "B-Side",
              "Standort B", "B-Seite", "Extrémité B", "Extremo B", "Punta B", "Sede B", "Locatie B",
              "Ponta B"),
    "bandwidth": ("Bandwidth", "Capacity", "Speed", "Rate", "Bandbreite", "Débit", "Capacité",
                  "Ancho de banda", "Velocidad", "Banda", "Velocità", "Bandbreedte", "Snelheid",
                  "Largura de banda", "Velocidade"),
    "product": ("Product", "Service Type", "Service Name", "Type", "Produkt", "Produit", "Type de service",
                "Producto", "Tipo", "Prodotto", "Product type", "Produto"),
    "location": ("Location", "Site", "City", "POP", "Route", "Path", "Standort", "Site", "Ville",
                 "Ubicación", "Sede", "Locatie", "Localização"),
    "impact": ("Impact", "Impact Type", "Service Impact", "Auswirkung", "Impacto", "Impatto"),
    "customer": ("Customer", "Customer Name", "Customer Ref", "Your Reference", "Account", "Kunde",
                 "Client", "Cliente", "Klant"),
    "status": ("Status", "State", "Circuit Status", "Zustand", "Statut", "Estado", "Stato"),
    "description": ("Description", "Notes", "Comments", "Remarks", "Bemerkung", "Commentaire", "Nota"),
    "number": ("No", "Nr", "#", "Item", "Pos", "Line"),
}  # fmt: skip

# A resolved notice that gives a time under one of these labels, and no end, says when service came
# back: that time is the end, not an estimate ("Estimated time to restore: 14:20" on a "Cleared" notice).
RESTORATION_LABEL_FIELDS = ("estimated_time_to_repair",)

# --- status wording ----------------------------------------------------------------------------------------

# Ordered, most specific first: the first key that matches decides, so "Open - Fault isolated" is
# IDENTIFIED (the general "open" comes last) and "Restored - monitoring" is MONITORING. Keys are regular
# expressions searched ignoring case (parsers.statuses). Wording negated first ("not yet restored",
# "pending restoration", "awaiting repair", "noch nicht behoben", "pas encore rétabli") is removed before
# matching (NEGATED_WORDING).
#
# Each layer is one status and its wording per language; the layers are tried in this order and, within
# a layer, English first. A provisional fix ("vorläufig behoben", "solution provisoire") is MONITORING
# before any wording of resolution is looked at; "Open" ("offen", "ouvert", "abierto"...) is INVESTIGATING.
STATUS_LAYERS: tuple[tuple[str, dict[str, str]], ...] = (
    ("MONITORING", {
        "en": r"temporar(?:y|ily) (?:fix(?:ed)?|resolved|restored)|"
              r"provisional(?:ly)? (?:fix(?:ed)?|restored)",
        "de": r"provisorisch|vorläufig (?:behoben|wiederhergestellt|entstört)|übergangslösung",
        "fr": r"provisoire|contournement", "es": r"provisional|solución temporal",
        "it": r"provvisori|temporaneamente", "nl": r"tijdelijk (?:opgelost|hersteld)|noodoplossing",
        "pt": r"provisóri|solução de contorno|paliativ",
    }),
    ("RESOLVED", {
        "en": r"\b(resolved|closed|cleared|clear|completed|fixed|finished|solved)\b|repair complete",
        "de": r"\b(behoben|geschlossen|erledigt|entstört|abgeschlossen|gelöst|beseitigt)\b",
        "fr": r"\b(résolue?|clôturée?|clos|fermée?|terminée?)\b",
        "es": r"\b(resuelt[oa]|cerrad[oa]|solucionad[oa]|finalizad[oa])\b",
        "it": r"\b(risolt[oa]|chius[oa]|terminat[oa])\b",
        "nl": r"\b(opgelost|gesloten|afgehandeld|verholpen)\b",
        "pt": r"\b(resolvid[oa]|encerrad[oa]|fechad[oa]|normalizad[oa]|solucionad[oa])\b",
    }),
    ("RESOLVED", {
        "en": r"back to normal|normal service (has )?resumed|service (is )?(back )?up\b|fully operational",
        "de": r"funktioniert wieder|wieder verfügbar|normalbetrieb",
        "fr": r"retour à la normale|fonctionnement normal",
        "es": r"servicio normalizado|funcionamiento normal", "it": r"servizio regolare|normale funzionamento",
        "nl": r"werkt weer|weer beschikbaar", "pt": r"funcionamento normal",
    }),
    ("MONITORING", {
        "en": r"monitor|observ|stabili[sz]ed|temporar(y|ily)|workaround|re-?routed|"
              r"partial(ly)? (restored|restoration)",
        "de": r"überwach|beobacht|umgeleitet|teilweise wiederhergestellt",
        "fr": r"surveillance|rerouté|partiellement rétabli",
        "es": r"monitoreo|monitorizaci|observaci|redirigid|parcialmente restablecid",
        "it": r"monitoraggio|osservazione|reinstradat|parzialmente ripristinat",
        "nl": r"gemonitord|observatie|omgeleid|gedeeltelijk hersteld",
        "pt": r"monitorament|monitoriza|observação|parcialmente restabelecid",
    }),
    ("RESOLVED", {
        "en": r"restored|restoration complete|service back|back in service|recovered|up and running",
        "de": r"wiederhergestellt", "fr": r"rétabli|restauré", "es": r"restablecid|restaurad",
        "it": r"ripristinat", "nl": r"hersteld", "pt": r"restabelecid|restaurad",
    }),
    ("IDENTIFIED", {
        "en": r"identified|isolated|locali[sz]ed|located|root cause|cause (found|known|determined)|"
              r"fault found|"
              r"repair(ing|s)? (under ?way|in progress|ongoing|started)|being repaired|splic|dispatched|"
              r"fib(er|re) (cut|break|damage)",
        "de": r"ursache (?:gefunden|identifiziert|bekannt|ermittelt)|fehler (?:gefunden|lokalisiert)|"
              r"lokalisiert|eingegrenzt|techniker (?:vor ort|unterwegs)|reparatur|kabelschaden|faserbruch",
        "fr": r"cause identifiée|cause trouvée|localisée?|identifiée?|réparation|technicien",
        "es": r"causa identificada|localizad[oa]|identificad[oa]|reparación|técnico",
        "it": r"individuat[oa]|localizzat[oa]|riparazione|tecnico",
        "nl": r"oorzaak (?:gevonden|bekend)|gelokaliseerd|reparatie|monteur",
        "pt": r"causa identificada|localizad[oa]|identificad[oa]|reparo|técnico",
    }),
    ("INVESTIGATING", {
        "en": r"investigat|under analysis|analy[sz]|troubleshoot|diagnos|in progress|working|acknowledged|"
              r"assigned|ongoing|\bactive\b|\bopen\b",
        "de": r"in bearbeitung|untersuch|analyse|in arbeit|\boffen\b",
        "fr": r"en cours|analyse|investigation|diagnostic|\bouvert",
        "es": r"investigaci|investigando|análisis|analizando|en curso|diagnóstico|\babiert[oa]\b",
        "it": r"in analisi|in corso|analizz|verific|\bapert[oa]\b",
        "nl": r"onderzoek|onderzocht|in behandeling|\bopen\b",
        "pt": r"em análise|investigaç|investigando|em andamento|\babert[oa]\b",
    }),
    ("RESOLVED", {"en": r"\bfinal\b"}),
    ("REPORTED", {
        "en": r"reported|\bnew\b|logged|received|created|opened|\binitial\b|detected",
        "de": r"\bneu\b|gemeldet|erfasst|eröffnet", "fr": r"nouveau|nouvelle|signalé|enregistré",
        "es": r"nuev[oa]|registrad[oa]|reportad[oa]", "it": r"nuov[oa]|segnalat[oa]|registrat[oa]",
        "nl": r"gemeld|nieuw|geregistreerd", "pt": r"nov[oa]\b|registrad[oa]|reportad[oa]",
    }),
)  # fmt: skip
# The layers as one ordered table (wording key -> status) and the language of each key (for explain).
OUTAGE_STATUS_WORDING: dict[str, str] = {
    key: status for status, keys in STATUS_LAYERS for key in keys.values()
}
STATUS_LANGUAGE: dict[str, str] = {
    key: language for _, keys in STATUS_LAYERS for language, key in keys.items()
}
# Words that negate the wording after them, per language ("not yet restored", "noch nicht behoben",
# "pas encore rétabli", "aún no restablecido", "non ancora risolto", "nog niet opgelost", "ainda não").
NEGATIONS: dict[str, tuple[str, ...]] = {
    "en": ("not", "no longer", "yet to be", "pending", "awaiting", "until"),
    "de": ("nicht", "noch nicht", "kein"), "fr": ("pas", "pas encore", "non"), "es": ("no", "sin"),
    "it": ("non", "non ancora"), "nl": ("niet", "nog niet", "geen"), "pt": ("não", "ainda não", "sem"),
}  # fmt: skip
_NEGATION_FILLERS = (
    "yet", "been", "be", "fully", "encore", "ancora", "noch", "nog", "ainda", "todavía", "sido",
)  # fmt: skip
_NEGATORS = alternation({word for words in NEGATIONS.values() for word in words})
NEGATED_WORDING = rf"\b(?:{_NEGATORS})\s+(?:(?:{alternation(_NEGATION_FILLERS)})\s+)*\w+"

# --- outage or maintenance ---------------------------------------------------------------------------------

OUTAGE_CUES = (
    r"\boutage|disturbance|\bincident|trouble ticket|service[- ]affecting|service impact|\bfault\b|"
    r"service (interruption|degradation|disruption|alert)|unplanned|network (event|issue)|"
    r"loss of (service|connectivity|signal|traffic)|\bdegrad|\bdown\b|\bunavailab|"
    r"fib(er|re) (cut|break|damage)|\btrouble\b|\binvestigating\b|packet loss|unreachab|\bdocket\b|"
    # de, fr, es, it, nl, pt
    r"störung|\bausfall|beeinträchtigung|"
    r"\bpanne|interruption de service|dérangement|perturbation|"
    r"incidencia|avería|\bfalla\b|interrupción|caída del servicio|"
    r"\bguasto|disservizio|interruzione|"
    r"\bstoring|verstoring|onderbreking|"
    r"incidente|\bfalha\b|interrupção|indisponibilidade"
)
# A planned maintenance also speaks of "outage" ("Planned Outage Work", "expected outage: 4 hours").
MAINTENANCE_CUES = (
    r"maint|\bplanned|\bscheduled|\bchange (request|notification)|work notification|emergency work|"
    r"re-?schedul|upgrade|"
    r"wartung|geplante|travaux programmés|mantenimiento|programad[oa]|manutenzione|programmat[oa]|"
    r"onderhoud|gepland|manutenção|programad[oa]"
)
# In a body, "scheduled" alone is no cue: outage updates promise "the next update is scheduled for 14:00".
BODY_MAINTENANCE_CUES = (
    r"maint|\bplanned (work|outage|activity|event)|\bscheduled (work|outage|activity|event|window)|"
    r"\bchange (request|notification)|work notification|emergency work|re-?schedul|"
    r"wartungsarbeit|geplante arbeiten|travaux programmés|mantenimiento programado|manutenzione programmata|"
    r"gepland onderhoud|manutenção programada"
)
# Words before a ticket number in a subject ("Case 00412345", "Docket 2611030045", "Störung NLN-1"), when no
# label gives the ticket.
SUBJECT_TICKET_WORDS = (
    "trouble ticket", "trouble notification", "trouble", "ticket", "case", "incident", "fault", "TT",
    "reference", "ref", "docket", "störungsmeldung", "störung", "incidencia", "incidente", "guasto",
    "segnalazione guasto", "storingsmelding", "storing", "chamado",
)  # fmt: skip

# --- replies and forwards: where the quoted history starts ------------------------------------------------

# A line that starts the history a reply or forward carries: everything below it is an earlier message
# (parsers.quotes). Outlook's "-----Original Message-----" in each language, the "From:"/"Sent:" header
# block of a quoted message, "On <date>, <someone> wrote:" and a status page's "Previous updates" log.
ORIGINAL_MESSAGE_MARKERS = (
    "Original Message", "Forwarded message", "Ursprüngliche Nachricht", "Weitergeleitete Nachricht",
    "Message d'origine", "Message transféré", "Mensaje original", "Mensaje reenviado", "Messaggio originale",
    "Messaggio inoltrato", "Oorspronkelijk bericht", "Doorgestuurd bericht", "Mensagem original",
    "Mensagem encaminhada",
)  # fmt: skip
FORWARD_MARKERS = ("Forwarded message", "Weitergeleitete Nachricht", "Message transféré", "Mensaje reenviado",
                   "Messaggio inoltrato", "Doorgestuurd bericht", "Mensagem encaminhada")  # fmt: skip
# "On Tue, 3 Nov 2026 ... wrote:": the words that open and close that line, per language.
WROTE_OPENERS = ("On", "Am", "Le", "El", "Il", "Op", "Em")
WROTE_WORDS = ("wrote", "schrieb", "a écrit", "escribió", "ha scritto", "schreef", "escreveu")
# A quoted message's header block: a "From:" line and, within the next lines, a "Sent:"/"Date:" line.
QUOTED_FROM = ("From", "Von", "De", "Da", "Van")
QUOTED_SENT = ("Sent", "Date", "Gesendet", "Datum", "Envoyé", "Enviado", "Enviado el", "Inviato", "Data",
               "Verzonden", "Enviada")  # fmt: skip
PREVIOUS_UPDATES_MARKERS = (
    "Previous updates", "Previous update", "Earlier updates", "Update history", "Incident history",
    "Bisherige Updates", "Bisherige Meldungen", "Verlauf", "Mises à jour précédentes", "Historique",
    "Actualizaciones anteriores", "Historial", "Aggiornamenti precedenti", "Cronologia", "Eerdere updates",
    "Atualizações anteriores", "Histórico",
)  # fmt: skip
# HTML elements mail programs wrap the quoted message in (Outlook, Gmail, Thunderbird, Apple Mail, Yahoo).
QUOTE_CONTAINER_IDS = ("divRplyFwdMsg", "appendonsend", "OLK_SRC_BODY_SECTION")
QUOTE_CONTAINER_CLASSES = ("gmail_quote", "moz-cite-prefix", "yahoo_quoted", "OutlookMessageHeader")
# Subject prefixes of a forward (the forwarded message is then the notice itself).
FORWARD_PREFIXES = ("fw", "fwd", "wg", "tr", "rv", "i", "enc", "doorst")

# --- dates in other languages ------------------------------------------------------------------------------

# Month names (and their usual abbreviations) per language, January first; read as the English month.
MONTH_NAMES: dict[str, tuple[tuple[str, ...], ...]] = {
    "de": (("januar", "jän", "jänner"), ("februar",), ("märz", "mär", "mrz"), ("april",), ("mai",), ("juni",),
           ("juli",), ("august",), ("september",), ("oktober", "okt"), ("november",), ("dezember", "dez")),
    "fr": (("janvier", "janv"), ("février", "févr", "fév"), ("mars",), ("avril", "avr"), ("mai",),
           ("juin",), ("juillet", "juil"), ("août",), ("septembre",), ("octobre",), ("novembre",),
           ("décembre", "déc")),
    "es": (("enero", "ene"), ("febrero",), ("marzo",), ("abril", "abr"), ("mayo",), ("junio",), ("julio",),
           ("agosto", "ago"), ("septiembre", "setiembre"), ("octubre",), ("noviembre",),
           ("diciembre", "dic")),
    "it": (("gennaio", "gen"), ("febbraio",), ("marzo",), ("aprile",), ("maggio", "mag"), ("giugno", "giu"),
           ("luglio", "lug"), ("agosto",), ("settembre", "sett"), ("ottobre", "ott"), ("novembre",),
           ("dicembre",)),
    "nl": (("januari",), ("februari",), ("maart", "mrt"), ("april",), ("mei",), ("juni",), ("juli",),
           ("augustus",), ("september",), ("oktober",), ("november",), ("december",)),
    "pt": (("janeiro",), ("fevereiro", "fev"), ("março",), ("abril",), ("maio",), ("junho",), ("julho",),
           ("agosto",), ("setembro", "set"), ("outubro", "out"), ("novembro",), ("dezembro", "dez")),
}  # fmt: skip
WEEKDAY_NAMES: dict[str, tuple[str, ...]] = {
    "de": ("montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "sonntag"),
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "es": ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
    "it": ("lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica"),
    "nl": ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
    "pt": ("segunda-feira", "terça-feira", "quarta-feira", "quinta-feira", "sexta-feira", "sábado",
           "domingo"),
}  # fmt: skip
# Words around a date or time that say nothing about it ("am 4. November um 14:15 Uhr", "le 4 novembre à
# 14h15", "4 de noviembre de 2026, 14:15 h", "ore 14:15", "om 14:15 uur", "às 14h15", "14:15 hrs/hs").
# Dropped before the date is read; "am", "le" and "el" only before a digit (English "am" is a time of day).
DATE_FILLERS = ("um", "uhr", "à", "às", "a las", "alle", "ore", "om", "uur", "de", "del", "do", "da", "h",
                "hs", "hrs", "hr", "horas")  # fmt: skip
DATE_FILLERS_BEFORE_DIGIT = ("am", "le", "el", "il", "op", "em", "on")

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
    "ART": -3, "MEZ": 1, "MESZ": 2, "IDT": 3, "WAT": 1, "CAT": 2, "NZT": 12,
}  # fmt: skip
# Abbreviations that stand for different zones in different countries: the sender's country domain decides
# ("IST" from a .ie sender is Irish Standard Time), else the first country listed here, with a warning.
ZONE_BY_COUNTRY: dict[str, dict[str, tuple[float, str]]] = {
    "IST": {
        "in": (5.5, "India Standard Time"),
        "ie": (1, "Irish Standard Time"),
        "il": (2, "Israel Standard Time"),
    },
}
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
    "Moscow Time": "MSK", "Central": "CT", "Mountain": "MT",
    "Mitteleuropäische Sommerzeit": "MESZ", "Mitteleuropäische Zeit": "MEZ",
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
_DAY_FIRST_ZONES = ("WET", "WEST", "BST", "IST", "IDT", "MEZ", "MESZ", "CET", "CEST", "MET", "MEST", "EET",
                    "EEST", "MSK", "SAST",
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
