//! Properties over arbitrary input: checking never panics, and the verdict
//! the browser shows is the verdict the server reaches.
use gatehouse_policy::*;
use proptest::prelude::*;

fn any_preset() -> impl Strategy<Value = Preset> {
    prop_oneof![
        Just(Preset::Eservices),
        Just(Preset::StaffReset),
        Just(Preset::PortalPin),
        Just(Preset::Standards),
    ]
}

proptest! {
    #[test]
    fn checking_never_panics(pw in any::<String>(), preset in any_preset(), login in "[a-z0-9]{0,12}", name in any::<String>()) {
        let ctx = Context { login: &login, display_name: &name, reuse: Reuse::Unknown };
        let report = check(&pw, &preset.policy(), &ctx);
        prop_assert!(!report.outcomes.is_empty());
    }

    #[test]
    fn a_password_the_checklist_accepts_is_accepted_by_the_server(pw in "[ -~]{0,40}|\\PC{0,40}", preset in any_preset()) {
        let policy = preset.policy();
        let browser = check(&pw, &policy, &Context { login: "s1234567", display_name: "Chan Tai Man", reuse: Reuse::Unknown });
        let server = check(&pw, &policy, &Context { login: "s1234567", display_name: "Chan Tai Man", reuse: Reuse::Fresh });
        if browser.has_no_failures() {
            prop_assert!(server.is_acceptable());
        } else {
            prop_assert!(!server.is_acceptable());
        }
    }

    #[test]
    fn the_length_reported_is_the_nfkc_character_count(pw in "\\PC{0,60}") {
        let report = check(&pw, &Preset::Standards.policy(), &Context { login: "", display_name: "", reuse: Reuse::Unknown });
        prop_assert_eq!(report.length, normalize(&pw).chars().count());
    }
}
