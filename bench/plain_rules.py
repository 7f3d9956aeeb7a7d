"""Every rule of the rule set written by hand as plain Python: the floor the engine is measured against.

Each function ``fn(a, j, d) -> bool`` takes the effective typed answers ``a`` (question id -> typed
value, as :meth:`app.rules.questionnaire.Questionnaire.effective_answers` gives them: multi-choice
answers are tuples of option ids, booleans are True, False or "unknown", integers int, dates
``datetime.date``), the jurisdiction ``j`` ("CN", "EU", "UK" or "US") and the date ``d``
(``datetime.date``), and returns whether the rule of that id fires, as ``app.rules.engine.fire`` does:
the jurisdiction is one of the rule's, ``d`` is within its effective window (``from`` inclusive,
``until`` exclusive), its ``when`` holds and its ``unless`` does not. An unanswered question fails
every comparison, so "not confirmed" reads ``a.get(q) is not True``.

They are written from the YAML files under ``audit_rules/`` (one function per rule, in the packs'
order), not generated from the engine's trees; a date given as a parameter in ``ruleset.yaml`` is
written here as its value. PLAIN_RULES maps every rule id to its function; tests/test_plain_rules.py
holds each to the engine's result on the public cases, on every rule's examples and on variations of
them, and bench_engine.py checks them again on the public cases before timing them.
"""

from __future__ import annotations

import datetime as dt

EVERYWHERE = frozenset({"CN", "EU", "UK", "US"})
NOT_US = frozenset({"CN", "EU", "UK"})
EU_UK = frozenset({"EU", "UK"})

# Dates rules take effect (and stop), named after the instrument that sets them.
CN_APP_OPINIONS = dt.date(2019, 8, 15)
CN_BIOMETRICS_ACTION_PLAN = dt.date(2019, 11, 19)
CN_APP_FILING = dt.date(2019, 11, 22)
CN_CHILD_INFO_RULES = dt.date(2019, 10, 1)
CN_HARMFUL_APPS_NOTICE = dt.date(2018, 12, 25)
CN_CSL = dt.date(2017, 6, 1)
CN_MPL_2020 = dt.date(2021, 6, 1)
CN_DOUBLE_REDUCTION = dt.date(2021, 7, 24)
PIPL = dt.date(2021, 11, 1)
CN_MINORS_ONLINE = dt.date(2024, 1, 1)
CN_VIDEO_REGULATIONS = dt.date(2025, 4, 1)
CN_GENAI_GUIDE = dt.date(2025, 5, 12)
CN_FACE_RECOGNITION_MEASURES = dt.date(2025, 6, 1)
GDPR = dt.date(2018, 5, 25)
AI_ACT_BANS = dt.date(2025, 2, 2)
AI_ACT_TRANSPARENCY = dt.date(2026, 8, 2)
AI_ACT_ANNEX_III = dt.date(2027, 12, 2)  # ruleset.yaml parameter eu_annex_iii_applies_from
PL_SCHOOL_BIOMETRIC_CONSENT_JUDGMENT = dt.date(2024, 10, 10)
UK_PROTECTION_OF_FREEDOMS_ACT = dt.date(2013, 9, 1)
UK_GDPR = dt.date(2021, 1, 1)
UK_CHILDRENS_CODE = dt.date(2021, 9, 2)
UK_DUAA = dt.date(2026, 2, 5)
COPPA = dt.date(2000, 4, 21)
COPPA_2013 = dt.date(2013, 7, 1)
COPPA_2025 = dt.date(2026, 4, 22)
FTC_EDTECH_STATEMENT = dt.date(2022, 5, 19)
IL_BIPA = dt.date(2008, 10, 3)
TX_BIOMETRIC_IDENTIFIERS = dt.date(2009, 9, 1)
NY_EDUCATION_LAW_2D = dt.date(2014, 3, 31)
NY_PART_121 = dt.date(2020, 1, 29)
NY_106B_MORATORIUM = dt.date(2020, 12, 22)
NY_FR_DETERMINATION = dt.date(2023, 9, 27)
CO_SB22_113 = dt.date(2022, 8, 10)
CO_SB26_189 = dt.date(2027, 1, 1)
NY_30_DAY_BREACH_NOTICE = dt.date(2024, 12, 21)

# Option lists several rules share.
CAPTURING_SENSORS = ("classroom_cameras", "entrance_cameras", "wearables", "microphones", "webcams")
SIGNALS = ("face", "voice", "posture", "eeg", "physiological")
DECISIONS = ("grading", "ranking", "behaviour_scores", "profiling", "placement", "exam_flags")
SIGNIFICANT_DECISIONS = ("grading", "placement", "exam_flags", "profiling")
ID_USES = ("entry", "attendance", "payment", "library", "exam_identity")
ROUTINE_USES = ("entry", "attendance", "payment", "library")
ALL_FACE_USES = ("entry", "attendance", "payment", "library", "exam_identity", "behaviour_analysis", "watch_list")
FACE = ("face_images", "face_templates")
BIOMETRIC_TEMPLATES = ("face_templates", "other_biometrics")
CAMPUS_CAMERAS = ("classroom_cameras", "entrance_cameras")
WIDE_SCOPE = ("whole_campus_day", "outside_school_hours", "at_home")
AFTER_HOURS = ("outside_school_hours", "at_home")
PUPIL_PRODUCTS = ("learning_platform", "homework_tutoring", "proctoring", "monitoring", "school_management")
LEARNING_PRODUCTS = ("learning_platform", "homework_tutoring")
K12 = ("kindergarten", "primary", "lower_secondary", "upper_secondary")
SCHOOL_ROUTES = ("school_procured", "authority_procured", "teacher_adopted", "donated")
VENDOR_CLOUDS = ("vendor_cloud_domestic", "vendor_cloud_abroad")
DPIA_NOT_DONE = ("not_done", "inadequate", "screened_not_required", "unknown")
EXCESS_PERMISSIONS = ("contacts", "location", "microphone", "camera", "photos_or_files")


def _has(a, q, *opts):
    """Whether multi-choice question ``q`` is answered and includes any of ``opts``."""
    return q in a and any(o in a[q] for o in opts)


def _under(a, q, n):
    """Whether integer question ``q`` is answered and below ``n``."""
    return q in a and a[q] < n


def _anonymous(a):
    """The shared ``unless``: only anonymous data, and no sensor of the product's own capturing images,
    sound or body signals."""
    return _has(a, "data_categories", "anonymous_only") and not _has(a, "sensors", *CAPTURING_SENSORS)


def _face_recognition(a):
    """Face templates, or face images put to some face use."""
    return (_has(a, "data_categories", "face_templates")
            or (_has(a, "data_categories", "face_images") and _has(a, "face_uses", *ALL_FACE_USES)))


def _online_service_for_children(a):
    """A product pupils use themselves: a pupil-facing product kind, or pupils' devices or webcams."""
    return a.get("product_kind") in PUPIL_PRODUCTS or _has(a, "sensors", "pupil_devices", "webcams")


def _data_abroad(a):
    return a.get("leaves_country") == "yes" or a.get("hosting") == "vendor_cloud_abroad"


def _vendor_holds_data(a):
    """Data on a vendor's (or an unknown) cloud, or vendor staff access not ruled out."""
    return (a.get("hosting") in ("vendor_cloud_domestic", "vendor_cloud_abroad", "unknown")
            or a.get("vendor_staff_access") is not False)


def _gdpr_breach_late(a):
    return (a.get("breach_occurred") is True
            and (a.get("breach_regulator_told") in ("within_30_days", "within_60_days", "later", "not_told")
                 or (a.get("breach_families_told") == "not_told" and not _has(a, "encryption", "at_rest"))))


def _records_reused_commercially(a):
    return (a.get("adoption_route") in SCHOOL_ROUTES
            and (_has(a, "vendor_data_uses", "sharing_sale")
                 or (_has(a, "vendor_data_uses", "advertising")
                     and a.get("vendor_role") in ("controller_for_some", "unclear")))
            and not (a.get("consent_form") == "separate_explicit" and a.get("guardian_consent") is True))


# -- core --------------------------------------------------------------------------------------------

def ads_or_games(a, j, d):
    return j in EVERYWHERE and a.get("ads_or_games") is True


def algorithm_not_bias_tested(a, j, d):
    return (j in EVERYWHERE and _has(a, "automated_outputs", *DECISIONS)
            and a.get("bias_tested") is not True)


def collects_before_agreement(a, j, d):
    return j in NOT_US and a.get("collects_before_consent") is True


def excess_device_permissions(a, j, d):
    return j in NOT_US and _has(a, "excess_device_permissions", *EXCESS_PERMISSIONS)


def automated_no_review(a, j, d):
    return (j in EVERYWHERE and _has(a, "automated_outputs", *DECISIONS)
            and (a.get("human_review") in ("on_request", "never") or a.get("explanation_available") is not True
                 or a.get("appeal_route") is not True))


def behaviour_records_kept(a, j, d):
    return (j in EVERYWHERE
            and (_has(a, "automated_outputs", "behaviour_scores", "profiling")
                 or _has(a, "data_categories", "facial_expressions", "attention_signals", "eeg"))
            and a.get("retention_period") in ("enrolment", "fixed_years", "indefinite", "unknown"))


def brain_or_body_signals(a, j, d):
    return j in EVERYWHERE and _has(a, "data_categories", "eeg", "physiological")


def campus_face_no_necessity(a, j, d):
    return (j in EVERYWHERE and _face_recognition(a)
            and (a.get("necessity_documented") is not True or a.get("stakeholders_consulted") is not True))


def classroom_emotion(a, j, d):
    return (j in EVERYWHERE and _has(a, "inferred_states", "emotions", "attention")
            and _has(a, "inference_inputs", *SIGNALS))


def consent_not_free(a, j, d):
    return (j in EVERYWHERE and a.get("legal_basis") == "consent"
            and (a.get("use_mandatory") is True or a.get("alternative_offered") in ("none", "discouraged")
                 or a.get("tied_to_grades") is True
                 or a.get("consent_form") in ("bundled", "opt_out", "unknown"))
            and not _anonymous(a))


def continuous_monitoring(a, j, d):
    return (j in EVERYWHERE and _has(a, "sensors", "classroom_cameras", "wearables", "microphones", "webcams")
            and _has(a, "monitoring_scope", "lessons", *WIDE_SCOPE))


def data_location_unknown(a, j, d):
    return (j in EVERYWHERE and (a.get("hosting") == "unknown" or a.get("leaves_country") == "unknown")
            and not _anonymous(a))


def dpo_not_consulted(a, j, d):
    if j not in NOT_US or a.get("dpo_consulted") is True or not _under(a, "pupil_min_age", 18):
        return False
    live_capture = ((_has(a, "data_categories", "face_images") or _has(a, "sensors", "webcams", "microphones"))
                    and not (_has(a, "monitoring_scope", "none") and a.get("av_recorded") is False))
    return ((_has(a, "data_categories", "face_templates", "other_biometrics", "facial_expressions",
                  "attention_signals", "eeg", "physiological", "health", "special_needs")
             or _has(a, "automated_outputs", *DECISIONS)
             or _has(a, "sensors", "classroom_cameras", "entrance_cameras", "wearables")
             or live_capture)
            and not _anonymous(a))


def face_data_with_vendor(a, j, d):
    return (j in EVERYWHERE and _face_recognition(a)
            and a.get("face_storage") in ("vendor_cloud", "unknown"))


def face_kept_too_long(a, j, d):
    return (j in EVERYWHERE and _face_recognition(a)
            and (a.get("raw_images_kept") is True or a.get("biometrics_deleted_on_leaving") is not True))


def face_accuracy_not_validated(a, j, d):
    return (j in EVERYWHERE and _has(a, "data_categories", *FACE)
            and _has(a, "face_uses", *ID_USES, "watch_list")
            and a.get("face_accuracy_validated") is not True)


def face_routine_tasks(a, j, d):
    return j in EVERYWHERE and _has(a, "data_categories", *FACE) and _has(a, "face_uses", *ROUTINE_USES)


def face_watch_list(a, j, d):
    return j in NOT_US and _has(a, "data_categories", *FACE) and _has(a, "face_uses", "watch_list")


def face_no_alternative(a, j, d):
    return (j in EVERYWHERE and _has(a, "data_categories", *FACE) and _has(a, "face_uses", *ID_USES)
            and a.get("alternative_offered") != "equal")


def families_not_told(a, j, d):
    return j in EVERYWHERE and a.get("notice_to_families") in ("none", "partial") and not _anonymous(a)


def freemium_upsell(a, j, d):
    return j in EVERYWHERE and _has(a, "business_model", "freemium")


def scores_exposed(a, j, d):
    return (j in EVERYWHERE
            and (_has(a, "scores_shown_to", "class", "rankings") or a.get("individual_results_public") is True))


def inference_to_evaluate(a, j, d):
    return (j in EVERYWHERE and _has(a, "inferred_states", "emotions", "attention", "behaviours")
            and (a.get("inference_purpose") == "evaluation_discipline"
                 or _has(a, "purposes", "discipline", "assessment", "teacher_evaluation")))


def inference_not_validated(a, j, d):
    return (j in EVERYWHERE and _has(a, "inferred_states", "emotions", "attention")
            and a.get("scientific_validation") is not True)


def intrusive_no_necessity(a, j, d):
    if j not in EVERYWHERE or a.get("necessity_documented") is True:
        return False
    proctoring_webcam = (_has(a, "sensors", "webcams")
                         and (a.get("product_kind") in ("proctoring", "monitoring")
                              or _has(a, "purposes", "attention_monitoring", "exam_proctoring", "discipline",
                                      "safety_security")))
    return (_has(a, "data_categories", "face_templates", "other_biometrics", "facial_expressions",
                 "attention_signals", "eeg", "physiological")
            or _has(a, "sensors", "classroom_cameras", "wearables")
            or proctoring_webcam
            or _has(a, "monitoring_scope", *WIDE_SCOPE))


def known_vulnerabilities(a, j, d):
    return j in EVERYWHERE and a.get("known_vulnerabilities") is True and not _anonymous(a)


def alerts_to_police(a, j, d):
    return j in EVERYWHERE and _has(a, "alert_recipients", "police_or_law_enforcement")


def monitoring_after_hours(a, j, d):
    return j in EVERYWHERE and _has(a, "monitoring_scope", *AFTER_HOURS)


def monitoring_devices_home(a, j, d):
    return (j in NOT_US and _has(a, "monitored_devices", "school_devices_taken_home")
            and _has(a, "monitoring_scope", *AFTER_HOURS))


def no_impact_assessment(a, j, d):
    return (j in EVERYWHERE and a.get("impact_assessment") != "done"
            and (_has(a, "data_categories", "face_templates", "other_biometrics", "facial_expressions",
                      "attention_signals", "eeg", "physiological", "health", "special_needs")
                 or (_has(a, "data_categories", "face_images") and _has(a, "face_uses", *ALL_FACE_USES))
                 or _has(a, "automated_outputs", "grading", "profiling", "placement", "exam_flags"))
            and not _anonymous(a))


def family_resources(a, j, d):
    return (j in EVERYWHERE and a.get("requires_own_device") is True
            and (a.get("use_mandatory") is True or a.get("tied_to_grades") is True))


def recommendations_no_opt_out(a, j, d):
    return (j in EVERYWHERE and _has(a, "automated_outputs", "recommendations")
            and a.get("personalisation_opt_out") is not True)


def predictive_profiling(a, j, d):
    return j in EVERYWHERE and _has(a, "automated_outputs", "profiling")


def rights_not_operable(a, j, d):
    return j in EVERYWHERE and a.get("rights_process") is not True and not _anonymous(a)


def retention_unbounded(a, j, d):
    return (j in EVERYWHERE
            and (a.get("retention_period") in ("indefinite", "unknown") or a.get("retention_schedule") is not True
                 or (a.get("deletion_at_contract_end") is not True
                     and (a.get("hosting") in VENDOR_CLOUDS or a.get("vendor_staff_access") is True)))
            and not _anonymous(a))


def security_baseline(a, j, d):
    return (j in EVERYWHERE
            and (not _has(a, "encryption", "at_rest")
                 or (not _has(a, "encryption", "in_transit") and a.get("hosting") != "on_premises")
                 or a.get("mfa_privileged") is not True or a.get("access_logged") is not True
                 or a.get("breach_plan") is not True or a.get("leavers_access_revoked") is False)
            and not _anonymous(a))


def sensitive_traits_from_writing(a, j, d):
    return j in EVERYWHERE and _has(a, "monitoring_inferences", "self_harm_or_mental_health",
                                    "sexuality_or_gender_identity", "religion_or_beliefs")


def live_viewing_no_sign(a, j, d):
    return j in NOT_US and a.get("live_viewing") is True and a.get("live_view_sign") is not True


def surveillance_no_educational_case(a, j, d):
    return (j in EVERYWHERE and a.get("pedagogical_case") is not True
            and (_has(a, "sensors", "classroom_cameras", "wearables")
                 or (_has(a, "sensors", "microphones")
                     and not (_has(a, "monitoring_scope", "none") and a.get("av_recorded") is False))
                 or _has(a, "data_categories", "facial_expressions", "attention_signals", "eeg", "physiological")))


def third_party_trackers(a, j, d):
    return j in EVERYWHERE and a.get("third_party_trackers") is True


def vendor_reuse(a, j, d):
    return (j in EVERYWHERE and _has(a, "vendor_data_uses", "product_development", "model_training", "research")
            and not _anonymous(a))


def vendor_ads_sale(a, j, d):
    return j in EVERYWHERE and _has(a, "vendor_data_uses", "advertising", "sharing_sale") and not _anonymous(a)


def vendor_sanctioned(a, j, d):
    return j in EVERYWHERE and a.get("vendor_sanctioned") is True


def web_filter_blocks_help(a, j, d):
    return j in EU_UK and _has(a, "filter_blocked_topics", "health_or_sexual_health", "lgbtq_information",
                               "help_and_support_services")


# -- China ------------------------------------------------------------------------------------------

def cn_tied_to_grades(a, j, d):
    return j == "CN" and d >= CN_APP_OPINIONS and a.get("tied_to_grades") is True


def cn_forced_authorisation(a, j, d):
    return (j == "CN" and d >= CN_APP_OPINIONS and a.get("consent_form") in ("bundled", "opt_out")
            and not _anonymous(a))


def cn_biometrics_no_ethics_review(a, j, d):
    return (j == "CN" and d >= CN_BIOMETRICS_ACTION_PLAN
            and _has(a, "data_categories", "face_images", "face_templates", "other_biometrics")
            and a.get("biometric_ethics_review") is not True)


def cn_camera_images_beyond_security(a, j, d):
    return (j == "CN" and d >= PIPL and _has(a, "sensors", *CAMPUS_CAMERAS)
            and _has(a, "purposes", "attendance", "attention_monitoring", "discipline", "assessment",
                     "teacher_evaluation", "statistics", "research")
            and a.get("consent_form") != "separate_explicit")


def cn_cameras_private_spaces(a, j, d):
    return j == "CN" and d >= CN_VIDEO_REGULATIONS and a.get("cameras_in_private_spaces") is True


def cn_cameras_not_filed(a, j, d):
    return (j == "CN" and d >= CN_VIDEO_REGULATIONS and _has(a, "sensors", *CAMPUS_CAMERAS)
            and a.get("camera_system_filed") is not True)


def cn_cameras_no_signs(a, j, d):
    return j == "CN" and d >= PIPL and _has(a, "sensors", *CAMPUS_CAMERAS) and a.get("signage") is not True


def cn_footage_under_30_days(a, j, d):
    return (j == "CN" and d >= CN_VIDEO_REGULATIONS and _has(a, "sensors", *CAMPUS_CAMERAS)
            and _has(a, "purposes", "safety_security") and a.get("retention_period") == "days_or_weeks"
            and _under(a, "retention_days", 30))


def cn_double_reduction(a, j, d):
    return (j == "CN" and d >= CN_DOUBLE_REDUCTION
            and (a.get("photo_search") is True or a.get("for_profit_subject_tutoring") is True)
            and (a.get("school_type") in ("primary", "lower_secondary")
                 or (a.get("school_type") == "consumer" and "pupil_min_age" in a and a["pupil_min_age"] <= 15
                     and "pupil_max_age" in a and a["pupil_max_age"] >= 6)))


def cn_app_not_filed(a, j, d):
    return (j == "CN" and d >= CN_APP_FILING
            and (a.get("app_filing") == "not_filed"
                 or (a.get("app_filing") == "provider_only" and a.get("adoption_route") != "families_choose")))


def cn_entrusted_no_contract(a, j, d):
    return (j == "CN" and d >= PIPL and a.get("vendor_contract") in ("none", "partial") and _vendor_holds_data(a)
            and a.get("adoption_route") != "families_choose" and a.get("school_type") != "consumer"
            and not _anonymous(a))


def cn_face_leaves_device(a, j, d):
    return (j == "CN" and d >= CN_FACE_RECOGNITION_MEASURES and _has(a, "data_categories", *FACE)
            and a.get("face_storage") in ("school_server", "vendor_cloud", "unknown")
            and a.get("consent_form") != "separate_explicit")


def cn_face_sole_verification(a, j, d):
    return (j == "CN" and d >= CN_FACE_RECOGNITION_MEASURES and _has(a, "data_categories", *FACE)
            and _has(a, "face_uses", *ID_USES) and a.get("alternative_offered") != "equal")


def cn_genai_outside_guide(a, j, d):
    return (j == "CN" and d >= CN_GENAI_GUIDE and a.get("genai_features") is True
            and (a.get("genai_whitelisted") is not True
                 or (a.get("school_type") in ("kindergarten", "primary") and a.get("genai_pupil_use") == "independent")
                 or (_has(a, "automated_outputs", "grading") and a.get("human_review") != "always")))


def cn_pipia_records_not_kept(a, j, d):
    return (j == "CN" and d >= PIPL and a.get("impact_assessment") in ("done", "inadequate")
            and a.get("pipia_records_kept") is not True)


def cn_inference_no_necessity(a, j, d):
    return (j == "CN" and d >= PIPL and _has(a, "inferred_states", "emotions", "attention")
            and _has(a, "inference_inputs", *SIGNALS) and a.get("necessity_documented") is not True)


def cn_learning_app_games_ads(a, j, d):
    return (j == "CN" and d >= CN_HARMFUL_APPS_NOTICE and a.get("product_kind") in LEARNING_PRODUCTS
            and a.get("school_type") in ("primary", "lower_secondary", "upper_secondary")
            and a.get("adoption_route") != "families_choose" and a.get("ads_or_games") is True)


def cn_no_minors_data_audit(a, j, d):
    return (j == "CN" and d >= CN_MINORS_ONLINE and _under(a, "pupil_min_age", 18)
            and a.get("minors_data_audit") is not True and not _anonymous(a))


def cn_no_pipia(a, j, d):
    return (j == "CN" and d >= PIPL and a.get("impact_assessment") != "done"
            and (_has(a, "data_categories", "face_images", "face_templates", "other_biometrics", "facial_expressions",
                      "eeg", "physiological", "health", "special_needs", "location", "financial", "family_means")
                 or _under(a, "pupil_min_age", 14)
                 or _has(a, "automated_outputs", *DECISIONS, "recommendations")
                 or a.get("hosting") in VENDOR_CLOUDS or a.get("vendor_staff_access") is True)
            and not _anonymous(a))


def cn_online_education_ads(a, j, d):
    return (j == "CN" and d >= CN_MPL_2020 and a.get("ads_or_games") is True and _under(a, "pupil_min_age", 18)
            and (a.get("product_kind") in LEARNING_PRODUCTS or _has(a, "sensors", "pupil_devices")))


def cn_addictive_design(a, j, d):
    return (j == "CN" and d >= CN_MPL_2020 and _under(a, "pupil_min_age", 18)
            and a.get("product_kind") in LEARNING_PRODUCTS
            and (_has(a, "engagement_design", "streaks_rewards", "nudges", "endless_feed", "late_sessions")
                 or a.get("screen_time_controls") is not True))


def cn_leak_not_reported(a, j, d):
    return (j == "CN" and d >= CN_CSL and a.get("breach_occurred") is True
            and (a.get("breach_regulator_told") in ("within_60_days", "later", "not_told")
                 or a.get("breach_families_told") in ("within_60_days", "later")
                 or (a.get("breach_families_told") == "not_told" and not _has(a, "encryption", "at_rest")))
            and not _anonymous(a))


def cn_abroad_no_mechanism(a, j, d):
    return (j == "CN" and d >= PIPL and _data_abroad(a) and a.get("transfer_safeguards") is not True
            and not _anonymous(a))


def cn_adopted_outside_selection(a, j, d):
    return j == "CN" and d >= CN_APP_OPINIONS and a.get("adoption_route") in ("teacher_adopted", "donated")


def cn_no_campus_entry_review(a, j, d):
    return (j == "CN" and d >= CN_HARMFUL_APPS_NOTICE and a.get("campus_entry_review") is not True
            and a.get("adoption_route") != "families_choose")


def cn_public_school_data_abroad(a, j, d):
    return (j == "CN" and d >= PIPL and a.get("school_sector") == "public" and _data_abroad(a)
            and not _anonymous(a))


def cn_required_app_charges(a, j, d):
    return (j == "CN" and d >= CN_APP_OPINIONS and a.get("use_mandatory") is True
            and (a.get("product_kind") in ("learning_platform", "homework_tutoring", "school_management", "proctoring")
                 or _has(a, "sensors", "pupil_devices"))
            and (a.get("fees_to_families") is True or a.get("ads_or_games") is True))


def cn_commercial_activity(a, j, d):
    return (j == "CN" and d >= CN_MPL_2020 and a.get("fees_to_families") is True
            and _under(a, "pupil_min_age", 18) and a.get("school_type") in (*K12, "vocational")
            and a.get("adoption_route") in SCHOOL_ROUTES)


def cn_sensitive_no_separate_consent(a, j, d):
    return (j == "CN" and d >= PIPL
            and _has(a, "data_categories", "face_images", "face_templates", "other_biometrics", "facial_expressions",
                     "eeg", "physiological", "health", "special_needs", "location")
            and not (a.get("consent_form") == "separate_explicit"
                     or (a.get("legal_basis") == "statutory_duty" and not _has(a, "face_uses", "payment", "library"))))


def cn_under_14(a, j, d):
    return (j == "CN" and d >= CN_CHILD_INFO_RULES and _under(a, "pupil_min_age", 14)
            and a.get("guardian_consent") is not True and a.get("legal_basis") != "statutory_duty"
            and not _anonymous(a))


# -- European Union ---------------------------------------------------------------------------------

def eu_high_risk_ai(a, j, d):
    return (j == "EU" and d >= AI_ACT_ANNEX_III
            and (_has(a, "automated_outputs", "grading", "placement", "exam_flags")
                 or a.get("product_kind") == "proctoring"))


def eu_attention_inference(a, j, d):
    return (j == "EU" and d >= AI_ACT_BANS and _has(a, "inferred_states", "attention")
            and _has(a, "inference_inputs", *SIGNALS) and a.get("inference_purpose") not in ("medical", "safety"))


def eu_biometric_categorisation(a, j, d):
    return j == "EU" and d >= AI_ACT_BANS and a.get("biometric_categorisation") is True


def _eu_biometric_consent(a):
    return (_has(a, "data_categories", *BIOMETRIC_TEMPLATES) and _has(a, "face_uses", *ID_USES)
            and a.get("legal_basis") == "consent" and a.get("school_type") != "consumer")


def _optional_on_device_with_separate_consent(a):
    return (a.get("use_mandatory") is False and a.get("alternative_offered") in ("equal", "discouraged")
            and a.get("face_storage") == "on_device" and a.get("consent_form") == "separate_explicit")


def eu_biometric_consent_optional_on_device(a, j, d):
    return (j == "EU" and GDPR <= d < PL_SCHOOL_BIOMETRIC_CONSENT_JUDGMENT and _eu_biometric_consent(a)
            and _optional_on_device_with_separate_consent(a))


def eu_biometric_consent_school_authority(a, j, d):
    return j == "EU" and _eu_biometric_consent(a) and not _optional_on_device_with_separate_consent(a)


def eu_biometric_less_intrusive(a, j, d):
    return (j == "EU" and _has(a, "data_categories", *BIOMETRIC_TEMPLATES)
            and _has(a, "face_uses", *ROUTINE_USES))


def eu_biometric_identification(a, j, d):
    return j == "EU" and _has(a, "data_categories", *BIOMETRIC_TEMPLATES) and _has(a, "face_uses", *ID_USES)


def eu_child_consent(a, j, d):
    return (j == "EU" and a.get("legal_basis") == "consent" and _under(a, "pupil_min_age", 16)
            and a.get("guardian_consent") is not True
            and (a.get("school_type") == "consumer" or a.get("adoption_route") == "families_choose")
            and (a.get("product_kind") in PUPIL_PRODUCTS or _has(a, "sensors", "pupil_devices"))
            and not _anonymous(a))


def eu_dpia_missing(a, j, d):
    if j != "EU" or a.get("impact_assessment") not in DPIA_NOT_DONE:
        return False
    special = _has(a, "data_categories", "face_templates", "other_biometrics", "facial_expressions",
                   "attention_signals", "eeg", "physiological", "health", "special_needs", "racial_ethnic_origin",
                   "safeguarding_notes")
    decisions = _has(a, "automated_outputs", *DECISIONS)
    sensors = _has(a, "sensors", "classroom_cameras", "entrance_cameras", "webcams", "wearables", "microphones")
    wide = _has(a, "monitoring_scope", *WIDE_SCOPE)
    large = "pupils_affected" in a and a["pupils_affected"] >= 1000
    mandatory = a.get("use_mandatory") is True
    children = _under(a, "pupil_min_age", 18) and (
        special or decisions or sensors or wide or large or (mandatory and a.get("alternative_offered") == "none"))
    return ((children or (special and (decisions or sensors or large or mandatory))
             or (decisions and (sensors or wide or large)))
            and not _anonymous(a))


def eu_emotion_ban(a, j, d):
    return (j == "EU" and d >= AI_ACT_BANS and _has(a, "inferred_states", "emotions")
            and _has(a, "inference_inputs", *SIGNALS) and a.get("inference_purpose") not in ("medical", "safety"))


def eu_emotion_not_informed(a, j, d):
    return (j == "EU" and d >= AI_ACT_TRANSPARENCY
            and ((_has(a, "inferred_states", "emotions", "attention") and _has(a, "inference_inputs", *SIGNALS))
                 or a.get("biometric_categorisation") is True)
            and a.get("notice_to_families") != "full_child_friendly")


def eu_emotion_medical_safety(a, j, d):
    return (j == "EU" and d >= AI_ACT_BANS and _has(a, "inferred_states", "emotions", "attention")
            and _has(a, "inference_inputs", *SIGNALS) and a.get("inference_purpose") in ("medical", "safety"))


def eu_grades_from_school_history(a, j, d):
    return (j == "EU" and d >= GDPR and _has(a, "automated_outputs", "grading", "placement")
            and a.get("uses_school_history") is True)


def eu_breach_late(a, j, d):
    return j == "EU" and d >= GDPR and _gdpr_breach_late(a) and not _anonymous(a)


def eu_records_reused(a, j, d):
    return j == "EU" and d >= GDPR and _records_reused_commercially(a) and not _anonymous(a)


def eu_proctoring_no_alternative(a, j, d):
    return (j == "EU"
            and (a.get("product_kind") == "proctoring" or _has(a, "purposes", "exam_proctoring"))
            and _has(a, "sensors", "webcams")
            and (_has(a, "automated_outputs", "exam_flags") or _has(a, "face_uses", "exam_identity")
                 or a.get("room_scan") is True)
            and a.get("alternative_offered") != "equal")


def eu_solely_automated(a, j, d):
    return (j == "EU" and _has(a, "automated_outputs", *SIGNIFICANT_DECISIONS)
            and a.get("human_review") in ("never", "on_request"))


def eu_transfer(a, j, d):
    return j == "EU" and _data_abroad(a) and not _anonymous(a)


def eu_vendor_controller(a, j, d):
    return (j == "EU"
            and (a.get("vendor_role") in ("controller_for_some", "unclear")
                 or a.get("vendor_contract") in ("none", "partial"))
            and _vendor_holds_data(a) and not _anonymous(a))


# -- United Kingdom ---------------------------------------------------------------------------------

def uk_code_minimisation_sharing(a, j, d):
    return (j == "UK" and d >= UK_CHILDRENS_CODE and _under(a, "pupil_min_age", 18)
            and _online_service_for_children(a)
            and (a.get("third_party_trackers") is True
                 or _has(a, "vendor_data_uses", "advertising", "sharing_sale", "model_training", "research"))
            and not _anonymous(a))


def uk_code_detrimental_scores(a, j, d):
    return (j == "UK" and d >= UK_CHILDRENS_CODE and _under(a, "pupil_min_age", 18)
            and _online_service_for_children(a)
            and (a.get("inference_purpose") == "evaluation_discipline"
                 or _has(a, "scores_shown_to", "class", "rankings") or a.get("individual_results_public") is True))


def uk_code_nudges(a, j, d):
    return (j == "UK" and d >= UK_CHILDRENS_CODE and _under(a, "pupil_min_age", 18)
            and (a.get("product_kind") in LEARNING_PRODUCTS or _has(a, "sensors", "pupil_devices"))
            and _has(a, "engagement_design", "streaks_rewards", "nudges", "endless_feed"))


def uk_code_profiling_on(a, j, d):
    return (j == "UK" and d >= UK_CHILDRENS_CODE and _under(a, "pupil_min_age", 18)
            and _has(a, "automated_outputs", "profiling", "recommendations")
            and a.get("profiling_default_off") is not True and _online_service_for_children(a))


def uk_grades_from_school_history(a, j, d):
    return (j == "UK" and d >= GDPR and _has(a, "automated_outputs", "grading", "placement")
            and a.get("uses_school_history") is True)


def uk_no_dpia(a, j, d):
    return (j == "UK" and a.get("impact_assessment") in DPIA_NOT_DONE and _under(a, "pupil_min_age", 18)
            and (_has(a, "data_categories", "face_templates", "other_biometrics", "facial_expressions",
                      "attention_signals", "eeg", "physiological", "health", "special_needs", "racial_ethnic_origin")
                 or _has(a, "automated_outputs", *DECISIONS)
                 or _has(a, "sensors", "classroom_cameras", "entrance_cameras", "webcams", "wearables", "microphones")
                 or _has(a, "monitoring_scope", *WIDE_SCOPE)
                 or ("pupils_affected" in a and a["pupils_affected"] >= 1000)
                 or (a.get("use_mandatory") is True and a.get("alternative_offered") == "none"))
            and not _anonymous(a))


def uk_opt_out_as_consent(a, j, d):
    return (j == "UK" and a.get("legal_basis") == "consent"
            and (a.get("consent_form") == "opt_out"
                 or ("pupil_max_age" in a and a["pupil_max_age"] >= 13 and a.get("pupils_views_sought") is not True))
            and not _anonymous(a))


def uk_breach_late(a, j, d):
    return j == "UK" and d >= GDPR and _gdpr_breach_late(a) and not _anonymous(a)


def uk_biometrics_no_written_consent(a, j, d):
    return (j == "UK" and d >= UK_PROTECTION_OF_FREEDOMS_ACT
            and a.get("uk_nation") not in ("scotland", "northern_ireland")
            and _has(a, "data_categories", *BIOMETRIC_TEMPLATES)
            and a.get("school_type") in ("primary", "lower_secondary", "upper_secondary", "vocational")
            and _under(a, "pupil_min_age", 18)
            and (a.get("guardian_consent") is not True or a.get("consent_form") == "opt_out"))


def uk_records_reused(a, j, d):
    return j == "UK" and d >= GDPR and _records_reused_commercially(a) and not _anonymous(a)


def uk_automated_without_safeguards(a, j, d):
    return (j == "UK" and d >= UK_DUAA and _has(a, "automated_outputs", *SIGNIFICANT_DECISIONS)
            and a.get("human_review") in ("never", "on_request")
            and (a.get("explanation_available") is not True or a.get("appeal_route") is not True))


def uk_solely_automated(a, j, d):
    return (j == "UK" and UK_GDPR <= d < UK_DUAA and _has(a, "automated_outputs", *SIGNIFICANT_DECISIONS)
            and a.get("human_review") in ("never", "on_request"))


# -- United States ----------------------------------------------------------------------------------

def us_trackers_no_parental_consent(a, j, d):
    return (j == "US" and _under(a, "pupil_min_age", 13) and a.get("third_party_trackers") is True
            and a.get("guardian_consent") is not True)


def us_breach_after_state_deadline(a, j, d):
    if j != "US" or d < NY_30_DAY_BREACH_NOTICE or a.get("breach_occurred") is not True:
        return False
    state, told = a.get("us_state"), a.get("breach_families_told")
    late = ((state in ("ny", "co") and told in ("within_60_days", "later", "not_told"))
            or (state == "tx" and told in ("later", "not_told")))
    identifying = (_has(a, "data_categories", "identity_numbers")
                   or (state in ("co", "tx") and _has(a, "data_categories", "health", "special_needs")))
    return late and not _has(a, "encryption", "at_rest") and identifying and not _anonymous(a)


def us_co_automated_placement(a, j, d):
    return (j == "US" and d >= CO_SB26_189 and a.get("us_state") == "co" and _has(a, "automated_outputs", "placement")
            and (a.get("human_review") == "never" or a.get("explanation_available") is not True
                 or a.get("appeal_route") is not True))


def us_co_public_school_face(a, j, d):
    return (j == "US" and d >= CO_SB22_113 and a.get("us_state") == "co" and a.get("school_sector") == "public"
            and a.get("school_type") in K12 and _has(a, "face_uses", *ID_USES)
            and _has(a, "data_categories", *FACE))


def us_coppa_kept_indefinitely(a, j, d):
    return (j == "US" and d >= COPPA_2013 and _under(a, "pupil_min_age", 13)
            and a.get("retention_period") == "indefinite" and _online_service_for_children(a)
            and not _anonymous(a))


def us_coppa_collects_first(a, j, d):
    return (j == "US" and d >= COPPA and _under(a, "pupil_min_age", 13)
            and a.get("collects_before_consent") is True)


def us_coppa(a, j, d):
    return (j == "US" and d >= COPPA and _under(a, "pupil_min_age", 13)
            and a.get("adoption_route") in ("teacher_adopted", "donated", "families_choose")
            and a.get("guardian_consent") is not True and _online_service_for_children(a)
            and not _anonymous(a))


def us_coppa_disclosure_consent(a, j, d):
    return (j == "US" and d >= COPPA_2025 and _under(a, "pupil_min_age", 13)
            and (a.get("third_party_trackers") is True or _has(a, "vendor_data_uses", "advertising", "sharing_sale"))
            and a.get("us_third_party_disclosure_consent") is not True and not _anonymous(a))


def us_coppa_no_retention_policy(a, j, d):
    return (j == "US" and d >= COPPA_2025 and _under(a, "pupil_min_age", 13) and _online_service_for_children(a)
            and (a.get("retention_schedule") is not True or a.get("retention_period") in ("indefinite", "unknown"))
            and not _anonymous(a))


def us_covert_home_capture(a, j, d):
    return (j == "US" and a.get("school_sector") == "public" and _has(a, "monitoring_scope", "at_home")
            and (_has(a, "sensors", "webcams", "microphones") or _has(a, "data_categories", "face_images", "voice"))
            and a.get("notice_to_families") == "none")


def us_ferpa_direct_control(a, j, d):
    return (j == "US"
            and (a.get("school_sector") == "public" or a.get("school_type") == "university")
            and a.get("school_type") != "consumer" and a.get("adoption_route") != "families_choose"
            and _has(a, "data_categories", "names_contact", "identity_numbers", "grades", "behaviour_logs", "health",
                     "special_needs", "racial_ethnic_origin", "home_language_nationality", "safeguarding_notes",
                     "attendance_records", "content", "family_means")
            and _vendor_holds_data(a)
            and (a.get("vendor_contract") in ("none", "partial")
                 or a.get("vendor_role") in ("controller_for_some", "unclear")
                 or _has(a, "vendor_data_uses", "advertising", "sharing_sale", "product_development", "model_training",
                         "research", "unknown")))


def us_ftc_commercial_use(a, j, d):
    return (j == "US" and d >= FTC_EDTECH_STATEMENT and _under(a, "pupil_min_age", 13)
            and a.get("adoption_route") in ("school_procured", "authority_procured", "teacher_adopted")
            and _has(a, "vendor_data_uses", "advertising", "sharing_sale", "model_training")
            and not _anonymous(a))


def us_ftc_mandatory_collection(a, j, d):
    return (j == "US" and d >= COPPA and _under(a, "pupil_min_age", 13) and a.get("use_mandatory") is True
            and a.get("necessity_documented") is not True
            and (a.get("third_party_trackers") is True
                 or _has(a, "data_categories", "location", "device_identifiers", "voice", "face_images",
                         "face_templates", "other_biometrics")
                 or _has(a, "excess_device_permissions", *EXCESS_PERMISSIONS)))


def _state_biometrics_without_consent(a, state):
    return (a.get("us_state") == state and _has(a, "data_categories", *BIOMETRIC_TEMPLATES)
            and a.get("guardian_consent") is not True
            and (a.get("school_sector") == "private" or a.get("hosting") in VENDOR_CLOUDS
                 or a.get("vendor_staff_access") is True))


def us_il_biometrics(a, j, d):
    return j == "US" and d >= IL_BIPA and _state_biometrics_without_consent(a, "il")


def us_ny_biometric_moratorium(a, j, d):
    return (j == "US" and NY_106B_MORATORIUM <= d < NY_FR_DETERMINATION and a.get("us_state") == "ny"
            and a.get("school_type") in K12
            and (_has(a, "data_categories", *BIOMETRIC_TEMPLATES)
                 or (_has(a, "data_categories", "face_images") and _has(a, "face_uses", *ID_USES, "watch_list"))))


def us_ny_facial_recognition(a, j, d):
    return (j == "US" and d >= NY_FR_DETERMINATION and a.get("us_state") == "ny" and a.get("school_type") in K12
            and (_has(a, "data_categories", "face_templates")
                 or (_has(a, "data_categories", "face_images") and _has(a, "face_uses", *ID_USES, "watch_list"))))


def us_ny_school_breach(a, j, d):
    return (j == "US" and d >= NY_PART_121 and a.get("us_state") == "ny" and a.get("school_sector") == "public"
            and a.get("school_type") not in ("university", "consumer") and a.get("breach_occurred") is True
            and (a.get("breach_regulator_told") in ("within_60_days", "later", "not_told")
                 or a.get("breach_families_told") in ("later", "not_told"))
            and not _anonymous(a))


def us_ny_shared_learning(a, j, d):
    return (j == "US" and d >= NY_EDUCATION_LAW_2D and a.get("us_state") == "ny"
            and a.get("us_ny_shared_learning_infrastructure") is True)


def us_promise_not_kept(a, j, d):
    return j == "US" and a.get("promised_safeguard_missing") is True


def us_room_scan(a, j, d):
    return j == "US" and a.get("school_sector") == "public" and a.get("room_scan") is True


def us_tx_biometrics(a, j, d):
    return j == "US" and d >= TX_BIOMETRIC_IDENTIFIERS and _state_biometrics_without_consent(a, "tx")


PLAIN_RULES = {
    # core
    "ads-or-games-in-pupil-product": ads_or_games,
    "algorithm-accuracy-not-tested-across-pupil-groups": algorithm_not_bias_tested,
    "app-collects-before-anyone-agrees": collects_before_agreement,
    "app-requests-device-permissions-beyond-its-function": excess_device_permissions,
    "automated-decisions-without-human-review-or-appeal": automated_no_review,
    "behaviour-records-kept-across-school-years": behaviour_records_kept,
    "brain-or-body-signals-recorded-from-pupils": brain_or_body_signals,
    "campus-face-recognition-without-necessity-or-consultation": campus_face_no_necessity,
    "classroom-emotion-attention-recognition": classroom_emotion,
    "consent-not-freely-given-or-not-affirmative": consent_not_free,
    "continuous-monitoring-of-pupils": continuous_monitoring,
    "data-location-or-foreign-access-unknown": data_location_unknown,
    "data-protection-lead-not-consulted-before-high-risk-deployment": dpo_not_consulted,
    "face-data-held-by-vendor-or-location-unknown": face_data_with_vendor,
    "face-images-or-templates-kept-too-long": face_kept_too_long,
    "face-recognition-accuracy-not-validated-for-pupils": face_accuracy_not_validated,
    "face-recognition-for-routine-school-tasks": face_routine_tasks,
    "face-recognition-matches-people-against-watch-list": face_watch_list,
    "face-recognition-without-equal-alternative": face_no_alternative,
    "families-not-told-how-data-is-used": families_not_told,
    "free-product-upsells-families": freemium_upsell,
    "individual-scores-or-rankings-exposed-to-peers": scores_exposed,
    "inner-state-inference-used-to-evaluate-or-discipline": inference_to_evaluate,
    "inner-state-inference-without-scientific-validation": inference_not_validated,
    "intrusive-monitoring-without-necessity-case": intrusive_no_necessity,
    "known-security-weaknesses-unfixed": known_vulnerabilities,
    "monitoring-alerts-reach-police-routinely": alerts_to_police,
    "monitoring-beyond-school-day-or-into-homes": monitoring_after_hours,
    "monitoring-follows-school-issued-devices-home": monitoring_devices_home,
    "no-impact-assessment-before-high-risk-processing": no_impact_assessment,
    "participation-depends-on-family-resources": family_resources,
    "personalised-recommendations-without-opt-out": recommendations_no_opt_out,
    "predictive-profiling-of-pupils": predictive_profiling,
    "pupil-and-guardian-rights-not-operable": rights_not_operable,
    "retention-unbounded-or-unscheduled": retention_unbounded,
    "security-baseline-missing": security_baseline,
    "sensitive-traits-inferred-from-pupils-writing": sensitive_traits_from_writing,
    "staff-watch-pupils-live-without-a-sign": live_viewing_no_sign,
    "surveillance-technology-without-educational-case": surveillance_no_educational_case,
    "third-party-trackers-in-pupil-product": third_party_trackers,
    "vendor-may-reuse-pupil-data-for-products-research-or-ai": vendor_reuse,
    "vendor-may-use-pupil-data-for-advertising-or-sale": vendor_ads_sale,
    "vendor-on-sanctions-or-export-control-list": vendor_sanctioned,
    "web-filter-blocks-help-pupils-need": web_filter_blocks_help,
    # China
    "cn-app-use-tied-to-grades-or-awards": cn_tied_to_grades,
    "cn-authorisation-forced-by-bundling-or-defaults": cn_forced_authorisation,
    "cn-biometric-collection-without-ethics-review": cn_biometrics_no_ethics_review,
    "cn-camera-images-used-beyond-public-security-without-separate-consent": cn_camera_images_beyond_security,
    "cn-cameras-in-private-spaces": cn_cameras_private_spaces,
    "cn-campus-camera-system-not-filed-with-public-security-bureau": cn_cameras_not_filed,
    "cn-campus-cameras-without-prominent-signs": cn_cameras_no_signs,
    "cn-campus-security-footage-kept-under-30-days": cn_footage_under_30_days,
    "cn-double-reduction-banned-service-for-compulsory-pupils": cn_double_reduction,
    "cn-education-app-not-filed": cn_app_not_filed,
    "cn-entrusted-processing-without-full-contract": cn_entrusted_no_contract,
    "cn-face-data-leaves-device-without-separate-consent": cn_face_leaves_device,
    "cn-face-recognition-as-sole-verification-method": cn_face_sole_verification,
    "cn-generative-ai-used-outside-moe-guide-limits": cn_genai_outside_guide,
    "cn-impact-assessment-records-not-kept-three-years": cn_pipia_records_not_kept,
    "cn-inner-state-inference-without-sufficient-necessity": cn_inference_no_necessity,
    "cn-learning-app-with-games-or-ads-used-in-primary-or-secondary-school": cn_learning_app_games_ads,
    "cn-no-annual-compliance-audit-of-minors-data": cn_no_minors_data_audit,
    "cn-no-pipia-before-sensitive-or-automated-processing": cn_no_pipia,
    "cn-online-education-product-with-ads-or-game-links": cn_online_education_ads,
    "cn-online-learning-product-without-time-limits-or-with-addictive-design": cn_addictive_design,
    "cn-personal-information-leak-not-reported-and-notified-promptly": cn_leak_not_reported,
    "cn-personal-information-sent-abroad-without-transfer-mechanism": cn_abroad_no_mechanism,
    "cn-product-adopted-outside-institutional-selection": cn_adopted_outside_selection,
    "cn-product-entered-campus-without-review-and-filing": cn_no_campus_entry_review,
    "cn-public-school-data-stored-or-accessed-abroad": cn_public_school_data_abroad,
    "cn-required-app-charges-families-or-carries-ads": cn_required_app_charges,
    "cn-school-arranges-commercial-activity-for-pupils": cn_commercial_activity,
    "cn-sensitive-personal-information-without-separate-consent": cn_sensitive_no_separate_consent,
    "cn-under-14-personal-information-without-guardian-consent": cn_under_14,
    # European Union
    "eu-ai-act-high-risk-education-ai": eu_high_risk_ai,
    "eu-attention-engagement-inference-in-education": eu_attention_inference,
    "eu-biometric-categorisation-of-sensitive-traits": eu_biometric_categorisation,
    "eu-biometric-consent-for-optional-on-device-school-service": eu_biometric_consent_optional_on_device,
    "eu-biometric-consent-under-school-authority": eu_biometric_consent_school_authority,
    "eu-biometric-identification-less-intrusive-means": eu_biometric_less_intrusive,
    "eu-biometric-identification-of-pupils": eu_biometric_identification,
    "eu-child-consent-online-service": eu_child_consent,
    "eu-dpia-missing-where-high-risk": eu_dpia_missing,
    "eu-emotion-recognition-education-ban": eu_emotion_ban,
    "eu-emotion-recognition-exposed-pupils-not-informed": eu_emotion_not_informed,
    "eu-emotion-recognition-relying-on-medical-or-safety-exception": eu_emotion_medical_safety,
    "eu-grades-or-placement-set-from-school-past-results": eu_grades_from_school_history,
    "eu-personal-data-breach-not-notified-in-time": eu_breach_late,
    "eu-pupil-records-reused-for-unrelated-commercial-purpose": eu_records_reused,
    "eu-remote-proctoring-without-equal-alternative": eu_proctoring_no_alternative,
    "eu-solely-automated-decisions-about-pupils": eu_solely_automated,
    "eu-transfer-outside-eu": eu_transfer,
    "eu-vendor-acts-as-controller-or-no-processor-contract": eu_vendor_controller,
    # United Kingdom
    "uk-childrens-code-data-minimisation-and-sharing": uk_code_minimisation_sharing,
    "uk-childrens-code-detrimental-use-of-pupil-scores": uk_code_detrimental_scores,
    "uk-childrens-code-nudges-to-extend-use": uk_code_nudges,
    "uk-childrens-code-profiling-not-off-by-default": uk_code_profiling_on,
    "uk-grades-or-placement-set-from-school-past-results": uk_grades_from_school_history,
    "uk-no-dpia-before-high-risk-processing": uk_no_dpia,
    "uk-parental-opt-out-used-as-consent": uk_opt_out_as_consent,
    "uk-personal-data-breach-not-notified-in-time": uk_breach_late,
    "uk-pupil-biometrics-without-written-parental-consent": uk_biometrics_no_written_consent,
    "uk-pupil-records-reused-for-unrelated-commercial-purpose": uk_records_reused,
    "uk-significant-automated-decisions-about-pupils-without-safeguards": uk_automated_without_safeguards,
    "uk-solely-automated-significant-decisions-about-pupils": uk_solely_automated,
    # United States
    "us-ad-trackers-on-children-without-parental-consent": us_trackers_no_parental_consent,
    "us-breach-of-pupils-identifying-data-told-to-families-after-state-deadline": us_breach_after_state_deadline,
    "us-co-automated-placement-of-pupils-without-notice-explanation-or-human-review": us_co_automated_placement,
    "us-co-public-school-contracts-for-facial-recognition": us_co_public_school_face,
    "us-coppa-children-data-kept-indefinitely": us_coppa_kept_indefinitely,
    "us-coppa-collection-before-parental-consent-or-school-authorisation": us_coppa_collects_first,
    "us-coppa-no-parental-consent-or-school-authorisation": us_coppa,
    "us-coppa-separate-consent-for-third-party-disclosure": us_coppa_disclosure_consent,
    "us-coppa-written-retention-policy-missing": us_coppa_no_retention_policy,
    "us-covert-capture-inside-pupils-homes-by-public-school": us_covert_home_capture,
    "us-ferpa-vendor-not-under-school-direct-control": us_ferpa_direct_control,
    "us-ftc-commercial-use-of-school-authorised-data": us_ftc_commercial_use,
    "us-ftc-mandatory-collection-beyond-need": us_ftc_mandatory_collection,
    "us-il-pupil-biometrics-without-written-release": us_il_biometrics,
    "us-ny-biometric-identifying-technology-moratorium-in-schools": us_ny_biometric_moratorium,
    "us-ny-facial-recognition-in-schools": us_ny_facial_recognition,
    "us-ny-school-breach-told-after-education-law-deadlines": us_ny_school_breach,
    "us-ny-student-data-given-to-shared-learning-infrastructure-provider": us_ny_shared_learning,
    "us-privacy-promise-to-pupils-and-families-not-kept": us_promise_not_kept,
    "us-remote-exam-room-scan-by-public-institution": us_room_scan,
    "us-tx-pupil-biometrics-captured-without-notice-and-consent": us_tx_biometrics,
}
"""Rule id -> its hand-written ``fn(answers, jurisdiction, as_of) -> bool``, for every rule of the rule set."""
