"""Every verdict and refusal about a signed document as a sentence in the reader's language.

Keys are ValidationReport.message_key (one per sub-indication and policy failure, see verify.py)
and the portal's own refusals (challenge.*, application.*, document.*).
"""
from __future__ import annotations

from portal.core.i18n import lazy_gettext as _l
from portal.signatures.report import Indication

SENTENCES = {
    # The verifier's verdicts (report.MESSAGES has the English of each key).
    "signature.passed": _l("The signature is genuine: the document has not changed since it was signed, "
                           "and the signer's certificate is valid and was issued by a trusted certification "
                           "authority."),
    "signature.format_failure": _l("This is not a signed XML document in the accepted format: it must carry "
                                   "exactly one NCALayer signature (GOST 34.10-2015 or RSA) over the whole "
                                   "document."),
    "signature.hash_failure": _l("The document was changed after it was signed."),
    "signature.sig_crypto_failure": _l("The signature does not match the signer's certificate: the document "
                                       "or its signature was altered."),
    "signature.legacy_gost_not_supported": _l("The document is signed with the old GOST 34.310-2004 algorithm, "
                                              "which the portal does not check. Sign it with your current key "
                                              "(GOST 34.10-2015 or RSA)."),
    "signature.weak_key": _l("The signer's key is too short to be trusted."),
    "signature.untrusted": _l("The signer's certificate was not issued by a certification authority the "
                              "portal trusts (the National Certification Authority of Kazakhstan)."),
    "signature.expired": _l("The signer's certificate has expired."),
    "signature.not_yet_valid": _l("The signer's certificate is not valid yet."),
    "signature.revoked": _l("The signer's certificate has been revoked."),
    "signature.revocation_unknown": _l("Whether the signer's certificate has been revoked could not be "
                                       "checked right now. Try again later."),
    "signature.chain_constraints": _l("The certificate chain of the signer is not valid: a certificate in it "
                                      "may not issue certificates."),
    "signature.key_usage": _l("The signer's certificate may not be used to sign."),
    "signature.wrong_key_purpose": _l("The document was signed with the wrong key: use the signing key "
                                      "(GOST512… or RSA…) for documents and the authentication key "
                                      "(AUTH_GOST512… or AUTH_RSA…) to sign in."),
    "signature.not_legal_entity": _l("The certificate does not belong to a representative of a legal entity: "
                                     "use the certificate of your organisation."),
    "signature.bin_mismatch": _l("The signer's certificate belongs to another organisation (BIN)."),
    "signature.internal_error": _l("The signature could not be checked because of an error in the portal. "
                                   "Try again later."),
    "signature.trust_store_unavailable": _l("Signatures cannot be checked right now: the portal's list of "
                                            "trusted certification authorities is not available. "
                                            "Try again later."),
    # Log-in with EDS.
    "challenge.not_a_challenge": _l("This is not the sign-in document of this portal. Sign the document "
                                    "shown on this page."),
    "challenge.unknown": _l("The portal did not issue this sign-in document. Sign the document shown on "
                            "this page."),
    "challenge.expired": _l("The sign-in document has expired. Sign the new one shown on this page."),
    "challenge.used": _l("This sign-in document has already been used. Sign the new one shown on this page."),
    "challenge.other_session": _l("This sign-in document was issued to another browser. Sign the one shown "
                                  "on this page."),
    "account.inactive": _l("Your account is blocked. Contact the service provider."),
    "account.no_staff_account": _l("This certificate belongs to an official of a state body, but no staff account "
                                   "of the portal carries this IIN. Ask the portal's operator to enter your IIN on "
                                   "your staff account."),
    # A signed application.
    "position.not_position": _l("This is not the position document of this case. Download the document to sign "
                                "from the hearing page, sign it and upload it again."),
    "complaint.not_complaint": _l("This is not the complaint document of this case. Download the document to "
                                  "sign from the complaint form, sign it and upload it again."),
    "application.not_application": _l("This is not the application document of this portal. Download the "
                                      "application XML on this page and sign it."),
    "application.mismatch": _l("The signed document does not match the application (%(fields)s). Download "
                               "the application XML again after your last change and sign it."),
    "application.changed": _l("The application was changed while it was being submitted. Download the "
                              "application XML again and sign it."),
    "application.signature_required": _l("Sign the application with your organisation's electronic signature "
                                         "and attach the signed XML file."),
    # An act the official signs with their own key (the final decision п.11, the authority's decision п.19).
    "official.no_iin": _l("Your account has no IIN, so the portal cannot tell that the certificate is yours. "
                          "Ask the administrator to record your IIN; nothing was signed."),
    "official.not_yours": _l("The document was signed with another person's certificate. Sign it with your own "
                             "signing key; nothing was signed."),
    "official.other_body": _l("The certificate belongs to another organisation (BIN). Sign with the certificate "
                              "your body issued to you as its employee; nothing was signed."),
    "official.no_signing_right": _l("Your certificate does not carry the right to sign for your body (it must be "
                                    "the certificate of the first head or of a person with the right to sign); "
                                    "nothing was signed."),
    "official.document_changed": _l("The signed document is not the one the portal prepared for today: it was "
                                    "prepared for another day, or changed. Sign it again; nothing was signed."),
    # The upload itself.
    "document.missing": _l("Choose the signed XML file or paste its text."),
    "document.pdf_printout": _l("This is a PDF printout, which carries no signature of its own. Check the decision "
                                "by the registration number printed on it (or scan its QR code): follow “Check a "
                                "certificate or a refusal by its registration number” at the top of this page."),
    "document.too_large": _l("The file is too large for a signed XML document (at most %(limit)s KB)."),
    # What was signed is what is shown (issue 13, item 4): the document must follow its schema.
    "document.not_as_schema": _l("The signed document contains something the portal cannot show in full "
                                 "(%(where)s), so it is refused and nothing was saved. Sign the document the "
                                 "portal prepared, without changing it."),
}

# What the holder of a legal entity's certificate may do (extended key usage 1.2.398.3.3.4.1.2.*).
ROLES = {
    "first_head": _l("first head"),
    "signing_right": _l("person with signing right"),
    "financial": _l("person signing financial documents"),
    "hr": _l("human-resources officer"),
    "employee": _l("employee"),
    "legal_entity": _l("representative of a legal entity (role not stated)"),
    "individual": _l("individual"),
}

PURPOSES = {
    "application": _l("Signed application"),
    "decision": _l("Final decision signed by the provider"),
    "position": _l("Signed position on the preliminary decision"),
    "complaint": _l("Signed complaint"),
    "complaint_decision": _l("Decision on a complaint signed by the quality-control authority"),
}

_FALLBACK = {
    str(Indication.TOTAL_PASSED): SENTENCES["signature.passed"],
    str(Indication.TOTAL_FAILED): _l("The signature is not valid."),
    str(Indication.INDETERMINATE): _l("The signature could not be confirmed."),
}


def sentence(key: str, indication: str | None = None, **params) -> str:
    """The sentence for a message key, in the current language; by indication for an unknown key."""
    text = SENTENCES.get(key) or _FALLBACK.get(indication or "", _FALLBACK[str(Indication.INDETERMINATE)])
    return str(text) % params if params else str(text)


def role_label(role: str | None) -> str:
    return str(ROLES.get(role or "", _l("role unknown")))


def purpose_label(purpose: str) -> str:
    return str(PURPOSES.get(purpose, _l("Signed document")))
