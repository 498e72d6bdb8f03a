//! What the signed-in member's role lets the page show: the layout provides who is signed in,
//! pages ask [`may`] before they render a button the role could not use (the server checks the
//! role again on every call, so this is for clarity, not for safety).
use leptos::prelude::*;

use crate::errors::AppError;
use crate::identity::{Identity, Role};

/// Who is signed in, as the layout read it.
#[derive(Clone, Copy)]
pub struct Me(pub Resource<Result<Identity, AppError>>);

/// Whether the member may do what `needed` may. Read inside a `Suspense` or `Transition`, so the
/// page waits for the answer on the server and hydrates with it; `false` until it is known.
pub fn may(needed: Role) -> bool {
    use_context::<Me>().and_then(|me| me.0.get()).and_then(Result::ok).is_some_and(|who| who.may(needed))
}

/// Its children, only for a member whose role allows `role` (with its own `Suspense`, for a part
/// of a page that is not inside one).
#[component]
pub fn Can(role: Role, children: ChildrenFn) -> impl IntoView {
    view! { <Suspense fallback=|| ()>{move || may(role).then(|| children())}</Suspense> }
}
