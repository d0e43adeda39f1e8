"""The public verification check (docs/verification.md): a code, an issued PDF, a photograph.

Nothing uploaded is stored or shown back; only hashes and the signed statement are read from it.
A code is looked up by its SHA-256 in one GetItem whatever it is (unknown, malformed or real), and
an unknown code spends the signature check a real one does, so timing tells nothing. Unknown,
revoked and expired codes answer the same sentence but for that one word, and carry no facts.
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field

from artguard.retention import is_expired
from artguard.signing import BadStatement, statement_find, statement_verify
from detection.signing import code_display, code_item_key, code_normalize
from detection.tables import InferenceRecord

GENUINE, NOT_ISSUED, REVOKED, EXPIRED, ALTERED, DIFFERENT_PHOTO = (
    "genuine", "not_issued", "revoked", "expired", "altered", "different_photo")
INVALID_WORDS = {NOT_ISSUED: "not issued by ArtGuard", REVOKED: "revoked", EXPIRED: "expired"}
PDF_MAGIC = b"%PDF-"
# An unknown code still verifies a signature, so a miss costs what a hit costs.
_DECOY = None


class VerifyInputError(ValueError):
    """What was sent cannot be checked at all (nothing to check, not a PDF): a 400."""


@dataclass
class Check:
    what: str  # code, pdf or photo
    ok: bool
    message: str

    def as_dict(self) -> dict:
        return {"check": self.what, "ok": self.ok, "message": self.message}


@dataclass
class Answer:
    outcome: str
    message: str
    facts: dict | None = None  # only for a live code: exactly what the signed statement says
    checks: list[Check] = field(default_factory=list)


def _invalid(state: str) -> str:
    return f"This is not a valid ArtGuard report: {INVALID_WORDS[state]}."


def _decoy_statement() -> str:
    global _DECOY
    if _DECOY is None:
        from artguard.signing import statement_sign

        _DECOY = statement_sign({"v": 0, "decoy": True})
    return _DECOY


def _lookup(code_text: str) -> tuple[str, InferenceRecord | None, dict | None]:
    normalized = code_normalize(code_text)
    try:
        item = InferenceRecord.get(code_item_key(normalized, code_text))
    except InferenceRecord.DoesNotExist:
        item = None
    if item is None or not item.verification:
        statement_verify(_decoy_statement())
        return NOT_ISSUED, None, None
    fields = item.verification.as_dict()
    facts = statement_verify(fields["statement"])  # our own item: a failure here is a server fault
    if fields.get("revoked_at"):
        return REVOKED, None, None
    if is_expired(item.ttl):
        return EXPIRED, None, None
    return GENUINE, item, facts


def _issued_sentence(facts: dict) -> str:
    day = facts["issued_at"][:10]
    artist = facts["artist"] or "no named artist"
    return (f"Genuine: ArtGuard issued this result on {day}, for a photograph attributed to {artist}, "
            f"scored {facts['forgery_score']} / 100 ({facts['verdict']}) by model {facts['model_version']}.")


def verify(*, code: str = "", pdf: bytes | None = None, photo_sha256: str | None = None) -> Answer:
    """Check a code, and/or a PDF (which carries its own code), and/or a photograph's hash."""
    if not code and pdf is None:
        raise VerifyInputError("Enter a verification code or upload a report PDF.")
    checks: list[Check] = []
    statement_facts = None
    if pdf is not None:
        if not pdf.startswith(PDF_MAGIC):
            raise VerifyInputError("That file is not a PDF. Upload the report as ArtGuard issued it.")
        statement = statement_find(pdf)
        if statement is None:
            return Answer(NOT_ISSUED, "This PDF is not an ArtGuard report: it carries no ArtGuard signature.",
                          checks=[Check("pdf", False, "no ArtGuard signature in this file")])
        try:
            statement_facts = statement_verify(statement)
        except BadStatement as error:
            return Answer(ALTERED, f"This PDF has been altered: its ArtGuard signature is not valid ({error}).",
                          checks=[Check("pdf", False, str(error))])
        printed = statement_facts.get("code", "")
        if code and code_normalize(code) != code_normalize(printed):
            return Answer(ALTERED, "This PDF carries a different verification code from the one entered.",
                          checks=[Check("pdf", False, "the PDF's code is not the code entered")])
        code = printed
    state, item, facts = _lookup(code)
    if state != GENUINE:
        return Answer(state, _invalid(state), checks=[Check("code", False, INVALID_WORDS[state])])
    checks.append(Check("code", True, f"code {code_display(code_normalize(code))} was issued by ArtGuard"))
    outcome, message = GENUINE, _issued_sentence(facts)
    if pdf is not None:
        digest = hashlib.sha256(pdf).hexdigest()
        issued_hashes = item.report_sha256 or set()
        exact = any(hmac.compare_digest(digest, known) for known in issued_hashes)
        if exact and statement_facts == facts:
            checks.append(Check("pdf", True, "this PDF is exactly one ArtGuard issued, unchanged"))
            message += " The PDF is unchanged."
        else:
            checks.append(Check("pdf", False, "this PDF is not byte for byte a report ArtGuard issued"))
            outcome, message = ALTERED, ("This PDF has been altered: it is not byte for byte the report ArtGuard issued "
                                         "with this code. The code itself is valid: " + _issued_sentence(facts))
    if photo_sha256 is not None:
        if hmac.compare_digest(photo_sha256, facts["image_sha256"]):
            checks.append(Check("photo", True, "this photograph is the file that was analysed (SHA-256 matches)"))
            if outcome == GENUINE:
                message += " The photograph is the one that was analysed."
        else:
            checks.append(Check("photo", False, "this photograph is not the file that was analysed (SHA-256 differs)"))
            if outcome == GENUINE:
                outcome, message = DIFFERENT_PHOTO, ("This photograph is not the file that was analysed: its SHA-256 differs. "
                                                     "The code itself is valid: " + _issued_sentence(facts))
    return Answer(outcome, message, facts=facts, checks=checks)
