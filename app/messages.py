"""The catalogue of problems: each code a service or the engine raises, and its message.

A message is an English gettext msgid with named ``%(placeholder)s`` fields (python-format), marked
with :func:`N_` so that ``pybabel extract`` (``make messages``, ``babel.cfg``) collects it; its
Chinese translation is in ``app/translations/zh/LC_MESSAGES/messages.po``. Messages are clauses
without a capital letter or a full stop: the CLI prints them after a question id or ``error:``, and
:func:`app.i18n.describe` makes a sentence of them in the interface language.

Parameters that are themselves words (a status, a decision, a rating, a review target, a role, an
organisation kind, a product category, an answer option) are ids here; the CLI prints the ids (what
its user types), pages print the word from its one home (see :func:`app.labels.param_word`).

This module imports nothing: the engine (:mod:`app.rules`) and the services read it through
:class:`app.problems.Problem`, which renders the English for logs and the CLI.
"""

from __future__ import annotations


def N_(msgid: str) -> str:
    """Mark ``msgid`` for extraction without translating it (translation happens when it is shown)."""
    return msgid


MESSAGES: dict[str, str] = {
    # -- answers (app/rules/questionnaire.py, app/answers.py, app/audits/services.py) ------------------
    # Printed after the question id ("pupil_min_age: expected a whole number"), shown after its label.
    "answer.expected_text": N_("expected text"),
    "answer.too_long": N_("is too long: %(length)s characters, at most %(limit)s"),
    "answer.control_characters": N_("contains control characters"),
    "answer.not_a_choice": N_("'%(value)s' is not one of the choices (%(choices)s)"),
    "answer.expected_choices": N_("expected a list of choices"),
    "answer.unknown_choices": N_("unknown choice(s) %(values)s (choices: %(choices)s)"),
    "answer.exclusive_choice": N_("'%(option)s' cannot be combined with other choices"),
    "answer.expected_boolean": N_("expected yes, no or unknown (true, false or unknown)"),
    "answer.expected_integer": N_("expected a whole number"),
    "answer.too_small": N_("must be at least %(min)s"),
    "answer.too_large": N_("must be at most %(max)s"),
    "answer.expected_date": N_("expected a date as YYYY-MM-DD"),
    "answer.date_does_not_exist": N_("'%(value)s' is not a date that exists"),
    "answer.date_out_of_range": N_("must be between %(first)s and %(last)s"),
    "answer.unsupported_type": N_("unsupported question type %(type)s"),
    "answer.unknown_question": N_("is not a question of this questionnaire"),
    "answer.no_longer_asked": N_("this question is no longer asked"),
    "answer.required": N_("is required but not answered"),
    "answer.oldest_below_youngest": N_("the oldest pupils' age (%(oldest)s) is below the youngest (%(youngest)s)"),
    # -- audits (app/audits/services.py) --------------------------------------------------------------
    "audit.not_ready": N_("%(missing)s required answer(s) missing, %(conflicts)s conflict(s)"),
    # -- background jobs (app/jobs.py) --------------------------------------------------------------------
    "jobs.unavailable": N_("the job queue (Redis) cannot be reached, so the work was not queued"),
    # -- the review loop (app/review/services.py) -----------------------------------------------------
    "review.not_editable": N_("audit %(report_id)s is %(status)s: only a draft or an audit with changes "
                              "requested can be submitted"),
    "review.not_a_regulator": N_("'%(name)s' is not a regulator"),
    "review.foreign_evaluation": N_("the evaluation does not belong to this audit"),
    "review.note_too_long": N_("the note has %(length)s characters; at most %(limit)s are allowed"),
    "review.not_closed": N_("audit %(report_id)s is %(status)s: only an approved or rejected audit starts a "
                            "new version"),
    "review.unknown_target_kind": N_("unknown review target '%(target_kind)s'; expected one of %(target_kinds)s"),
    "review.not_in_submission": N_("%(target_kind)s '%(target_id)s' is not part of this submission"),
    "review.unknown_rating": N_("unknown rating '%(rating)s'; expected one of %(ratings)s"),
    "review.comment_too_long": N_("the comment has %(length)s characters; at most %(limit)s are allowed"),
    "review.action_too_long": N_("the action has %(length)s characters; at most %(limit)s are allowed"),
    "review.owner_too_long": N_("the owner has %(length)s characters; at most %(limit)s are allowed"),
    "review.comment_missing": N_("say in the comment what is wrong (needed for this rating)"),
    "review.action_missing": N_("name the action the school must take (needed for this rating)"),
    "review.owner_missing": N_("name who owns the action (needed for this rating)"),
    "review.due_date_missing": N_("give the date the action is due (needed for this rating)"),
    "review.due_date_past": N_("the due date %(due_date)s is in the past"),
    "review.item": N_("%(target_kind)s %(target_id)s: %(problem)s"),
    "review.already_decided": N_("submission %(number)s was already decided (%(decision)s)"),
    "review.unknown_decision": N_("unknown decision '%(decision)s'; expected one of %(decisions)s"),
    "review.approval_blocked": N_("%(count)s item(s) are rated “must be corrected”: request changes, or change "
                                  "those ratings before approving"),
    "review.acknowledge_verdict": N_("the verdict is %(verdict)s: to approve it, state why in the acknowledgement"),
    "review.acknowledge_unrated": N_("%(count)s finding(s) are not rated: rate them, or state in the "
                                     "acknowledgement why you approve without"),
    "review.plan_action_missing": N_("say what is to be done"),
    "review.plan_owner_missing": N_("name who owns the action"),
    "review.plan_due_missing": N_("give the date the action is due"),
    "review.action_not_found": N_("action %(action_id)s is not on this audit's action plan"),
    "review.action_already_done": N_("action %(action_id)s is already done"),
    "review.done_note_missing": N_("say in the note what was done"),
    "review.request_needs_document": N_("action %(action_id)s asks for a document: attach the document in "
                                        "answer to it on the audit's documents page"),
    "review.request_document_missing": N_("say which document the school should provide"),
    "review.nothing_to_carry": N_("submission %(number)s has no earlier submission to carry ratings from"),
    "review.nothing_to_change": N_("say what must change: write a comment or rate at least one finding or section"),
    # -- the registry and publishing (app/registry/services.py) ---------------------------------------
    "registry.vendor_name_empty": N_("the vendor name '%(name)s' has no letters or digits"),
    "registry.product_name_empty": N_("the product name '%(name)s' has no letters or digits"),
    "registry.unknown_category": N_("unknown product category '%(category)s'; expected one of %(categories)s"),
    "registry.not_approved": N_("audit %(report_id)s is %(status)s: only an approved audit can be published"),
    "registry.already_published": N_("audit %(report_id)s is already published"),
    "registry.no_approved_submission": N_("audit %(report_id)s has no approved submission"),
    "registry.no_product": N_("the audit names no product and vendor; it cannot be published"),
    "registry.not_published": N_("audit %(report_id)s is not published"),
    "compare.not_a_product_id": N_("“%(value)s” is not a product id"),
    "compare.product_count": N_("choose between %(min)s and %(max)s products to compare; this link names %(count)s"),
    # -- accounts (app/accounts/services.py, app/accounts/passwords.py) -------------------------------
    "account.not_an_email": N_("'%(email)s' is not an e-mail address (expected name@domain)"),
    "account.email_too_long": N_("the e-mail address has %(length)s characters; at most %(limit)s are allowed"),
    "account.org_name_empty": N_("the organisation name must not be empty"),
    "account.org_name_too_long": N_("the organisation name has %(length)s characters; at most %(limit)s are "
                                    "allowed"),
    "account.name_empty": N_("the name must not be empty"),
    "account.name_too_long": N_("the name has %(length)s characters; at most %(limit)s are allowed"),
    "account.unknown_org_kind": N_("unknown organisation kind '%(org_kind)s'; expected one of %(org_kinds)s"),
    "account.org_exists": N_("an organisation named '%(name)s' already exists"),
    "account.unknown_role": N_("unknown role '%(role)s'; expected one of %(roles)s"),
    "account.role_without_org": N_("role %(role)s belongs to no organisation; leave the organisation out"),
    "account.role_needs_org": N_("role %(role)s needs an organisation of kind %(org_kind)s; got none"),
    "account.role_needs_org_kind": N_("role %(role)s needs an organisation of kind %(org_kind)s; got "
                                      "'%(name)s' (%(found_org_kind)s)"),
    "account.email_taken": N_("a user with the e-mail address %(email)s already exists"),
    "account.demo_outside_development": N_("the demo instance exists only in development (EDUAUDIT_ENV is "
                                           "'%(environment)s')"),
    "account.wrong_password": N_("the current password is not correct"),
    "account.same_password": N_("the new password must differ from the current one"),
    "account.own_account": N_("you cannot disable your own account nor change your own role"),
    "account.last_admin": N_("%(email)s is the last active instance administrator; make another one first"),
    "account.user_disabled": N_("the account %(email)s is disabled; enable it first"),
    "account.link_invalid": N_("this password link is not valid: it was used already, replaced by a newer "
                               "one, or copied incompletely"),
    "account.link_expired": N_("this password link expired at %(expired)s; ask an instance administrator for a "
                               "new one"),
    "password.too_short": N_("the password must have at least %(min)s characters"),
    "password.too_long": N_("the password must have at most %(max)s characters"),
    "password.is_email": N_("the password must not be the e-mail address"),
    "password.common": N_("this password is on a list of the most common passwords, which attackers try "
                          "first; choose another"),
    "mfa.wrong_code": N_("the code is not correct or was used already; enter the current 6-digit code of "
                         "your authenticator app, or one of your recovery codes"),
    "mfa.required": N_("a second factor is required for your role; it cannot be turned off"),
    "mfa.not_enabled": N_("the second factor is not turned on for %(email)s"),
    # -- evidence attached to answers (app/evidence/services.py) -------------------------------------
    "evidence.no_file_name": N_("the file has no name; choose the document again"),
    "evidence.file_name_too_long": N_("the file name has %(length)s characters; at most %(limit)s are allowed"),
    "evidence.empty": N_("“%(file_name)s” is empty"),
    "evidence.too_large": N_("“%(file_name)s” has %(size)s bytes; at most %(limit)s bytes (%(limit_mib)s MiB) are "
                             "accepted"),
    "evidence.refused_type": N_("“%(file_name)s” is not a PDF, PNG, JPEG or plain-text document: its content is "
                                "a %(detected)s file, whatever its name says"),
    "evidence.unknown_type": N_("the content of “%(file_name)s” is not a PDF, PNG, JPEG or plain-text (UTF-8) "
                                "document"),
    "evidence.name_disagrees": N_("the content of “%(file_name)s” is a %(expected)s document but its name ends "
                                  "in %(extension)s; rename it to end in %(expected)s"),
    "evidence.frozen": N_("the answers of audit %(report_id)s are frozen (%(status)s): documents can be "
                          "attached or removed only while the answers can be changed"),
    "evidence.unknown_question": N_("there is no question '%(question)s' to attach a document to"),
    "evidence.too_many": N_("this version of the audit already carries %(limit)s documents, the most allowed; "
                            "remove one first"),
    "evidence.already_attached": N_("“%(file_name)s” is already attached to this answer"),
    "evidence.not_attached": N_("“%(file_name)s” is not attached to the current version of the audit"),
    "evidence.unknown_request": N_("there is no document request %(action_id)s on this audit"),
    "evidence.request_done": N_("the request for “%(request)s” was already answered"),
    "evidence.answers_request": N_("“%(file_name)s” answered the regulator's request for “%(request)s” and "
                                   "stays on record; attach a corrected document beside it if needed"),
    # -- personal API tokens (app/accounts/tokens.py) ------------------------------------------------
    "token.name_empty": N_("the token's name must not be empty"),
    "token.name_too_long": N_("the token's name has %(length)s characters; at most %(limit)s are allowed"),
    "token.unknown_scope": N_("unknown scope '%(scope)s'; expected one of %(scopes)s"),
    "token.bad_lifetime": N_("a token lives %(choices)s days; %(days)s is not one of them"),
    # -- the JSON API (app/api/) ------------------------------------------------------------------------
    "api.no_credentials": N_("send a personal API token as the header 'Authorization: Bearer <token>' (create "
                             "one under API tokens in your account), or sign in"),
    "api.bad_token": N_("the API token is not valid: it is unknown, expired or revoked"),
    "api.read_only_token": N_("this token may only read (scope read); use a token with scope write to change "
                              "anything"),
    "api.csrf": N_("a request made with the session cookie must send the page's CSRF token in the X-CSRFToken "
                   "header; other systems should use a personal API token instead"),
    "api.forbidden": N_("your account may not do this here, or the audit has moved on (for example it was "
                        "submitted or decided); nothing was changed"),
    "api.not_found": N_("there is nothing at this address, or your account may not see it"),
    "api.method_not_allowed": N_("this address does not accept the method %(method)s"),
    "api.bad_request": N_("the request could not be understood"),
    "api.too_large": N_("the request body is larger than the %(limit)s bytes accepted"),
    "api.rate_limited": N_("too many requests in a short time (limit: %(limit)s); nothing was changed, wait a "
                           "minute and try again"),
    "api.server_error": N_("something went wrong on our side; nothing half-written was kept, try again in a "
                           "moment"),
    "api.database_unavailable": N_("the database could not be reached for a moment; nothing of this request "
                                   "was saved, try again in a minute"),
    "api.invalid_field": N_("the value is not valid: %(detail)s"),
    "api.invalid": N_("%(count)s value(s) of the request are not valid; see errors"),
    "api.edit_conflict": N_("%(count)s answer(s) were changed by someone else after revision %(revision)s and "
                            "you changed them differently: %(questions)s; nothing was saved"),
    "api.changed_meanwhile": N_("was changed by %(actor)s at %(at)s after the revision you read"),
    "api.concurrent_save": N_("someone else saved this audit at the same moment; nothing was saved, read the "
                              "audit again and retry"),
    "api.answers_refused": N_("%(count)s answer(s) were refused; nothing was saved"),
    "api.no_such_regulator": N_("there is no regulator with id %(regulator_id)s"),
    "api.no_submission": N_("audit %(report_id)s has no submission to your regulator"),
    "api.render_limit": N_("the PDF was stopped by a limit (%(kind)s: %(limit)s); nothing was recorded"),
    "api.render_failed": N_("the PDF could not be produced; the problem has been logged, try again later"),
    "api.store_full": N_("the disk holding the PDFs is full, so the PDF was not stored and none was issued; "
                         "the problem has been logged, try again later"),
    "api.report_not_ready": N_("the audit's answers changed before its PDF was produced and it cannot be "
                               "evaluated now; complete it and request the report again"),
    "api.jobs_unreachable": N_("the job queue cannot be reached at the moment; no job is lost, ask again "
                               "in a minute"),
    # -- text of a request that cannot be kept (app/requesttext.py) ----------------------------------
    # The last four are said of a form field, after its label, or of the place request.refused names.
    "request.refused": N_("“%(field)s” %(problem)s; nothing was changed"),
    "request.half_surrogate": N_("holds an escape (\\uD800 to \\uDFFF) that is half of a UTF-16 pair, not a "
                                 "character"),
    "request.nul": N_("holds the character U+0000 (NUL), which cannot be stored"),
    "request.not_utf8": N_("holds bytes that are not UTF-8 text (%(bytes)s)"),
    "request.too_deep": N_("is nested too deeply to be read"),
    # -- portable audits (app/audits/portable.py) -----------------------------------------------------
    "portable.not_json": N_("the file is not a JSON document: %(error)s"),
    "portable.incompatible": N_("the file is '%(format)s' version %(version)s; this instance reads '%(expected)s' "
                                "versions %(expected_versions)s"),
    "portable.too_large": N_("the file has %(size)s bytes; at most %(limit)s bytes (%(limit_mib)s MiB) are "
                             "imported at once"),
    "portable.document_missing": N_("the bytes of the attached document “%(file_name)s” (SHA-256 %(sha256)s) are "
                                    "missing from this instance's attachment store, so the audit cannot be "
                                    "exported whole"),
    "portable.document_mismatch": N_("the attached document “%(file_name)s” does not match its fingerprint: the file "
                                     "records SHA-256 %(expected)s, its bytes hash to %(actual)s; nothing was "
                                     "imported"),
    "portable.document_refused": N_("the attached document “%(file_name)s” cannot be kept here: %(problem)s"),
    "portable.document_type": N_("the attached document “%(file_name)s” is recorded as %(recorded)s but its "
                                 "content is %(found)s"),
    "portable.invalid": N_("the file does not match the portable audit schema at %(path)s: %(error)s"),
    "portable.tampered": N_("the file was changed after it was exported: its content hash is %(actual)s, the "
                            "file says %(expected)s"),
    "portable.unknown_org": N_("there is no organisation named '%(name)s'"),
    "portable.not_a_regulator": N_("the file names the regulator '%(name)s', which exists here as a %(org_kind)s"),
    "portable.not_a_school": N_("'%(name)s' is a %(org_kind)s, not a school: audits belong to schools"),
    # -- verification (app/verify/services.py) --------------------------------------------------------
    "verify.not_a_sha256": N_("not a SHA-256 in lower-case hex: '%(value)s'"),
}
"""Problem code -> English msgid (a clause; see the module's docstring)."""
