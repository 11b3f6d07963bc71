"""Built-in knowledge of common document types, lent to the categories that name them.

Zero-shot, each category becomes a *profile* built from its name, description and keywords,
plus a small built-in lexicon of common document types (``CONCEPTS``). A concept is linked to
a category only when the category's own name or description uses one of the concept's
trigger words, so a user taxonomy with a "purchase receipts" category gets the receipt
vocabulary and layout cue (price-like amounts, a total line) while a "weather forecast"
category gets neither and is matched on its own words alone. A concept also knows what its
documents call themselves in a title, in the major European languages ("Rechnung", "Final
Report"): a document whose first lines name its type gets ``TITLE_BONUS`` on that cue.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from docclass.taxonomy import Category

Cue = Callable[[dict[str, float]], float]


@dataclass(frozen=True)
class Concept:
    """A general document type, lent to any category whose name or description names it.

    ``vocabulary`` joins the profile of a category whose *name* uses a trigger; ``cue``
    (0–1, from :func:`structure`) adds to the score of any linked category; ``evidence``
    is how the rationale describes a cue that fired.
    """

    name: str
    triggers: tuple[str, ...]
    vocabulary: str
    cue: Cue
    evidence: str
    # What documents of this type call themselves in their title, in English and the major
    # European languages: a regex alternation (German compounds: "\w*bericht"); see lead().
    titles: str = ""

    def strength(self, s: dict[str, float], lead: str) -> float:
        """The layout cue, plus ``TITLE_BONUS`` when the document's title names this type."""
        return self.cue(s) + (TITLE_BONUS if self.titled(lead) else 0.0)

    def titled(self, lead: str) -> bool:
        """Whether the lead (first short lines, lower-cased) names this type."""
        return bool(self.titles) and _title_pattern(self.titles).search(lead) is not None

    def explain(self, s: dict[str, float], lead: str) -> tuple[float, str]:
        """The strength and how the rationale words it (the title, when that decided)."""
        cue = self.cue(s)
        if self.titled(lead) and cue < TITLE_BONUS:
            return cue + TITLE_BONUS, f"a title naming it a {self.name}"
        return self.strength(s, lead), self.evidence


# Added to a concept's cue when the document's first lines name its type ("Final Report",
# "Rechnung", "User Manual"): a document that says what it is is one.
TITLE_BONUS = 0.5


@lru_cache(maxsize=64)
def _title_pattern(titles: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w)(?:{titles})(?!\w)")


def _transaction(s: dict[str, float]) -> float:
    """Many price-like amounts, a total line, short numeric lines: a sale or a bill."""
    return (
        s["amounts"]
        * (0.4 + 0.2 * s["total"] + 0.2 * s["short_lines"] + 0.2 * s["numeric"])
        * (1.0 - 0.5 * s["long_lines"])
    )


CONCEPTS: tuple[Concept, ...] = (
    Concept(
        "receipt",
        ("receipt", "purchase", "till", "cashier", "checkout", "point of sale"),
        "receipt total subtotal tax cash change tendered card visa mastercard debit paid "
        "payment qty quantity item items price amount discount store shop cashier "
        "thank you come again refund exchange tip order table"
        " kassenbon quittung summe bar gegeben rückgeld kasse beleg ticket de caisse reçu"
        " espèces rendu recibo ticket efectivo cambio scontrino contanti resto bon kassabon",
        _transaction,
        "price-like amounts and a total line",
        titles=(
            r"receipt|kassenbon|kassenbeleg|quittung|reçu|ticket de caisse|recibo|"
            r"ticket de compra|scontrino|ricevuta|kassabon"
        ),
    ),
    Concept(
        "invoice",
        ("invoice", "bill", "billing"),
        "invoice invoice number invoice date bill to ship to sold to customer due date "
        "amount due balance due payment terms remit to purchase order unit price quantity "
        "description subtotal tax vat total account"
        " rechnung rechnungsnummer rechnungsdatum leistungsdatum mwst ust umsatzsteuer"
        " nettobetrag gesamtbetrag zahlbar bis zahlungsziel facture numéro de facture date de"
        " facture tva montant ht ttc total ttc échéance net à payer factura fecha de factura iva"
        " importe base imponible fattura importo imponibile factuur btw bedrag",
        lambda s: 0.8 * _transaction(s) + 0.2 * s["label_value"],
        "price-like amounts and labelled fields",
        titles=r"invoice|rechnung|facture|factura|fattura|factuur|credit note",
    ),
    Concept(
        "email",
        ("email", "e-mail", "emails", "inbox"),
        "from to cc subject sent re fw forwarded original message reply wrote thanks "
        "thank you please let me know regards hi hello attached attachment meeting call "
        "discuss fyi cheers",
        lambda s: (
            0.45 * s["headers"]
            + 0.2 * s["emails"]
            + 0.2 * s["forward"]
            + 0.15 * max(s["salutation"], s["i_you"])
        ),
        "From/To/Subject header lines",
    ),
    Concept(
        "letter",
        ("letter", "letters", "correspondence"),
        "dear sincerely yours faithfully yours truly regards enclosed enclosure please find "
        "writing to inform reference address"
        " sehr geehrte sehr geehrter mit freundlichen grüßen madame monsieur veuillez agréer"
        " cordialement estimado estimada atentamente gentile distinti saluti geachte met"
        " vriendelijke groet i am writing look forward hearing from you your consideration"
        " thank you for your time yours"
        " ich freue mich je vous prie dans l'attente quedo a la espera in attesa in afwachting",
        lambda s: min(1.0, 0.5 * s["dear"] + 0.5 * s["dear_top"] + 0.4 * s["closing"]),
        "a 'Dear …' salutation and a closing",
    ),
    Concept(
        "memo",
        ("memo", "memorandum", "memos", "memoranda"),
        "memorandum memo to from date subject re all staff employees department policy "
        "effective please note"
        " aktennotiz hausmitteilung betreff note de service objet memorándum asunto nota"
        " interna promemoria oggetto onderwerp",
        lambda s: max(s["memo"] * (0.5 + 0.5 * s["headers"]), s["memo_block"]),
        "a memo heading or a To/From/Date block",
    ),
    Concept(
        "contract",
        ("contract", "contracts", "agreement", "agreements", "lease", "nda"),
        "agreement party parties shall hereby herein hereto hereof thereof whereas term "
        "termination terminate obligations rights warrants warranties represents indemnify "
        "indemnification liability breach governing law jurisdiction confidential "
        "confidentiality effective date executed signature section provisions notwithstanding "
        "pursuant license fees notice assign"
        " vertrag vereinbarung vertragsparteien kündigung contrat accord parties résiliation"
        " contrato acuerdo cláusula contratto accordo overeenkomst",
        lambda s: 0.6 * s["defined"] + 0.4 * s["sections"],
        "defined terms and numbered clauses",
        titles=(
            r"agreement|contract|\w*vertrag|\w*vereinbarung|contrat|contrato|contratto|"
            r"accordo|\w*overeenkomst"
        ),
    ),
    Concept(
        "legal filing",
        ("court", "filing", "lawsuit", "litigation", "pleading", "plaintiff", "defendant"),
        "court plaintiff defendant plaintiffs defendants petitioner respondent appellant case "
        "no civil action judge honorable motion complaint order counsel attorney filed "
        "district county versus hearing relief damages alleges respectfully submitted",
        lambda s: 0.7 * s["versus"] + 0.3 * s["sections"],
        "a case caption",
    ),
    Concept(
        "resume",
        ("resume", "résumé", "cv", "curriculum vitae", "vitae", "candidate"),
        "resume curriculum vitae profile summary objective career experience work "
        "experience professional experience employment history education qualifications "
        "skills technical skills languages certifications projects responsibilities "
        "achievements university college bachelor master degree diploma internship "
        "developed managed worked years proficient knowledge references",
        lambda s: (
            0.5 * s["cv_headings"] + 0.3 * s["date_ranges"] + 0.2 * s["bullets"] * s["short_lines"]
        ),
        "résumé headings (education, skills, experience)",
        titles=r"resume|résumé|curriculum vitae|cv|lebenslauf|currículum",
    ),
    Concept(
        "scientific",
        ("scientific", "scholarly", "academic", "research", "journal", "abstract", "thesis"),
        "abstract we our propose present show demonstrate approach method methods model "
        "models algorithm framework results experiments experimental evaluation dataset data "
        "analysis theory theorem hypothesis significant performance novel existing paper "
        "study investigate simulation parameters estimate observed",
        lambda s: (
            s["we"]
            * (0.4 + 0.3 * s["sentence_len"] + 0.3 * s["long_lines"])
            * (1.0 - s["amounts"])
            * (1.0 - 0.5 * s["quotes"])
            * (1.0 - s["headers"])
            * (1.0 - s["dear_top"])
            * (1.0 - s["sparse_pages"])
        ),
        "long 'we'-voice sentences",
    ),
    Concept(
        "news",
        ("news", "journalistic", "journalism", "newspaper", "press", "reporter", "headline"),
        "said says told according to reported spokesman officials government minister "
        "president mr mrs ms percent million billion year week yesterday announced statement "
        "police public company market people",
        lambda s: (0.5 * s["quotes"] + 0.5 * s["said"]) * (0.5 + 0.5 * s["long_lines"]),
        "quoted speech and 'said'",
    ),
    Concept(
        "report",
        ("report", "reports", "findings", "assessment"),
        "report executive summary introduction background scope methodology findings "
        "analysis results discussion conclusions recommendations appendix table figure "
        "section quarter annual performance overview objectives assessment audit evaluation "
        "key findings prepared for prepared by table of contents purpose conclusion"
        " bericht zusammenfassung ergebnisse empfehlungen einleitung rapport synthèse"
        " recommandations résultats informe resumen ejecutivo conclusiones recomendaciones"
        " relazione rapporto sintesi conclusioni raccomandazioni verslag samenvatting"
        " conclusies aanbevelingen",
        lambda s: (
            min(1.0, 0.4 * s["sections"] + 0.4 * s["toc"] + 0.4 * s["prepared"])
            * (1.0 - 0.5 * s["quotes"])
        ),
        "numbered sections, a table of contents or a 'prepared for' line",
        titles=(
            r"report|\w*bericht|rapport|informe|relazione|rapporto|\w*verslag|assessment|"
            r"audit"
        ),
    ),
    Concept(
        "form",
        ("form", "forms", "questionnaire", "registration"),
        "form please print please complete fill in name address date of birth signature "
        "date applicant tick check box yes no office use only required"
        " formular antrag unterschrift geburtsdatum anschrift formulaire date de naissance"
        " adresse formulario firma fecha de nacimiento modulo data di nascita indirizzo"
        " formulier handtekening geboortedatum",
        lambda s: 0.4 * s["blanks"] + 0.3 * s["label_empty"] + 0.3 * s["label_value"],
        "blank fields to fill in",
        titles=(
            r"form|\w*formular|formulaire|formulario|modulo|\w*formulier|questionnaire|"
            r"\w*fragebogen|cuestionario|questionario|vragenlijst"
        ),
    ),
    Concept(
        "manual",
        ("manual", "guide", "handbook", "instructions", "tutorial"),
        "manual guide instructions step steps install installation setup configure "
        "configuration settings click press select open turn button menu screen warning "
        "caution note troubleshooting device power connect make sure ensure chapter "
        "user manual user guide getting started requirements usage options"
        " anleitung handbuch bedienungsanleitung schritt einstellungen hinweis warnung manuel"
        " mode d'emploi étape réglages avertissement paso configuración advertencia manuale"
        " istruzioni passo impostazioni avvertenza handleiding stap instellingen"
        " waarschuwing",
        lambda s: 0.5 * s["imperative"] + 0.3 * s["bullets"] + 0.2 * s["toc"],
        "step-by-step instructions",
        titles=(
            r"manual|user guide|guide|handbook|\w*handbuch|\w*anleitung|manuel|"
            r"mode d'emploi|guía|manuale|istruzioni|handleiding|gebruiksaanwijzing"
        ),
    ),
    Concept(
        "presentation",
        ("presentation", "slides", "slide", "deck", "slideshow"),
        "slide agenda overview presentation key points questions thank you next steps "
        "summary objectives outline motivation demo takeaways talk speaker any questions"
        " folie vortrag gliederung fragen vielen dank diapositive présentation plan merci"
        " diapositiva presentación preguntas gracias presentazione domande grazie dia"
        " presentatie vragen bedankt",
        lambda s: max(s["short_lines"] * s["bullets"], s["sparse_pages"]) * (1.0 - s["amounts"]),
        "short bullet lines or pages with little text",
    ),
    Concept(
        "bank statement",
        ("bank", "banking", "bank statement", "account statement", "statement of account"),
        "statement account number account summary opening balance closing balance balance "
        "brought forward deposit deposits withdrawal withdrawals transaction transactions "
        "debit credit interest fees transfer direct debit atm branch statement period "
        "available balance"
        " kontoauszug kontostand saldo buchung gutschrift lastschrift relevé de compte solde"
        " extracto de cuenta estratto conto rekeningafschrift",
        lambda s: max(s["statement_format"], s["dated_amounts"], s["dates"] * s["amounts"]),
        "dated amounts or an electronic statement format",
        titles=(
            r"bank statement|account statement|statement of account|card statement|"
            r"kontoauszug|relevé de compte|relevé bancaire|extracto bancario|"
            r"extracto de cuenta|estratto conto|rekeningafschrift|bankafschrift"
        ),
    ),
)

# Layout a description may spell out ("verse in short lines", "with checkboxes"): linked
# like concepts, by the words alone, whatever the category is called. Quotes and greetings
# were tried too and dropped: emails have both, and they pulled emails to news and letters.
LAYOUTS: tuple[Concept, ...] = (
    Concept(
        "short lines",
        ("short lines", "line breaks", "one line each"),
        "",
        lambda s: s["short_lines"] * (1.0 - s["amounts"]) * (1.0 - s["numeric"]),
        "short lines",
    ),
    Concept(
        "bullets",
        ("bullet", "bullets", "bullet points", "bulleted"),
        "",
        lambda s: s["bullets"],
        "bullet points",
    ),
    Concept(
        "amounts",
        ("price", "prices", "amount", "amounts", "total", "totals", "cost", "costs"),
        "",
        lambda s: s["amounts"],
        "money amounts",
    ),
    Concept(
        "steps",
        ("steps", "step-by-step", "instructions"),
        "",
        lambda s: s["imperative"],
        "instructions",
    ),
    Concept(
        "fields",
        ("fields", "checkbox", "checkboxes", "blanks", "fill in"),
        "",
        lambda s: 0.5 * s["blanks"] + 0.5 * s["label_empty"],
        "blank fields",
    ),
)

# What a catch-all category ("other") is made of in practice: texts that are no business
# document at all. Lent to every catch-all category, so "none of these" is a decision made on
# evidence (a recipe's ingredients, a poem's lines, code, a story's dialogue), not only the
# absence of a better match.
MISCELLANY = Concept(
    "miscellany",
    (),
    "recipe ingredients ingredient cup cups tbsp tsp tablespoon teaspoon oven bake baking "
    "minutes stir salt pepper sugar flour butter garlic onion serve servings cook heat boil "
    "poem poems verse stanza love heart soul night dream sky moon sun thee thy thou oh "
    "song lyrics chorus verse chords sing baby "
    "chapter story tale once upon a time she he her his whispered cried replied looked eyes "
    "door room felt thought knew "
    "def class import return function var const let true false none null self print "
    "readme install usage license contributing github repository npm pip",
    lambda s: max(
        s["code"],
        0.7
        * s["short_lines"]
        * (1.0 - s["numeric"])
        * (1.0 - s["amounts"])
        * (1.0 - s["bullets"])
        * (1.0 - s["label_value"]),
    ),
    "no business-document layout (verse, code or a recipe)",
)

_CATCH_ALL_NAMES = {"other", "others", "misc", "miscellaneous", "unknown", "none", "unclassified"}


def is_catch_all(category: Category) -> bool:
    """A category for what fits nowhere else (by name, or a description saying so)."""
    desc = category.description.lower()
    return category.name.strip().lower() in _CATCH_ALL_NAMES or (
        not category.keywords and ("does not fit" in desc or "none of the" in desc)
    )


def _phrase_in(phrase: str, text: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text) is not None


def concept_links(category: Category) -> list[tuple[Concept, float]]:
    """Concepts a category is about: 1.0 when its name uses a trigger, 0.5 its description."""
    name = category.name.lower().replace("_", " ")
    desc = category.description.lower()
    links = [(MISCELLANY, 1.0)] if is_catch_all(category) else []
    for concept in (*CONCEPTS, *LAYOUTS):
        if any(_phrase_in(t, name) for t in concept.triggers):
            links.append((concept, 1.0))
        elif any(_phrase_in(t, desc) for t in concept.triggers):
            links.append((concept, 0.5))
    return links


def profile_text(category: Category) -> str:
    """Words a document of this category is expected to use; name and keywords count twice."""
    name = category.name.replace("_", " ")
    parts = [name, name, category.description, *category.keywords, *category.keywords]
    parts += [c.vocabulary for c, w in concept_links(category) if w >= 1.0 and c.vocabulary]
    return "\n".join(parts)
