"""Ten representative rules written by hand as plain Python: the floor the engine is measured against.

Each function takes effective typed answers (as the engine sees them) and returns whether the rule
fires. They mirror the YAML conditions of the rules named in PLAIN_RULES; bench_engine.py checks the
two agree on every case before timing them.
"""

from __future__ import annotations

import datetime as dt

ANY_SIGNAL = {"face", "voice", "posture", "eeg", "physiological"}


def _has(a, q, *opts):
    return q in a and any(o in a[q] for o in opts)


def classroom_emotion(a, j, d):
    return _has(a, "inferred_states", "emotions", "attention") and _has(a, "inference_inputs", *ANY_SIGNAL)


def eu_emotion_ban(a, j, d):
    return (j == "EU" and d >= dt.date(2025, 2, 2) and _has(a, "inferred_states", "emotions")
            and _has(a, "inference_inputs", *ANY_SIGNAL)
            and not ("inference_purpose" in a and a["inference_purpose"] in ("medical", "safety")))


def face_no_alternative(a, j, d):
    return (_has(a, "data_categories", "face_images", "face_templates")
            and _has(a, "face_uses", "entry", "attendance", "payment", "library", "exam_identity")
            and a.get("alternative_offered") != "equal")


def security_baseline(a, j, d):
    return (_has(a, "encryption", "none") or a.get("mfa_privileged") is not True
            or a.get("access_logged") is not True or a.get("breach_plan") is not True)


def retention_unbounded(a, j, d):
    return (a.get("retention_period") in ("indefinite", "unknown") or a.get("retention_schedule") is not True
            or (a.get("deletion_at_contract_end") is not True
                and (a.get("hosting") in ("vendor_cloud_domestic", "vendor_cloud_abroad")
                     or a.get("vendor_staff_access") is True)))


def automated_no_review(a, j, d):
    return (_has(a, "automated_outputs", "grading", "ranking", "behaviour_scores", "profiling", "placement",
                 "exam_flags")
            and (a.get("human_review") in ("on_request", "never") or a.get("explanation_available") is not True
                 or a.get("appeal_route") is not True))


def cn_under_14(a, j, d):
    return (j == "CN" and d >= dt.date(2019, 10, 1) and "pupil_min_age" in a and a["pupil_min_age"] < 14
            and a.get("guardian_consent") is not True and a.get("legal_basis") != "statutory_duty")


def vendor_ads_sale(a, j, d):
    return _has(a, "vendor_data_uses", "advertising", "sharing_sale")


def eu_transfer(a, j, d):
    return j == "EU" and a.get("leaves_country") == "yes"


def us_coppa(a, j, d):
    return (j == "US" and "pupil_min_age" in a and a["pupil_min_age"] < 13
            and a.get("adoption_route") in ("teacher_adopted", "donated", "families_choose")
            and a.get("guardian_consent") is not True
            and (a.get("product_kind") in ("learning_platform", "homework_tutoring", "proctoring", "monitoring",
                                           "school_management")
                 or _has(a, "sensors", "pupil_devices", "webcams")))


PLAIN_RULES = {
    "classroom-emotion-attention-recognition": classroom_emotion,
    "eu-emotion-recognition-education-ban": eu_emotion_ban,
    "face-recognition-without-equal-alternative": face_no_alternative,
    "security-baseline-missing": security_baseline,
    "retention-unbounded-or-unscheduled": retention_unbounded,
    "automated-decisions-without-human-review-or-appeal": automated_no_review,
    "cn-under-14-personal-information-without-guardian-consent": cn_under_14,
    "vendor-may-use-pupil-data-for-advertising-or-sale": vendor_ads_sale,
    "eu-transfer-outside-eu": eu_transfer,
    "us-coppa-no-parental-consent-or-school-authorisation": us_coppa,
}
