//! The pending invites, and the code to hand over right after *Invite*.
use leptos::prelude::*;

use super::{view_fields, Forms, BUTTON};
use crate::components::access::may;
use crate::identity::Role;
use crate::relative_time::When;
use crate::user_links_view::{InviteView, UsersQuery};

/// The code to hand over, with the platform command that redeems it.
#[component]
pub(super) fn InviteHandover(invite: InviteView, command: String) -> impl IntoView {
    let cmd = command.replace("{code}", &invite.code);
    view! {
        <section data-testid="invite-handover" class="mb-4 rounded-lg border border-sky-300 bg-sky-50 p-4 text-sm text-sky-950 dark:border-sky-800 dark:bg-sky-950 dark:text-sky-100">
            <p>{format!("Invite for {}: give them this code. It works until ", invite.linear_user_name.clone().unwrap_or_default())}
                <When at=invite.expires_at.clone().unwrap_or_default() class="inline"/>"."</p>
            <p class="mt-2"><code data-testid="invite-code" class="rounded bg-white px-2 py-1 font-mono text-base dark:bg-slate-900">{invite.code.clone()}</code></p>
            <p class="mt-2">"They redeem it, signed in to the platform, with:"</p>
            <pre data-testid="invite-command" class="mt-1 overflow-x-auto rounded bg-white p-2 font-mono text-xs dark:bg-slate-900">{cmd}</pre>
        </section>
    }
}

#[component]
pub(super) fn Invites(org_id: String, invites: Vec<InviteView>, query: UsersQuery, command: String) -> impl IntoView {
    let forms = Forms::of_page();
    view! {
        <section data-testid="invites" class="mt-8">
            <h2 class="mb-2 text-lg font-semibold">"Invites"</h2>
            <p class="mb-2 text-sm text-slate-500 dark:text-slate-400">{format!("A person redeems a code with: {}", command)}</p>
            {if invites.is_empty() {
                view! { <p class="text-sm text-slate-500 dark:text-slate-400">"No invite is pending."</p> }.into_any()
            } else {
                view! {
                    <ul class="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white text-sm dark:divide-slate-800 dark:border-slate-800 dark:bg-slate-900">
                        {invites.into_iter().map(|i| { let (org, fields) = (org_id.clone(), view_fields(&query)); view! {
                            <li data-testid="invite-row" data-expired=i.expired.to_string() class="flex flex-wrap items-center gap-3 px-4 py-2">
                                <code class="font-mono">{i.code.clone()}</code>
                                <span>{i.linear_user_name.clone().or(i.linear_user_id.clone()).unwrap_or_default()}</span>
                                <span class="text-xs text-slate-500 dark:text-slate-400">{i.linear_user_email.clone().unwrap_or_default()}</span>
                                <span class=if i.expired { "text-xs font-medium text-amber-700 dark:text-amber-300" } else { "text-xs text-slate-500 dark:text-slate-400" }>
                                    {if i.expired { "expired " } else { "until " }}<When at=i.expires_at.clone().unwrap_or_default() class="inline"/>
                                </span>
                                {may(Role::Operator).then(|| view! {
                                    <ActionForm action=forms.revoke attr:class="ml-auto">
                                        <input type="hidden" name="org_id" value=org/>
                                        <input type="hidden" name="code" value=i.code.clone()/>
                                        {fields}
                                        <button type="submit" data-testid="revoke-invite" class=BUTTON>{if i.expired { "Delete" } else { "Revoke" }}</button>
                                    </ActionForm>
                                })}
                            </li>
                        }}).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}
