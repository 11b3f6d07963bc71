"""The offline classifier: TF-IDF, keyword and layout cues, zero-shot or from examples.

Zero-shot, each category becomes a *profile* built from its name, description and keywords,
plus a small built-in lexicon of common document types (``CONCEPTS``). A concept is linked to
a category only when the category's own name or description uses one of the concept's
trigger words, so a user taxonomy with a "purchase receipts" category gets the receipt
vocabulary and layout cue (price-like amounts, a total line) while a "weather forecast"
category gets neither and is matched on its own words alone. A document is scored against
each profile by TF-IDF cosine, explicit keyword hits and the linked layout cues; a softmax
over that evidence gives the scores.

With examples (taxonomy example folders, analyst corrections) a linear SVM over word TF-IDF
is fitted and blended log-linearly with the zero-shot scores, so categories without examples
still compete and the zero-shot prior fades as examples accumulate.

``classify_batch`` adds what only a batch can give: the confident answers (plus examples)
train a model over TF-IDF fitted on the batch itself, which re-scores every document, twice.

Only the head of a document (``HEAD_CHARS``) is read: the opening carries its type, and it
keeps one ``classify`` call around a millisecond. The numeric constants below were grid-
searched on the even-numbered half of the development documents only; ``bench/classify_eval.py``
reports the odd half next to it.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

from docclass.classifiers.base import Classification
from docclass.detectors import DetectorResult, detect_emails
from docclass.taxonomy import Category, Taxonomy

HEAD_CHARS = 2000
# Softmax temperature over zero-shot evidence: the log-loss optimum on the tuning half.
TEMPERATURE = 0.05
# Weights of the zero-shot evidence: TF-IDF similarity, explicit keywords, layout cues.
W_SIM = 4.0
W_KEYWORDS = 0.5
W_CUES = 0.6
# Evidence of a catch-all category ("other"): above what short unrelated texts (a weather
# report, lorem ipsum) reach against the default taxonomy, below 99% of real documents.
OTHER_EVIDENCE = 0.1
# Log-linear weight of the zero-shot distribution next to the examples' model, at zero
# examples; it fades as 1 / (1 + examples per category / 20).
ZERO_SHOT_WEIGHT = 0.4
SVM_C = 0.5
SVM_TEMPERATURE = 0.3  # when there are too few examples to fit one
# Log-odds per unit of cosine to the nearest example when all examples share one category.
ONE_CLASS_WEIGHT = 4.0
# Batch self-training: rounds, share of each predicted class used as pseudo-labels, weight.
SELF_TRAIN_ROUNDS = 2
SELF_TRAIN_SHARE = 0.8
SELF_TRAIN_WEIGHT = 2.0
MIN_BATCH = 12

# --- tokens ------------------------------------------------------------------------------

_TOKEN = re.compile(r"[^\W_][\w'&]*[^\W_]|[^\W_]")
# Function words only: pronouns (we/our, i/you), "shall" and "said" stay: they mark types.
_STOP = frozenset(
    [
        "a", "an", "the", "and", "or", "nor", "but", "if", "then", "than", "so", "as", "of", "at",
        "by", "for", "in", "into", "onto", "on", "off", "to", "from", "up", "down", "out", "over",
        "under", "with", "within", "without", "about", "above", "below", "between", "through",
        "during", "before", "after", "is", "are", "was", "were", "be", "been", "being", "am", "do",
        "does", "did", "done", "has", "have", "had", "having", "it", "its", "this", "that", "these",
        "those", "there", "here", "such", "any", "some", "each", "every", "all", "both", "either",
        "neither", "other", "another", "can", "could", "may", "might", "must", "will", "would",
        "should", "not", "no", "yes", "very", "too", "also", "just", "only", "own", "same", "which",
        "who", "whom", "whose", "what", "when", "where", "why", "how", "s", "t",
    ]
)  # fmt: skip


@lru_cache(maxsize=100_000)
def _stem(word: str) -> str:
    """A crude suffix stripper so 'proposed', 'proposes' and 'propose' meet; cached."""
    if len(word) <= 4 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 5:
        word = word[:-3] + "y"
    elif word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if word.endswith("ing") and len(word) > 6:
        word = word[:-3]
    elif word.endswith("ed") and len(word) > 5:
        word = word[:-2]
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word


def analyze(text: str) -> list[str]:
    """Stemmed word unigrams and bigrams without function words: every vectorizer's analyser."""
    # Bare numbers (IDs, amounts, clause numbers) name no document type: left out.
    toks = [_stem(t) for t in _TOKEN.findall(text.lower()) if t not in _STOP and not t.isdigit()]
    return [*toks, *(f"{a} {b}" for a, b in pairwise(toks))]


@dataclass(frozen=True)
class _Doc:
    """One document's TF-IDF vector as parallel (column, weight) arrays, L2-normalised."""

    cols: np.ndarray
    data: np.ndarray


class _Vectorizer:
    """Word 1–2-gram TF-IDF with a pure-Python single-document transform.

    sklearn's ``transform`` costs ~1.4 ms for one document, mostly overhead; a Counter and a
    dict lookup give the same vector in ~0.3 ms. Out-of-vocabulary terms still count towards
    the document's norm (at the highest IDF), so a document that shares one word with a
    short profile is not scored as a perfect match.
    """

    def __init__(self, docs: Sequence[str]) -> None:
        # The fitted documents' own vectors, kept so that fitting costs one pass.
        self.fitted, self.vocabulary, self.idf = _fit_tfidf(docs)
        self.oov_idf = float(self.idf.max()) if len(self.idf) else 1.0
        self.terms = [""] * len(self.vocabulary)
        for term, index in self.vocabulary.items():
            self.terms[index] = term

    @property
    def size(self) -> int:
        return len(self.vocabulary)

    def one(self, text: str) -> _Doc:
        cols: list[int] = []
        tf: list[float] = []
        oov = 0.0
        for term, n in Counter(analyze(text)).items():
            weight = 1.0 + math.log(n)
            index = self.vocabulary.get(term)
            if index is None:
                oov += (weight * self.oov_idf) ** 2
            else:
                cols.append(index)
                tf.append(weight)
        cols_a = np.asarray(cols, dtype=np.int64)
        data = np.asarray(tf) * self.idf[cols_a]
        norm = math.sqrt(float(data @ data) + oov) or 1.0
        return _Doc(cols_a, data / norm)


def _fit_tfidf(docs: Sequence[str]) -> tuple[sparse.csr_matrix, dict[str, int], np.ndarray]:
    """L2-normalised TF-IDF rows, vocabulary and IDF; empty when the docs have no words."""
    sk = TfidfVectorizer(analyzer=analyze, sublinear_tf=True, norm=None)
    try:
        matrix = sk.fit_transform(docs)
    except ValueError:  # "empty vocabulary": only digits-free punctuation or function words
        return sparse.csr_matrix((len(docs), 0)), {}, np.zeros(0)
    return _l2_rows(matrix), sk.vocabulary_, sk.idf_


def _l2_rows(matrix: sparse.spmatrix) -> sparse.csr_matrix:
    matrix = sparse.csr_matrix(matrix, dtype=float)
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1))).ravel()
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(sparse.diags(1.0 / norms) @ matrix)


def softmax(scores: np.ndarray, temperature: float = TEMPERATURE) -> np.ndarray:
    z = scores / temperature
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


# --- layout measurements -----------------------------------------------------------------
# Patterns run on the lower-cased head unless they need case; cheaper than the detectors'
# date and money patterns, and they also catch amounts written "RM12.50" or "12.50".

_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]{0,6}"
_DATE = re.compile(
    rf"\b\d{{1,4}}[/.-]\d{{1,2}}[/.-]\d{{2,4}}\b|\b{_MONTH}\.?\s+\d{{1,2}}\b"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}\b"
)
_CURRENCY = re.compile(r"[$€£¥₹]\s?\d|\b(?:USD|EUR|GBP|RM|MYR|SGD|AUD|CAD|CHF|JPY|INR)\s?\d")
_AMOUNT = re.compile(r"(?<![\d.,/:-])\d{1,3}(?:[,.' ]\d{3})*[.,]\d{2}(?![\d.,/:-]|\s?%)")
_NUMBER = re.compile(r"\d+(?:[.,:/-]\d+)*")  # a number like 1,234.50 counts once
_TOTAL = re.compile(r"\b(?:sub\s?-?total|total|amount due|balance due|amount payable|net amount)\b")
_HEADER = re.compile(r"^(from|to|cc|bcc|subject|sent|date|re|fw|fwd)\s?:", re.M)
_FORWARD = re.compile(r"forwarded by|original message|\bwrote\s?:|^(?:re|fw|fwd)\s?:", re.M)
_SALUTATION = re.compile(r"^(?:dear|hi|hello|hey|good (?:morning|afternoon))\b", re.M)
_DEAR = re.compile(r"^dear\b", re.M)
_CLOSING = re.compile(
    r"\b(?:sincerely|yours faithfully|yours truly|regards|best wishes|respectfully yours)\b"
)
_LABEL_VALUE = re.compile(r"^[^\W\d_][\w ./#&()'-]{0,40}?\s?:\s?\S", re.M)
_LABEL_EMPTY = re.compile(r"^[^\W\d_][\w ./#&()'-]{0,40}?\s?:[ \t]*(?:_{2,}|\.{4,})?[ \t]*$", re.M)
_BLANKS = re.compile(r"_{4,}|\[\s?\]|☐|□|\(\s\)")
_QUOTE = re.compile(r"[\"“”]")
_SAID = re.compile(r"\b(?:said|says|told|according to|spokes(?:man|woman|person))\b")
_WE = re.compile(r"\b(?:we|our|us)\b")
_I_YOU = re.compile(r"\b(?:i|me|my|you|your)\b")
_BULLET = re.compile(r"^(?:[•·▪◦●■►✓*–»-]|â¢|\d{1,2}[.)]\s)", re.M)
_SENTENCE_END = re.compile(r"[.!?](?:\s|$)")
_DATE_RANGE = re.compile(
    r"\b(?:19|20)\d{2}\s*(?:-|–|—|to|till)\s*(?:(?:19|20)\d{2}|present|current|now|date)\b"
)
_IMPERATIVE = re.compile(
    r"^(?:\d{1,2}[.)]\s*)?(?:click|press|select|open|turn|install|insert|connect|remove|"
    r"enter|choose|tap|make sure|ensure|do not|don't|go to|follow|plug|hold|unplug)\b",
    re.M,
)
_SECTION = re.compile(r"^(?:(?:section|article|clause)\s+\d+|\d{1,2}(?:\.\d{1,2})+\.?\s+\S)", re.M)
_DEFINED = re.compile(r"\(\s*(?:the\s+)?[\"“][A-Z]")
_VERSUS = re.compile(r"\b(?:v\.|vs\.?|versus)\s+[A-Z]")
_CASE_NO = re.compile(r"\bcase\s+no\b|\bdocket\b")
_MEMO = re.compile(r"\bmemo(?:randum)?\b")
# Short lines opening with a standard résumé heading ("Education", "Skills", "Experience").
_CV_HEADING = re.compile(
    r"^(education|experience|skills?|employment|qualifications?|projects?|certifications?|"
    r"objective|career|profile|languages|achievements|references|work history)\b.{0,30}$",
    re.M,
)


def _sat(x: float, scale: float) -> float:
    """Saturating 0–1 scale: 0 at 0, ~0.63 at ``scale``."""
    return 1.0 - math.exp(-max(x, 0.0) / scale)


def structure(head: str) -> dict[str, float]:
    """General layout measurements of a document head, each scaled to 0–1.

    They describe *how* a text is laid out (short numeric lines, header blocks, prose with
    quotes, bullet lists), which holds for documents whose vocabulary the taxonomy never
    mentions.
    """
    lines = [ln for ln in (raw.strip() for raw in head.splitlines()) if ln]
    body = "\n".join(lines)
    low = body.lower()
    n_lines = max(len(lines), 1)
    n_words = max(len(_TOKEN.findall(low)), 1)
    cased = [ln for ln in lines if ln.lower() != ln.upper()]
    # A line without end punctuation (a heading, a list item) ends a "sentence" too.
    unterminated = sum(1 for ln in lines if ln[-1] not in ".!?:;,")
    sentences = max(len(_SENTENCE_END.findall(body)) + unterminated, 1)
    amounts = max(len(_AMOUNT.findall(body)), len(_CURRENCY.findall(body)))
    per_kchar = 1000.0 / max(len(body), 200)
    return {
        "short_lines": sum(1 for ln in lines if len(ln) < 40) / n_lines,
        "long_lines": sum(len(ln) for ln in lines if len(ln) >= 100) / max(len(body), 1),
        "numeric": _sat(len(_NUMBER.findall(low)) / n_words, 0.2),
        # Per word, not per line: a news paragraph quoting three prices is one long line.
        "amounts": _sat(amounts * 100.0 / n_words, 6.0),
        "total": float(_TOTAL.search(low) is not None),
        "dates": _sat(len(_DATE.findall(low)) * per_kchar, 2.0),
        "emails": _sat(len(detect_emails(body)), 1.5),
        "headers": _sat(len({m.group(1) for m in _HEADER.finditer(low)}), 1.5),
        "forward": float(_FORWARD.search(low) is not None),
        "salutation": float(_SALUTATION.search(low) is not None),
        "dear": float(_DEAR.search(low) is not None),
        "closing": float(_CLOSING.search(low) is not None),
        "label_value": len(_LABEL_VALUE.findall(body)) / n_lines,
        "label_empty": _sat(len(_LABEL_EMPTY.findall(body)), 3.0),
        "blanks": _sat(len(_BLANKS.findall(body)), 3.0),
        "quotes": _sat(len(_QUOTE.findall(body)) * per_kchar, 4.0),
        "said": _sat(len(_SAID.findall(low)) * 100.0 / n_words, 0.6),
        "we": _sat(len(_WE.findall(low)) * 100.0 / n_words, 1.5),
        "i_you": _sat(len(_I_YOU.findall(low)) * 100.0 / n_words, 2.0),
        "bullets": len(_BULLET.findall(body)) / n_lines,
        "sentence_len": _sat(n_words / sentences, 20.0),
        "upper": sum(1 for ln in cased if ln == ln.upper()) / max(len(cased), 1),
        "date_ranges": _sat(len(_DATE_RANGE.findall(low)), 1.5),
        "imperative": _sat(len(_IMPERATIVE.findall(low)), 2.0),
        "sections": _sat(len(_SECTION.findall(low)), 2.0),
        "defined": _sat(len(_DEFINED.findall(body)), 1.5),
        "versus": _sat(len(_VERSUS.findall(body)) + len(_CASE_NO.findall(low)), 1.0),
        "memo": float(_MEMO.search(low[:400]) is not None),
        "cv_headings": _sat(len({m.group(1) for m in _CV_HEADING.finditer(low)}), 2.0),
    }


# --- built-in knowledge of common document types -----------------------------------------

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
        "thank you come again refund exchange tip order table",
        _transaction,
        "price-like amounts and a total line",
    ),
    Concept(
        "invoice",
        ("invoice", "bill", "billing"),
        "invoice invoice number invoice date bill to ship to sold to customer due date "
        "amount due balance due payment terms remit to purchase order unit price quantity "
        "description subtotal tax vat total account",
        lambda s: 0.8 * _transaction(s) + 0.2 * s["label_value"],
        "price-like amounts and labelled fields",
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
        "writing to inform reference address",
        lambda s: 0.6 * s["dear"] + 0.4 * s["closing"],
        "a 'Dear …' salutation and a closing",
    ),
    Concept(
        "memo",
        ("memo", "memorandum", "memos", "memoranda"),
        "memorandum memo to from date subject re all staff employees department policy "
        "effective please note",
        lambda s: s["memo"] * (0.5 + 0.5 * s["headers"]),
        "a memo heading",
    ),
    Concept(
        "contract",
        ("contract", "contracts", "agreement", "agreements", "lease", "nda"),
        "agreement party parties shall hereby herein hereto hereof thereof whereas term "
        "termination terminate obligations rights warrants warranties represents indemnify "
        "indemnification liability breach governing law jurisdiction confidential "
        "confidentiality effective date executed signature section provisions notwithstanding "
        "pursuant license fees notice assign",
        lambda s: 0.6 * s["defined"] + 0.4 * s["sections"],
        "defined terms and numbered clauses",
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
        "section quarter annual performance overview objectives",
        lambda s: 0.5 * s["sections"] * (1.0 - s["quotes"]),
        "numbered sections",
    ),
    Concept(
        "form",
        ("form", "forms", "questionnaire", "registration"),
        "form please print please complete fill in name address date of birth signature "
        "date applicant tick check box yes no office use only required",
        lambda s: 0.4 * s["blanks"] + 0.3 * s["label_empty"] + 0.3 * s["label_value"],
        "blank fields to fill in",
    ),
    Concept(
        "manual",
        ("manual", "guide", "handbook", "instructions", "tutorial"),
        "manual guide instructions step steps install installation setup configure "
        "configuration settings click press select open turn button menu screen warning "
        "caution note troubleshooting device power connect make sure ensure chapter",
        lambda s: 0.6 * s["imperative"] + 0.4 * s["bullets"],
        "step-by-step instructions",
    ),
    Concept(
        "presentation",
        ("presentation", "slides", "slide", "deck", "slideshow"),
        "slide agenda overview presentation key points questions thank you next steps "
        "summary objectives",
        lambda s: s["short_lines"] * s["bullets"] * (1.0 - s["amounts"]),
        "short bullet lines",
    ),
    Concept(
        "bank statement",
        ("bank", "banking", "bank statement", "account statement", "statement of account"),
        "statement account number account summary opening balance closing balance balance "
        "brought forward deposit deposits withdrawal withdrawals transaction transactions "
        "debit credit interest fees transfer direct debit atm branch statement period "
        "available balance",
        lambda s: s["dates"] * s["amounts"],
        "dated amounts",
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
    links = []
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


# --- the zero-shot model -----------------------------------------------------------------


@dataclass
class _Evidence:
    """Per-category evidence for documents (rows) before the softmax."""

    sim: np.ndarray
    keywords: np.ndarray
    cues: np.ndarray
    keyword_hits: list[list[list[str]]]

    def total(self, catch_all: np.ndarray) -> np.ndarray:
        scores = W_SIM * self.sim + W_KEYWORDS * self.keywords + W_CUES * self.cues
        scores[:, catch_all] = OTHER_EVIDENCE
        return scores


class _ZeroShot:
    """Category profiles and keyword matchers, built once per taxonomy."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.categories = taxonomy.categories
        self.profiles = [profile_text(c) for c in taxonomy.categories]
        self.vectorizer = _Vectorizer(self.profiles)
        # Dense (categories × profile vocabulary): one doc is scored by a fancy-indexed dot.
        self.profile_dense = self.vectorizer.fitted.toarray()
        self.catch_all = np.array([is_catch_all(c) for c in taxonomy.categories])
        self.links = [concept_links(c) for c in taxonomy.categories]
        self.keywords = [
            [
                (k, re.compile(rf"(?<!\w){re.escape(k)}(?!\w)"))
                for k in dict.fromkeys(k.lower() for k in c.keywords)
                if not _function_words_only(k)
            ]
            for c in taxonomy.categories
        ]

    def keyword_hits(self, low: str) -> list[list[str]]:
        """Keywords found in the lower-cased head; a substring test skips most regexes."""
        return [
            [k for k, pattern in keywords if k in low for _ in pattern.finditer(low)]
            for keywords in self.keywords
        ]

    def cue_row(self, s: dict[str, float]) -> np.ndarray:
        return np.array(
            [max((w * c.cue(s) for c, w in links), default=0.0) for links in self.links]
        )

    def evidence(
        self, heads: Sequence[str], structures: Sequence[dict[str, float]]
    ) -> tuple[_Evidence, list[_Doc]]:
        docs = [self.vectorizer.one(h) for h in heads]
        sim = np.vstack([self.profile_dense[:, d.cols] @ d.data for d in docs])
        hits = [self.keyword_hits(h.lower()) for h in heads]
        kw = np.array(
            [
                [
                    _keyword_score(h, len(c.keywords))
                    for h, c in zip(row, self.categories, strict=True)
                ]
                for row in hits
            ]
        )
        cues = np.vstack([self.cue_row(s) for s in structures])
        return _Evidence(sim=sim, keywords=kw, cues=cues, keyword_hits=hits), docs


def _function_words_only(keyword: str) -> bool:
    """A keyword like "from" or "to the" is in every document: as a cue it is pure bias.

    With punctuation ("from:", "re:") it is a real cue and stays.
    """
    words = keyword.split()
    return all(w in _STOP for w in words) and all(w.isalpha() for w in words)


def _keyword_score(hits: list[str], n_keywords: int) -> float:
    """Distinct keywords matched, with diminishing returns for repeats."""
    if not hits or not n_keywords:
        return 0.0
    distinct = len(set(hits))
    return _sat(distinct + 0.3 * math.log1p(len(hits) - distinct), 3.0)


# --- the supervised model ----------------------------------------------------------------


def _svm_scores(model: LinearSVC, x: sparse.spmatrix) -> np.ndarray:
    """One decision value per class, also for two classes (where sklearn gives one column)."""
    d = model.decision_function(x)
    return np.column_stack([-d, d]) if d.ndim == 1 else d


class _Supervised:
    """Word TF-IDF → linear SVM over the categories that have examples.

    A linear SVM fits in tens of milliseconds where lbfgs logistic regression took seconds
    on the same sparse features here; its margins become probabilities through a softmax
    whose temperature is fitted on out-of-fold margins when there are enough examples.
    Layout measurements are left to the zero-shot half of the blend: added here they made
    5- and 10-shot accuracy worse on the development set.
    """

    def __init__(self, heads: Sequence[str], labels: Sequence[str]) -> None:
        self.vectorizer = _Vectorizer(heads)
        self.classes: list[str] = sorted(set(labels))  # the order LinearSVC uses
        self.labels = list(labels)
        self.heads = list(heads)
        self.train = self.vectorizer.fitted
        self.train_by_term = self.train.T.tocsr()  # rows = terms, for one-doc nearest search
        self.per_class = float(np.median(list(Counter(self.labels).values())))
        self.model: LinearSVC | None = None
        self.coef = np.zeros((0, self.vectorizer.size))
        self.intercept = np.zeros(0)
        self.temperature = SVM_TEMPERATURE
        if len(self.classes) >= 2 and self.vectorizer.size:
            self.model = LinearSVC(C=SVM_C).fit(self.train, self.labels)
            self.coef = self.model.coef_
            self.intercept = self.model.intercept_
            if len(self.classes) == 2:
                self.coef = np.vstack([-self.coef[0], self.coef[0]])
                self.intercept = np.array([-self.intercept[0], self.intercept[0]])
            self.temperature = self._calibrate()

    def _calibrate(self) -> float:
        """Temperature minimising the log-loss of out-of-fold margins (≥2 per class)."""
        y = np.array([self.classes.index(c) for c in self.labels])
        smallest = int(np.bincount(y).min())
        if smallest < 2 or len(y) < 8:
            return SVM_TEMPERATURE
        folds = StratifiedKFold(n_splits=min(3, smallest), shuffle=True, random_state=0)
        margins = np.zeros((len(y), len(self.classes)))
        for train, test in folds.split(self.train, y):
            fold = LinearSVC(C=SVM_C).fit(self.train[train], y[train])
            margins[test] = _svm_scores(fold, self.train[test])
        grid = np.geomspace(0.05, 2.0, 24)
        losses = [-np.log(softmax(margins, t)[np.arange(len(y)), y] + 1e-12).mean() for t in grid]
        return float(grid[int(np.argmin(losses))])

    def proba(self, docs: Sequence[_Doc]) -> np.ndarray:
        """Class probabilities; with one class only, the cosine to the nearest example."""
        if self.model is None:
            return np.array([[self.similarity(d)] for d in docs])
        margins = np.vstack([self.coef[:, d.cols] @ d.data + self.intercept for d in docs])
        return softmax(margins, self.temperature)

    def _similarities(self, doc: _Doc) -> np.ndarray:
        return np.asarray(self.train_by_term[doc.cols].T @ doc.data).ravel()

    def nearest(self, doc: _Doc) -> int:
        return int(np.argmax(self._similarities(doc)))

    def similarity(self, doc: _Doc) -> float:
        sims = self._similarities(doc)
        return float(sims.max()) if len(sims) else 0.0

    def contributions(self, doc: _Doc, category: str) -> np.ndarray | None:
        if self.model is None or category not in self.classes:
            return None
        return doc.data * self.coef[self.classes.index(category), doc.cols]


# --- the classifier ----------------------------------------------------------------------


def _head(text: str) -> str:
    return text[:HEAD_CHARS]


class LocalClassifier:
    """Offline classifier: zero-shot from the taxonomy text, supervised once examples exist."""

    name = "local"

    def __init__(self, taxonomy: Taxonomy, examples: Sequence[tuple[str, str]] = ()) -> None:
        self.taxonomy = taxonomy
        self._names = taxonomy.names
        self._zero = _ZeroShot(taxonomy)
        self._others: dict[tuple[str, ...], LocalClassifier] = {}
        self._supervised: _Supervised | None = None
        self.refit(examples)

    @property
    def n_examples(self) -> int:
        return 0 if self._supervised is None else len(self._supervised.labels)

    # -- fitting --

    def refit(self, examples: Sequence[tuple[str, str]]) -> None:
        """(Re)fit the supervised part on (text, category) pairs; unknown categories are ignored.

        Fits on document heads only, so a few hundred examples take a fraction of a second.
        The new model replaces the old in one assignment, so concurrent ``classify`` calls
        see either the old or the new model, never half of each.
        """
        kept = [(_head(t), c) for t, c in examples if c in self._names and t and t.strip()]
        if not kept:
            self._supervised = None
            return
        self._supervised = _Supervised([h for h, _ in kept], [c for _, c in kept])

    # -- scoring --

    def _blend(self, sup: _Supervised, zero: np.ndarray, probs: np.ndarray) -> np.ndarray:
        """Log-linear blend; categories without examples get the examples' model's average.

        Examples of a single category fit no model (nothing to contrast them with): then the
        category gains log-odds in proportion to the document's cosine similarity to its
        nearest example, so a few corrections already pull look-alikes towards it.
        """
        if sup.model is None:
            column = self._names.index(sup.classes[0])
            logits = np.log(np.clip(zero, 1e-9, 1.0))
            logits[:, column] += ONE_CLASS_WEIGHT * probs[:, 0]
            return softmax(logits, 1.0)
        columns = [self._names.index(c) for c in sup.classes]
        log_sup = np.full(zero.shape, math.log(1.0 / max(len(columns), 2)))
        log_sup[:, columns] = np.log(np.clip(probs, 1e-9, 1.0))
        weight = ZERO_SHOT_WEIGHT / (1.0 + sup.per_class / 20.0)
        return softmax(weight * np.log(np.clip(zero, 1e-9, 1.0)) + log_sup, 1.0)

    def classify(
        self,
        text: str,
        detectors: Sequence[DetectorResult] = (),
        taxonomy: Taxonomy | None = None,
    ) -> Classification:
        """Classify one document (what the runner calls as documents stream through)."""
        if taxonomy is not None and not self._same_taxonomy(taxonomy):
            return self._other_taxonomy(taxonomy).classify(text, detectors)
        head = _head(text)
        s = structure(head)
        ev, docs = self._zero.evidence([head], [s])
        probs = softmax(ev.total(self._zero.catch_all))
        sup = self._supervised  # one read: refit may swap it meanwhile
        sup_doc = None
        if sup is not None:
            sup_doc = sup.vectorizer.one(head)
            probs = self._blend(sup, probs, sup.proba([sup_doc]))
        return self._result(probs[0], head, s, ev, 0, docs[0], sup, sup_doc, detectors, "single")

    def classify_batch(
        self,
        texts: Sequence[str],
        detectors: Sequence[Sequence[DetectorResult]] | None = None,
    ) -> list[Classification]:
        """Classify a whole batch at once, using the batch itself as unlabelled data.

        The confident answers (plus any examples) train a model over TF-IDF fitted on the
        batch, which re-scores every document; twice. Per-category centring of the
        similarities was tried and left out: no gain on the development set once keyword and
        layout cues are in, and it misleads on batches that are mostly of one type.
        """
        detectors = detectors if detectors is not None else [() for _ in texts]
        if len(texts) < MIN_BATCH:
            return [self.classify(t, d) for t, d in zip(texts, detectors, strict=True)]
        heads = [_head(t) for t in texts]
        structures = [structure(h) for h in heads]
        ev, docs = self._zero.evidence(heads, structures)
        prior = softmax(ev.total(self._zero.catch_all))
        sup = self._supervised
        sup_docs: list[_Doc] = []
        if sup is not None:
            sup_docs = [sup.vectorizer.one(h) for h in heads]
            prior = self._blend(sup, prior, sup.proba(sup_docs))
        x, x_examples, y_examples = self._batch_features(heads, sup)
        probs = prior
        for _ in range(SELF_TRAIN_ROUNDS):
            probs = self._self_train(x, prior, probs, x_examples, y_examples)
        return [
            self._result(
                probs[i], heads[i], structures[i], ev, i, docs[i], sup,
                sup_docs[i] if sup_docs else None, detectors[i], "batch",
            )
            for i in range(len(texts))
        ]  # fmt: skip

    def _batch_features(
        self, heads: Sequence[str], sup: _Supervised | None
    ) -> tuple[sparse.csr_matrix, sparse.csr_matrix | None, np.ndarray]:
        """TF-IDF fitted on the batch plus any examples: IDF from the documents at hand."""
        ex_heads = sup.heads if sup is not None else []
        x = _fit_tfidf([*heads, *ex_heads])[0]
        n = len(heads)
        if sup is None:
            return x, None, np.zeros(0, dtype=int)
        return x[:n], x[n:], np.array([self._names.index(c) for c in sup.labels])

    def _self_train(
        self,
        x: sparse.csr_matrix,
        prior: np.ndarray,
        probs: np.ndarray,
        x_examples: sparse.csr_matrix | None,
        y_examples: np.ndarray,
    ) -> np.ndarray:
        """Fit on the examples and the most confident share of each predicted class, re-score.

        The fitted model's probabilities multiply the prior (zero-shot, or zero-shot blended
        with the examples' model), so a batch sharpens the prior rather than replacing it.
        """
        pred = probs.argmax(axis=1)
        conf = probs.max(axis=1)
        chosen: list[int] = []
        for c in np.unique(pred):
            if self._zero.catch_all[c]:
                continue  # "other" is no coherent class to learn from
            members = np.flatnonzero(pred == c)
            if len(members) < 2:
                continue
            order = members[np.argsort(-conf[members])]
            chosen.extend(order[: max(2, round(len(members) * SELF_TRAIN_SHARE))].tolist())
        train_x = x[chosen]
        train_y = pred[chosen]
        if x_examples is not None and len(y_examples):
            train_x = sparse.vstack([train_x, x_examples], format="csr")
            train_y = np.concatenate([train_y, y_examples])
        classes = np.unique(train_y)
        if len(classes) < 2 or x.shape[1] == 0:
            return probs
        model = LinearSVC(C=SVM_C).fit(train_x, train_y)
        fitted = softmax(_svm_scores(model, x), SVM_TEMPERATURE)
        log_fit = np.full(prior.shape, math.log(1.0 / len(classes)))
        log_fit[:, model.classes_] = np.log(np.clip(fitted, 1e-9, 1.0))
        return softmax(np.log(np.clip(prior, 1e-9, 1.0)) + SELF_TRAIN_WEIGHT * log_fit, 1.0)

    # -- explanation --

    def _result(
        self,
        probs: np.ndarray,
        head: str,
        s: dict[str, float],
        ev: _Evidence,
        row: int,
        doc: _Doc,
        sup: _Supervised | None,
        sup_doc: _Doc | None,
        detectors: Sequence[DetectorResult],
        stage: str,
    ) -> Classification:
        best = int(np.argmax(probs))
        category = self._names[best]
        ranked = np.sort(probs)
        margin = float(ranked[-1] - ranked[-2]) if len(ranked) > 1 else 1.0
        terms = self._top_terms(head, best, doc, sup, sup_doc)
        nearest = sup.nearest(sup_doc) if sup is not None and sup_doc is not None else None
        cue = max(
            ((w * c.cue(s), c.evidence) for c, w in self._zero.links[best]), default=(0.0, "")
        )
        rationale = self._rationale(
            category, terms, ev.keyword_hits[row][best], cue, head, detectors, sup, nearest
        )
        return Classification(
            final_category=category,
            confidence=float(probs[best]),
            scores={n: float(p) for n, p in zip(self._names, probs, strict=True)},
            rationale=rationale,
            classifier=self.name,
            meta={
                "stage": stage,
                "margin": round(margin, 4),
                "examples": 0 if sup is None else len(sup.labels),
                "matched_terms": terms,
            },
        )

    def _top_terms(
        self,
        head: str,
        best: int,
        doc: _Doc,
        sup: _Supervised | None,
        sup_doc: _Doc | None,
        n: int = 3,
    ) -> list[str]:
        """Document terms that pushed hardest towards the chosen category."""
        if sup is not None and sup_doc is not None:
            contrib = sup.contributions(sup_doc, self._names[best])
            if contrib is not None:
                return _strongest(contrib, sup_doc.cols, sup.vectorizer.terms, head, n)
        contrib = doc.data * self._zero.profile_dense[best, doc.cols]
        return _strongest(contrib, doc.cols, self._zero.vectorizer.terms, head, n)

    def _rationale(
        self,
        category: str,
        terms: list[str],
        keyword_hits: list[str],
        cue: tuple[float, str],
        head: str,
        detectors: Sequence[DetectorResult],
        sup: _Supervised | None,
        nearest: int | None,
    ) -> str:
        parts = []
        shown: list[str] = []
        for term in dict.fromkeys([*keyword_hits, *terms]):
            if len(shown) < 4 and not any(term in t or t in term for t in shown):
                shown.append(term)  # not 'thank' after 'thank you'
        if shown:
            parts.append("matched " + ", ".join(f"'{t}'" for t in shown))
        if cue[0] >= 0.25:
            parts.append(f"layout: {cue[1]}")
        counts = {d.name: d.count for d in detectors}
        amounts = max(len(_AMOUNT.findall(head)), len(_CURRENCY.findall(head)))
        if "money" in counts:
            money = counts["money"]
            parts.append(f"{money} money amount{'' if money == 1 else 's'}")
            if amounts > money:  # bare "12.50": too ambiguous for the money detector
                parts.append(f"{amounts} price-like numbers")
        elif amounts:
            parts.append(f"{amounts} price-like amount{'' if amounts == 1 else 's'}")
        if counts.get("email"):
            parts.append(f"{counts['email']} email address{'' if counts['email'] == 1 else 'es'}")
        if sup is not None and nearest is not None:
            label = sup.labels[nearest]
            number = sup.labels[:nearest].count(label) + 1
            snippet = " ".join(sup.heads[nearest][:120].split())[:40]
            parts.append(f"nearest example: {label} #{number} ('{snippet}…')")
        return f"{category}: " + ("; ".join(parts) if parts else "no distinctive evidence") + "."

    # -- other taxonomies --

    def _same_taxonomy(self, taxonomy: Taxonomy) -> bool:
        return taxonomy is self.taxonomy or (
            taxonomy.names == self._names and taxonomy.source_text == self.taxonomy.source_text
        )

    def _other_taxonomy(self, taxonomy: Taxonomy) -> LocalClassifier:
        """A zero-shot classifier for a taxonomy other than the one this was built for."""
        key = (taxonomy.source_text, *taxonomy.names)
        cached = self._others.get(key)
        if cached is None:
            cached = LocalClassifier(taxonomy)
            if len(self._others) >= 8:
                self._others.clear()
            self._others[key] = cached
        return cached


def _strongest(
    contrib: np.ndarray, cols: np.ndarray, terms: list[str], head: str, n: int
) -> list[str]:
    order = np.argsort(-contrib)[:n]
    return [_surface(terms[cols[i]], head) for i in order if contrib[i] > 0]


def _surface(term: str, head: str) -> str:
    """Show a stemmed term as the document spelled it ('propos' → 'proposed')."""
    pattern = r"[\W_]+".join(rf"{re.escape(w)}\w*" for w in term.split(" "))
    match = re.search(rf"(?<!\w){pattern}", head, re.I)
    return " ".join(re.sub(r"[\W_]+", " ", match.group()).lower().split()) if match else term
