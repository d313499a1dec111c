//! Each rule and each preset, one behaviour per test.
use gatehouse_policy::*;

fn ctx() -> Context<'static> {
    Context {
        login: "s1234567",
        display_name: "Chan Tai Man",
        reuse: Reuse::Unknown,
    }
}

fn status(report: &Report, rule: &Rule) -> Status {
    report
        .outcomes
        .iter()
        .find(|o| &o.rule == rule)
        .map(|o| o.status)
        .unwrap_or_else(|| panic!("rule {rule:?} missing from {report:?}"))
}

fn eservices() -> Policy {
    Preset::Eservices.policy()
}

#[test]
fn eservices_accepts_a_password_meeting_every_published_rule() {
    let ctx = Context {
        reuse: Reuse::Fresh,
        ..ctx()
    };
    assert!(check("Harbour7Lights", &eservices(), &ctx).is_acceptable());
}

#[test]
fn nine_characters_are_too_short_and_ten_are_enough() {
    let short = check("Abcdefgh9", &eservices(), &ctx());
    let enough = check("Abcdefgh90", &eservices(), &ctx());
    assert_eq!(status(&short, &Rule::MinLength { min: 10 }), Status::Unmet);
    assert_eq!(status(&enough, &Rule::MinLength { min: 10 }), Status::Met);
}

#[test]
fn each_forbidden_character_and_a_space_is_refused() {
    let rule = Rule::NoForbiddenChars {
        chars: "$\"\\/`".into(),
        whitespace: true,
    };
    for bad in [
        "Abcdefgh9$",
        "Abcdefgh9\"",
        "Abcdefgh9\\",
        "Abcdefgh9/",
        "Abcdefgh9`",
        "Abcd efgh9",
        "Abcd\tefgh9",
    ] {
        assert_eq!(
            status(&check(bad, &eservices(), &ctx()), &rule),
            Status::Unmet,
            "{bad:?}"
        );
    }
}

#[test]
fn a_fullwidth_dollar_is_the_forbidden_dollar_after_normalisation() {
    let rule = Rule::NoForbiddenChars {
        chars: "$\"\\/`".into(),
        whitespace: true,
    };
    assert_eq!(
        status(&check("Abcdefgh9＄", &eservices(), &ctx()), &rule),
        Status::Unmet
    );
}

#[test]
fn eservices_requires_upper_lower_and_digit() {
    let report = check("abcdefghij", &eservices(), &ctx());
    assert_eq!(
        status(
            &report,
            &Rule::RequiredClass {
                class: CharClass::Upper
            }
        ),
        Status::Unmet
    );
    assert_eq!(
        status(
            &report,
            &Rule::RequiredClass {
                class: CharClass::Lower
            }
        ),
        Status::Met
    );
    assert_eq!(
        status(
            &report,
            &Rule::RequiredClass {
                class: CharClass::Digit
            }
        ),
        Status::Unmet
    );
}

#[test]
fn history_rules_stay_pending_until_the_server_says() {
    let report = check("Harbour7Lights", &eservices(), &ctx());
    assert_eq!(
        status(&report, &Rule::NotRecent { depth: 3 }),
        Status::Pending
    );
    assert!(report.has_no_failures());
    assert!(!report.is_acceptable());
}

#[test]
fn a_recent_password_fails_history_and_the_current_one_fails_differs() {
    let recent = check(
        "Harbour7Lights",
        &eservices(),
        &Context {
            reuse: Reuse::Recent,
            ..ctx()
        },
    );
    let same = check(
        "Harbour7Lights",
        &eservices(),
        &Context {
            reuse: Reuse::SameAsCurrent,
            ..ctx()
        },
    );
    assert_eq!(
        status(&recent, &Rule::NotRecent { depth: 3 }),
        Status::Unmet
    );
    assert_eq!(status(&same, &Rule::DiffersFromCurrent), Status::Unmet);
}

#[test]
fn staff_reset_needs_a_letter_and_a_digit_and_only_recommends_fourteen_mixed() {
    let ctx = Context {
        reuse: Reuse::Fresh,
        ..ctx()
    };
    let report = check("harbour7lights", &Preset::StaffReset.policy(), &ctx);
    assert!(report.is_acceptable());
    let advice = report
        .outcomes
        .iter()
        .find(|o| o.rule.is_advice())
        .map(|o| o.status);
    assert_eq!(advice, Some(Status::Unmet));
    assert!(!check("harbourlights", &Preset::StaffReset.policy(), &ctx).is_acceptable());
}

#[test]
fn portal_pin_allows_ten_to_eighteen_characters() {
    let ctx = Context {
        reuse: Reuse::Fresh,
        ..ctx()
    };
    let p = Preset::PortalPin.policy();
    assert!(check("abcdefghij", &p, &ctx).is_acceptable());
    assert!(check("abcdefghijklmnopqr", &p, &ctx).is_acceptable());
    assert!(!check("abcdefghijklmnopqrs", &p, &ctx).is_acceptable());
    assert!(!check("abcdefghi", &p, &ctx).is_acceptable());
}

#[test]
fn standards_refuses_common_passwords_and_the_login_name() {
    let ctx = Context {
        reuse: Reuse::Fresh,
        ..ctx()
    };
    let p = Preset::Standards.policy();
    assert_eq!(
        status(&check("1qaz2wsx3edc", &p, &ctx), &Rule::NotCommon),
        Status::Unmet
    );
    assert_eq!(
        status(
            &check("my s1234567 is long", &p, &ctx),
            &Rule::NotLoginOrName
        ),
        Status::Unmet
    );
    assert_eq!(
        status(
            &check("tai chan is my name ok", &p, &ctx),
            &Rule::NotLoginOrName
        ),
        Status::Unmet
    );
    assert!(check("violet orbit marmalade", &p, &ctx).is_acceptable());
}

#[test]
fn standards_has_no_composition_rules() {
    let p = Preset::Standards.policy();
    assert!(p.required_classes.is_empty());
    assert!(p.min_length >= 15 && p.max_length >= 64);
}

#[test]
fn length_counts_characters_after_nfkc_not_bytes() {
    let p = Preset::Standards.policy();
    // Fifteen é written as e + combining acute: 30 code points, 15 characters.
    let combining = "e\u{301}".repeat(15);
    assert_eq!(check(&combining, &p, &ctx()).length, 15);
    // Emoji are one character each, four bytes each.
    assert_eq!(check(&"🔑".repeat(15), &p, &ctx()).length, 15);
    assert_eq!(check("密碼密碼", &p, &ctx()).length, 4);
}

#[test]
fn a_password_is_never_truncated() {
    let p = Preset::PortalPin.policy();
    let report = check(&"a".repeat(19), &p, &ctx());
    assert_eq!(report.length, 19);
    assert_eq!(status(&report, &Rule::MaxLength { max: 18 }), Status::Unmet);
}

#[test]
fn a_megabyte_input_is_refused_without_checking_the_rest() {
    let huge = "Aa1".repeat(350_000);
    let report = check(&huge, &eservices(), &ctx());
    assert!(!report.is_acceptable());
    assert_eq!(
        status(&report, &Rule::MaxLength { max: 128 }),
        Status::Unmet
    );
    assert_eq!(
        status(&report, &Rule::MinLength { min: 10 }),
        Status::Pending
    );
}

#[test]
fn strength_grows_from_weak_to_strong() {
    let p = Preset::Standards.policy();
    let weak = check("aaaaaaaaaaaaaaa", &p, &ctx()).strength;
    let strong = check("violet orbit marmalade quay", &p, &ctx()).strength;
    assert!(weak < strong, "{weak:?} < {strong:?}");
    assert_eq!(strong, Some(4));
}

#[test]
fn a_strength_given_later_completes_the_same_report() {
    let mut p = Preset::Standards.policy();
    p.min_strength = Some(3);
    let ctx = ctx();
    for pw in [
        "aaaaaaaaaaaaaaa",
        "violet orbit marmalade quay",
        "Tr0ub4dor&3x!",
    ] {
        let pending = check_given_strength(pw, &p, &ctx, None);
        assert_eq!(
            status(&pending, &Rule::MinStrength { min: 3 }),
            Status::Pending
        );
        assert_eq!(pending.strength, None);
        let later = check_given_strength(pw, &p, &ctx, Some(estimate_strength(pw, &ctx)));
        assert_eq!(later, check(pw, &p, &ctx), "{pw}");
    }
}

#[test]
fn overrides_replace_single_rules_of_the_preset() {
    let o = PolicyOverrides {
        min_length: Some(12),
        forbid_common: Some(true),
        ..Default::default()
    };
    let p = Policy::from_preset(Preset::Eservices, &o).expect("valid");
    assert_eq!(p.min_length, 12);
    assert!(p.forbid_common);
    assert_eq!(
        p.required_classes,
        Preset::Eservices.policy().required_classes
    );
}

#[test]
fn an_impossible_override_is_refused_with_the_setting_named() {
    let o = PolicyOverrides {
        min_length: Some(40),
        max_length: Some(20),
        ..Default::default()
    };
    let err = Policy::from_preset(Preset::Eservices, &o).unwrap_err();
    assert!(err.contains("policy.max_length"), "{err}");
}

#[test]
fn the_report_serialises_as_rule_ids_with_parameters() {
    let report = check("x", &eservices(), &ctx());
    let json = serde_json::to_value(&report.outcomes[0]).expect("json");
    assert_eq!(json["rule"]["rule"], "min_length");
    assert_eq!(json["rule"]["min"], 10);
    assert_eq!(json["status"], "unmet");
}

#[test]
fn every_preset_refuses_the_most_guessed_passwords_and_the_login_name() {
    let ctx = Context {
        reuse: Reuse::Fresh,
        ..ctx()
    };
    for preset in [
        Preset::Eservices,
        Preset::StaffReset,
        Preset::PortalPin,
        Preset::Standards,
    ] {
        let p = preset.policy();
        assert_eq!(
            status(&check("Password123", &p, &ctx), &Rule::NotCommon),
            Status::Unmet,
            "{preset:?}"
        );
        assert_eq!(
            status(&check("Xs1234567yz9", &p, &ctx), &Rule::NotLoginOrName),
            Status::Unmet,
            "{preset:?}"
        );
    }
}

#[test]
fn a_deployment_can_still_turn_the_list_off_explicitly() {
    let o = PolicyOverrides {
        forbid_common: Some(false),
        forbid_login_and_name: Some(false),
        ..Default::default()
    };
    let p = Policy::from_preset(Preset::Eservices, &o).expect("valid");
    assert!(!p.forbid_common && !p.forbid_login_and_name);
    let ctx = Context {
        reuse: Reuse::Fresh,
        ..ctx()
    };
    assert!(check("Password123", &p, &ctx).is_acceptable());
}

#[test]
fn the_institution_and_product_names_count_like_the_login_name() {
    let ctx = Context {
        reuse: Reuse::Fresh,
        ..ctx()
    };
    let mut p = Preset::Eservices.policy();
    p.context_words = vec!["Gatehouse".into(), "HKU".into()];
    for password in ["MyGatehouse2026x", "gatehouse4Ever99", "hku2026Rocks"] {
        assert_eq!(
            status(&check(password, &p, &ctx), &Rule::NotLoginOrName),
            Status::Unmet,
            "{password}"
        );
    }
    assert!(check("Harbour7Lights", &p, &ctx).is_acceptable());
}
