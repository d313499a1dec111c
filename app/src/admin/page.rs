//! The console's pages. Searches and filters are GET forms and actions are
//! plain forms, so everything works without JavaScript.
use crate::components::DocumentTitle;
use leptos::prelude::*;
use leptos_router::components::{Form, Redirect, A};
use leptos_router::hooks::{use_params_map, use_query_map};

use super::{
    admin_account, admin_audit, admin_imports, admin_search, AccountDetail, AccountSummary,
    AdminAct, AdminAction, AuditEntry, AuditQuery, ImportReport,
};
use crate::account::page::{format_unix, Loading, RoleName};
use crate::account::AccountStatus;
use crate::api;
use crate::components::{AccountNav, ErrorMessage};
use crate::i18n::*;
use gatehouse_types::error::AppError;

/// A refusal: the sign-in page for nobody signed in, the message (and, on
/// the server, the status) for anyone else.
#[component]
fn Refused(error: AppError) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        if let Ok(status) = http::StatusCode::from_u16(error.status()) {
            response.set_status(status);
        }
    }
    match error {
        AppError::Unauthenticated => view! { <Redirect path="/login"/> }.into_any(),
        error => view! { <section class="card"><ErrorMessage error/></section> }.into_any(),
    }
}

#[component]
fn AdminNav() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <AccountNav/>
        <nav class="admin-nav" aria-label=move || t_string!(i18n, admin_title)>
            <A href="/admin">{t!(i18n, admin_links_search)}</A>
            <A href="/admin/audit">{t!(i18n, admin_links_audit)}</A>
            <A href="/admin/import">{t!(i18n, admin_links_import)}</A>
        </nav>
    }
}

/// Shows `view` with the loaded value, or the refusal.
fn loaded<T, V>(result: Result<T, AppError>, view: impl FnOnce(T) -> V) -> AnyView
where
    V: IntoView + 'static,
{
    match result {
        Ok(value) => view(value).into_any(),
        Err(error) => view! { <Refused error/> }.into_any(),
    }
}

fn query(name: &'static str) -> Memo<String> {
    let q = use_query_map();
    Memo::new(move |_| q.with(|q| q.get(name)).unwrap_or_default())
}

#[component]
pub fn AdminHomePage() -> impl IntoView {
    let i18n = use_i18n();
    let q = query("q");
    let found = Resource::new(move || q.get(), admin_search);
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                loaded(found.await, move |accounts| view! {
                    <AdminNav/>
                    <section class="card wide">
                        <h1>{t!(i18n, admin_title)}</h1>
                        <DocumentTitle text=move || t_string!(i18n, admin_title).to_string()/>
                        <Form method="GET" action="/admin" attr:class="form" attr:id="admin-search">
                            <div class="field">
                                <label for="q">{t!(i18n, admin_search_label)}</label>
                                <input id="q" name="q" type="search" value=q.get_untracked()/>
                            </div>
                            <button type="submit" class="primary">{t!(i18n, admin_search_button)}</button>
                        </Form>
                        {(!q.get_untracked().trim().is_empty()).then(|| view! { <Results accounts/> })}
                    </section>
                })
            })}
        </Suspense>
    }
}

#[component]
fn Results(accounts: Vec<AccountSummary>) -> impl IntoView {
    let i18n = use_i18n();
    if accounts.is_empty() {
        return view! { <p id="no-results">{t!(i18n, admin_no_results)}</p> }.into_any();
    }
    view! {
        <table class="data" id="search-results">
            <thead><tr>
                <th>{t!(i18n, admin_col_login)}</th>
                <th>{t!(i18n, admin_col_name)}</th>
                <th>{t!(i18n, admin_col_role)}</th>
                <th>{t!(i18n, admin_col_email)}</th>
                <th>{t!(i18n, admin_col_status)}</th>
            </tr></thead>
            <tbody>
                {accounts.into_iter().map(|a| view! {
                    <tr>
                        <td><a href=format!("/admin/accounts/{}", a.login)>{a.login.clone()}</a></td>
                        <td>{a.display_name}</td>
                        <td><RoleName role=a.role/></td>
                        <td>{a.email}</td>
                        <td><Status status=a.status/></td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
fn Status(status: AccountStatus) -> impl IntoView {
    let i18n = use_i18n();
    let text = match status {
        AccountStatus::Active => t!(i18n, admin_status_active).into_any(),
        AccountStatus::Locked => t!(i18n, admin_status_locked).into_any(),
        AccountStatus::Disabled => t!(i18n, admin_status_disabled).into_any(),
    };
    view! { <span data-status=status.as_str()>{text}</span> }
}

#[component]
pub fn AdminAccountPage() -> impl IntoView {
    let params = use_params_map();
    let login = Memo::new(move |_| params.with(|p| p.get("login")).unwrap_or_default());
    let act = ServerAction::<AdminAct>::new();
    let detail = Resource::new(
        move || (login.get(), act.version().get()),
        |(l, _)| admin_account(l),
    );
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                loaded(detail.await, move |detail| view! {
                    <AdminNav/>
                    <Account detail act/>
                })
            })}
        </Suspense>
    }
}

#[component]
fn ActionName(action: AdminAction) -> impl IntoView {
    let i18n = use_i18n();
    match action {
        AdminAction::Unlock => t!(i18n, admin_action_unlock).into_any(),
        AdminAction::Disable => t!(i18n, admin_action_disable).into_any(),
        AdminAction::Enable => t!(i18n, admin_action_enable).into_any(),
        AdminAction::RequireChange => t!(i18n, admin_action_require_change).into_any(),
        AdminAction::SendReset => t!(i18n, admin_action_send_reset).into_any(),
        AdminAction::EndSessions => t!(i18n, admin_action_end_sessions).into_any(),
        AdminAction::ResetTwoStep => t!(i18n, admin_action_reset_two_step).into_any(),
    }
}

#[component]
fn Account(detail: AccountDetail, act: ServerAction<AdminAct>) -> impl IntoView {
    let i18n = use_i18n();
    let done = query("done");
    let done = move || {
        AdminAction::ALL
            .into_iter()
            .find(|a| a.as_str() == done.get())
            .filter(|_| act.value().get().is_none_or(|r| r.is_ok()))
    };
    let error = move || act.value().get().and_then(Result::err);
    let AccountDetail {
        summary,
        mobile,
        alt_email,
        language,
        valid_until,
        last_day,
        ended,
        has_password,
        password_changed_at,
        password_days_left,
        must_change,
        locked_until,
        recent_failures,
        sessions,
        events,
    } = detail;
    let login = summary.login.clone();
    let password = match (has_password, password_changed_at, password_days_left) {
        (false, _, _) => t!(i18n, admin_password_none).into_any(),
        (true, _, Some(days)) if days < 0 => t!(i18n, admin_password_overdue).into_any(),
        (true, Some(at), Some(days)) => view! {
            {t!(i18n, admin_password_changed, when = format_unix(at))}
            "; "
            {t!(i18n, admin_password_due, days)}
        }
        .into_any(),
        (true, Some(at), None) => {
            t!(i18n, admin_password_changed, when = format_unix(at)).into_any()
        }
        (true, None, _) => "—".into_any(),
    };
    let lock = match locked_until {
        Some(until) => t!(i18n, admin_locked_until, when = format_unix(until)).into_any(),
        None => t!(i18n, admin_not_locked, failures = recent_failures).into_any(),
    };
    let validity = match (valid_until, last_day) {
        (Some(until), Some(last)) => {
            view! { {until} " (" {t!(i18n, admin_last_day)} ": " {last} ")" }.into_any()
        }
        _ => t!(i18n, admin_no_end).into_any(),
    };
    view! {
        <section class="card wide" id="admin-account">
            <h1>{t!(i18n, admin_account_title, login = summary.login.clone())}</h1>
            <DocumentTitle text={
                let login = summary.login.clone();
                move || format!("{login} · {}", t_string!(i18n, admin_title))
            }/>
            {move || done().map(|action| view! {
                <p class="success" role="status" id="admin-done">{t!(i18n, admin_done, action = move || view! { <ActionName action/> })}</p>
            })}
            {move || error().map(|error| view! { <ErrorMessage error/> })}
            <dl class="profile">
                <dt>{t!(i18n, admin_col_name)}</dt><dd>{summary.display_name}</dd>
                <dt>{t!(i18n, admin_col_role)}</dt><dd><RoleName role=summary.role/></dd>
                <dt>{t!(i18n, admin_col_status)}</dt><dd data-field="status"><Status status=summary.status/></dd>
                <dt>{t!(i18n, admin_valid_until)}</dt>
                <dd data-field="validity">{validity}{ended.then(|| view! { " — " <strong>{t!(i18n, admin_ended)}</strong> })}</dd>
                <dt>{t!(i18n, admin_password)}</dt>
                <dd data-field="password">{password}{must_change.then(|| view! { <br/><strong data-field="must-change">{t!(i18n, admin_must_change)}</strong> })}</dd>
                <dt>{t!(i18n, admin_lock)}</dt><dd data-field="lock">{lock}</dd>
                <dt>{t!(i18n, admin_sessions)}</dt><dd data-field="sessions">{sessions}</dd>
                <dt>{t!(i18n, admin_language)}</dt><dd>{language}</dd>
            </dl>
            <h2>{t!(i18n, admin_methods)}</h2>
            <dl class="profile">
                <dt>{t!(i18n, admin_method_email)}</dt><dd>{summary.email}</dd>
                {alt_email.map(|e| view! { <dt>{t!(i18n, admin_method_alt_email)}</dt><dd>{e}</dd> })}
                {mobile.map(|m| view! { <dt>{t!(i18n, admin_method_mobile)}</dt><dd>{m}</dd> })}
            </dl>
            <h2>{t!(i18n, admin_actions)}</h2>
            <div class="admin-actions">
                {AdminAction::ALL.into_iter().map(|action| {
                    let login = login.clone();
                    view! {
                        <ActionForm action=act attr:class="admin-action" attr:data-action=action.as_str()>
                            <input type="hidden" name="login" value=login/>
                            <input type="hidden" name="action" value=action.as_str()/>
                            <label class="choice">
                                <input type="checkbox" name="confirm" required/>
                                " " {t!(i18n, admin_confirm)}
                            </label>
                            <button type="submit"><ActionName action/></button>
                        </ActionForm>
                    }
                }).collect_view()}
            </div>
            <h2>{t!(i18n, admin_recent_events)}</h2>
            <Events events/>
            <p><a href=format!("/admin/audit?account={login}")>{t!(i18n, admin_links_audit)}</a></p>
        </section>
    }
}

#[component]
fn Events(events: Vec<AuditEntry>) -> impl IntoView {
    let i18n = use_i18n();
    if events.is_empty() {
        return view! { <p id="no-events">{t!(i18n, admin_no_events)}</p> }.into_any();
    }
    view! {
        <div class="table-scroll">
            <table class="data audit">
                <thead><tr>
                    <th>{t!(i18n, admin_col_time)}</th>
                    <th>{t!(i18n, admin_col_actor)}</th>
                    <th>{t!(i18n, admin_col_subject)}</th>
                    <th>{t!(i18n, admin_col_action)}</th>
                    <th>{t!(i18n, admin_col_outcome)}</th>
                    <th>{t!(i18n, admin_col_address)}</th>
                    <th>{t!(i18n, admin_col_agent)}</th>
                    <th>{t!(i18n, admin_col_detail)}</th>
                </tr></thead>
                <tbody>
                    {events.into_iter().map(|e| {
                        let action = e.action.clone();
                        view! {
                        <tr data-action=action>
                            <td>{format_unix(e.at)}</td>
                            <td>{e.actor.unwrap_or_default()}</td>
                            <td>{e.subject.unwrap_or_default()}</td>
                            <td>{e.action}</td>
                            <td>{e.outcome}</td>
                            <td>{e.client_addr}</td>
                            <td class="agent">{e.user_agent}</td>
                            <td>{e.detail.unwrap_or_default()}</td>
                        </tr>
                    }}).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
pub fn AdminAuditPage() -> impl IntoView {
    let i18n = use_i18n();
    let q = use_query_map();
    let filter = Memo::new(move |_| {
        q.with(|q| AuditQuery {
            account: q.get("account").unwrap_or_default(),
            action: q.get("action").unwrap_or_default(),
            from: q.get("from").unwrap_or_default(),
            to: q.get("to").unwrap_or_default(),
        })
    });
    let events = Resource::new(move || filter.get(), admin_audit);
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                loaded(events.await, move |events| {
                    let f = filter.get_untracked();
                    let query = form_urlencoded::Serializer::new(String::new())
                        .append_pair("account", &f.account)
                        .append_pair("action", &f.action)
                        .append_pair("from", &f.from)
                        .append_pair("to", &f.to)
                        .finish();
                    let csv = api::url(&format!("/admin/audit.csv?{query}"));
                    view! {
                        <AdminNav/>
                        <section class="card wide">
                            <h1>{t!(i18n, admin_audit_title)}</h1>
                            <DocumentTitle text=move || t_string!(i18n, admin_audit_title).to_string()/>
                            <Form method="GET" action="/admin/audit" attr:class="form filters" attr:id="audit-filter">
                                <div class="field"><label for="account">{t!(i18n, admin_filter_account)}</label>
                                    <input id="account" name="account" type="text" value=f.account.clone()/></div>
                                <div class="field"><label for="action">{t!(i18n, admin_filter_action)}</label>
                                    <input id="action" name="action" type="text" value=f.action.clone()/></div>
                                <div class="field"><label for="from">{t!(i18n, admin_filter_from)}</label>
                                    <input id="from" name="from" type="text" value=f.from.clone() placeholder="2026-11-01"/></div>
                                <div class="field"><label for="to">{t!(i18n, admin_filter_to)}</label>
                                    <input id="to" name="to" type="text" value=f.to.clone() placeholder="2026-11-30"/></div>
                                <button type="submit" class="primary">{t!(i18n, admin_filter_button)}</button>
                            </Form>
                            <p><a class="button" id="export-csv" href=csv rel="external" download="audit.csv">{t!(i18n, admin_export_csv)}</a></p>
                            <Events events/>
                        </section>
                    }
                })
            })}
        </Suspense>
    }
}

#[component]
pub fn AdminImportPage() -> impl IntoView {
    let i18n = use_i18n();
    let upload =
        Action::new_local(|data: &web_sys::FormData| super::admin_import(data.clone().into()));
    let reports = Resource::new(move || upload.version().get(), |_| admin_imports());
    let submit = move |ev: web_sys::SubmitEvent| {
        use web_sys::wasm_bindgen::JsCast;
        let form = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlFormElement>().ok());
        if let Some(data) = form.and_then(|f| web_sys::FormData::new_with_form(&f).ok()) {
            ev.prevent_default();
            upload.dispatch_local(data);
        }
    };
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                loaded(reports.await, move |reports| view! {
                    <AdminNav/>
                    <section class="card wide">
                        <h1>{t!(i18n, admin_import_title)}</h1>
                        <DocumentTitle text=move || t_string!(i18n, admin_import_title).to_string()/>
                        <p class="hint">{t!(i18n, admin_import_help)}</p>
                        <form method="post" enctype="multipart/form-data" action=api::url("/api/admin_import")
                            class="form" id="import-form" on:submit=submit>
                            <div class="field">
                                <label for="file">{t!(i18n, admin_import_file)}</label>
                                <input id="file" name="file" type="file" accept=".csv,.jsonl,.ndjson,.json,text/csv" required/>
                            </div>
                            <label class="choice"><input type="checkbox" name="dry_run" id="dry_run"/>" " {t!(i18n, admin_import_dry_run)}</label>
                            <button type="submit" class="primary" disabled=move || upload.pending().get()>{t!(i18n, admin_import_button)}</button>
                        </form>
                        {move || upload.value().get().and_then(Result::err).map(|error| view! { <ErrorMessage error/> })}
                        <h2>{t!(i18n, admin_import_reports)}</h2>
                        <Reports reports/>
                    </section>
                })
            })}
        </Suspense>
    }
}

#[component]
fn Reports(reports: Vec<ImportReport>) -> impl IntoView {
    let i18n = use_i18n();
    if reports.is_empty() {
        return view! { <p>{t!(i18n, admin_import_none)}</p> }.into_any();
    }
    view! {
        <ol class="reports" id="import-reports">
            {reports.into_iter().map(|r| view! {
                <li class="report">
                    <p>
                        <strong class="summary">{r.summary}</strong>
                        {r.dry_run.then(|| view! { " (" {t!(i18n, admin_import_dry)} ")" })}
                        " — " {t!(i18n, admin_import_by, when = format_unix(r.at), actor = r.actor.clone())}
                    </p>
                    <pre>{r.report}</pre>
                </li>
            }).collect_view()}
        </ol>
    }
    .into_any()
}
